package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// Largest page sizes: what the client must ask for (Cloud pagelen, Data
// Center limit).
const (
	cloudMaxPage = 100
	dcMaxPage    = 1000
)

// repositoryListRoute is the route a workspace's repository list is counted
// under on each product.
func repositoryListRoute(product emulator.Product) string {
	if product == emulator.Cloud {
		return "/2.0/repositories/{workspace}"
	}
	return "/rest/api/1.0/projects/{projectKey}/repos"
}

func maxPage(product emulator.Product) int {
	if product == emulator.Cloud {
		return cloudMaxPage
	}
	return dcMaxPage
}

// listRequests is how many list requests N items cost: ceil(N / page size),
// and one request to learn that there are none.
func listRequests(n, page int) int {
	return max(1, (n+page-1)/page)
}

// bulkSetup is an emulator with one extra workspace ("bulk" on Cloud, "BULK"
// on Data Center) holding n repositories repo-00001 ..., and credentials
// that can read it.
type bulkSetup struct {
	srv             *emulator.Server
	workspace       string
	username, token string
}

func newBulkSetup(tb testing.TB, product emulator.Product, n int) bulkSetup {
	tb.Helper()
	srv := emulator.NewTestServer(tb, emulator.Options{Product: product})
	b := bulkSetup{srv: srv, workspace: "BULK", username: emulator.DCAdminUser, token: emulator.DCAdminPassword}
	if product == emulator.Cloud {
		b.workspace, b.username, b.token = "bulk", "bulk-reader@example.com", "bulk-reader-token"
	}
	if err := srv.AddWorkspace(emulator.WorkspaceSpec{Slug: b.workspace, Name: "Bulk", Private: true}); err != nil {
		tb.Fatal(err)
	}
	if product == emulator.Cloud {
		err := srv.AddCloudUser(b.username, b.token, map[string]string{b.workspace: "member"},
			[]string{"read:user:bitbucket", "read:workspace:bitbucket", "read:repository:bitbucket"})
		if err != nil {
			tb.Fatal(err)
		}
	}
	if n > 0 {
		if err := srv.AddRepositories(b.workspace, "repo", n); err != nil {
			tb.Fatal(err)
		}
	}
	return b
}

func (b bulkSetup) providerConfig() string {
	lines := []string{fmt.Sprintf("username = %q", b.username), fmt.Sprintf("token = %q", b.token)}
	if b.srv.Product() == emulator.Cloud {
		lines = append(lines, `product = "cloud"`)
	}
	return providerBlock(b.srv.BaseURL(), lines...)
}

func (b bulkSetup) client(tb testing.TB) bitbucket.Client {
	tb.Helper()
	client, err := bitbucket.New(context.Background(), bitbucket.Config{
		BaseURL: b.srv.BaseURL(), Product: bitbucket.Product(b.srv.Product()),
		Username: b.username, Token: b.token, Version: "test",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return client
}

// readDirect runs a data source's Read the way the framework does, without
// terraform: config holds the string attributes that are set. It returns
// the state and the diagnostics.
func readDirect(ctx context.Context, ds datasource.DataSource, client bitbucket.Client, config map[string]string) (tfsdk.State, diag.Diagnostics) {
	var diags diag.Diagnostics
	if c, ok := ds.(datasource.DataSourceWithConfigure); ok {
		var resp datasource.ConfigureResponse
		c.Configure(ctx, datasource.ConfigureRequest{ProviderData: &providerData{client: client}}, &resp)
		diags.Append(resp.Diagnostics...)
	}
	var schemaResp datasource.SchemaResponse
	ds.Schema(ctx, datasource.SchemaRequest{}, &schemaResp)
	diags.Append(schemaResp.Diagnostics...)
	objectType, ok := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok || diags.HasError() {
		diags.AddError("test setup", "the schema is not an object")
		return tfsdk.State{}, diags
	}
	values := map[string]tftypes.Value{}
	for name, typ := range objectType.AttributeTypes {
		if v, set := config[name]; set {
			values[name] = tftypes.NewValue(typ, v)
		} else {
			values[name] = tftypes.NewValue(typ, nil)
		}
	}
	req := datasource.ReadRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: tftypes.NewValue(objectType, values)}}
	resp := datasource.ReadResponse{State: tfsdk.State{Schema: schemaResp.Schema, Raw: tftypes.NewValue(objectType, nil)}}
	ds.Read(ctx, req, &resp)
	diags.Append(resp.Diagnostics...)
	return resp.State, diags
}

