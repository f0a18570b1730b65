package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// stateValueComparer is what statecheck.CompareValue returns.
type stateValueComparer interface {
	AddStateValue(string, tfjsonpath.Path) statecheck.StateCheck
}

// identityChecks: the identity names the object (expected values, id equal
// to the state's id) and the id is the same one in every step.
func identityChecks(name string, sameID stateValueComparer, want map[string]knownvalue.Check) []statecheck.StateCheck {
	want["id"] = knownvalue.NotNull()
	return []statecheck.StateCheck{
		statecheck.ExpectIdentity(name, want),
		statecheck.ExpectIdentityValueMatchesState(name, tfjsonpath.New("id")),
		sameID.AddStateValue(name, tfjsonpath.New("id")),
	}
}

// TestAccRepositoryWebhookIdentity: the identity is set on create, stays the
// same across update and refresh, and an import by identity
// (`import { identity = {...} }`) reads the same object with an empty plan.
func TestAccRepositoryWebhookIdentity(t *testing.T) {
	useTerraformAtLeast(t, terraformIdentity, "resource identity")
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		const name = "bitbucket_repository_webhook.test"
		ws := seededWorkspace(product)
		sameID := statecheck.CompareValue(compare.ValuesSame())
		want := func() map[string]knownvalue.Check {
			return map[string]knownvalue.Check{"workspace": knownvalue.StringExact(ws), "repository": knownvalue.StringExact("api-service")}
		}
		base := []string{`name = "ci"`, `events = ` + pushEvents(product)}
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraformIdentity)},
			Steps: []resource.TestStep{
				{
					Config:            repositoryWebhookConfig(srv, append(base, `url = "https://ci.example.com/a"`)...),
					ConfigStateChecks: identityChecks(name, sameID, want()),
				},
				{
					Config:            repositoryWebhookConfig(srv, append(base, `url = "https://ci.example.com/b"`)...),
					ConfigPlanChecks:  planAction(name, plancheck.ResourceActionUpdate),
					ConfigStateChecks: identityChecks(name, sameID, want()),
				},
				{
					// Changed out of band: the refresh sees drift, the identity stays.
					PreConfig: func() {
						if err := srv.UpdateWebhook(onlyHook(t, srv).ID, func(h *emulator.Webhook) { h.Name = "renamed-by-hand" }); err != nil {
							t.Fatal(err)
						}
					},
					Config:            repositoryWebhookConfig(srv, append(base, `url = "https://ci.example.com/b"`)...),
					ConfigPlanChecks:  planAction(name, plancheck.ResourceActionUpdate),
					ConfigStateChecks: identityChecks(name, sameID, want()),
				},
				{
					ResourceName: name, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity,
					Config: repositoryWebhookConfig(srv, append(base, `url = "https://ci.example.com/b"`)...),
				},
			},
		})
	})
}

// TestAccWorkspaceWebhookIdentity: workspace/project hooks have the identity
// workspace + id and import by it.
func TestAccWorkspaceWebhookIdentity(t *testing.T) {
	useTerraformAtLeast(t, terraformIdentity, "resource identity")
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		const name = "bitbucket_workspace_webhook.test"
		config := workspaceWebhookConfig(srv, providerConfig(srv), `name = "org"`, `url = "https://ci.example.com/org"`,
			`events = `+pushEvents(product))
		sameID := statecheck.CompareValue(compare.ValuesSame())
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraformIdentity)},
			Steps: []resource.TestStep{
				{
					Config: config,
					ConfigStateChecks: identityChecks(name, sameID, map[string]knownvalue.Check{
						"workspace": knownvalue.StringExact(seededWorkspace(product))}),
				},
				{ResourceName: name, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity, Config: config},
			},
		})
	})
}

// TestAccAccessTokenIdentity: each Data Center token level has the identity
// that names its owner plus the id, stable across update, and imports by it.
func TestAccAccessTokenIdentity(t *testing.T) {
	useTerraformAtLeast(t, terraformIdentity, "resource identity")
	cases := []struct {
		resourceType string
		owner        string
		perms        string
		want         map[string]knownvalue.Check
	}{
		{"bitbucket_project_access_token", `workspace = "PRJ"`, `["PROJECT_READ"]`,
			map[string]knownvalue.Check{"workspace": knownvalue.StringExact("PRJ")}},
		{"bitbucket_repository_access_token", "workspace = \"PRJ\"\n  repository = \"api-service\"", `["REPO_READ"]`,
			map[string]knownvalue.Check{"workspace": knownvalue.StringExact("PRJ"), "repository": knownvalue.StringExact("api-service")}},
		// No user set: the identity records the user the provider authenticates as.
		{"bitbucket_user_access_token", "", `["REPO_READ"]`,
			map[string]knownvalue.Check{"user": knownvalue.StringExact(emulator.DCAdminUser)}},
	}
	for _, tc := range cases {
		t.Run(tc.resourceType, func(t *testing.T) {
			srv := startEmulator(t, emulator.DataCenter)
			name := tc.resourceType + ".test"
			config := func(tokenName string) string {
				return tokenResourceConfig(srv, tc.resourceType, tc.owner, fmt.Sprintf("name = %q", tokenName), "permissions = "+tc.perms)
			}
			sameID := statecheck.CompareValue(compare.ValuesSame())
			want := func() map[string]knownvalue.Check {
				m := map[string]knownvalue.Check{}
				for k, v := range tc.want {
					m[k] = v
				}
				return m
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraformIdentity)},
				Steps: []resource.TestStep{
					{Config: config("ci"), ConfigStateChecks: identityChecks(name, sameID, want())},
					{
						Config: config("ci-renamed"), ConfigPlanChecks: planAction(name, plancheck.ResourceActionUpdate),
						ConfigStateChecks: identityChecks(name, sameID, want()),
					},
					{
						ResourceName: name, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity,
						Config: config("ci-renamed"),
						// Bitbucket shows a token's value only at creation, so an import plans no change but has none.
					},
				},
				CheckDestroy: onlySeededTokensLeft(srv),
			})
		})
	}
}

