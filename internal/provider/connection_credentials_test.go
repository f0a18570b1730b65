package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-testing/config"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

func TestAccConnectionPlanTimeErrors(t *testing.T) {
	cloud := startEmulator(t, emulator.Cloud)
	dc := startEmulator(t, emulator.DataCenter)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config: connectionConfig(cloud,
					`name       = "ci"`,
					`workspace  = "acme"`,
					`repository = "api-service"`,
					`managed_token = {`,
					`  level       = "repository"`,
					`  permissions = ["REPO_READ"]`,
					`}`,
				),
				PlanOnly: true,
				ExpectError: errorText("Managed tokens need Bitbucket Data Center", "Bitbucket Cloud has no API for access tokens",
					"supply it in this connection's token_wo"),
			},
			{
				Config:      connectionConfig(dc, `name = "ci"`, `workspace = "PRJ"`),
				PlanOnly:    true,
				ExpectError: errorText("Exactly one of these attributes must be configured", "managed_token", "token", "token_wo"),
			},
			{
				Config: connectionConfig(dc, `name = "ci"`, `workspace = "PRJ"`, `token = "x"`,
					`managed_token = {`, `  level = "project"`, `  permissions = ["PROJECT_READ"]`, `}`),
				PlanOnly:    true,
				ExpectError: errorText("Exactly one of these attributes must be configured", "managed_token", "token", "token_wo"),
			},
			{
				Config: connectionConfig(dc, `name = "ci"`, `workspace = "PRJ"`,
					`managed_token = {`, `  level = "repository"`, `  permissions = ["PROJECT_READ"]`, `}`),
				PlanOnly:    true,
				ExpectError: errorText("A repository token needs a repository"),
			},
			{
				Config: connectionConfig(dc, `name = "ci"`, `workspace = "PRJ"`, `repository = "api-service"`,
					`managed_token = {`, `  level = "repository"`, `  permissions = ["PROJECT_READ"]`, `}`),
				PlanOnly:    true,
				ExpectError: errorText(`"PROJECT_READ" is not a valid permission for a repository access token`),
			},
			{
				Config: connectionConfig(dc, `name = "ci"`, `workspace = "PRJ"`, `repository = "api-service"`, `token = "x"`,
					`webhook = {`, `  url = "https://ci.example.com"`, `  events = ["repo:push"]`, `}`),
				PlanOnly:    true,
				ExpectError: errorText(`"repo:push" is not a Bitbucket Data Center repository webhook event`),
			},
		},
	})
}