// TestRepositoriesDataSourceRequestCount: N repositories cost exactly
// ceil(N / largest page size) list requests (one for none) and no other
// request: no per-repository read (such as Data Center's default branch).
func TestRepositoriesDataSourceRequestCount(t *testing.T) {
	sizes := map[emulator.Product][]int{
		emulator.Cloud:      {0, 1, 99, 100, 101, 250},
		emulator.DataCenter: {0, 1, 999, 1000, 1001, 2500},
	}
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		for _, n := range sizes[product] {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				b := newBulkSetup(t, product, n)
				client := b.client(t)
				b.srv.ResetCounts()

				state, diags := readDirect(context.Background(), NewRepositoriesDataSource(), client, map[string]string{"workspace": b.workspace})
				if diags.HasError() {
					t.Fatalf("read: %v", diags)
				}
				repos := repositoriesInState(t, state)
				if len(repos) != n {
					t.Fatalf("repositories = %d, want %d", len(repos), n)
				}
				for i, r := range repos {
					if want := fmt.Sprintf("repo-%05d", i+1); r.Repository.ValueString() != want {
						t.Fatalf("repositories[%d] = %q, want %q (sorted by slug)", i, r.Repository.ValueString(), want)
					}
				}
				want := listRequests(n, maxPage(product))
				if got := b.srv.RequestCount("GET", repositoryListRoute(product)); got != want {
					t.Errorf("list requests for %d repositories = %d, want %d", n, got, want)
				}
				total := 0
				for _, c := range b.srv.RequestCounts() {
					total += c
				}
				if total != want {
					t.Errorf("all requests = %d (%v), want only the %d list requests", total, b.srv.RequestCounts(), want)
				}
				for _, r := range b.srv.Requests() {
					if page := pageSizeParam(product, r.RawQuery); page != fmt.Sprint(maxPage(product)) {
						t.Errorf("request %s?%s asks for page size %q, want %d", r.Path, r.RawQuery, page, maxPage(product))
					}
				}
			})
		}
	})
}

// repositoriesInState reads the repositories list out of a data source state.
func repositoriesInState(t *testing.T, state tfsdk.State) []repositoryModel {
	t.Helper()
	ctx := context.Background()
	var got repositoriesModel
	if diags := state.Get(ctx, &got); diags.HasError() {
		t.Fatalf("state: %v", diags)
	}
	if got.Repositories.IsNull() {
		t.Fatal("repositories is null, want a list")
	}
	var repos []repositoryModel
	if diags := got.Repositories.ElementsAs(ctx, &repos, false); diags.HasError() {
		t.Fatalf("repositories: %v", diags)
	}
	return repos
}

func pageSizeParam(product emulator.Product, rawQuery string) string {
	name := "limit="
	if product == emulator.Cloud {
		name = "pagelen="
	}
	for _, kv := range strings.Split(rawQuery, "&") {
		if v, ok := strings.CutPrefix(kv, name); ok {
			return v
		}
	}
	return ""
}

