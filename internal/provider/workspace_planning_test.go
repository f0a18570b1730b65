package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestAccUnknownWorkspace: `workspace` from another resource is unknown at
// plan time. Every resource and data source that takes it plans it as
// unknown and uses it at apply, with or without a provider default (which
// must not override it).
func TestAccUnknownWorkspace(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		for _, withDefault := range []bool{false, true} {
			t.Run(fmt.Sprintf("default_workspace=%v", withDefault), func(t *testing.T) {
				srv := startEmulator(t, product)
				ws := seededWorkspace(product)
				var extra []string
				other := map[emulator.Product]string{emulator.Cloud: emulator.CloudSecondWorkspace, emulator.DataCenter: emulator.DCSecondProject}[product]
				if withDefault {
					extra = append(extra, fmt.Sprintf("workspace = %q", other)) // a different default: must lose
				}
				config := providerConfig(srv, extra...) + fmt.Sprintf(`
resource "terraform_data" "ws" {
  input = %q
}

resource "bitbucket_repository_webhook" "test" {
  workspace  = terraform_data.ws.output
  repository = "api-service"
  name       = "unknown-workspace"
  url        = "https://ci.example.com/hook"
  events     = %s
}

resource "bitbucket_workspace_webhook" "test" {
  workspace = terraform_data.ws.output
  name      = "unknown-workspace"
  url       = "https://ci.example.com/hook"
  events    = %s
}

data "bitbucket_workspace" "test" {
  workspace = terraform_data.ws.output
}

data "bitbucket_repository" "test" {
  workspace  = terraform_data.ws.output
  repository = "api-service"
}

data "bitbucket_repositories" "test" {
  workspace = terraform_data.ws.output
}

output "names" {
  value = [data.bitbucket_workspace.test.workspace, data.bitbucket_repository.test.workspace, data.bitbucket_repositories.test.workspace]
}
`, ws, pushEvents(product), pushEvents(product))
				unknown := []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue("bitbucket_repository_webhook.test", tfjsonpath.New("workspace")),
					plancheck.ExpectUnknownValue("bitbucket_workspace_webhook.test", tfjsonpath.New("workspace")),
				}
				checks := []statecheck.StateCheck{
					statecheck.ExpectKnownValue("bitbucket_repository_webhook.test", tfjsonpath.New("workspace"), knownvalue.StringExact(ws)),
					statecheck.ExpectKnownValue("bitbucket_workspace_webhook.test", tfjsonpath.New("workspace"), knownvalue.StringExact(ws)),
					statecheck.ExpectKnownOutputValue("names", knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact(ws), knownvalue.StringExact(ws), knownvalue.StringExact(ws)})),
				}
				if product == emulator.DataCenter {
					config += `
resource "bitbucket_project_access_token" "test" {
  workspace   = terraform_data.ws.output
  name        = "unknown-workspace"
  permissions = ["PROJECT_READ"]
}

resource "bitbucket_repository_access_token" "test" {
  workspace   = terraform_data.ws.output
  repository  = "api-service"
  name        = "unknown-workspace"
  permissions = ["REPO_READ"]
}
`
					for _, name := range []string{"bitbucket_project_access_token.test", "bitbucket_repository_access_token.test"} {
						unknown = append(unknown, plancheck.ExpectUnknownValue(name, tfjsonpath.New("workspace")))
						checks = append(checks, statecheck.ExpectKnownValue(name, tfjsonpath.New("workspace"), knownvalue.StringExact(ws)))
					}
				}
				resource.ParallelTest(t, resource.TestCase{
					ProtoV6ProviderFactories: testProviderFactories(),
					Steps: []resource.TestStep{{
						Config:            config,
						ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: unknown},
						ConfigStateChecks: checks,
						Check: func(*terraform.State) error {
							for _, h := range srv.Webhooks() {
								if h.Workspace != ws {
									return fmt.Errorf("webhook %s was made in %q, want %q", h.ID, h.Workspace, ws)
								}
							}
							for _, tok := range tokensNamed(srv, "unknown-workspace") {
								if tok.Workspace != ws {
									return fmt.Errorf("token %s was made in %q, want %q", tok.ID, tok.Workspace, ws)
								}
							}
							return nil
						},
					}},
				})
			})
		}
	})
}