// TestAccAccessKeyIdentity: repository keys are named by workspace,
// repository and id; project keys by workspace, project (Cloud; null on Data
// Center, where the project is the workspace) and id. Import by identity
// reads the same key with an empty plan (the generated private key is not
// readable, so it is left out of the comparison by the no-op check alone).
func TestAccAccessKeyIdentity(t *testing.T) {
	// Not parallel: useTerraformAtLeast points this test at the newer Terraform with t.Setenv.
	useTerraformAtLeast(t, terraformIdentity, "resource identity")
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		for _, c := range accessKeyCases(product) {
			t.Run(c.typeName, func(t *testing.T) {
				srv := startEmulator(t, product)
				name := c.typeName + ".test"
				ws := seededWorkspace(product)
				want := func() map[string]knownvalue.Check {
					m := map[string]knownvalue.Check{"workspace": knownvalue.StringExact(ws)}
					switch {
					case c.typeName == "bitbucket_repository_access_key":
						m["repository"] = knownvalue.StringExact("api-service")
					case product == emulator.Cloud:
						m["project"] = knownvalue.StringExact("API")
					default:
						m["project"] = knownvalue.Null()
					}
					return m
				}
				sameID := statecheck.CompareValue(compare.ValuesSame())
				config := accessKeyConfig(srv, c, `label = "ci"`)
				resource.Test(t, resource.TestCase{
					ProtoV6ProviderFactories: testProviderFactories(),
					TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraformIdentity)},
					CheckDestroy:             noAccessKeysLeft(srv),
					Steps: []resource.TestStep{
						{Config: config, ConfigStateChecks: identityChecks(name, sameID, want())},
						{Config: config, PlanOnly: true},
						{ResourceName: name, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity, Config: config},
					},
				})
			})
		}
	})
}

// TestAccConnectionIdentity: a connection is named by workspace, repository
// (null for a workspace connection) and name, like its import ID; the
// identity survives an update and an import by identity finds the same
// token and webhook.
func TestAccConnectionIdentity(t *testing.T) {
	useTerraformAtLeast(t, terraformIdentity, "resource identity")
	for _, repository := range []string{"api-service", ""} {
		t.Run("repository="+repository, func(t *testing.T) {
			srv := startEmulator(t, emulator.DataCenter)
			level, scope := "project", `workspace = "PRJ"`
			var wantRepo knownvalue.Check = knownvalue.Null()
			if repository != "" {
				level, scope = "repository", "workspace = \"PRJ\"\n  repository = \""+repository+"\""
				wantRepo = knownvalue.StringExact(repository)
			}
			config := func(permission string) string {
				return connectionConfig(srv, `name = "ci"`, scope,
					`managed_token = {`, `  level = "`+level+`"`, `  permissions = ["`+permission+`"]`, `}`,
					`webhook = {`, `  url = "https://ci.example.com/hook"`, `  events = ["repo:refs_changed"]`, `}`)
			}
			read, write := "PROJECT_READ", "PROJECT_WRITE"
			if repository != "" {
				read, write = "REPO_READ", "REPO_WRITE"
			}
			want := map[string]knownvalue.Check{
				"workspace": knownvalue.StringExact("PRJ"), "repository": wantRepo, "name": knownvalue.StringExact("ci"),
			}
			identity := []statecheck.StateCheck{statecheck.ExpectIdentity(connectionName, want)}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraformIdentity)},
				CheckDestroy:             connectionGone(srv, "ci"),
				Steps: []resource.TestStep{
					{Config: config(read), ConfigStateChecks: identity},
					{Config: config(write), ConfigPlanChecks: expectUpdate(), ConfigStateChecks: identity},
					{
						ResourceName: connectionName, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity,
						Config: config(write),
						// As after an import by ID: a managed token's value cannot be read back, so
						// the plan makes a new token. The identity check still runs.
						ExpectNonEmptyPlan: true,
					},
				},
			})
		})
	}
}
