package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestAccAccessKeysDataSource lists a repository's and a project's keys on
// both products, every page, with what each key reports.
func TestAccAccessKeysDataSource(t *testing.T) {
	t.Parallel() // each product's subtest starts its own emulator
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		t.Parallel()
		srv := startEmulator(t, product)
		client := testClient(t, srv)
		repo := bitbucket.AccessKeyScope{Workspace: seededWorkspace(product), Repository: "api-service"}
		project := bitbucket.AccessKeyScope{Workspace: seededWorkspace(product)}
		projectLine := ""
		if product == emulator.Cloud {
			project.Project, projectLine = "API", `project = "API"`
		}
		const repoKeys = 12 // more than one page at the emulator's default size, if a client forgot to page
		var first *bitbucket.AccessKey
		for i := range repoKeys {
			public, _, err := generateKeyPair("ED25519")
			if err != nil {
				t.Fatal(err)
			}
			k, err := client.CreateAccessKey(t.Context(), repo, bitbucket.AccessKeyInput{PublicKey: public, Label: fmt.Sprintf("key-%02d", i)})
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = k
			}
		}
		public, _, _ := generateKeyPair("ED25519")
		if _, err := client.CreateAccessKey(t.Context(), project, bitbucket.AccessKeyInput{PublicKey: public, Label: "project-key"}); err != nil {
			t.Fatal(err)
		}
		readPermission := map[emulator.Product]string{emulator.Cloud: "PROJECT_READ", emulator.DataCenter: "PROJECT_READ"}[product]
		tfresource.Test(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []tfresource.TestStep{{
				Config: providerConfig(srv) + fmt.Sprintf(`
data "bitbucket_access_keys" "repo" {
  workspace  = %[1]q
  repository = "api-service"
}
data "bitbucket_access_keys" "project" {
  workspace = %[1]q
  %[2]s
}
`, seededWorkspace(product), projectLine),
				ConfigStateChecks: []statecheck.StateCheck{
					keysList("repo", knownvalue.ListSizeExact(repoKeys)),
					keysList("repo", knownvalue.ListPartial(map[int]knownvalue.Check{
						0: knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"id": knownvalue.StringExact(first.ID), "label": knownvalue.StringExact("key-00"),
							"fingerprint": knownvalue.StringExact(first.Fingerprint), "permission": knownvalue.StringExact("REPO_READ"),
						}),
						repoKeys - 1: knownvalue.ObjectPartial(map[string]knownvalue.Check{"label": knownvalue.StringExact("key-11")}),
					})),
					keysList("project", knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"label": knownvalue.StringExact("project-key"), "permission": knownvalue.StringExact(readPermission),
					})})),
				},
			}},
		})
	})
}

// keysList checks the access_keys list of data source bitbucket_access_keys.<name>.
func keysList(name string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("data.bitbucket_access_keys."+name, tfjsonpath.New("access_keys"), check)
}

// TestAccAccessKeysAuditExample runs the data source's documented audit
// example against both emulators (Cloud as the default provider, Data
// Center as bitbucket.datacenter): each output finds what it audits, so no
// part of the example is empty by construction. Through the CLI: two
// configurations of one provider need two plugin processes.
func TestAccAccessKeysAuditExample(t *testing.T) {
	example, err := os.ReadFile(filepath.Join(examplesDir, "data-sources", "bitbucket_access_keys", "data-source.tf"))
	if err != nil {
		t.Fatal(err)
	}
	cloud, dc := startEmulator(t, emulator.Cloud), startEmulator(t, emulator.DataCenter)
	add := func(srv *emulator.Server, scope bitbucket.AccessKeyScope, label, permission string) {
		public, _, err := generateKeyPair("ED25519")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := testClient(t, srv).CreateAccessKey(t.Context(), scope, bitbucket.AccessKeyInput{PublicKey: public, Label: label, Permission: permission}); err != nil {
			t.Fatal(err)
		}
	}
	add(cloud, bitbucket.AccessKeyScope{Workspace: "acme", Repository: "web-app"}, "never-used", "")
	add(dc, bitbucket.AccessKeyScope{Workspace: "PRJ", Repository: "api-service"}, "can-push", "REPO_WRITE")
	add(dc, bitbucket.AccessKeyScope{Workspace: "PRJ", Repository: "api-service"}, "read-only", "REPO_READ")
	h := newCLIHarness(t, nil)
	h.writeConfig("terraform {\n  required_providers {\n    bitbucket = { source = \"bitbucket-iac/bitbucket\" }\n  }\n}\n" +
		providerConfig(cloud) + strings.Replace(providerConfig(dc), "provider \"bitbucket\" {", "provider \"bitbucket\" {\n  alias = \"datacenter\"", 1) +
		string(example))
	if out, err := h.terraform(nil, "apply", "-auto-approve", "-input=false"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	out, err := h.terraform(nil, "output", "-json")
	if err != nil {
		t.Fatalf("output: %v\n%s", err, out)
	}
	var outputs map[string]struct{ Value []string }
	if err := json.Unmarshal([]byte(out), &outputs); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for name, want := range map[string][]string{"unused_keys": {"never-used"}, "write_keys": {"can-push"}} {
		if got := outputs[name].Value; !slices.Equal(got, want) {
			t.Errorf("output %s = %q, want %q", name, got, want)
		}
	}
}
