package provider

import (
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestAccConnectionCreateListsHooksOnce: creating a connection with a
// webhook lists the webhooks of its scope once. The same-name check and the
// listing the webhook's create keeps (to tell a hook a lost answer made
// from one that was there) are the same listing.
func TestAccConnectionCreateListsHooksOnce(t *testing.T) {
	listRoute := map[emulator.Product]string{
		emulator.Cloud:      "/2.0/repositories/{workspace}/{repo_slug}/hooks",
		emulator.DataCenter: "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/webhooks",
	}
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		tfresource.Test(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []tfresource.TestStep{{
				Config: connectionConfig(srv, `name = "once"`, fmt.Sprintf("workspace = %q", seededWorkspace(product)),
					`repository = "api-service"`, `managed_access_key = { level = "repository" }`, `webhook = {`, `  url    = "https://service.example.com/hook"`,
					`  events = `+pushEvents(product), `}`),
				Check: func(*terraform.State) error {
					if n := len(srv.Webhooks()); n != 1 {
						return fmt.Errorf("%d webhooks after the create, want 1", n)
					}
					if n := srv.RequestCount("GET", listRoute[product]); n != 1 {
						return fmt.Errorf("the webhooks were listed %d times during the create, want once", n)
					}
					return nil
				},
			}},
		})
	})
}
