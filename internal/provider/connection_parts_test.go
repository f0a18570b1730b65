package provider

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

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
