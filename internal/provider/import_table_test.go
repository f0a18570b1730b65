package provider

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// Generated configuration and import are part of the interface
// (../shared/DESIGN.md "Generated configuration is part of the interface"):
// for every resource that imports, on each product that has it, an object
// made by hand is imported the ways a user would, and the plan after is
// empty. The tables below hold one row per resource and product; a resource
// added to the provider without a row fails TestImportTablesCoverEveryResource.

// handMade is an object made outside Terraform: its import ID and identity.
type handMade struct {
	id       string
	identity map[string]string
	// config is the resource's arguments as a user would write them for
	// this object, with the workspace spelt as given.
	config func(workspace string) string
}

// importRow is one importable resource on one product.
type importRow struct {
	resource string
	product  emulator.Product
	// list is the body of the list block's config (filters that find the
	// object made by make); "" when the resource has no list resource.
	list string
	make func(t *testing.T, srv *emulator.Server) handMade
	// withSecret, when set, makes the object with a secret the import
	// test's configuration supplies.
	withSecret func(t *testing.T, srv *emulator.Server) handMade
	// generatedNeeds, when set, is the plan-time error the generated
	// configuration must get instead of an import: the object holds
	// something Bitbucket never returns and the user must add.
	generatedNeeds *regexp.Regexp
	// importUpdates, when set, says why the plan after an import by ID
	// or identity updates the object once (then plans empty).
	importUpdates string
	// knownDefect, when set, skips the row's generated-configuration test
	// naming a defect still open; importDefect the same for the import test.
	knownDefect, importDefect string
}

// sampleWorkspace is the workspace the row's objects are made in ("" for
// user tokens, which have none).
func (r importRow) sampleWorkspace() string {
	if r.resource == "bitbucket_user_access_token" {
		return ""
	}
	return seededWorkspace(r.product)
}

func (r importRow) name() string { return r.resource + "/" + string(r.product) }

// handMadeHook makes a webhook by hand: on a repository when repository is
// set, else on the workspace.
func handMadeHook(repository string) func(t *testing.T, srv *emulator.Server) handMade {
	return handMadeHookWithSecret(repository, "")
}

// handMadeHookWithSecret makes a webhook by hand with a secret ("" for
// none); the configuration supplies it write-only, as the pages advise.
func handMadeHookWithSecret(repository, secret string) func(t *testing.T, srv *emulator.Server) handMade {
	return func(t *testing.T, srv *emulator.Server) handMade {
		ws := seededWorkspace(srv.Product())
		scope := bitbucket.WebhookScope{Workspace: ws, Repository: repository}
		in := bitbucket.WebhookInput{Name: "by-hand", URL: "https://hand.example.com/by-hand", Active: true,
			Events: []string{strings.Trim(pushEvents(srv.Product()), `["]`)}}
		supplied := ""
		if secret != "" {
			in.Secret = &secret
			supplied = fmt.Sprintf("  secret_wo = %q\n  secret_wo_version = 1\n", secret)
		}
		hook, err := outOfBandClient(t, srv).CreateWebhook(context.Background(), scope, in)
		if err != nil {
			t.Fatal(err)
		}
		config := func(workspace string) string {
			return fmt.Sprintf("workspace = %q\n%s  name = \"by-hand\"\n  url = %q\n  events = %s\n%s",
				workspace, repositoryLine(repository), hook.URL, pushEvents(srv.Product()), supplied)
		}
		if repository == "" {
			return handMade{ws + "/" + hook.ID, map[string]string{"workspace": ws, "id": hook.ID}, config}
		}
		return handMade{ws + "/" + repository + "/" + hook.ID, map[string]string{"workspace": ws, "repository": repository, "id": hook.ID}, config}
	}
}

