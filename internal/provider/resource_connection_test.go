package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/config"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
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

// TestAccConnectionManagedRepositoryToken is the Appcircle pattern without
// the admin token: a read-only repository token made by the provider, and
// the webhook made with the provider's own credentials. Then the token is
// changed, revoked and downgraded outside Terraform.
func TestAccConnectionManagedRepositoryToken(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "appcircle"
	config := func(permissions string) string {
		return connectionConfig(srv,
			`name       = "appcircle"`,
			`workspace  = "PRJ"`,
			`repository = "api-service"`,
			`managed_token = {`,
			`  level       = "repository"`,
			`  permissions = `+permissions,
			`}`,
			`webhook = {`,
			`  url               = "https://hooks.appcircle.example/bitbucket"`,
			`  events            = ["repo:refs_changed", "pr:opened"]`,
			`  secret_wo         = "hook-secret"`,
			`  secret_wo_version = 1`,
			`}`,
		)
	}
	var firstTokenID string
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		CheckDestroy:             connectionGone(srv, name),
		Steps: []tfresource.TestStep{
			{
				Config: config(`["REPO_READ"]`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("id"), knownvalue.StringExact("PRJ/api-service/appcircle")),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read")),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("token_id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9]+$`))),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("webhook_id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9]+$`))),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("clone_https"), knownvalue.StringExact(srv.URL()+"/scm/prj/api-service.git")),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("clone_ssh"), knownvalue.StringRegexp(regexp.MustCompile(`^ssh://git@.*:7999/prj/api-service\.git$`))),
				},
				Check: func(s *terraform.State) error {
					tok := onlyConnectionToken(t, srv, name)
					attrs := s.RootModule().Resources[connectionName].Primary.Attributes
					if tok.Level != "repository" || !slices.Equal(tok.Permissions, []string{"REPO_READ"}) || tok.Token != attrs["token"] || tok.ID != attrs["token_id"] {
						return fmt.Errorf("emulator token = %+v, state token_id %s", tok, attrs["token_id"])
					}
					hook := onlyHook(t, srv)
					if hook.Name != name || hook.Repository != "api-service" || hook.Secret != "hook-secret" || !hook.Active {
						return fmt.Errorf("emulator hook = %+v", hook)
					}
					firstTokenID = tok.ID
					return nil
				},
			},
			{
				// More permission: the same token, changed in place.
				Config: config(`["REPO_WRITE"]`), ConfigPlanChecks: expectUpdate(),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read", "write")),
				},
				Check: func(*terraform.State) error {
					if tok := onlyConnectionToken(t, srv, name); tok.ID != firstTokenID || !slices.Equal(tok.Permissions, []string{"REPO_WRITE"}) {
						return fmt.Errorf("token after update = %+v, want %s with REPO_WRITE", tok, firstTokenID)
					}
					return nil
				},
			},
			{
				// Revoked outside Terraform: the plan shows it, apply makes a new token.
				PreConfig: func() {
					if err := srv.RevokeAccessToken(firstTokenID); err != nil {
						t.Fatal(err)
					}
				},
				Config: config(`["REPO_WRITE"]`), ConfigPlanChecks: expectUpdate(),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read", "write")),
				},
				Check: func(s *terraform.State) error {
					tok := onlyConnectionToken(t, srv, name)
					if tok.ID == firstTokenID || tok.Token != s.RootModule().Resources[connectionName].Primary.Attributes["token"] {
						return fmt.Errorf("token after revocation = %+v, want a new one in state", tok)
					}
					return nil
				},
			},
			{
				// Downgraded outside Terraform: the plan shows it, apply restores it.
				PreConfig: func() {
					id := onlyConnectionToken(t, srv, name).ID
					if err := srv.UpdateAccessToken(id, func(a *emulator.AccessToken) { a.Permissions = []string{"REPO_READ"} }); err != nil {
						t.Fatal(err)
					}
				},
				Config: config(`["REPO_WRITE"]`),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connectionName, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read", "write")),
				}},
				Check: func(*terraform.State) error {
					if tok := onlyConnectionToken(t, srv, name); !slices.Equal(tok.Permissions, []string{"REPO_WRITE"}) {
						return fmt.Errorf("token after apply = %+v, want REPO_WRITE restored", tok)
					}
					return nil
				},
			},
			{
				// The webhook's secret changed outside Terraform (Data Center returns it): sent again.
				PreConfig: func() {
					if err := srv.UpdateWebhook(onlyHook(t, srv).ID, func(w *emulator.Webhook) { w.Secret = "changed" }); err != nil {
						t.Fatal(err)
					}
				},
				Config: config(`["REPO_WRITE"]`), ConfigPlanChecks: expectUpdate(),
				Check: func(*terraform.State) error {
					if got := onlyHook(t, srv).Secret; got != "hook-secret" {
						return fmt.Errorf("hook secret = %q after apply", got)
					}
					return nil
				},
			},
			{
				ResourceName:      connectionName,
				ImportState:       true,
				ImportStateId:     "PRJ/api-service/appcircle",
				ImportStateVerify: true,
				// The token's value cannot be read back; the write-only secret's version is not in Bitbucket;
				// the check runs with a credential, which an import does not have.
				ImportStateVerifyIgnore: []string{"token", "verified_permissions", "webhook.secret_wo_version"},
			},
		},
	})
}

