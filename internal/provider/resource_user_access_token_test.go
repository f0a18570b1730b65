package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestAccUserAccessTokenLifecycle: a personal token of the authenticated
// user (user defaults to it), updated in place, imported as user/id; naming
// the same user explicitly changes nothing.
func TestAccUserAccessTokenLifecycle(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_user_access_token.test"
	config := func(lines ...string) string {
		return tokenResourceConfig(srv, "bitbucket_user_access_token", lines...)
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: config(`name = "xcode-cloud"`, `permissions = ["PROJECT_READ", "REPO_READ"]`, `expiry_days = 90`),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(name, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(name, tfjsonpath.New("user"), knownvalue.StringExact(emulator.DCAdminUser)),
				},
				Check: resource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "xcode-cloud"),
					func(*terraform.State) error {
						if tok := onlyTokenNamed(t, srv, "xcode-cloud"); tok.Level != "user" || tok.User != emulator.DCAdminUser {
							return fmt.Errorf("emulator token = %+v", tok)
						}
						return nil
					},
				),
			},
			{
				Config:            config(`name = "nx-cloud"`, `permissions = ["REPO_WRITE"]`, `expiry_days = 90`),
				ConfigPlanChecks:  planAction(name, plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(name, tfjsonpath.New("id"))},
				Check:             stateMatchesToken(t, srv, name, "nx-cloud"),
			},
			{
				Config:           config(`user = "admin"`, `name = "nx-cloud"`, `permissions = ["REPO_WRITE"]`, `expiry_days = 90`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				ResourceName: name, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"token"},
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					return emulator.DCAdminUser + "/" + s.RootModule().Resources[name].Primary.ID, nil
				},
			},
			{
				Config:           config(`user = "admin"`, `name = "nx-cloud"`, `permissions = ["REPO_WRITE"]`, `expiry_days = 30`),
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionDestroyBeforeCreate),
				Check:            stateMatchesToken(t, srv, name, "nx-cloud"),
			},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

// TestAccUserAccessTokenOtherUser: a user cannot create another user's
// tokens; the error says so and nothing is created.
func TestAccUserAccessTokenOtherUser(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      tokenResourceConfig(srv, "bitbucket_user_access_token", `user = "dev"`, `name = "not-mine"`, `permissions = ["REPO_READ"]`),
			ExpectError: errorText("Failed to create access token of user dev", "lack the permission"),
		}},
	})
	if n := len(tokensNamed(srv, "not-mine")); n != 0 {
		t.Errorf("%d tokens created for another user", n)
	}
}
