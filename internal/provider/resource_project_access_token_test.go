package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestAccProjectAccessTokenLifecycle: create, rename and change permissions
// in place (same id, same value), import, change the expiry (replace).
func TestAccProjectAccessTokenLifecycle(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_project_access_token.test"
	config := func(tokenName, perms string, expiry int) string {
		return tokenResourceConfig(srv, "bitbucket_project_access_token", `workspace = "PRJ"`,
			fmt.Sprintf("name = %q", tokenName), "permissions = "+perms, fmt.Sprintf("expiry_days = %d", expiry))
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	sameValue := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: config("ci", `["PROJECT_READ", "REPO_WRITE"]`, 30),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(name, tfjsonpath.New("id")),
					sameValue.AddStateValue(name, tfjsonpath.New("token")),
					statecheck.ExpectKnownValue(name, tfjsonpath.New("workspace"), knownvalue.StringExact("PRJ")),
					statecheck.ExpectKnownValue(name, tfjsonpath.New("permissions"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("PROJECT_READ"), knownvalue.StringExact("REPO_WRITE")})),
					statecheck.ExpectSensitiveValue(name, tfjsonpath.New("token")),
				},
				Check: resource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "ci"),
					func(s *terraform.State) error {
						tok := onlyTokenNamed(t, srv, "ci")
						attrs := s.RootModule().Resources[name].Primary.Attributes
						if tok.Level != "project" || tok.Workspace != "PRJ" || tok.ExpiryDays != 30 {
							return fmt.Errorf("emulator token = %+v", tok)
						}
						if want := tok.CreatedAt.UTC().Format(time.RFC3339); attrs["created_at"] != want {
							return fmt.Errorf("created_at = %q, want %q", attrs["created_at"], want)
						}
						if want := tok.CreatedAt.Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339); attrs["expires_at"] != want {
							return fmt.Errorf("expires_at = %q, want %q", attrs["expires_at"], want)
						}
						return nil
					},
				),
			},
			{
				Config:           config("ci-renamed", `["PROJECT_READ", "REPO_WRITE"]`, 30),
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(name, tfjsonpath.New("id")),
					sameValue.AddStateValue(name, tfjsonpath.New("token")),
				},
				Check: stateMatchesToken(t, srv, name, "ci-renamed"),
			},
			{
				Config:           config("ci-renamed", `["PROJECT_WRITE", "REPO_ADMIN"]`, 30),
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(name, tfjsonpath.New("id")),
					sameValue.AddStateValue(name, tfjsonpath.New("token")),
				},
				Check: func(*terraform.State) error {
					if got := onlyTokenNamed(t, srv, "ci-renamed").Permissions; fmt.Sprint(got) != "[PROJECT_WRITE REPO_ADMIN]" {
						return fmt.Errorf("emulator permissions = %v", got)
					}
					return nil
				},
			},
			{
				ResourceName: name, ImportState: true, ImportStateVerify: true,
				// Bitbucket shows the value only at creation.
				ImportStateVerifyIgnore: []string{"token"},
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					return "PRJ/" + s.RootModule().Resources[name].Primary.ID, nil
				},
			},
			{
				Config:           config("ci-renamed", `["PROJECT_WRITE", "REPO_ADMIN"]`, 60),
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionDestroyBeforeCreate),
				Check: resource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "ci-renamed"),
					func(*terraform.State) error {
						if d := onlyTokenNamed(t, srv, "ci-renamed").ExpiryDays; d != 60 {
							return fmt.Errorf("emulator expiry = %d", d)
						}
						return nil
					},
				),
			},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

// TestAccProjectAccessTokenRevokedOutOfBand: a token revoked in Bitbucket
// leaves state and is planned for creation.
func TestAccProjectAccessTokenRevokedOutOfBand(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_project_access_token.test"
	config := providerConfig(srv, `workspace = "PRJ"`) + `
resource "bitbucket_project_access_token" "test" {
  name        = "revoked"
  permissions = ["REPO_READ"]
}
`
	var revokedID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config, Check: stateMatchesToken(t, srv, name, "revoked")},
			{
				PreConfig: func() {
					revokedID = onlyTokenNamed(t, srv, "revoked").ID
					if err := srv.RevokeAccessToken(revokedID); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config,
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionCreate),
				Check: resource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "revoked"),
					func(s *terraform.State) error {
						if s.RootModule().Resources[name].Primary.ID == revokedID {
							return fmt.Errorf("state still tracks the revoked token")
						}
						return nil
					},
				),
			},
			{Config: config, ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

// TestAccProjectAccessTokenDrift: a name or permission changed in Bitbucket
// is a diff repaired in place.
func TestAccProjectAccessTokenDrift(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_project_access_token.test"
	config := tokenResourceConfig(srv, "bitbucket_project_access_token", `workspace = "PRJ"`, `name = "drift"`, `permissions = ["REPO_READ"]`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					tok := onlyTokenNamed(t, srv, "drift")
					if err := srv.UpdateAccessToken(tok.ID, func(a *emulator.AccessToken) {
						a.Name, a.Permissions = "someone-else", []string{"REPO_ADMIN"}
					}); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config,
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionUpdate),
				Check:            stateMatchesToken(t, srv, name, "drift"),
			},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}
