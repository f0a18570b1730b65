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
				PlanOnly:    true,
				ExpectError: errorText("Managed tokens need Bitbucket Data Center", "Bitbucket Cloud has no API to create access tokens"),
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

// TestConnectionCombinations plans (validation and plan, in-process, no
// apply) every credential of connectionCredentialKinds at every level, on
// both products, for a repository and a workspace connection, with and
// without a webhook, and checks each outcome against the rules the
// connection's page states: managed tokens are Data Center only; a
// repository-level credential needs repository; a Cloud project key names
// its project, a Data Center one does not; a webhook works with every
// credential. A credential added to the table without a configuration here
// fails.
func TestConnectionCombinations(t *testing.T) {
	t.Parallel()
	credentialConfig := map[string]func(product emulator.Product, level string) map[string]any{
		"managed_token": func(_ emulator.Product, level string) map[string]any {
			permission := "REPO_READ"
			return map[string]any{"managed_token": map[string]any{"level": level, "permissions": []string{permission}}}
		},
		"managed_access_key": func(product emulator.Product, level string) map[string]any {
			key := map[string]any{"level": level}
			if product == emulator.Cloud && level == "project" {
				key["project"] = "API"
			}
			return map[string]any{"managed_access_key": key}
		},
		"token": func(emulator.Product, string) map[string]any { return map[string]any{"token": "supplied-secret"} },
		"token_wo": func(emulator.Product, string) map[string]any {
			return map[string]any{"token_wo": "supplied-secret", "token_wo_version": 1}
		},
	}
	// want is the rules the documentation states, written independently of
	// the code under test: none plans; otherwise the error names one of the
	// rules broken (validation reports a missing repository before the plan
	// asks the product).
	want := func(product emulator.Product, credential, level string, repository bool) []string {
		var broken []string
		if credential == "managed_token" && product == emulator.Cloud {
			broken = append(broken, "Managed tokens need Bitbucket Data Center")
		}
		if level == "repository" && !repository {
			broken = append(broken, "needs a repository")
		}
		return broken
	}
	for _, product := range []emulator.Product{emulator.DataCenter, emulator.Cloud} {
		srv := startEmulator(t, product)
		for _, kind := range connectionCredentialKinds {
			build, ok := credentialConfig[kind.attribute]
			if !ok {
				t.Fatalf("credential %s has no configuration in this test", kind.attribute)
			}
			levels := kind.levels
			if levels == nil {
				levels = []string{""}
			}
			for _, level := range levels {
				for _, repository := range []bool{true, false} {
					for _, webhook := range []bool{true, false} {
						name := fmt.Sprintf("%s/%s/%s/repository=%v/webhook=%v", product, kind.attribute, level, repository, webhook)
						config := build(product, level)
						config["name"], config["workspace"] = "combo", seededWorkspace(product)
						if repository {
							config["repository"] = "api-service"
						}
						if webhook {
							config["webhook"] = map[string]any{"url": "https://service.example.com/hook",
								"events": []string{strings.Trim(pushEvents(product), `["]`)}}
						}
						h := newProtocolHarness(t, "bitbucket_connection", matrixProviderConfig(srv))
						_, _, err := h.plan(config)
						expected := want(product, kind.attribute, level, repository)
						switch {
						case len(expected) == 0 && err != nil:
							t.Errorf("%s: plan failed: %v", name, err)
						case len(expected) > 0 && err == nil:
							t.Errorf("%s: planned, want an error saying one of %q", name, expected)
						case len(expected) > 0 && !slices.ContainsFunc(expected, func(e string) bool { return strings.Contains(err.Error(), e) }):
							t.Errorf("%s: error %v, want one saying one of %q", name, err, expected)
						}
					}
				}
			}
		}
	}
}