// handMadeToken makes a Data Center access token of a level by hand.
func handMadeToken(level string) func(t *testing.T, srv *emulator.Server) handMade {
	return func(t *testing.T, srv *emulator.Server) handMade {
		spec := emulator.AccessToken{Level: level, Workspace: "PRJ", Name: "by-hand", Permissions: []string{"PROJECT_READ"}}
		switch level {
		case "repository":
			spec.Repository, spec.Permissions = "api-service", []string{"REPO_READ"}
		case "user":
			spec.Workspace, spec.User, spec.Permissions = "", emulator.DCAdminUser, []string{"REPO_READ"}
		}
		tok, err := srv.AddDCAccessToken(spec)
		if err != nil {
			t.Fatal(err)
		}
		config := func(workspace string) string {
			owner := fmt.Sprintf("workspace = %q\n%s", workspace, repositoryLine(spec.Repository))
			if level == "user" {
				owner = fmt.Sprintf("user = %q\n", emulator.DCAdminUser)
			}
			return fmt.Sprintf("%s  name = \"by-hand\"\n  permissions = [%q]\n", owner, spec.Permissions[0])
		}
		switch level {
		case "repository":
			return handMade{"PRJ/api-service/" + tok.ID, map[string]string{"workspace": "PRJ", "repository": "api-service", "id": tok.ID}, config}
		case "user":
			return handMade{emulator.DCAdminUser + "/" + tok.ID, map[string]string{"user": emulator.DCAdminUser, "id": tok.ID}, config}
		}
		return handMade{"PRJ/" + tok.ID, map[string]string{"workspace": "PRJ", "id": tok.ID}, config}
	}
}

// handMadeKey registers an SSH key by hand: on a repository when repository
// is set, else on the project (Cloud: project API of the workspace).
func handMadeKey(repository string) func(t *testing.T, srv *emulator.Server) handMade {
	return func(t *testing.T, srv *emulator.Server) handMade {
		ws := seededWorkspace(srv.Product())
		scope := bitbucket.AccessKeyScope{Workspace: ws, Repository: repository}
		if repository == "" && srv.Product() == emulator.Cloud {
			scope.Project = "API"
		}
		client := outOfBandClient(t, srv)
		public, _, err := generateKeyPair("ED25519")
		if err != nil {
			t.Fatal(err)
		}
		permission := client.AccessKeyRules(scope.Level()).Permissions[0]
		key, err := client.CreateAccessKey(context.Background(), scope, bitbucket.AccessKeyInput{
			PublicKey: public + " ci@example", Label: "by-hand", Permission: permission,
		})
		if err != nil {
			t.Fatal(err)
		}
		// The key as the user has it, with its comment.
		config := func(workspace string) string {
			owner := fmt.Sprintf("workspace = %q\n%s", workspace, repositoryLine(repository))
			if scope.Project != "" {
				owner += fmt.Sprintf("  project = %q\n", scope.Project)
			}
			return fmt.Sprintf("%s  label = \"by-hand\"\n  public_key = %q\n  permission = %q\n", owner, public+" ci@example", permission)
		}
		switch {
		case repository != "":
			return handMade{ws + "/" + repository + "/" + key.ID, map[string]string{"workspace": ws, "repository": repository, "id": key.ID}, config}
		case scope.Project != "":
			return handMade{ws + "/" + scope.Project + "/" + key.ID, map[string]string{"workspace": ws, "project": scope.Project, "id": key.ID}, config}
		}
		return handMade{ws + "/" + key.ID, map[string]string{"workspace": ws, "id": key.ID}, config}
	}
}

// handMadeConnection is what a connection holds that Bitbucket keeps, made
// by hand: the service's webhook on a repository, named like the connection.
func handMadeConnection(t *testing.T, srv *emulator.Server) handMade {
	ws := seededWorkspace(srv.Product())
	hook := addHookByHand(t, outOfBandClient(t, srv), bitbucket.WebhookScope{Workspace: ws, Repository: "api-service"}, "by-hand", srv.Product())
	config := func(workspace string) string {
		return fmt.Sprintf("workspace = %q\n  repository = \"api-service\"\n  name = \"by-hand\"\n%s  webhook = {\n    url = %q\n    events = %s\n  }\n",
			workspace, connectionCredential(srv.Product()), hook.URL, pushEvents(srv.Product()))
	}
	return handMade{ws + "/api-service/by-hand", map[string]string{"workspace": ws, "repository": "api-service", "name": "by-hand"}, config}
}

