package provider

import (
	"context"
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// addHookOutOfBand makes a webhook with the admin client, as a person would
// in Bitbucket's UI.
func addHookOutOfBand(t *testing.T, srv *emulator.Server, scope bitbucket.WebhookScope, name string) *bitbucket.Webhook {
	t.Helper()
	events := []string{"repo:refs_changed"}
	if srv.Product() == emulator.Cloud {
		events = []string{"repo:push"}
	}
	hook, err := newConnectionForTest(t, srv).data.client.CreateWebhook(context.Background(), scope,
		bitbucket.WebhookInput{Name: name, URL: "https://hand-made.example/hook", Events: events, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return hook
}

// TestAccConnectionImportOfNothingFails: importing a connection of which
// Bitbucket holds nothing fails, on both products, with an error that says
// what an import looks for and that a connection with only a supplied
// credential needs none (not Terraform's generic one).
func TestAccConnectionImportOfNothingFails(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		workspace := seededWorkspace(product)
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []tfresource.TestStep{{
				Config: connectionConfig(srv, `name = "nope"`, fmt.Sprintf(`workspace = %q`, workspace),
					`repository = "api-service"`, `token = "x"`),
				ResourceName:  connectionName,
				ImportState:   true,
				ImportStateId: workspace + "/api-service/nope",
				ExpectError:   errorText("Bitbucket holds no webhook, token or access key named \"nope\" in "+workspace+"/api-service", "needs no import", "Add it to the configuration and apply"),
			}},
		})
	})
}

// TestAccConnectionImportLeavesOtherLevelTokens: a
// personal token of the provider's user that happens to carry the
// connection's name is not adopted by an import of a connection that makes
// a project token, and the next apply does not revoke it.
func TestAccConnectionImportLeavesOtherLevelTokens(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	personal, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "user", User: emulator.DCAdminUser, Name: "ci",
		Permissions: []string{"PROJECT_ADMIN"}})
	if err != nil {
		t.Fatal(err)
	}
	addHookOutOfBand(t, srv, bitbucket.WebhookScope{Workspace: "PRJ"}, "ci")
	config := connectionConfig(srv,
		`name      = "ci"`,
		`workspace = "PRJ"`,
		`managed_token = {`,
		`  level       = "project"`,
		`  permissions = ["PROJECT_READ"]`,
		`}`,
		`webhook = {`,
		`  url    = "https://hand-made.example/hook"`,
		`  events = ["repo:refs_changed"]`,
		`}`,
	)
	personalAlive := func() error {
		for _, tok := range srv.AccessTokens() {
			if tok.ID == personal.ID {
				return nil
			}
		}
		return fmt.Errorf("the personal token %s named like the connection was revoked", personal.ID)
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config:             config,
				ResourceName:       connectionName,
				ImportState:        true,
				ImportStateId:      "PRJ/ci",
				ImportStatePersist: true,
			},
			{
				Config: config,
				Check: func(s *terraform.State) error {
					if err := personalAlive(); err != nil {
						return err
					}
					var project []emulator.AccessToken
					for _, tok := range connectionTokens(srv, "ci") {
						if tok.Level == "project" {
							project = append(project, tok)
						}
					}
					if len(project) != 1 || project[0].ID != s.RootModule().Resources[connectionName].Primary.Attributes["token_id"] {
						return fmt.Errorf("project tokens named ci: %+v; want one, the one in state", project)
					}
					return nil
				},
			},
		},
		CheckDestroy: func(*terraform.State) error { return personalAlive() },
	})
}

// TestAccConnectionCreateRefusesSameNamed: a connection
// is found by its name, so create refuses to make a second webhook or token
// of that name and says which import ID adopts the existing ones; nothing
// is created.
func TestAccConnectionCreateRefusesSameNamed(t *testing.T) {
	t.Run("webhook", func(t *testing.T) {
		bothProducts(t, func(t *testing.T, product emulator.Product) {
			srv := startEmulator(t, product)
			workspace := seededWorkspace(product)
			addHookOutOfBand(t, srv, bitbucket.WebhookScope{Workspace: workspace, Repository: "api-service"}, "ci")
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				Steps: []tfresource.TestStep{{
					Config: connectionConfig(srv, `name = "ci"`, fmt.Sprintf(`workspace = %q`, workspace),
						`repository = "api-service"`, `verify = false`, `token = "x"`,
						`webhook = {`, `  url = "https://ci.example.com/hook"`, `  events = `+pushEvents(product), `}`),
					ExpectError: errorText("already exists: import it as " + workspace + "/api-service/ci"),
				}},
			})
			if n := len(srv.Webhooks()); n != 1 {
				t.Errorf("%d webhooks after the refused create, want only the hand-made one", n)
			}
		})
	})
	t.Run("token", func(t *testing.T) {
		srv := startEmulator(t, emulator.DataCenter)
		if _, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "repository", Workspace: "PRJ", Repository: "api-service",
			Name: "ci", Permissions: []string{"REPO_READ"}}); err != nil {
			t.Fatal(err)
		}
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []tfresource.TestStep{{
				Config: connectionConfig(srv, `name = "ci"`, `workspace = "PRJ"`, `repository = "api-service"`,
					`managed_token = {`, `  level = "repository"`, `  permissions = ["REPO_READ"]`, `}`,
					`webhook = {`, `  url = "https://ci.example.com/hook"`, `  events = ["repo:refs_changed"]`, `}`),
				ExpectError: errorText("already exists: import it as PRJ/api-service/ci"),
			}},
		})
		if n := len(connectionTokens(srv, "ci")); n != 1 {
			t.Errorf("%d tokens named ci after the refused create, want only the hand-made one", n)
		}
		if n := len(srv.Webhooks()); n != 0 {
			t.Errorf("%d webhooks after the refused create, want none", n)
		}
	})
}

// TestAccConnectionImportWithSuppliedTokenLeavesTokens: a
// connection whose configuration supplies its token makes no token, so a
// same-named token found at import is not its own: the first apply after the
// import leaves it alone.
func TestAccConnectionImportWithSuppliedTokenLeavesTokens(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	named, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "repository", Workspace: "PRJ", Repository: "api-service",
		Name: "ci", Permissions: []string{"REPO_READ"}})
	if err != nil {
		t.Fatal(err)
	}
	supplied, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "repository", Workspace: "PRJ", Repository: "api-service",
		Name: "made-in-ui", Permissions: []string{"REPO_READ"}})
	if err != nil {
		t.Fatal(err)
	}
	addHookOutOfBand(t, srv, bitbucket.WebhookScope{Workspace: "PRJ", Repository: "api-service"}, "ci")
	config := connectionConfig(srv, `name = "ci"`, `workspace = "PRJ"`, `repository = "api-service"`,
		fmt.Sprintf(`token = %q`, supplied.Token),
		`webhook = {`, `  url = "https://hand-made.example/hook"`, `  events = ["repo:refs_changed"]`, `}`)
	namedAlive := func(*terraform.State) error {
		if tokens := connectionTokens(srv, "ci"); len(tokens) != 1 || tokens[0].ID != named.ID {
			return fmt.Errorf("tokens named ci: %+v; want %s, untouched", tokens, named.ID)
		}
		return nil
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		CheckDestroy:             namedAlive,
		Steps: []tfresource.TestStep{
			{Config: config, ResourceName: connectionName, ImportState: true, ImportStateId: "PRJ/api-service/ci", ImportStatePersist: true},
			{
				Config: config, Check: namedAlive,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("token_id"), knownvalue.Null()),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("managed_token"), knownvalue.Null()),
				},
			},
		},
	})
}