// TestAccConnectionCredentialChosenByVariable: the quickstart's pattern, a
// managed token on Data Center and a supplied token on Cloud chosen by a
// variable, is not a conflict while the variable is still unknown.
func TestAccConnectionCredentialChosenByVariable(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{{
			ConfigVariables: config.Variables{"product": config.StringVariable("datacenter")},
			Config: providerConfig(srv) + `
variable "product" { type = string }

resource "bitbucket_connection" "ci" {
  name       = "ci-service"
  workspace  = "PRJ"
  repository = "api-service"
  managed_token = var.product == "datacenter" ? {
    level       = "repository"
    permissions = ["REPO_READ"]
  } : null
  token = var.product == "cloud" ? "supplied" : null
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("bitbucket_connection.ci", tfjsonpath.New("verified_permissions"),
					knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("read")})),
			},
		}},
	})
}

// TestAccConnectionManagedTokenNeedsPasswordAuth: a provider authenticated
// with a token cannot make the managed token; the diagnostic says to use a
// password, and nothing is left behind.
func TestAccConnectionManagedTokenNeedsPasswordAuth(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{{
			Config: providerBlock(srv.BaseURL(), `access_token = "`+emulator.DCAdminToken+`"`) + `
resource "bitbucket_connection" "ci" {
  name       = "ci-service"
  workspace  = "PRJ"
  repository = "api-service"
  managed_token = {
    level       = "repository"
    permissions = ["REPO_READ"]
  }
}
`,
			ExpectError: errorText("only a user signed in with a password create tokens"),
		}},
	})
	if n := len(srv.AccessTokens()); n != 1 { // the seeded admin token only
		t.Errorf("%d access tokens after the refused create, want only the seeded one", n)
	}
}

// TestAccConnectionExpiryDaysBound: expiry_days has the
// token resources' bound, checked at plan time.
func TestAccConnectionExpiryDaysBound(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	steps := make([]tfresource.TestStep, 0, 2)
	for _, days := range []string{"0", "9999999999"} {
		steps = append(steps, tfresource.TestStep{
			Config: connectionConfig(srv, `name = "ci"`, `workspace = "PRJ"`, `repository = "api-service"`,
				`managed_token = {`, `  level = "repository"`, `  permissions = ["REPO_READ"]`, `  expiry_days = `+days, `}`),
			PlanOnly:    true,
			ExpectError: errorText("expiry_days", "must be between 1 and 36500"),
		})
	}
	tfresource.ParallelTest(t, tfresource.TestCase{ProtoV6ProviderFactories: testProviderFactories(), Steps: steps})
}

// TestAccConnectionWebhookCheckedWhateverTheCredential:
// a webhook without events is a plan-time error with a supplied token too.
func TestAccConnectionWebhookCheckedWhateverTheCredential(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		workspace := seededWorkspace(product)
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []tfresource.TestStep{{
				Config: connectionConfig(srv, `name = "ci"`, fmt.Sprintf(`workspace = %q`, workspace),
					`repository = "api-service"`, `token = "x"`,
					`webhook = {`, `  url = "https://ci.example.com/hook"`, `}`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)events.*required|Incomplete webhook`),
			}},
		})
	})
}

// TestConnectionNestedAttributesRequired: managed_token and webhook are
// nested attributes, not blocks, and the inner attributes a connection cannot do without are required, so the
// schema checks them and the docs list them as Required.
func TestConnectionNestedAttributesRequired(t *testing.T) {
	var resp resource.SchemaResponse
	(&connectionResource{}).Schema(context.Background(), resource.SchemaRequest{}, &resp)
	if len(resp.Schema.Blocks) != 0 {
		t.Errorf("blocks %v, want none", resp.Schema.Blocks)
	}
	for nested, required := range map[string][]string{"managed_token": {"level", "permissions"}, "webhook": {"url", "events"}} {
		attr, ok := resp.Schema.Attributes[nested].(schema.SingleNestedAttribute)
		if !ok {
			t.Fatalf("%s is %T, want a single nested attribute", nested, resp.Schema.Attributes[nested])
		}
		for _, name := range required {
			if !attr.Attributes[name].IsRequired() {
				t.Errorf("%s.%s is not required", nested, name)
			}
		}
	}
}

