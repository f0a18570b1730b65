package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

func TestVersionLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"7.17.2", "7.18", true}, {"7.18", "7.18", false}, {"7.18.0", "7.18", false}, {"9.4.2", "10.0", true},
		{"10.0", "9.4.2", false}, {"8.19.1-rc1", "8.19.1", false}, {"5.4", "5.5", true},
	} {
		if got := versionLess(tc.a, tc.b); got != tc.want {
			t.Errorf("versionLess(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestAccAccessTokenServerTooOld: a Data Center older than 7.18 has no
// project or repository tokens; the plan says so, naming the version, and
// no token request is sent. Personal tokens (5.5+) still work there.
func TestAccAccessTokenServerTooOld(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter, Version: "7.17.3"})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: providerConfig(srv) + `
resource "bitbucket_project_access_token" "old" {
  workspace   = "PRJ"
  name        = "ci"
  permissions = ["PROJECT_READ"]
}
`,
				ExpectError: errorText("Bitbucket Data Center is too old", "project access tokens needs Bitbucket Data Center 7.18 or newer", fmt.Sprintf("runs %s", "7.17.3")),
			},
			{
				Config: providerConfig(srv) + `
resource "bitbucket_user_access_token" "fine" {
  name        = "ci"
  permissions = ["REPO_READ"]
}
`,
			},
		},
	})
	for _, tok := range srv.AccessTokens() {
		if tok.Level != "user" {
			t.Errorf("a %s token was created on a server without them", tok.Level)
		}
	}
}