// defaultWorkspaceResources are resources that take the provider's default
// workspace (no `workspace` argument).
func defaultWorkspaceResources(product emulator.Product) (string, []string) {
	config := fmt.Sprintf(`
resource "bitbucket_workspace_webhook" "test" {
  name   = "default-workspace"
  url    = "https://ci.example.com/hook"
  events = %s
}
`, pushEvents(product))
	names := []string{"bitbucket_workspace_webhook.test"}
	if product == emulator.DataCenter {
		config += `
resource "bitbucket_project_access_token" "test" {
  name        = "default-workspace"
  permissions = ["PROJECT_READ"]
}
`
		names = append(names, "bitbucket_project_access_token.test")
	}
	return config, names
}

// TestAccDefaultWorkspaceChangeReplaces: resources that rely on the
// provider's default workspace move with it, as their docs say ("Changing
// it replaces"): the plan replaces them and the new objects are in the new
// workspace.
func TestAccDefaultWorkspaceChangeReplaces(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		first := seededWorkspace(product)
		second := map[emulator.Product]string{emulator.Cloud: emulator.CloudSecondWorkspace, emulator.DataCenter: emulator.DCSecondProject}[product]
		resources, names := defaultWorkspaceResources(product)
		provider := func(ws string) string { return providerConfig(srv, fmt.Sprintf("workspace = %q", ws)) }
		if product == emulator.Cloud {
			// Only workspace owners manage workspace hooks: one who owns both.
			const email, apiToken = "both-owner@example.com", "both-owner-api-token"
			scopes := []string{"read:user:bitbucket", "read:workspace:bitbucket", "read:repository:bitbucket",
				"read:webhook:bitbucket", "write:webhook:bitbucket", "delete:webhook:bitbucket"}
			if err := srv.AddCloudUser(email, apiToken, map[string]string{first: "owner", second: "owner"}, scopes); err != nil {
				t.Fatal(err)
			}
			provider = func(ws string) string {
				return providerBlock(srv.BaseURL(), `product = "cloud"`, fmt.Sprintf("username = %q", email),
					fmt.Sprintf("token = %q", apiToken), fmt.Sprintf("workspace = %q", ws))
			}
		}
		step := func(ws string, action plancheck.ResourceActionType) resource.TestStep {
			var planChecks []plancheck.PlanCheck
			var stateChecks []statecheck.StateCheck
			for _, name := range names {
				planChecks = append(planChecks, plancheck.ExpectResourceAction(name, action))
				stateChecks = append(stateChecks, statecheck.ExpectKnownValue(name, tfjsonpath.New("workspace"), knownvalue.StringExact(ws)))
			}
			return resource.TestStep{
				Config:            provider(ws) + resources,
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: planChecks},
				ConfigStateChecks: stateChecks,
				Check: func(*terraform.State) error {
					hooks := srv.Webhooks()
					if len(hooks) != 1 || hooks[0].Workspace != ws {
						return fmt.Errorf("webhooks after the apply: %+v, want one in %s", hooks, ws)
					}
					for _, tok := range tokensNamed(srv, "default-workspace") {
						if tok.Workspace != ws {
							return fmt.Errorf("token %s is in %q, want %q", tok.ID, tok.Workspace, ws)
						}
					}
					return nil
				},
			}
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				step(first, plancheck.ResourceActionCreate),
				step(second, plancheck.ResourceActionDestroyBeforeCreate),
			},
		})
	})
}

// TestAccDefaultWorkspaceFromEnvironmentChangeReplaces: the same through
// BITBUCKET_WORKSPACE. Not parallel: it sets the process environment the
// in-process provider reads.
func TestAccDefaultWorkspaceFromEnvironmentChangeReplaces(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	resources, _ := defaultWorkspaceResources(emulator.DataCenter)
	const name = "bitbucket_workspace_webhook.test"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{
				PreConfig: func() { t.Setenv("BITBUCKET_WORKSPACE", emulator.DCProject) },
				Config:    providerConfig(srv) + resources,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(name, tfjsonpath.New("workspace"), knownvalue.StringExact(emulator.DCProject))},
			},
			{
				PreConfig:        func() { t.Setenv("BITBUCKET_WORKSPACE", emulator.DCSecondProject) },
				Config:           providerConfig(srv) + resources,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionDestroyBeforeCreate)}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(name, tfjsonpath.New("workspace"), knownvalue.StringExact(emulator.DCSecondProject))},
			},
		},
	})
}
