package provider

import (
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestAccAccessKeysDataSource lists a repository's and a project's keys on
// both products, every page, with what each key reports.
func TestAccAccessKeysDataSource(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
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
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr("data.bitbucket_access_keys.repo", "access_keys.#", fmt.Sprint(repoKeys)),
					tfresource.TestCheckResourceAttr("data.bitbucket_access_keys.repo", "access_keys.0.id", first.ID),
					tfresource.TestCheckResourceAttr("data.bitbucket_access_keys.repo", "access_keys.0.label", "key-00"),
					tfresource.TestCheckResourceAttr("data.bitbucket_access_keys.repo", "access_keys.0.fingerprint", first.Fingerprint),
					tfresource.TestCheckResourceAttr("data.bitbucket_access_keys.repo", "access_keys.0.permission", "REPO_READ"),
					tfresource.TestCheckResourceAttr("data.bitbucket_access_keys.repo", "access_keys.11.label", "key-11"),
					tfresource.TestCheckResourceAttr("data.bitbucket_access_keys.project", "access_keys.#", "1"),
					tfresource.TestCheckResourceAttr("data.bitbucket_access_keys.project", "access_keys.0.label", "project-key"),
					tfresource.TestCheckResourceAttr("data.bitbucket_access_keys.project", "access_keys.0.permission", readPermission),
				),
			}},
		})
	})
}
