package provider

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
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

// Behind a server that resolves dot segments (the
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
// Data Center id must be a number.
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

// Who may create a token is known at plan time.
func TestAccTokenCreatorCheckedAtPlan(t *testing.T) {
	t.Run("bearer provider", func(t *testing.T) {
		srv := startEmulator(t, emulator.DataCenter)
		config := providerBlock(srv.BaseURL(), `access_token = "`+emulator.DCAdminToken+`"`) + `
resource "bitbucket_project_access_token" "test" {
  workspace   = "PRJ"
  name        = "bearer-made"
  permissions = ["PROJECT_READ"]
}
`
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{{Config: config, PlanOnly: true,
				ExpectError: errorText("Access tokens can only be created with a password", "username + token")}},
		})
		if n := srv.RequestCount("PUT", projectTokensRoute); n != 0 {
			t.Errorf("%d token creations sent", n)
		}
	})
	t.Run("another user's personal token", func(t *testing.T) {
		srv := startEmulator(t, emulator.DataCenter)
		config := providerConfig(srv) + fmt.Sprintf(`
resource "bitbucket_user_access_token" "test" {
  user        = %q
  name        = "for-someone-else"
  permissions = ["REPO_READ"]
}
`, emulator.DCDevUser)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{{Config: config, PlanOnly: true,
				ExpectError: errorText("Personal tokens are created by their owner", `user is "dev"`, `signs in as "admin"`)}},
		})
		if n := len(tokensNamed(srv, "for-someone-else")); n != 0 {
			t.Errorf("%d tokens made", n)
		}
	})
}

// URLs are checked at plan time by the client's rules.
func TestAccURLsCheckedAtPlan(t *testing.T) {
	hook := func(url string) string {
		return fmt.Sprintf(`
resource "bitbucket_repository_webhook" "test" {
  workspace  = "PRJ"
  repository = "api-service"
  name       = "x"
  url        = %q
  events     = %s
}
`, url, pushEvents(emulator.DataCenter))
	}
	cases := map[string]struct {
		config func(srv *emulator.Server) string
		want   []string
	}{
		"webhook url with a space": {func(srv *emulator.Server) string { return providerConfig(srv) + hook("https://ci.example.com/a b") },
			[]string{"Invalid URL", "url holds white space"}},
		"webhook url port 99999": {func(srv *emulator.Server) string { return providerConfig(srv) + hook("https://ci.example.com:99999/x") },
			[]string{"Invalid URL", "url has port 99999"}},
		"base_url with a query": {func(*emulator.Server) string {
			return providerBlock("https://bitbucket.example.com/?x=1", `access_token = "t"`) + repositoryRead("PRJ")
		}, []string{"Invalid base_url", "must not have a query"}},
		"base_url with a fragment": {func(*emulator.Server) string {
			return providerBlock("https://bitbucket.example.com/#top", `access_token = "t"`) + repositoryRead("PRJ")
		}, []string{"Invalid base_url", "must not have a fragment"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			srv := startEmulator(t, emulator.DataCenter)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				Steps:                    []resource.TestStep{{Config: c.config(srv), PlanOnly: true, ExpectError: errorText(c.want...)}},
			})
			if n := len(srv.Webhooks()); n != 0 {
				t.Errorf("%d webhooks made", n)
			}
		})
	}
}

// URL rules as a user sees them (plan output and a trace
// log): a base_url with credentials is rejected at validation and its
// password appears nowhere; a webhook url with credentials warns.
func TestAccURLCredentialsSeenByTheUser(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	header := "terraform {\n  required_providers {\n    bitbucket = { source = \"bitbucket-iac/bitbucket\" }\n  }\n}\n"
	t.Run("base_url", func(t *testing.T) {
		h := newCLIHarness(t, nil)
		h.writeConfig(header + providerBlock("https://admin:s3cret-in-url@bitbucket.example.com", `access_token = "t"`) + repositoryRead("PRJ"))
		logFile := h.dir + "/trace.log"
		out, err := h.terraform([]string{"TF_LOG=trace", "TF_LOG_PATH=" + logFile}, "plan", "-input=false")
		if err == nil || !errorText("Invalid base_url", "holds credentials").MatchString(out) {
			t.Fatalf("plan: %v\n%s", err, out)
		}
		// Terraform quotes the configuration line in its diagnostic; no
		// other line of output or log may hold the password.
		log, _ := os.ReadFile(logFile)
		for _, line := range strings.Split(string(log)+"\n"+out, "\n") {
			if strings.Contains(line, "s3cret-in-url") && !strings.Contains(line, `base_url = "https://admin:s3cret-in-url@`) {
				t.Errorf("the password in base_url appears in: %.300s", line)
			}
		}
	})
	t.Run("webhook url", func(t *testing.T) {
		h := newCLIHarness(t, nil)
		h.writeConfig(header + providerConfig(srv) + fmt.Sprintf(`
resource "bitbucket_repository_webhook" "test" {
  workspace  = "PRJ"
  repository = "api-service"
  name       = "x"
  url        = "https://ci:pw@ci.example.com/hook"
  events     = %s
}
`, pushEvents(emulator.DataCenter)))
		out, err := h.terraform(nil, "validate")
		if err != nil || !errorText("Warning: URL holds credentials", "shows it in clear").MatchString(out) {
			t.Fatalf("validate: %v\n%s", err, out)
		}
	})
}

