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

// seededWorkspaceChecks are the attributes of the seeded workspace (Cloud
// acme) or project (Data Center PRJ); at gives the path of an attribute in
// resource addr.
func seededWorkspaceChecks(srv *emulator.Server, addr string, at func(attr string) tfjsonpath.Path) []statecheck.StateCheck {
	want := map[emulator.Product]map[string]knownvalue.Check{
		emulator.Cloud: {
			"workspace":   knownvalue.StringExact("acme"),
			"id":          knownvalue.StringRegexp(regexp.MustCompile(`^\{[0-9a-f-]{36}\}$`)),
			"name":        knownvalue.StringExact("Acme Corp"),
			"description": knownvalue.StringExact(""),
			"private":     knownvalue.Bool(false),
			"web_url":     knownvalue.StringRegexp(regexp.MustCompile(`^https?://.*/acme/$`)),
		},
		emulator.DataCenter: {
			"workspace":   knownvalue.StringExact("PRJ"),
			"id":          knownvalue.StringRegexp(regexp.MustCompile(`^[0-9]+$`)),
			"name":        knownvalue.StringExact("Project One"),
			"description": knownvalue.StringExact("The first project"),
			"private":     knownvalue.Bool(true),
			"web_url":     knownvalue.StringExact(srv.URL() + "/projects/PRJ"),
		},
	}[srv.Product()]
	var checks []statecheck.StateCheck
	for attr, check := range want {
		checks = append(checks, statecheck.ExpectKnownValue(addr, at(attr), check))
	}
	return checks
}

func TestAccWorkspaceDataSource(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		workspace := seededWorkspace(product)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				{
					Config:            providerConfig(srv) + fmt.Sprintf(`data "bitbucket_workspace" "test" { workspace = %q }`, workspace),
					ConfigStateChecks: seededWorkspaceChecks(srv, "data.bitbucket_workspace.test", tfjsonpath.New),
				},
				{
					// The workspace can come from the provider block; reading again plans nothing.
					Config:            providerConfig(srv, fmt.Sprintf("workspace = %q", workspace)) + `data "bitbucket_workspace" "test" {}`,
					ConfigStateChecks: seededWorkspaceChecks(srv, "data.bitbucket_workspace.test", tfjsonpath.New),
					ConfigPlanChecks:  resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				},
			},
		})
	})
}

func TestAccWorkspaceDataSourceNotFound(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{{
				Config:      providerConfig(srv) + `data "bitbucket_workspace" "test" { workspace = "NOPE" }`,
				ExpectError: regexp.MustCompile(`(?s)Workspace not found.*No (workspace|project) "NOPE" was found`),
			}},
		})
	})
}

func TestAccWorkspaceDataSourceMissingWorkspace(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      providerConfig(srv) + `data "bitbucket_workspace" "test" {}`,
			ExpectError: regexp.MustCompile(`Missing workspace`),
		}},
	})
}

// TestAccWorkspaceDataSourceForbidden: credentials that authenticate but may
// not read the workspace get a diagnostic that says so.
func TestAccWorkspaceDataSourceForbidden(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		var auth []string
		if product == emulator.Cloud {
			if err := srv.AddCloudUser("carol@example.com", "carol-token", map[string]string{"acme": "member"},
				[]string{"read:user:bitbucket", "read:repository:bitbucket"}); err != nil {
				t.Fatal(err)
			}
			auth = []string{`product = "cloud"`, `username = "carol@example.com"`, `token = "carol-token"`}
		} else {
			if err := srv.AddDCUser("carol", "carol-password", nil); err != nil {
				t.Fatal(err)
			}
			auth = []string{`username = "carol"`, `token = "carol-password"`}
		}
		workspace := map[emulator.Product]string{emulator.Cloud: "acme", emulator.DataCenter: "OPS"}[product]
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{{
				Config:      providerBlock(srv.BaseURL(), auth...) + fmt.Sprintf(`data "bitbucket_workspace" "test" { workspace = %q }`, workspace),
				ExpectError: errorText("Failed to read", workspace, "lack the permission for this"),
			}},
		})
	})
}