// connectionRecordsCredential: a connection's supplied credential cannot be
// read from Bitbucket, so the apply after an import records it and checks
// it (the connection page says so): one update, then an empty plan.
const connectionRecordsCredential = "the apply after the import records and verifies the supplied credential"

// connectionNeedsCredential: a connection's credential is never readable
// (a token's value, a private key), so its generated configuration cannot
// plan until the user adds one; the plan says which attributes.
var connectionNeedsCredential = errorText("Exactly one of these attributes must be configured", "managed_token", "managed_access_key", "token", "token_wo")

// importRows: every importable resource on every product that has it.
func importRows() []importRow {
	var rows []importRow
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		rows = append(rows,
			importRow{resource: "bitbucket_repository_webhook", product: product, list: `repository = "api-service"` + "\n    name = \"by-hand\"", make: handMadeHook("api-service"),
				withSecret: handMadeHookWithSecret("api-service", "hand-made-secret")},
			importRow{resource: "bitbucket_workspace_webhook", product: product, list: `name = "by-hand"`, make: handMadeHook(""),
				withSecret: handMadeHookWithSecret("", "hand-made-secret")},
			importRow{resource: "bitbucket_repository_access_key", product: product, list: `repository = "api-service"` + "\n    label = \"by-hand\"", make: handMadeKey("api-service")},
			importRow{resource: "bitbucket_project_access_key", product: product, list: projectKeyFilter(product) + `label = "by-hand"`, make: handMadeKey("")},
			importRow{resource: "bitbucket_connection", product: product, make: handMadeConnection, generatedNeeds: connectionNeedsCredential,
				importUpdates: connectionRecordsCredential},
		)
	}
	return append(rows,
		importRow{resource: "bitbucket_project_access_token", product: emulator.DataCenter, list: `name = "by-hand"`, make: handMadeToken("project")},
		importRow{resource: "bitbucket_repository_access_token", product: emulator.DataCenter, list: `name = "by-hand"`, make: handMadeToken("repository")},
		importRow{resource: "bitbucket_user_access_token", product: emulator.DataCenter, list: `name = "by-hand"`, make: handMadeToken("user")},
	)
}

// repositoryLine is the repository argument, or nothing.
func repositoryLine(repository string) string {
	if repository == "" {
		return ""
	}
	return fmt.Sprintf("  repository = %q\n", repository)
}

// connectionCredential is the credential a user supplies to a connection:
// the service's own token (Cloud: an API token with its account email).
func connectionCredential(product emulator.Product) string {
	if product == emulator.Cloud {
		return fmt.Sprintf("  username = %q\n  token_wo = %q\n  token_wo_version = 1\n", emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken)
	}
	return fmt.Sprintf("  token_wo = %q\n  token_wo_version = 1\n", emulator.DCAdminToken)
}

func projectKeyFilter(product emulator.Product) string {
	if product == emulator.Cloud {
		return "project = \"API\"\n    "
	}
	return ""
}

// importEnv is the provider's settings for the emulator, from the
// environment as a pipeline passes them, with the seeded workspace.
func importEnv(srv *emulator.Server) map[string]string {
	if srv.Product() == emulator.Cloud {
		return map[string]string{
			"BITBUCKET_BASE_URL": srv.BaseURL(), "BITBUCKET_PRODUCT": "cloud", "BITBUCKET_USERNAME": emulator.CloudOwnerEmail,
			"BITBUCKET_TOKEN": emulator.CloudOwnerAPIToken, "BITBUCKET_WORKSPACE": "acme",
		}
	}
	return guideEnv(srv)
}

const importProviderConfig = `terraform {
  required_providers {
    bitbucket = {
      source = "bitbucket-iac/bitbucket"
    }
  }
}

provider "bitbucket" {}
`