// White space and "" are plan-time errors naming
// the attribute, the same on both products and in resources and data
// sources alike.
func TestAccBlankValuesArePlanErrors(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		ws := seededWorkspace(product)
		hook := func(workspace, repository, name string) string {
			return fmt.Sprintf(`
resource "bitbucket_repository_webhook" "test" {
  workspace  = %q
  repository = %q
  name       = %q
  url        = "https://ci.example.com/hook"
  events     = %s
}
`, workspace, repository, name, pushEvents(product))
		}
		cases := map[string]struct {
			config string
			want   []string
		}{
			"webhook name":                  {hook(ws, "api-service", "   "), []string{"Blank name", "name is only white space"}},
			"webhook workspace":             {hook(" ", "api-service", "x"), []string{"Invalid workspace", "workspace must not be empty"}},
			"webhook repository":            {hook(ws, "\t", "x"), []string{"Invalid repository", "repository must not be empty"}},
			"data source workspace empty":   {"data \"bitbucket_repositories\" \"test\" {\n  workspace = \"\"\n}\n", []string{"Invalid workspace", "workspace must not be empty"}},
			"data source workspace blank":   {"data \"bitbucket_workspace\" \"test\" {\n  workspace = \"  \"\n}\n", []string{"Invalid workspace"}},
			"data source project_key empty": {"data \"bitbucket_repositories\" \"test\" {\n  workspace = \"" + ws + "\"\n  project_key = \"\"\n}\n", []string{"project_key", "length must be at least 1"}},
			"data source repository blank":  {"data \"bitbucket_repository\" \"test\" {\n  workspace = \"" + ws + "\"\n  repository = \" \"\n}\n", []string{"Invalid repository"}},
		}
		if product == emulator.DataCenter {
			cases["token user"] = struct {
				config string
				want   []string
			}{"resource \"bitbucket_user_access_token\" \"test\" {\n  user = \" \"\n  name = \"x\"\n  permissions = [\"REPO_READ\"]\n}\n", []string{"Invalid user", "user must not be empty"}}
			cases["token name"] = struct {
				config string
				want   []string
			}{"resource \"bitbucket_project_access_token\" \"test\" {\n  workspace = \"PRJ\"\n  name = \" \"\n  permissions = [\"PROJECT_READ\"]\n}\n", []string{"Blank name"}}
		}
		for name, c := range cases {
			t.Run(name, func(t *testing.T) {
				srv := startEmulator(t, product)
				planError(t, srv, providerConfig(srv, `workspace = "`+ws+`"`)+c.config, c.want...)
			})
		}
	})
}

// Lengths count characters. 200 × "é" is 400 bytes but
// 200 characters, within the 255 a name may have.
func TestAccNameLengthCountsCharacters(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	hookNamed := func(name string) string {
		return providerConfig(srv) + fmt.Sprintf(`
resource "bitbucket_repository_webhook" "test" {
  workspace  = "PRJ"
  repository = "api-service"
  name       = %q
  url        = "https://ci.example.com/hook"
  events     = %s
}
`, name, pushEvents(emulator.DataCenter))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{Config: hookNamed(strings.Repeat("é", 200)), PlanOnly: true, ExpectNonEmptyPlan: true},
			{
				Config: hookNamed(strings.Repeat("é", 256)), PlanOnly: true,
				ExpectError: errorText("name UTF-8 character count must be between 1 and 255, got: 256"),
			},
		},
	})
}

// A fractional number is a user-facing error naming the
// attribute, not "This is always an error in the provider".
func TestAccFractionalNumbersArePlanErrors(t *testing.T) {
	cases := map[string]struct {
		config func(srv *emulator.Server) string
		want   string
	}{
		"expiry_days": {func(srv *emulator.Server) string {
			return providerConfig(srv) + `
resource "bitbucket_project_access_token" "test" {
  workspace   = "PRJ"
  name        = "x"
  permissions = ["PROJECT_READ"]
  expiry_days = 1.5
}
`
		}, "expiry_days is 1.5; it must be a whole number."},
		"max_retries": {func(srv *emulator.Server) string {
			return providerConfig(srv, "max_retries = 1.5") + repositoryRead("PRJ")
		}, "max_retries is 1.5; it must be a whole number."},
		"nested managed_token.expiry_days": {func(srv *emulator.Server) string {
			return providerConfig(srv) + `
resource "bitbucket_connection" "test" {
  name       = "x"
  workspace  = "PRJ"
  repository = "api-service"
  managed_token = {
    level       = "repository"
    permissions = ["REPO_READ"]
    expiry_days = 2.25
  }
}
`
		}, "managed_token.expiry_days is 2.25; it must be a whole number."},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			srv := startEmulator(t, emulator.DataCenter)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				Steps: []resource.TestStep{{Config: c.config(srv), PlanOnly: true,
					ExpectError: errorText("Invalid", c.want)}},
			})
		})
	}
}

// The guard is in front of the framework (not bypassed) and passes on the
// optional protocol interfaces (terraform query needs list resources).
func TestNewServerKeepsEveryProtocolInterface(t *testing.T) {
	server := NewServer("test")()
	if _, ok := server.(*wholeNumberGuard); !ok {
		t.Fatalf("NewServer returned %T, not the guard", server)
	}
	if _, ok := server.(tfprotov6.ProviderServerWithListResource); !ok { //nolint:staticcheck // the interface terraform-plugin-go asserts today
		t.Error("the guard hides list resources")
	}
}