// TestAccRepositoriesDataSource: the seeded workspace's repositories, each
// with the same attributes bitbucket_repository reads (Data Center's
// default_branch excepted: null in the list).
func TestAccRepositoriesDataSource(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		workspace := seededWorkspace(product)
		const list = "data.bitbucket_repositories.all"
		checks := []statecheck.StateCheck{
			statecheck.ExpectKnownValue(list, tfjsonpath.New("workspace"), knownvalue.StringExact(workspace)),
			statecheck.ExpectKnownValue(list, tfjsonpath.New("repositories"), knownvalue.ListSizeExact(2)),
			statecheck.ExpectKnownValue(list, tfjsonpath.New("repositories").AtSliceIndex(0).AtMapKey("repository"), knownvalue.StringExact("api-service")),
			statecheck.ExpectKnownValue(list, tfjsonpath.New("repositories").AtSliceIndex(1).AtMapKey("repository"), knownvalue.StringExact("web-app")),
			statecheck.ExpectKnownValue(list, tfjsonpath.New("repositories").AtSliceIndex(1).AtMapKey("private"), knownvalue.Bool(false)),
		}
		same := []string{"workspace", "repository", "id", "name", "description", "project_key", "project_name", "private", "clone_https", "clone_ssh", "web_url"}
		if product == emulator.Cloud {
			same = append(same, "default_branch")
		} else {
			checks = append(checks, statecheck.ExpectKnownValue(list,
				tfjsonpath.New("repositories").AtSliceIndex(0).AtMapKey("default_branch"), knownvalue.Null()))
		}
		for _, attr := range same {
			checks = append(checks, statecheck.CompareValuePairs(
				list, tfjsonpath.New("repositories").AtSliceIndex(0).AtMapKey(attr),
				"data.bitbucket_repository.one", tfjsonpath.New(attr), compare.ValuesSame()))
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				{
					Config: providerConfig(srv) + fmt.Sprintf(`
data "bitbucket_repositories" "all" {
  workspace = %[1]q
}
data "bitbucket_repository" "one" {
  workspace  = %[1]q
  repository = "api-service"
}
`, workspace),
					ConfigStateChecks: checks,
				},
				{
					// The workspace can come from the provider block.
					Config: providerConfig(srv, fmt.Sprintf("workspace = %q", workspace)) + `
data "bitbucket_repositories" "all" {}
`,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(list, tfjsonpath.New("workspace"), knownvalue.StringExact(workspace)),
						statecheck.ExpectKnownValue(list, tfjsonpath.New("repositories"), knownvalue.ListSizeExact(2)),
					},
				},
			},
		})
	})
}

// TestAccRepositoriesDataSourceFilters: every filter, alone and combined,
// including filters that match nothing (an empty list, not an error).
func TestAccRepositoriesDataSourceFilters(t *testing.T) {
	type filterCase struct {
		args string
		want []string
	}
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		workspace := seededWorkspace(product)
		// A third repository whose name contains "api" but not at the start.
		if err := srv.AddRepository(emulator.RepositorySpec{Workspace: workspace, Slug: "legacy-api", Name: "Legacy-API", ProjectKey: map[emulator.Product]string{emulator.Cloud: "WEB"}[product], Private: true}); err != nil {
			t.Fatal(err)
		}
		cases := map[string]filterCase{
			"contains":          {`name_contains = "API"`, []string{"api-service", "legacy-api"}},
			"contains_padded":   {`name_contains = " api "`, []string{"api-service", "legacy-api"}},
			"regex":             {`name_regex = "^[a-z]"`, []string{"api-service", "web-app"}},
			"contains_regex":    {"name_contains = \"api\"\n  name_regex = \"^Legacy\"", []string{"legacy-api"}},
			"contains_nothing":  {`name_contains = "no-such-name"`, []string{}},
			"regex_nothing":     {`name_regex = "^zzz"`, []string{}},
			"project_workspace": {fmt.Sprintf("project_key = %q", map[emulator.Product]string{emulator.Cloud: "API", emulator.DataCenter: "PRJ"}[product]), map[emulator.Product][]string{emulator.Cloud: {"api-service"}, emulator.DataCenter: {"api-service", "legacy-api", "web-app"}}[product]},
			"project_other":     {`project_key = "OPS"`, []string{}},
		}
		if product == emulator.Cloud {
			cases["project_contains"] = filterCase{"project_key = \"WEB\"\n  name_contains = \"api\"", []string{"legacy-api"}}
		}
		var config strings.Builder
		var checks []statecheck.StateCheck
		for name, c := range cases {
			fmt.Fprintf(&config, "data \"bitbucket_repositories\" %q {\n  workspace = %q\n  %s\n}\n", name, workspace, c.args)
			slugs := make([]knownvalue.Check, 0, len(c.want))
			for _, s := range c.want {
				slugs = append(slugs, knownvalue.StringExact(s))
			}
			fmt.Fprintf(&config, "output %q {\n  value = [for r in data.bitbucket_repositories.%s.repositories : r.repository]\n}\n", name, name)
			checks = append(checks, statecheck.ExpectKnownOutputValue(name, knownvalue.ListExact(slugs)))
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{{
				Config:            providerConfig(srv) + config.String(),
				ConfigStateChecks: checks,
			}},
		})
	})
}