// TestAccConnectionManagedTokenLevels covers personal (user) and project
// tokens: Xcode Cloud's project read + repository admin, and a project
// token for a workspace connection.
func TestAccConnectionManagedTokenLevels(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		CheckDestroy:             connectionGone(srv, "xcode-cloud"),
		Steps: []tfresource.TestStep{
			{
				Config: connectionConfig(srv,
					`name       = "xcode-cloud"`,
					`workspace  = "PRJ"`,
					`repository = "api-service"`,
					`managed_token = {`,
					`  level       = "user"`,
					`  permissions = ["PROJECT_READ", "REPO_ADMIN"]`,
					`  expiry_days = 90`,
					`}`,
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read", "write", "admin")),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("webhook_id"), knownvalue.Null()),
				},
				Check: func(*terraform.State) error {
					tok := onlyConnectionToken(t, srv, "xcode-cloud")
					if tok.Level != "user" || tok.User != emulator.DCAdminUser || tok.ExpiryDays != 90 {
						return fmt.Errorf("emulator token = %+v", tok)
					}
					return nil
				},
			},
			{
				// A new expiry needs a new token.
				Config: connectionConfig(srv,
					`name       = "xcode-cloud"`,
					`workspace  = "PRJ"`,
					`repository = "api-service"`,
					`managed_token = {`,
					`  level       = "user"`,
					`  permissions = ["PROJECT_READ", "REPO_ADMIN"]`,
					`  expiry_days = 30`,
					`}`,
				),
				ConfigPlanChecks: expectUpdate(),
				Check: func(*terraform.State) error {
					if tok := onlyConnectionToken(t, srv, "xcode-cloud"); tok.ExpiryDays != 30 {
						return fmt.Errorf("emulator token = %+v, want the 30-day one", tok)
					}
					return nil
				},
			},
			{
				// The same connection, as a project token on the whole project.
				Config: connectionConfig(srv,
					`name      = "xcode-cloud"`,
					`workspace = "PRJ"`,
					`managed_token = {`,
					`  level       = "project"`,
					`  permissions = ["PROJECT_READ"]`,
					`}`,
				),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connectionName, plancheck.ResourceActionDestroyBeforeCreate)}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read")),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("clone_https"), knownvalue.Null()),
				},
				Check: func(*terraform.State) error {
					if tok := onlyConnectionToken(t, srv, "xcode-cloud"); tok.Level != "project" {
						return fmt.Errorf("emulator token = %+v, want a project token", tok)
					}
					return nil
				},
			},
			{
				ResourceName:            connectionName,
				ImportState:             true,
				ImportStateId:           "PRJ/xcode-cloud",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"token", "verified_permissions"},
			},
		},
	})
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

