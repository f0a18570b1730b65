package provider

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// tokenIDOf reads the id out of an emulator token value (base64 of
// "<id>:<random>").
func tokenIDOf(value string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(value)
	if err != nil {
		return "", fmt.Errorf("not an emulator token value: %w", err)
	}
	id, _, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", fmt.Errorf("not an emulator token value")
	}
	return id, nil
}

// TestAccAccessTokenEphemeral: the ephemeral token feeds a webhook's
// write-only secret. After the run the hook's secret is a token that was
// created and revoked during the run, and no state holds it.
func TestAccAccessTokenEphemeral(t *testing.T) {
	for _, level := range []string{"repository", "project"} {
		t.Run(level, func(t *testing.T) {
			srv := startEmulator(t, emulator.DataCenter)
			repositoryLine, createRoute, deleteRoute := `repository  = "api-service"`, repositoryTokensRoute, repositoryTokenRoute
			if level == "project" {
				repositoryLine, createRoute, deleteRoute = "", projectTokensRoute, projectTokenRoute
			}
			config := providerConfig(srv, `workspace = "PRJ"`) + fmt.Sprintf(`
ephemeral "bitbucket_access_token" "ci" {
  %s
  name        = "short-lived"
  permissions = ["REPO_READ"]
}

resource "bitbucket_repository_webhook" "test" {
  repository        = "api-service"
  name              = "signed-with-ephemeral-token"
  url               = "https://ci.example.com/hook"
  events            = ["repo:refs_changed"]
  secret_wo         = ephemeral.bitbucket_access_token.ci.token
  secret_wo_version = 1
}
`, repositoryLine)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				Steps: []resource.TestStep{{
					Config: config,
					Check: func(s *terraform.State) error {
						secret := onlyHook(t, srv).Secret
						id, err := tokenIDOf(secret)
						if err != nil {
							return fmt.Errorf("hook secret: %w", err)
						}
						if n := len(tokensNamed(srv, "short-lived")); n != 0 {
							return fmt.Errorf("%d ephemeral tokens still exist after the run", n)
						}
						creates, revokes := srv.RequestCount("PUT", createRoute), srv.RequestCount("DELETE", deleteRoute)
						if creates == 0 || creates != revokes {
							return fmt.Errorf("ephemeral tokens created %d, revoked %d", creates, revokes)
						}
						revoked := false
						for _, r := range srv.Requests() {
							if r.Method == "DELETE" && r.Route == deleteRoute && strings.HasSuffix(r.Path, "/"+id) {
								revoked = true
							}
						}
						if !revoked {
							return fmt.Errorf("the token in the hook's secret (id %s) was not revoked", id)
						}
						for addr, res := range s.RootModule().Resources {
							for k, v := range res.Primary.Attributes {
								if strings.Contains(v, secret) {
									return fmt.Errorf("state %s.%s holds the ephemeral token", addr, k)
								}
							}
						}
						return nil
					},
				}},
			})
		})
	}
}

func TestAccAccessTokenEphemeralMissingWorkspace(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config: providerConfig(srv) + `
ephemeral "bitbucket_access_token" "ci" {
  permissions = ["REPO_READ"]
}
`,
			ExpectError: errorText("Missing workspace", "Set workspace here or a default workspace in the provider block"),
		}},
	})
}