// runTerraform runs a terraform command and fails the test on error.
func runTerraform(t *testing.T, h *cliHarness, args ...string) string {
	t.Helper()
	out, err := h.terraform(nil, args...)
	if err != nil {
		t.Fatalf("terraform %s: %v\n%s%s", strings.Join(args, " "), err, out, generatedFile(h))
	}
	return out
}

// generatedFile is generated.tf, for failure messages.
func generatedFile(h *cliHarness) string {
	b, err := os.ReadFile(filepath.Join(h.dir, "generated.tf"))
	if err != nil {
		return ""
	}
	return "\n--- generated.tf ---\n" + string(b)
}

// planImportsOnlyThenEmpty is the second half of every path: the plan
// imports exactly one object and changes nothing, apply imports it, and
// the plan after it is empty.
func planImportsOnlyThenEmpty(t *testing.T, h *cliHarness) {
	t.Helper()
	planImportsThenEmpty(t, h, "1 to import, 0 to add, 0 to change, 0 to destroy")
}

// planImportsThenEmpty: the plan is want, apply imports, and the plan after
// it is empty.
func planImportsThenEmpty(t *testing.T, h *cliHarness, want string) {
	t.Helper()
	out := runTerraform(t, h, "plan", "-input=false")
	if !strings.Contains(out, want) {
		t.Fatalf("the plan should say %q:\n%s%s", want, out, generatedFile(h))
	}
	runTerraform(t, h, "apply", "-auto-approve", "-input=false")
	out, err := h.terraform(nil, "plan", "-detailed-exitcode", "-input=false")
	if code := exitCode(err); code != 0 {
		t.Fatalf("terraform plan -detailed-exitcode after the import exited %d, want 0:\n%s%s", code, out, generatedFile(h))
	}
}

// TestAccGeneratedConfigPlansClean: for every importable resource on both
// products, what -generate-config-out writes for an object made by hand
// plans, imports with no change, and the plan after is empty; once from
// `terraform plan` with an import block on the minimum Terraform (terraform
// on PATH), once from `terraform query` (Terraform 1.14+) where the
// resource has a list resource.
func TestAccGeneratedConfigPlansClean(t *testing.T) {
	for _, row := range importRows() {
		t.Run(row.name(), func(t *testing.T) {
			if row.knownDefect != "" {
				t.Skip("known defect: " + row.knownDefect)
			}
			t.Run("plan", func(t *testing.T) {
				srv := startEmulator(t, row.product)
				obj := row.make(t, srv)
				h := newCLIHarness(t, importEnv(srv))
				h.writeConfig(importProviderConfig + fmt.Sprintf("\nimport {\n  to = %s.found\n  id = %q\n}\n", row.resource, obj.id))
				if row.generatedNeeds != nil {
					out, err := h.terraform(nil, "plan", "-input=false", "-generate-config-out=generated.tf")
					if err == nil || !row.generatedNeeds.MatchString(out) {
						t.Fatalf("the plan of the generated configuration should fail with %q:\n%s%s", row.generatedNeeds, out, generatedFile(h))
					}
					return
				}
				runTerraform(t, h, "plan", "-input=false", "-generate-config-out=generated.tf")
				planImportsOnlyThenEmpty(t, h)
			})
			if row.list == "" {
				return
			}
			t.Run("query", func(t *testing.T) {
				bin := useTerraformAtLeast(t, terraformQuery, "terraform query -generate-config-out")
				srv := startEmulator(t, row.product)
				obj := row.make(t, srv)
				h := newCLIHarness(t, importEnv(srv))
				h.bin = bin
				h.writeConfig(importProviderConfig)
				query := fmt.Sprintf("list %q \"found\" {\n  provider = bitbucket\n  config {\n    %s\n  }\n}\n", row.resource, row.list)
				if err := os.WriteFile(filepath.Join(h.dir, "found.tfquery.hcl"), []byte(query), 0o600); err != nil {
					t.Fatal(err)
				}
				out := runTerraform(t, h, "query", "-generate-config-out=generated.tf")
				if !strings.Contains(out, obj.id) && !strings.Contains(out, obj.identity["id"]) {
					t.Fatalf("terraform query does not list the object made by hand (%s):\n%s", obj.id, out)
				}
				planImportsOnlyThenEmpty(t, h)
			})
		})
	}
}

