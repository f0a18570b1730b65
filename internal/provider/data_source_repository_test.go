package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

func TestAccRepositoryDataSource(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		workspace := seededWorkspace(product)
		want := map[emulator.Product]map[string]knownvalue.Check{
			emulator.Cloud: {
				"id":             knownvalue.StringRegexp(regexp.MustCompile(`^\{[0-9a-f-]{36}\}$`)),
				"project_key":    knownvalue.StringExact("API"),
				"private":        knownvalue.Bool(true),
				"default_branch": knownvalue.StringExact("main"),
				"clone_https":    knownvalue.StringRegexp(regexp.MustCompile(`^https?://.*acme/api-service\.git$`)),
				"clone_ssh":      knownvalue.StringRegexp(regexp.MustCompile(`^git@.*:acme/api-service\.git$`)),
				"web_url":        knownvalue.StringRegexp(regexp.MustCompile(`/acme/api-service$`)),
			},
			emulator.DataCenter: {
				"id":             knownvalue.StringRegexp(regexp.MustCompile(`^[0-9]+$`)),
				"project_key":    knownvalue.StringExact("PRJ"),
				"project_name":   knownvalue.StringExact("Project One"),
				"private":        knownvalue.Bool(true),
				"default_branch": knownvalue.StringExact("main"),
				"clone_https":    knownvalue.StringExact(srv.URL() + "/scm/prj/api-service.git"),
				"clone_ssh":      knownvalue.StringRegexp(regexp.MustCompile(`^ssh://git@.*:7999/prj/api-service\.git$`)),
				"web_url":        knownvalue.StringExact(srv.URL() + "/projects/PRJ/repos/api-service/browse"),
			},
		}[product]
		checks := []statecheck.StateCheck{
			statecheck.ExpectKnownValue("data.bitbucket_repository.test", tfjsonpath.New("workspace"), knownvalue.StringExact(workspace)),
			statecheck.ExpectKnownValue("data.bitbucket_repository.test", tfjsonpath.New("repository"), knownvalue.StringExact("api-service")),
			statecheck.ExpectKnownValue("data.bitbucket_repository.test", tfjsonpath.New("name"), knownvalue.StringExact("api-service")),
		}
		for attr, check := range want {
			checks = append(checks, statecheck.ExpectKnownValue("data.bitbucket_repository.test", tfjsonpath.New(attr), check))
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				{
					Config: providerConfig(srv) + fmt.Sprintf(`
data "bitbucket_repository" "test" {
  workspace  = %q
  repository = "api-service"
}
output "clone" { value = data.bitbucket_repository.test.clone_https }
`, workspace),
					ConfigStateChecks: checks,
				},
				{
					// The workspace can come from the provider block; reading again plans nothing.
					Config: providerConfig(srv, fmt.Sprintf("workspace = %q", workspace)) + `
data "bitbucket_repository" "test" {
  repository = "api-service"
}
output "clone" { value = data.bitbucket_repository.test.clone_https }
`,
					ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue("data.bitbucket_repository.test", tfjsonpath.New("workspace"), knownvalue.StringExact(workspace)),
					},
				},
			},
		})
	})
}

func TestAccRepositoryDataSourceNotFound(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{{
				Config: providerConfig(srv) + fmt.Sprintf(`
data "bitbucket_repository" "test" {
  workspace  = %q
  repository = "no-such-repo"
}
`, seededWorkspace(product)),
				ExpectError: regexp.MustCompile(`(?s)Repository "no-such-repo" was not found in (workspace "acme"|project "PRJ")`),
			}},
		})
	})
}

func TestAccRepositoryDataSourceMissingWorkspace(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      providerConfig(srv) + `data "bitbucket_repository" "test" { repository = "api-service" }`,
			ExpectError: regexp.MustCompile(`Missing workspace`),
		}},
	})
}