// newConnectionForTest is the resource configured with an admin client of srv.
func newConnectionForTest(t *testing.T, srv *emulator.Server) *connectionResource {
	t.Helper()
	cfg := bitbucket.Config{BaseURL: srv.BaseURL(), Username: emulator.DCAdminUser, Token: emulator.DCAdminPassword}
	if srv.Product() == emulator.Cloud {
		cfg = bitbucket.Config{BaseURL: srv.BaseURL(), Product: bitbucket.ProductCloud, Username: emulator.CloudOwnerEmail, Token: emulator.CloudOwnerAPIToken}
	}
	client, err := bitbucket.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &connectionResource{data: &providerData{client: client}}
}

// readConnection calls Read on a state holding m and returns the new state
// and the diagnostics.
func readConnection(t *testing.T, r *connectionResource, m connectionModel) (connectionModel, diag.Diagnostics) {
	t.Helper()
	ctx := context.Background()
	var schemaResp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	state := tfsdk.State{Schema: schemaResp.Schema, Raw: tftypes.NewValue(schemaResp.Schema.Type().TerraformType(ctx), nil)}
	if diags := state.Set(ctx, &m); diags.HasError() {
		t.Fatalf("state.Set: %v", diags)
	}
	resp := resource.ReadResponse{State: state}
	r.Read(ctx, resource.ReadRequest{State: state}, &resp)
	var out connectionModel
	if !resp.State.Raw.IsNull() {
		resp.State.Get(ctx, &out)
	}
	return out, resp.Diagnostics
}

// suppliedConnection is a state with a supplied repository token.
func suppliedConnection(workspace, token string) connectionModel {
	return connectionModel{
		ID: types.StringValue(workspace + "/api-service/ci"), Name: types.StringValue("ci"),
		Workspace: types.StringValue(workspace), Repository: types.StringValue("api-service"),
		ManagedToken: types.ObjectNull(managedTokenAttrTypes), Token: types.StringValue(token),
		TokenWO: types.StringNull(), TokenWOVersion: types.Int64Null(), Username: types.StringNull(),
		Webhook: types.ObjectNull(connectionWebhookAttrTypes), Verify: types.BoolValue(true),
		TokenID: types.StringNull(), WebhookID: types.StringNull(), VerifiedPermissions: stringSet([]string{"read"}),
		CloneHTTPS: types.StringNull(), CloneSSH: types.StringNull(),
		ManagedAccessKey: types.ObjectNull(managedAccessKeyAttrTypes), AccessKeyID: types.StringNull(),
		PublicKey: types.StringNull(), PrivateKey: types.StringNull(),
	}
}

func warningSummaries(diags diag.Diagnostics) []string {
	var out []string
	for _, d := range diags.Warnings() {
		out = append(out, d.Summary())
	}
	return out
}

// TestConnectionReadWarnsWhenTheCredentialFails: a refresh with a revoked
// token says what failed (a warning) and empties verified_permissions, which
// the plan then shows as a diff.
func TestConnectionReadWarnsWhenTheCredentialFails(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	tok, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "repository", Workspace: "PRJ", Repository: "api-service",
		Name: "ci", Permissions: []string{"REPO_READ"}})
	if err != nil {
		t.Fatal(err)
	}
	r := newConnectionForTest(t, srv)
	got, diags := readConnection(t, r, suppliedConnection("PRJ", tok.Token))
	if diags.HasError() || len(diags.Warnings()) != 0 {
		t.Fatalf("Read with a working token: %v", diags)
	}
	if !setEqualsStrings(context.Background(), got.VerifiedPermissions, []string{"read"}) {
		t.Errorf("verified_permissions = %s, want [read]", got.VerifiedPermissions)
	}

	if err := srv.RevokeAccessToken(tok.ID); err != nil {
		t.Fatal(err)
	}
	got, diags = readConnection(t, r, suppliedConnection("PRJ", tok.Token))
	if diags.HasError() {
		t.Fatalf("Read with a revoked token must warn, not fail: %v", diags)
	}
	if w := diags.Warnings(); len(w) != 1 || w[0].Summary() != "Connection credential no longer works" ||
		!strings.Contains(w[0].Detail(), "rejected the connection's credential (HTTP 401)") {
		t.Errorf("warnings = %v, want one saying the credential was rejected", diags)
	}
	if !setEqualsStrings(context.Background(), got.VerifiedPermissions, []string{}) {
		t.Errorf("verified_permissions = %s, want empty", got.VerifiedPermissions)
	}
}

