package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// planError runs one step that must fail at plan time with want, and
// checks that no request changed anything on the server.
func planError(t *testing.T, srv *emulator.Server, config string, want ...string) {
	t.Helper()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps:                    []resource.TestStep{{Config: config, ExpectError: errorText(want...)}},
	})
	for _, r := range srv.Requests() {
		if r.Method != "GET" {
			t.Errorf("a rejected configuration sent %s %s", r.Method, r.Path)
		}
	}
}

// Issue 11 item 3: behind a server that resolves dot segments (the
// emulator does, as Tomcat and nginx do), repository = ".." would make a
// project token or a project webhook. Every workspace, repository and user
// is checked at plan time by the one rule for its kind.
func TestAccDotSegmentsArePlanErrors(t *testing.T) {
	type tc struct {
		product   emulator.Product
		config    string
		attribute string
	}
	tokenOf := func(resourceType, lines string) string {
		return fmt.Sprintf("resource %q \"test\" {\n  name = \"dots\"\n  permissions = [\"REPO_READ\"]\n  %s\n}\n", resourceType, lines)
	}
	hook := func(product emulator.Product, workspace, repository string) string {
		return fmt.Sprintf(`resource "bitbucket_repository_webhook" "test" {
  workspace  = %q
  repository = %q
  name       = "dots"
  url        = "https://ci.example.com/hook"
  events     = %s
}
`, workspace, repository, pushEvents(product))
	}
	cases := map[string]tc{
		"repository token repository ..": {emulator.DataCenter,
			tokenOf("bitbucket_repository_access_token", "workspace = \"PRJ\"\n  repository = \"..\""), "repository"},
		"repository token repository %2e%2e": {emulator.DataCenter,
			tokenOf("bitbucket_repository_access_token", "workspace = \"PRJ\"\n  repository = \"%2e%2e\""), "repository"},
		"project token workspace .": {emulator.DataCenter,
			tokenOf("bitbucket_project_access_token", "workspace = \".\""), "workspace"},
		"user token user ..": {emulator.DataCenter,
			tokenOf("bitbucket_user_access_token", "user = \"..\""), "user"},
		"dc webhook repository ..":    {emulator.DataCenter, hook(emulator.DataCenter, "PRJ", ".."), "repository"},
		"cloud webhook repository ..": {emulator.Cloud, hook(emulator.Cloud, "acme", ".."), "repository"},
		"cloud webhook workspace ..":  {emulator.Cloud, hook(emulator.Cloud, "..", "api-service"), "workspace"},
		"data source repository ..": {emulator.DataCenter,
			"data \"bitbucket_repository\" \"test\" {\n  workspace = \"PRJ\"\n  repository = \"..\"\n}\n", "repository"},
		"data source workspace ..": {emulator.Cloud,
			"data \"bitbucket_workspace\" \"test\" {\n  workspace = \"..\"\n}\n", "workspace"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			srv := startEmulator(t, c.product)
			planError(t, srv, providerConfig(srv)+c.config, "Invalid "+c.attribute, c.attribute+" is")
			if n := len(tokensNamed(srv, "dots")); n != 0 {
				t.Errorf("%d tokens named dots were made", n)
			}
			for _, h := range srv.Webhooks() {
				if h.Name == "dots" {
					t.Errorf("webhook made at %s/%s", h.Workspace, h.Repository)
				}
			}
		})
	}
	t.Run("provider workspace", func(t *testing.T) {
		srv := startEmulator(t, emulator.DataCenter)
		planError(t, srv, providerConfig(srv, `workspace = ".."`)+repositoryRead("PRJ"), "Invalid workspace", "workspace is")
	})
}

// Import IDs pass the same rules, part by part, before any request; a
// Data Center id must be a number (issue 12 item 8).
func TestAccImportIDsAreChecked(t *testing.T) {
	type tc struct {
		product      emulator.Product
		resourceType string
		config       string
		id           string
		want         []string
	}
	hookConfig := func(product emulator.Product) string {
		return fmt.Sprintf(`resource "bitbucket_repository_webhook" "test" {
  workspace  = %q
  repository = "api-service"
  name       = "x"
  url        = "https://ci.example.com/hook"
  events     = %s
}
`, seededWorkspace(product), pushEvents(product))
	}
	tokenConfig := func(resourceType, lines string) string {
		return fmt.Sprintf("resource %q \"test\" {\n  name = \"x\"\n  permissions = [\"REPO_READ\"]\n  %s\n}\n", resourceType, lines)
	}
	cases := map[string]tc{
		"webhook dot repository": {emulator.DataCenter, "bitbucket_repository_webhook", hookConfig(emulator.DataCenter),
			"PRJ/../1", []string{"repository is \"..\""}},
		"webhook dc id not a number": {emulator.DataCenter, "bitbucket_repository_webhook", hookConfig(emulator.DataCenter),
			"PRJ/api-service/abc", []string{"id is \"abc\"; it must be a number"}},
		"webhook dc id negative": {emulator.DataCenter, "bitbucket_repository_webhook", hookConfig(emulator.DataCenter),
			"PRJ/api-service/-1", []string{"it must be a number"}},
		"webhook cloud id not a uuid": {emulator.Cloud, "bitbucket_repository_webhook", hookConfig(emulator.Cloud),
			"acme/api-service/12", []string{"it must be the webhook's UUID"}},
		"project token shape names only its parts": {emulator.DataCenter, "bitbucket_project_access_token",
			tokenConfig("bitbucket_project_access_token", `workspace = "PRJ"`), "PRJ/api/1",
			[]string{"Expected <workspace>/<id> (workspace = the Data Center project key; id = the token's number)"}},
		"user token shape names only its parts": {emulator.DataCenter, "bitbucket_user_access_token",
			tokenConfig("bitbucket_user_access_token", `user = "admin"`), "x",
			[]string{"Expected <user>/<id> (user = the user's slug; id = the token's number)"}},
		"user token dot user": {emulator.DataCenter, "bitbucket_user_access_token",
			tokenConfig("bitbucket_user_access_token", `user = "admin"`), "../1", []string{"user is \"..\""}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			srv := startEmulator(t, c.product)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				Steps: []resource.TestStep{{
					Config: providerConfig(srv) + c.config, ResourceName: c.resourceType + ".test",
					ImportState: true, ImportStateId: c.id, ExpectError: errorText(c.want...),
				}},
			})
			for _, r := range srv.Requests() {
				if strings.Contains(r.Route, "hooks") || strings.Contains(r.Route, "access-tokens") {
					t.Errorf("import of a bad ID sent %s %s", r.Method, r.Path)
				}
			}
		})
	}
}
