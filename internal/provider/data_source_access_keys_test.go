package provider

import (
	"fmt"
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
