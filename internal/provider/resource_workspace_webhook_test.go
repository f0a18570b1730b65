package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

func workspaceWebhookConfig(srv *emulator.Server, providerBlock string, lines ...string) string {
	return providerBlock + fmt.Sprintf(`
resource "bitbucket_workspace_webhook" "test" {
  workspace = %q
  %s
}
`, seededWorkspace(srv.Product()), strings.Join(lines, "\n  "))
}

func TestAccWorkspaceWebhookLifecycle(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		const name = "bitbucket_workspace_webhook.test"
		base := []string{`name = "audit"`, `url = "https://audit.example.com/hook"`, `events = ` + pushEvents(product)}
		update := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionUpdate)}}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				{
					Config: workspaceWebhookConfig(srv, providerConfig(srv), base...),
					Check: func(*terraform.State) error {
						hook := onlyHook(t, srv)
						if hook.Repository != "" || hook.Workspace != seededWorkspace(product) {
							return fmt.Errorf("hook not at workspace level: %+v", hook)
						}
						return nil
					},
				},
				{Config: workspaceWebhookConfig(srv, providerConfig(srv), append(base[1:], `name = "audit-2"`, `active = false`, `secret = "ws-secret"`)...), ConfigPlanChecks: update},
				{
					ResourceName: name, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"secret"},
					ImportStateIdFunc: func(s *terraform.State) (string, error) {
						return seededWorkspace(product) + "/" + s.RootModule().Resources[name].Primary.ID, nil
					},
				},
				{
					PreConfig: func() {
						if err := srv.DeleteWebhook(onlyHook(t, srv).ID); err != nil {
							t.Fatal(err)
						}
					},
					Config:           workspaceWebhookConfig(srv, providerConfig(srv), append(base[1:], `name = "audit-2"`, `active = false`, `secret = "ws-secret"`)...),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionCreate)}},
				},
				{
					// The default workspace from the provider block is the same workspace: no change.
					Config: providerConfig(srv, fmt.Sprintf("workspace = %q", seededWorkspace(product))) + `
resource "bitbucket_workspace_webhook" "test" {
  name   = "audit-2"
  url    = "https://audit.example.com/hook"
  events = ` + pushEvents(product) + `
  active = false
  secret = "ws-secret"
}
`,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				},
			},
		})
	})
}

func TestAccWorkspaceWebhookInvalidImportID(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:        workspaceWebhookConfig(srv, providerConfig(srv), `name = "x"`, `url = "https://a.example.com/"`, `events = ["repo:push"]`),
			ResourceName:  "bitbucket_workspace_webhook.test",
			ImportState:   true,
			ImportStateId: "acme/api-service/{x}",
			ExpectError:   regexp.MustCompile(`(?s)Expected <workspace>/<id>`),
		}},
	})
}

// TestAccWorkspaceWebhookCloudNeedsOwner: a workspace member who is not an
// owner gets a diagnostic that says so, and nothing is left behind.
func TestAccWorkspaceWebhookCloudNeedsOwner(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	member := providerBlock(srv.BaseURL(), `product = "cloud"`, `username = "`+emulator.CloudMemberEmail+`"`, `token = "`+emulator.CloudMemberAPIToken+`"`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      workspaceWebhookConfig(srv, member, `name = "audit"`, `url = "https://audit.example.com/"`, `events = ["repo:push"]`),
			ExpectError: errorText("Workspace webhooks need a workspace owner", `only owners of workspace "acme"`),
		}},
	})
	if n := len(srv.Webhooks()); n != 0 {
		t.Errorf("%d webhooks created by a non-owner", n)
	}
}