// TestAccRepositoriesDataSourcePages: 0, 1 and 2,500 repositories (several
// pages on both products), in slug order, and a second plan that shows no
// change (the order is stable).
func TestAccRepositoriesDataSourcePages(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		for _, n := range []int{0, 1, 2500} {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				b := newBulkSetup(t, product, n)
				config := b.providerConfig() + fmt.Sprintf(`
data "bitbucket_repositories" "bulk" {
  workspace = %q
}
output "slugs" {
  value = [for r in data.bitbucket_repositories.bulk.repositories : r.repository]
}
`, b.workspace)
				checks := []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.bitbucket_repositories.bulk", tfjsonpath.New("repositories"), knownvalue.ListSizeExact(n)),
				}
				if n > 0 {
					checks = append(checks,
						statecheck.ExpectKnownValue("data.bitbucket_repositories.bulk", tfjsonpath.New("repositories").AtSliceIndex(0).AtMapKey("repository"), knownvalue.StringExact("repo-00001")),
						statecheck.ExpectKnownValue("data.bitbucket_repositories.bulk", tfjsonpath.New("repositories").AtSliceIndex(n-1).AtMapKey("repository"), knownvalue.StringExact(fmt.Sprintf("repo-%05d", n))),
					)
				}
				resource.ParallelTest(t, resource.TestCase{
					ProtoV6ProviderFactories: testProviderFactories(),
					Steps: []resource.TestStep{{
						Config:            config,
						ConfigStateChecks: checks,
						// The plan after the apply reads the list a second time: the
						// same slugs in the same order, so nothing to change.
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PostApplyPreRefresh:  []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
							PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
						},
					}},
				})
			})
		}
	})
}

func TestAccRepositoriesDataSourceUnknownWorkspace(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				{
					Config:      providerConfig(srv) + `data "bitbucket_repositories" "x" { workspace = "NOPE" }`,
					ExpectError: regexp.MustCompile(`(?s)Workspace not found.*No (workspace|project) "NOPE" was found`),
				},
				{
					// Data Center's name search answers an unknown project with an empty list; still an error.
					Config: providerConfig(srv) + `
data "bitbucket_repositories" "x" {
  workspace     = "NOPE"
  name_contains = "api"
}`,
					ExpectError: regexp.MustCompile(`(?s)Workspace not found.*No (workspace|project) "NOPE" was found`),
				},
			},
		})
	})
}