// TestConnectionReadWarnsAboutLocalhostBaseURL: a server whose links point
// to localhost gets a warning telling the admin to set the base URL.
func TestConnectionReadWarnsAboutLocalhostBaseURL(t *testing.T) {
	for publicURL, wantWarning := range map[string]bool{"http://localhost:7990": true, "": false} {
		srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter, PublicURL: publicURL})
		tok, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "repository", Workspace: "PRJ", Repository: "api-service",
			Name: "ci", Permissions: []string{"REPO_READ"}})
		if err != nil {
			t.Fatal(err)
		}
		got, diags := readConnection(t, newConnectionForTest(t, srv), suppliedConnection("PRJ", tok.Token))
		if diags.HasError() {
			t.Fatalf("Read: %v", diags)
		}
		warned := slices.Contains(warningSummaries(diags), "Bitbucket's base URL is on localhost")
		if warned != wantWarning {
			t.Errorf("public URL %q: warnings %v, want the localhost warning: %v", publicURL, diags, wantWarning)
		}
		if wantWarning && !strings.Contains(diags.Warnings()[0].Detail(), "http://localhost:7990") {
			t.Errorf("warning does not name the base URL: %s", diags.Warnings()[0].Detail())
		}
		if wantWarning && got.CloneHTTPS.ValueString() != "http://localhost:7990/scm/prj/api-service.git" {
			t.Errorf("clone_https = %s", got.CloneHTTPS)
		}
	}
}

func TestLevelsForPermissions(t *testing.T) {
	for _, tc := range []struct {
		perms []string
		want  []string
	}{
		{[]string{"REPO_READ"}, []string{"read"}},
		{[]string{"PROJECT_READ", "REPO_ADMIN"}, []string{"read", "write", "admin"}},
		{[]string{"PROJECT_WRITE"}, []string{"read", "write"}},
		{nil, []string{}},
	} {
		if got := levelsForPermissions(tc.perms); !slices.Equal(got, tc.want) {
			t.Errorf("levelsForPermissions(%v) = %v, want %v", tc.perms, got, tc.want)
		}
	}
}

// TestAccConnectionTokenCreateAnswerLost: the token was made but its answer
// (with the only copy of its value) was lost. The provider revokes it and
// makes another, so no token nobody holds is left behind.
func TestAccConnectionTokenCreateAnswerLost(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const route = "/rest/access-tokens/1.0/projects/{projectKey}/repos/{repositorySlug}"
	srv.InjectFault(emulator.Fault{Method: "PUT", Route: route, Kind: emulator.FaultDropResponse, Times: 1})
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		CheckDestroy:             connectionGone(srv, "ci"),
		Steps: []tfresource.TestStep{{
			Config: connectionConfig(srv,
				`name       = "ci"`,
				`workspace  = "PRJ"`,
				`repository = "api-service"`,
				`managed_token = {`,
				`  level       = "repository"`,
				`  permissions = ["REPO_READ"]`,
				`}`,
			),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read")),
			},
			Check: func(s *terraform.State) error {
				if n := srv.RequestCount("PUT", route); n != 2 {
					return fmt.Errorf("%d token creates, want 2 (the lost one and the retry)", n)
				}
				tok := onlyConnectionToken(t, srv, "ci")
				if tok.Token != s.RootModule().Resources[connectionName].Primary.Attributes["token"] {
					return fmt.Errorf("the token in state is not the one left in Bitbucket")
				}
				return nil
			},
		}},
	})
}

