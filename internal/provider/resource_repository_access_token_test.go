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

func TestAccRepositoryAccessTokenLifecycle(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_repository_access_token.test"
	config := func(repository, tokenName, perms string) string {
		return tokenResourceConfig(srv, "bitbucket_repository_access_token", `workspace = "PRJ"`,
			fmt.Sprintf("repository = %q", repository), fmt.Sprintf("name = %q", tokenName), "permissions = "+perms)
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: config("api-service", "appcircle", `["REPO_READ"]`),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(name, tfjsonpath.New("id")),
					// No expiry asked for: none reported.
					statecheck.ExpectKnownValue(name, tfjsonpath.New("expires_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(name, tfjsonpath.New("expiry_days"), knownvalue.Null()),
				},
				Check: resource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "appcircle"),
					func(*terraform.State) error {
						if tok := onlyTokenNamed(t, srv, "appcircle"); tok.Level != "repository" || tok.Repository != "api-service" {
							return fmt.Errorf("emulator token = %+v", tok)
						}
						return nil
					},
				),
			},
			{
				Config:            config("api-service", "appcircle-ci", `["REPO_READ", "REPO_WRITE"]`),
				ConfigPlanChecks:  planAction(name, plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(name, tfjsonpath.New("id"))},
				Check:             stateMatchesToken(t, srv, name, "appcircle-ci"),
			},
			{
				ResourceName: name, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"token"},
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					return "PRJ/api-service/" + s.RootModule().Resources[name].Primary.ID, nil
				},
			},
			{
				// Another repository is another token.
				Config:           config("web-app", "appcircle-ci", `["REPO_READ", "REPO_WRITE"]`),
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionDestroyBeforeCreate),
				Check: func(*terraform.State) error {
					if tok := onlyTokenNamed(t, srv, "appcircle-ci"); tok.Repository != "web-app" {
						return fmt.Errorf("emulator token = %+v", tok)
					}
					return nil
				},
			},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

func TestAccRepositoryAccessTokenInvalidImportID(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config: providerConfig(srv) + `
import {
  to = bitbucket_repository_access_token.test
  id = "PRJ/42"
}
resource "bitbucket_repository_access_token" "test" {
  workspace   = "PRJ"
  repository  = "api-service"
  name        = "x"
  permissions = ["REPO_READ"]
}
`,
			PlanOnly:    true,
			ExpectError: errorText(`Expected <workspace>/<repository>/<id>`, `got "PRJ/42"`),
		}},
	})
}