// TestAccRepositoriesDataSourceForbidden: credentials that authenticate but
// may not list the repositories get a diagnostic that says so.
func TestAccRepositoriesDataSourceForbidden(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		var auth []string
		if product == emulator.Cloud {
			// An API token that may read the user and workspaces, not repositories.
			if err := srv.AddCloudUser("carol@example.com", "carol-token", map[string]string{"acme": "member"},
				[]string{"read:user:bitbucket", "read:workspace:bitbucket"}); err != nil {
				t.Fatal(err)
			}
			auth = []string{`product = "cloud"`, `username = "carol@example.com"`, `token = "carol-token"`}
		} else {
			// A user with no permission on any project.
			if err := srv.AddDCUser("carol", "carol-password", nil); err != nil {
				t.Fatal(err)
			}
			auth = []string{`username = "carol"`, `token = "carol-password"`}
		}
		// OPS: Data Center lists a project with a public repository (PRJ) to everyone.
		workspace := map[emulator.Product]string{emulator.Cloud: "acme", emulator.DataCenter: "OPS"}[product]
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{{
				Config: providerBlock(srv.BaseURL(), auth...) + fmt.Sprintf(`data "bitbucket_repositories" "x" { workspace = %q }`, workspace),
				ExpectError: errorText("Failed to list the repositories of", workspace,
					"lack the permission for this"),
			}},
		})
	})
}

// TestAccRepositoriesDataSourceUnauthorized: wrong credentials stop at the
// provider's credential check, before any list request, with a diagnostic
// about the credentials; on Cloud, a 401 on the list itself (credentials
// revoked after that check) says the same.
func TestAccRepositoriesDataSourceUnauthorized(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		workspace := seededWorkspace(product)
		wrong := []string{`username = "admin"`, `token = "wrong-password"`}
		if product == emulator.Cloud {
			wrong = []string{`product = "cloud"`, fmt.Sprintf("username = %q", emulator.CloudOwnerEmail), `token = "wrong-token"`}
		}
		data := fmt.Sprintf(`data "bitbucket_repositories" "x" { workspace = %q }`, workspace)
		steps := []resource.TestStep{{
			Config:      providerBlock(srv.BaseURL(), wrong...) + data,
			ExpectError: errorText("Bitbucket rejected the credentials"),
		}}
		if product == emulator.Cloud {
			// Data Center answers 401 for a missing permission too (covered by the Forbidden test).
			steps = append(steps, resource.TestStep{
				PreConfig: func() {
					if n := srv.RequestCount("GET", repositoryListRoute(product)); n != 0 {
						t.Errorf("list requests sent with wrong credentials = %d, want 0", n)
					}
					srv.InjectFault(emulator.Fault{Method: "GET", Route: repositoryListRoute(product), Kind: emulator.FaultStatus, Status: 401})
				},
				Config:      providerConfig(srv) + data,
				ExpectError: errorText("Failed to list the repositories of workspace acme", "Bitbucket rejected the credentials"),
			})
		}
		resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories(), Steps: steps})
		if n := srv.RequestCount("GET", repositoryListRoute(product)); product == emulator.DataCenter && n != 0 {
			t.Errorf("list requests sent with wrong credentials = %d, want 0", n)
		}
	})
}

// TestAccDataSourceExamples: the documented examples of these data sources
// run as written against the Cloud emulator (they name workspace "acme").
func TestAccDataSourceExamples(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	var examples strings.Builder
	for _, name := range []string{"bitbucket_workspace", "bitbucket_workspaces", "bitbucket_repositories"} {
		body, err := os.ReadFile(filepath.Join("..", "..", "examples", "data-sources", name, "data-source.tf"))
		if err != nil {
			t.Fatal(err)
		}
		examples.Write(body)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config: providerConfig(srv) + examples.String(),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValueAtPath("workspace", tfjsonpath.New("name"), knownvalue.StringExact("Acme Corp")),
				statecheck.ExpectKnownOutputValue("team_workspaces", knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownOutputValue("service_clone_urls", knownvalue.MapExact(map[string]knownvalue.Check{
					"api-service": knownvalue.StringRegexp(regexp.MustCompile(`/acme/api-service\.git$`)),
				})),
			},
		}},
	})
}