// TestImportTablesCoverEveryResource: every resource of the provider that
// imports has a row on each product that has it, so a new resource cannot
// skip the generated-configuration and import tables.
func TestImportTablesCoverEveryResource(t *testing.T) {
	covered := map[string]map[emulator.Product]bool{}
	for _, row := range importRows() {
		if covered[row.resource] == nil {
			covered[row.resource] = map[emulator.Product]bool{}
		}
		covered[row.resource][row.product] = true
	}
	var missing []string
	for _, name := range resourceTypeNames(t) {
		products := []emulator.Product{emulator.Cloud, emulator.DataCenter}
		if strings.HasSuffix(name, "_access_token") {
			products = products[1:] // Cloud has no access-token API (cloudHasNoTokens)
		}
		for _, p := range products {
			if !covered[name][p] {
				missing = append(missing, name+"/"+string(p))
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("importable resources without a row in importRows: %s", strings.Join(missing, ", "))
	}
}

// resourceTypeNames are the provider's resource type names.
func resourceTypeNames(t *testing.T) []string {
	t.Helper()
	p := New("test")()
	var names []string
	for _, f := range p.Resources(context.Background()) {
		var resp resource.MetadataResponse
		f().Metadata(context.Background(), resource.MetadataRequest{ProviderTypeName: "bitbucket"}, &resp)
		names = append(names, resp.TypeName)
	}
	sort.Strings(names)
	return names
}

// importCase is one way a user imports an object made by hand.
type importCase struct {
	name string
	// block is the import block's line naming the object (id = ... or
	// identity = {...}); workspace is how the configuration spells it.
	block, workspace string
	// repository, when set, replaces the repository slug in the configuration.
	repository string
	bin        string // terraform binary ("" = the minimum, on PATH)
	// wantError, when set, is the plan-time error that says what to change.
	wantError *regexp.Regexp
	// updates, when set, says why the plan after the import updates the
	// object once (then plans empty).
	updates string
}

// importIsNoOp imports obj with a configuration a user would write: the plan
// imports and changes nothing (or fails with c.wantError), apply imports, and
// the plan after is empty.
func importIsNoOp(t *testing.T, row importRow, srv *emulator.Server, obj handMade, c importCase) {
	t.Helper()
	h := newCLIHarness(t, importEnv(srv))
	h.bin = c.bin
	h.writeConfig(importProviderConfig + fmt.Sprintf("\nimport {\n  to = %s.imported\n  %s\n}\n\nresource %q \"imported\" {\n  %s}\n",
		row.resource, c.block, row.resource, withRepository(obj.config(c.workspace), obj.identity["repository"], c.repository)))
	if c.wantError != nil {
		out, err := h.terraform(nil, "plan", "-input=false")
		if err == nil || !c.wantError.MatchString(out) {
			t.Fatalf("the plan should fail with %q:\n%s", c.wantError, out)
		}
		return
	}
	if row.importUpdates != "" || c.updates != "" {
		planImportsThenEmpty(t, h, "1 to import, 0 to add, 1 to change, 0 to destroy")
		return
	}
	planImportsOnlyThenEmpty(t, h)
}

// withRepository spells the repository argument of config as repository
// ("" keeps it).
func withRepository(config, made, repository string) string {
	if repository == "" || made == "" {
		return config
	}
	return strings.Replace(config, fmt.Sprintf("repository = %q", made), fmt.Sprintf("repository = %q", repository), 1)
}

// hclObject writes a map as an HCL object.
func hclObject(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "    %s = %q\n", k, m[k])
	}
	b.WriteString("  }")
	return b.String()
}