// TestAccConnectionSuppliedTokenDowngraded: a supplied token that loses
// write shows as a diff; applying checks it again and records what it can
// still do.
func TestAccConnectionSuppliedTokenDowngraded(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	tok, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "repository", Workspace: "PRJ", Repository: "api-service",
		Name: "made-in-ui", Permissions: []string{"REPO_WRITE"}})
	if err != nil {
		t.Fatal(err)
	}
	config := connectionConfig(srv, `name = "ci"`, `workspace = "PRJ"`, `repository = "api-service"`, fmt.Sprintf(`token = %q`, tok.Token))
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read", "write")),
				},
			},
			{
				PreConfig: func() {
					if err := srv.UpdateAccessToken(tok.ID, func(a *emulator.AccessToken) { a.Permissions = []string{"REPO_READ"} }); err != nil {
						t.Fatal(err)
					}
				},
				Config: config, ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connectionName, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(connectionName, tfjsonpath.New("verified_permissions")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read")),
				},
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

// TestAccConnectionImportOfNothingFails: importing a
// connection of which Bitbucket holds nothing fails like every other
// resource, on both products.
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
				ExpectError:   errorText("Cannot import non-existent remote object"),
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

// TestAccConnectionVerifyFalse: with verify = false the
// credential is never used: a token Bitbucket would reject is applied,
// verified_permissions is null and the clone URLs come from the provider's
// own read. Turning verify on checks it, and the apply fails.
func TestAccConnectionVerifyFalse(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	config := func(verify bool) string {
		return connectionConfig(srv, `name = "ci"`, `workspace = "PRJ"`, `repository = "api-service"`,
			`token = "not-a-token"`, fmt.Sprintf(`verify = %t`, verify))
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config: config(false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), knownvalue.Null()),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("clone_https"), knownvalue.StringExact(srv.URL()+"/scm/prj/api-service.git")),
				},
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				Config:      config(true),
				ExpectError: errorText("Connection credential check failed", "rejected the connection's credential"),
			},
		},
	})
}

// TestAccConnectionTokenRevokeFails: when revoking the
// managed token fails, on replacement (a new expiry) or on destroy, the
// apply fails saying so, state keeps the token, and the next apply
// finishes the job with no token left over.
func TestAccConnectionTokenRevokeFails(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const item = "/rest/access-tokens/1.0/projects/{projectKey}/repos/{repositorySlug}/{tokenId}"
	failRevoke := func() {
		srv.InjectFault(emulator.Fault{Method: "DELETE", Route: item, Kind: emulator.FaultStatus, Status: 500})
	}
	config := func(expiry int) string {
		return connectionConfig(srv, `name = "ci"`, `workspace = "PRJ"`, `repository = "api-service"`,
			`managed_token = {`, `  level = "repository"`, `  permissions = ["REPO_READ"]`, fmt.Sprintf(`  expiry_days = %d`, expiry), `}`)
	}
	onlyExpiry := func(days int) func(*terraform.State) error {
		return func(*terraform.State) error {
			if tok := onlyConnectionToken(t, srv, "ci"); tok.ExpiryDays != days {
				return fmt.Errorf("token %+v, want the %d-day one", tok, days)
			}
			return nil
		}
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		CheckDestroy:             connectionGone(srv, "ci"),
		Steps: []tfresource.TestStep{
			{Config: config(30), Check: onlyExpiry(30)},
			{PreConfig: failRevoke, Config: config(60), ExpectError: errorText("Failed to revoke the token of connection \"ci\"")},
			{PreConfig: srv.ClearFaults, Config: config(60), Check: onlyExpiry(60)},
			{PreConfig: failRevoke, Config: providerConfig(srv), ExpectError: errorText("Failed to revoke the token of connection \"ci\"")},
			{PreConfig: srv.ClearFaults, Config: providerConfig(srv), Check: connectionGone(srv, "ci")},
		},
	})
	if n := srv.RequestCount("DELETE", item); n < 3 {
		t.Errorf("%d token revocations sent, want the failing ones and the two that worked", n)
	}
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
