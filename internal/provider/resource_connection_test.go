package provider

import (
	"fmt"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

const connectionName = "bitbucket_connection.test"

// connectionConfig is a provider block with admin credentials plus one
// bitbucket_connection "test" with the given lines.
func connectionConfig(srv *emulator.Server, lines ...string) string {
	return providerConfig(srv) + fmt.Sprintf("\nresource \"bitbucket_connection\" \"test\" {\n  %s\n}\n", strings.Join(lines, "\n  "))
}

func levelsCheck(levels ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, 0, len(levels))
	for _, l := range levels {
		checks = append(checks, knownvalue.StringExact(l))
	}
	return knownvalue.SetExact(checks)
}

func expectUpdate() tfresource.ConfigPlanChecks {
	return tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(connectionName, plancheck.ResourceActionUpdate)}}
}

// connectionTokens are the emulator's Data Center tokens with this name.
func connectionTokens(srv *emulator.Server, name string) []emulator.AccessToken {
	var out []emulator.AccessToken
	for _, t := range srv.AccessTokens() {
		if t.Name == name {
			out = append(out, t)
		}
	}
	return out
}

// onlyToken is the one token named name; the test fails otherwise.
func onlyConnectionToken(t *testing.T, srv *emulator.Server, name string) emulator.AccessToken {
	t.Helper()
	tokens := connectionTokens(srv, name)
	if len(tokens) != 1 {
		t.Fatalf("emulator holds %d tokens named %q, want 1: %+v", len(tokens), name, tokens)
	}
	return tokens[0]
}

// connectionGone is a CheckDestroy: no token or webhook of the connection is left.
func connectionGone(srv *emulator.Server, name string) func(*terraform.State) error {
	return func(*terraform.State) error {
		if tokens := connectionTokens(srv, name); len(tokens) > 0 {
			return fmt.Errorf("tokens left after destroy: %+v", tokens)
		}
		for _, h := range srv.Webhooks() {
			if h.Name == name {
				return fmt.Errorf("webhook left after destroy: %+v", h)
			}
		}
		return nil
	}
}

// TestAccConnectionSuppliedToken: a token made in Bitbucket's UI, kept in
// state, with a webhook the token itself could not create. Revoking the
// token shows as a diff, and applying fails saying why.
func TestAccConnectionSuppliedToken(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		workspace := seededWorkspace(product)
		var (
			token  string
			revoke func()
		)
		if product == emulator.Cloud {
			// A repository access token with read only: no webhook scope.
			token = "appcircle-repository-token"
			if err := srv.AddCloudAccessToken(token, workspace, "api-service", []string{"repository"}); err != nil {
				t.Fatal(err)
			}
			revoke = func() {
				if err := srv.RevokeCloudAccessToken(token); err != nil {
					t.Fatal(err)
				}
			}
		} else {
			tok, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "repository", Workspace: workspace,
				Repository: "api-service", Name: "made-in-ui", Permissions: []string{"REPO_READ"}})
			if err != nil {
				t.Fatal(err)
			}
			token = tok.Token
			revoke = func() {
				if err := srv.RevokeAccessToken(tok.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		config := connectionConfig(srv,
			`name       = "appcircle"`,
			fmt.Sprintf(`workspace  = %q`, workspace),
			`repository = "api-service"`,
			fmt.Sprintf(`token      = %q`, token),
			`webhook = {`,
			`  url    = "https://hooks.appcircle.example/bitbucket"`,
			`  events = `+pushAndPREvents(product),
			`}`,
		)
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			CheckDestroy:             connectionGone(srv, "appcircle"),
			Steps: []tfresource.TestStep{
				{
					Config: config,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read")),
						statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("token_id"), knownvalue.Null()),
						statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("webhook_id"), knownvalue.NotNull()),
					},
					Check: func(*terraform.State) error {
						if hook := onlyHook(t, srv); hook.Name != "appcircle" || len(hook.Events) != 2 {
							return fmt.Errorf("emulator hook = %+v", hook)
						}
						return nil
					},
				},
				{
					ResourceName:      connectionName,
					ImportState:       true,
					ImportStateId:     workspace + "/api-service/appcircle",
					ImportStateVerify: true,
					// A supplied token cannot be read back from Bitbucket.
					ImportStateVerifyIgnore: []string{"token", "verified_permissions"},
				},
				{
					PreConfig:        revoke,
					Config:           config,
					ConfigPlanChecks: expectUpdate(),
					ExpectError:      errorText("Connection credential check failed", "rejected the connection's credential"),
				},
			},
		})
	})
}

// TestAccConnectionWriteOnlyToken: a personal token with Basic auth,
// write-only. It is checked when its version changes, not on refresh.
func TestAccConnectionWriteOnlyToken(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	first, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "user", User: emulator.DCDevUser, Name: "nx-1", Permissions: []string{"REPO_READ"}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "user", User: emulator.DCDevUser, Name: "nx-2", Permissions: []string{"REPO_READ"}})
	if err != nil {
		t.Fatal(err)
	}
	config := func(token string, version int) string {
		return connectionConfig(srv,
			`name             = "nx-cloud"`,
			`workspace        = "PRJ"`,
			`repository       = "api-service"`,
			fmt.Sprintf(`username         = %q`, emulator.DCDevUser),
			fmt.Sprintf(`token_wo         = %q`, token),
			fmt.Sprintf(`token_wo_version = %d`, version),
		)
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config:      config("not-a-token", 1),
				ExpectError: errorText("Connection credential check failed", "rejected the connection's credential"),
			},
			{
				Config: config(first.Token, 2),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read")),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("token"), knownvalue.Null()),
				},
			},
			{
				// Terraform keeps no copy of a write-only token: a refresh cannot check it.
				PreConfig: func() {
					if err := srv.RevokeAccessToken(first.ID); err != nil {
						t.Fatal(err)
					}
				},
				Config:   config(first.Token, 2),
				PlanOnly: true,
			},
			{
				// A new version is checked.
				Config: config(second.Token, 3), ConfigPlanChecks: expectUpdate(),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read")),
				},
			},
		},
	})
}

// TestAccConnectionWorkspaceLevel is BluBracket's pattern on Cloud: an API
// token with the account email reading every repository of the workspace;
// a repository token cannot stand in for it.
func TestAccConnectionWorkspaceLevel(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	if err := srv.AddCloudAccessToken("only-one-repository", "acme", "api-service", []string{"repository"}); err != nil {
		t.Fatal(err)
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config: connectionConfig(srv,
					`name      = "blubracket"`,
					`workspace = "acme"`,
					`token     = "only-one-repository"`,
				),
				ExpectError: errorText("can read only 1 of the 2 repositories of workspace acme", "web-app"),
			},
			{
				Config: connectionConfig(srv,
					`name      = "blubracket"`,
					`workspace = "acme"`,
					fmt.Sprintf(`username  = %q`, emulator.CloudMemberEmail),
					fmt.Sprintf(`token     = %q`, emulator.CloudMemberAPIToken),
					`webhook = {`,
					`  url    = "https://blubracket.example/hooks/bitbucket"`,
					`  events = ["repo:push"]`,
					`}`,
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read")),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("id"), knownvalue.StringExact("acme/blubracket")),
				},
				Check: func(*terraform.State) error {
					if hook := onlyHook(t, srv); hook.Repository != "" || hook.Workspace != "acme" {
						return fmt.Errorf("emulator hook = %+v, want a workspace hook", hook)
					}
					return nil
				},
			},
			{
				ResourceName:            connectionName,
				ImportState:             true,
				ImportStateId:           "acme/blubracket",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"token", "username", "verified_permissions"},
			},
		},
	})
}