// TestAccImportIsNoOpPlan: for every importable resource on both products,
// an object made by hand imported by ID (and by identity, Terraform 1.12+)
// with the configuration a user would write (a key with its comment, a
// secret supplied) plans only the import, and the plan after the apply is
// empty. On Data Center, which matches project keys without regard to case,
// an import ID with the key in lower case imports the object under the key
// Bitbucket returns, and a configuration that spells the key otherwise than
// the state gets a plan-time error saying what to write instead of a
// replacement.
func TestAccImportIsNoOpPlan(t *testing.T) {
	for _, row := range importRows() {
		t.Run(row.name(), func(t *testing.T) {
			if row.importDefect != "" {
				t.Skip("known defect: " + row.importDefect)
			}
			cases := func(t *testing.T, obj handMade) []importCase {
				ws := obj.identity["workspace"]
				out := []importCase{{name: "id", block: fmt.Sprintf("id = %q", obj.id), workspace: ws}}
				if row.product == emulator.DataCenter && ws != "" {
					lower := strings.ToLower(ws)
					out = append(out,
						importCase{name: "lower-case-id", block: fmt.Sprintf("id = %q", lower+strings.TrimPrefix(obj.id, ws)), workspace: ws},
						importCase{name: "lower-case-config", block: fmt.Sprintf("id = %q", obj.id), workspace: lower,
							wantError: errorText(fmt.Sprintf(`workspace = %q`, ws))})
					if repo := obj.identity["repository"]; repo != "" {
						upper := strings.ToUpper(repo)
						out = append(out,
							importCase{name: "upper-case-repository-id", block: fmt.Sprintf("id = %q", strings.Replace(obj.id, "/"+repo+"/", "/"+upper+"/", 1)), workspace: ws},
							importCase{name: "upper-case-repository-config", block: fmt.Sprintf("id = %q", obj.id), workspace: ws, repository: upper,
								wantError: errorText(fmt.Sprintf(`repository = %q`, repo))})
					}
				}
				return out
			}
			for _, name := range []string{"id", "lower-case-id", "lower-case-config", "upper-case-repository-id", "upper-case-repository-config"} {
				t.Run(name, func(t *testing.T) {
					srv := startEmulator(t, row.product)
					obj := row.make(t, srv)
					for _, c := range cases(t, obj) {
						if c.name == name {
							importIsNoOp(t, row, srv, obj, c)
							return
						}
					}
					t.Skipf("%s: no such case on %s", name, row.product)
				})
			}
			if row.withSecret != nil {
				t.Run("secret-supplied", func(t *testing.T) {
					srv := startEmulator(t, row.product)
					obj := row.withSecret(t, srv)
					// A write-only secret cannot be compared with the one Bitbucket
					// holds (Cloud never returns it), so the apply after the import
					// sends it once and records secret_wo_version; then nothing.
					importIsNoOp(t, row, srv, obj, importCase{block: fmt.Sprintf("id = %q", obj.id), workspace: obj.identity["workspace"],
						updates: "the apply records the write-only secret's version"})
					if hook, ok := srv.Webhook(obj.identity["id"]); !ok || hook.Secret != "hand-made-secret" {
						t.Errorf("after the import the webhook's secret is %q, want the one supplied", hook.Secret)
					}
				})
			}
			t.Run("identity", func(t *testing.T) {
				bin := useTerraformAtLeast(t, terraformIdentity, "import by identity")
				srv := startEmulator(t, row.product)
				obj := row.make(t, srv)
				importIsNoOp(t, row, srv, obj, importCase{block: "identity = " + hclObject(obj.identity), workspace: obj.identity["workspace"], bin: bin})
			})
			if ws := row.sampleWorkspace(); row.product == emulator.DataCenter && ws != "" {
				t.Run("lower-case-identity", func(t *testing.T) {
					bin := useTerraformAtLeast(t, terraformIdentity, "import by identity")
					srv := startEmulator(t, row.product)
					obj := row.make(t, srv)
					identity := maps.Clone(obj.identity)
					identity["workspace"] = strings.ToLower(ws)
					importIsNoOp(t, row, srv, obj, importCase{block: "identity = " + hclObject(identity), workspace: ws, bin: bin})
				})
			}
		})
	}
}
