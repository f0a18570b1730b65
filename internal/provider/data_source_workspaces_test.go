package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// workspaceListRoute is the route the workspace list is counted under.
func workspaceListRoute(product emulator.Product) string {
	if product == emulator.Cloud {
		return "/2.0/user/workspaces"
	}
	return "/rest/api/1.0/projects"
}

// TestAccWorkspacesDataSource: every workspace the credentials can see,
// sorted, each with the attributes bitbucket_workspace reads.
func TestAccWorkspacesDataSource(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		const list = "data.bitbucket_workspaces.all"
		// Seeded: Cloud acme, globex (alice belongs to both); Data Center OPS, PRJ.
		slugs := map[emulator.Product][]string{emulator.Cloud: {"acme", "globex"}, emulator.DataCenter: {"OPS", "PRJ"}}[product]
		seededIndex := map[emulator.Product]int{emulator.Cloud: 0, emulator.DataCenter: 1}[product]
		checks := []statecheck.StateCheck{
			statecheck.ExpectKnownValue(list, tfjsonpath.New("workspaces"), knownvalue.ListSizeExact(2)),
			statecheck.ExpectKnownOutputValue("slugs", knownvalue.ListExact([]knownvalue.Check{
				knownvalue.StringExact(slugs[0]), knownvalue.StringExact(slugs[1]),
			})),
		}
		checks = append(checks, seededWorkspaceChecks(srv, list, func(attr string) tfjsonpath.Path {
			return tfjsonpath.New("workspaces").AtSliceIndex(seededIndex).AtMapKey(attr)
		})...)
		config := providerConfig(srv) + `
data "bitbucket_workspaces" "all" {}
output "slugs" {
  value = [for w in data.bitbucket_workspaces.all.workspaces : w.workspace]
}
`
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				{Config: config, ConfigStateChecks: checks},
				{
					Config:           config,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				},
			},
		})
	})
}

// TestAccWorkspacesDataSourceFilters: name_regex and min_permission, alone
// and combined, pushed to the server where the product can.
func TestAccWorkspacesDataSourceFilters(t *testing.T) {
	type filterCase struct {
		args string
		want []string
	}
	cases := map[emulator.Product]map[string]filterCase{
		// alice owns acme and is a member of globex.
		emulator.Cloud: {
			"regex":         {`name_regex = "^Acme"`, []string{"acme"}},
			"regex_nothing": {`name_regex = "^zzz$"`, []string{}},
			"admin":         {`min_permission = "admin"`, []string{"acme"}},
			"read":          {`min_permission = "read"`, []string{"acme", "globex"}},
			"admin_regex":   {"min_permission = \"admin\"\n  name_regex = \"Globex\"", []string{}},
		},
		// carol: PROJECT_ADMIN on PRJ, PROJECT_READ on OPS, nothing on EXTRA.
		emulator.DataCenter: {
			"regex":         {`name_regex = "(?i)^project"`, []string{"PRJ"}},
			"regex_nothing": {`name_regex = "^zzz$"`, []string{}},
			"admin":         {`min_permission = "admin"`, []string{"PRJ"}},
			"write":         {`min_permission = "write"`, []string{"PRJ"}},
			"read":          {`min_permission = "read"`, []string{"OPS", "PRJ"}},
			"all":           {``, []string{"OPS", "PRJ"}},
			"read_regex":    {"min_permission = \"read\"\n  name_regex = \"Oper\"", []string{"OPS"}},
		},
	}
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		provider := providerConfig(srv)
		if product == emulator.DataCenter {
			if err := srv.AddWorkspace(emulator.WorkspaceSpec{Slug: "EXTRA", Name: "Extra", Private: true}); err != nil {
				t.Fatal(err)
			}
			if err := srv.AddDCUser("carol", "carol-password", map[string]string{"PRJ": "PROJECT_ADMIN", "OPS": "PROJECT_READ"}); err != nil {
				t.Fatal(err)
			}
			provider = providerBlock(srv.BaseURL(), `username = "carol"`, `token = "carol-password"`)
		}
		var config strings.Builder
		var checks []statecheck.StateCheck
		for name, c := range cases[product] {
			fmt.Fprintf(&config, "data \"bitbucket_workspaces\" %q {\n  %s\n}\n", name, c.args)
			fmt.Fprintf(&config, "output %q {\n  value = [for w in data.bitbucket_workspaces.%s.workspaces : w.workspace]\n}\n", name, name)
			want := make([]knownvalue.Check, 0, len(c.want))
			for _, s := range c.want {
				want = append(want, knownvalue.StringExact(s))
			}
			checks = append(checks, statecheck.ExpectKnownOutputValue(name, knownvalue.ListExact(want)))
		}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps:                    []resource.TestStep{{Config: provider + config.String(), ConfigStateChecks: checks}},
		})
	})
}