// TestAccConnectionCredentialUnknownAtPlan: a credential chosen by a value
// another resource makes is unknown at plan time; on Cloud an unknown
// managed_token is not yet "a managed token on Cloud".
func TestAccConnectionCredentialUnknownAtPlan(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{{
			Config: providerConfig(srv) + `
resource "terraform_data" "product" {
  input = "cloud"
}

resource "bitbucket_connection" "ci" {
  name       = "ci-service"
  workspace  = "acme"
  repository = "api-service"
  managed_token = terraform_data.product.output == "datacenter" ? {
    level       = "repository"
    permissions = ["REPO_READ"]
  } : null
  token = terraform_data.product.output == "cloud" ? "` + emulator.CloudAccessToken + `" : null
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("bitbucket_connection.ci", tfjsonpath.New("token_id"), knownvalue.Null()),
				statecheck.ExpectKnownValue("bitbucket_connection.ci", tfjsonpath.New("verified_permissions"), levelsCheck("read")),
			},
		}},
	})
}

// combinationCredentialConfig is the configuration of each credential of
// connectionCredentialKinds at a level.
var combinationCredentialConfig = map[string]func(product emulator.Product, level string) map[string]any{
	"managed_token": func(_ emulator.Product, level string) map[string]any {
		return map[string]any{"managed_token": map[string]any{"level": level, "permissions": []string{"REPO_READ"}}}
	},
	"managed_access_key": func(product emulator.Product, level string) map[string]any {
		key := map[string]any{"level": level}
		if product == emulator.Cloud && level == "project" {
			key["project"] = "API" // a Cloud project lives inside the workspace
		}
		return map[string]any{"managed_access_key": key}
	},
	"token": func(emulator.Product, string) map[string]any { return map[string]any{"token": "supplied-secret"} },
	"token_wo": func(emulator.Product, string) map[string]any {
		return map[string]any{"token_wo": "supplied-secret", "token_wo_version": 1}
	},
}

// combination is one connection configuration of TestConnectionCombinations.
type combination struct {
	product             emulator.Product
	credential, level   string
	repository, webhook bool
}

func (c combination) String() string {
	return fmt.Sprintf("%s/%s/%s/repository=%v/webhook=%v", c.product, c.credential, c.level, c.repository, c.webhook)
}

// brokenRules are the rules the connection's page states that c breaks,
// written independently of the code under test: managed tokens are Data
// Center only; a repository-level credential needs repository.
func (c combination) brokenRules() []string {
	var broken []string
	if c.credential == "managed_token" && c.product == emulator.Cloud {
		broken = append(broken, "Managed tokens need Bitbucket Data Center")
	}
	if c.level == "repository" && !c.repository {
		broken = append(broken, "needs a repository")
	}
	return broken
}

func (c combination) config(t *testing.T) map[string]any {
	build, ok := combinationCredentialConfig[c.credential]
	if !ok {
		t.Fatalf("credential %s has no configuration in this test", c.credential)
	}
	config := build(c.product, c.level)
	config["name"], config["workspace"] = "combo", seededWorkspace(c.product)
	if c.repository {
		config["repository"] = "api-service"
	}
	if c.webhook {
		config["webhook"] = map[string]any{"url": "https://service.example.com/hook",
			"events": []string{strings.Trim(pushEvents(c.product), `["]`)}}
	}
	return config
}

// combinations is every credential of the table at every level, for a
// repository and a workspace connection, with and without a webhook.
func combinations(product emulator.Product) []combination {
	var out []combination
	for _, kind := range connectionCredentialKinds {
		levels := kind.levels
		if levels == nil {
			levels = []string{""}
		}
		for _, level := range levels {
			for _, scope := range [][2]bool{{true, true}, {true, false}, {false, true}, {false, false}} {
				out = append(out, combination{product, kind.attribute, level, scope[0], scope[1]})
			}
		}
	}
	return out
}

// checkCombination: a combination that breaks no rule plans; one that
// breaks a rule fails, saying one of the rules it breaks (validation reports
// a missing repository before the plan asks the product).
func checkCombination(t *testing.T, c combination, err error) {
	broken := c.brokenRules()
	says := func(e string) bool { return err != nil && strings.Contains(err.Error(), e) }
	switch {
	case len(broken) == 0 && err != nil:
		t.Errorf("%s: plan failed: %v", c, err)
	case len(broken) > 0 && !slices.ContainsFunc(broken, says):
		t.Errorf("%s: got %v, want an error saying one of %q", c, err, broken)
	}
}

// TestConnectionCombinations plans (validation and plan, in-process, no
// apply) every combination on both products and checks each outcome against
// the documented rules. A credential added to the table without a
// configuration here fails.
func TestConnectionCombinations(t *testing.T) {
	t.Parallel()
	for _, product := range []emulator.Product{emulator.DataCenter, emulator.Cloud} {
		srv := startEmulator(t, product)
		for _, c := range combinations(product) {
			h := newProtocolHarness(t, "bitbucket_connection", matrixProviderConfig(srv))
			_, _, err := h.plan(c.config(t))
			checkCombination(t, c, err)
		}
	}
}