// TestAccWorkspacesDataSourceInvalidFilters: a bad regular expression is a
// plan-time error naming the attribute; Cloud cannot filter by write
// permission and says so before sending anything.
func TestAccWorkspacesDataSourceInvalidFilters(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:      providerConfig(srv) + `data "bitbucket_workspaces" "x" { name_regex = "(" }`,
				ExpectError: errorText("Invalid regular expression", "name_regex is not a valid regular expression"),
			},
			{
				Config:      providerConfig(srv) + "data \"bitbucket_repositories\" \"x\" {\n  workspace  = \"acme\"\n  name_regex = \"[\"\n}",
				ExpectError: errorText("Invalid regular expression"),
			},
			{
				Config:      providerConfig(srv) + `data "bitbucket_workspaces" "x" { min_permission = "owner" }`,
				ExpectError: errorText(`value must be one of: ["read" "write" "admin"]`),
			},
			{
				Config: providerConfig(srv) + `data "bitbucket_workspaces" "x" { min_permission = "write" }`,
				ExpectError: errorText("Filter not supported by Bitbucket Cloud", `min_permission = "write" cannot be applied.`,
					"Bitbucket Cloud filters workspaces only by administrator", `there is no "write" filter.`,
					`Set min_permission to one of "read", "admin", or leave it unset.`),
			},
		},
	})
	if n := srv.RequestCount("GET", workspaceListRoute(emulator.Cloud)); n != 0 {
		t.Errorf("workspace list requests for invalid filters = %d, want 0", n)
	}
}

// TestAccWorkspacesDataSourceForbidden: an API token without the scope to
// list workspaces gets a diagnostic that says what is missing.
func TestAccWorkspacesDataSourceForbidden(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	if err := srv.AddCloudUser("carol@example.com", "carol-token", map[string]string{"acme": "member"},
		[]string{"read:user:bitbucket", "read:repository:bitbucket"}); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      providerBlock(srv.BaseURL(), `product = "cloud"`, `username = "carol@example.com"`, `token = "carol-token"`) + `data "bitbucket_workspaces" "x" {}`,
			ExpectError: errorText("Failed to list workspaces", "read:workspace:bitbucket", "The credentials are valid but lack the permission for this"),
		}},
	})
}

// TestWorkspacesDataSourcePages: more workspaces than one page holds are
// all read, at the largest page size. On Cloud each workspace costs one more
// GET for its name (the list carries only slugs); Data Center's list is
// complete.
func TestWorkspacesDataSourcePages(t *testing.T) {
	counts := map[emulator.Product]int{emulator.Cloud: 150, emulator.DataCenter: 1001}
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		n := counts[product]
		srv := emulator.NewTestServer(t, emulator.Options{Product: product, NoSeed: true})
		roles := map[string]string{}
		for i := 1; i <= n; i++ {
			slug := fmt.Sprintf("W%04d", i)
			if err := srv.AddWorkspace(emulator.WorkspaceSpec{Slug: slug, Name: "Workspace " + slug, Private: true}); err != nil {
				t.Fatal(err)
			}
			roles[slug] = "member"
		}
		b := bulkSetup{srv: srv, username: "reader", token: "reader-password"}
		if product == emulator.Cloud {
			b.username = "reader@example.com"
			if err := srv.AddCloudUser(b.username, b.token, roles, []string{"read:user:bitbucket", "read:workspace:bitbucket"}); err != nil {
				t.Fatal(err)
			}
		} else {
			perms := map[string]string{}
			for slug := range roles {
				perms[slug] = "PROJECT_READ"
			}
			if err := srv.AddDCUser(b.username, b.token, perms); err != nil {
				t.Fatal(err)
			}
		}
		client := b.client(t)
		srv.ResetCounts()

		state, diags := readDirect(context.Background(), NewWorkspacesDataSource(), client, nil)
		if diags.HasError() {
			t.Fatalf("read: %v", diags)
		}
		var got workspacesModel
		if diags := state.Get(context.Background(), &got); diags.HasError() {
			t.Fatalf("state: %v", diags)
		}
		if len(got.Workspaces) != n {
			t.Fatalf("workspaces = %d, want %d", len(got.Workspaces), n)
		}
		for i, w := range got.Workspaces {
			slug := fmt.Sprintf("W%04d", i+1)
			if w.Workspace.ValueString() != slug || w.Name.ValueString() != "Workspace "+slug {
				t.Fatalf("workspaces[%d] = %q (%q), want %q in slug order with its name", i, w.Workspace.ValueString(), w.Name.ValueString(), slug)
			}
		}
		if got, want := srv.RequestCount("GET", workspaceListRoute(product)), listRequests(n, maxPage(product)); got != want {
			t.Errorf("list requests for %d workspaces = %d, want %d", n, got, want)
		}
		wantReads := map[emulator.Product]int{emulator.Cloud: n}[product]
		if got := srv.RequestCount("GET", "/2.0/workspaces/{workspace}"); got != wantReads {
			t.Errorf("single workspace reads = %d, want %d", got, wantReads)
		}
	})
}
