package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

const connectionExamplesDir = "../../examples/connections"

// connectionExample says how one example runs against the emulator: its
// product, its variables (setup may add the credentials a person would
// have made in Bitbucket's UI) and what its outputs must be.
type connectionExample struct {
	product              emulator.Product
	setup                func(t *testing.T, srv *emulator.Server) config.Variables
	verifiedPermissions  []string
	expectWebhook        bool
	expectTokenCreations int
	// expectAccessKeys is how many SSH access keys the example makes.
	expectAccessKeys int
}

var connectionExamples = map[string]connectionExample{
	"xcode-cloud-datacenter": {
		product:              emulator.DataCenter,
		verifiedPermissions:  []string{"admin", "read", "write"},
		expectTokenCreations: 1,
	},
	"appcircle-datacenter": {
		product: emulator.DataCenter,
		setup: func(*testing.T, *emulator.Server) config.Variables {
			return config.Variables{"webhook_secret": config.StringVariable("appcircle-hook-secret")}
		},
		verifiedPermissions: []string{"read"},
		expectWebhook:       true,
		expectAccessKeys:    1,
	},
	"nx-cloud-datacenter": {
		product:              emulator.DataCenter,
		verifiedPermissions:  []string{"read", "write"},
		expectTokenCreations: 1,
	},
	"appcircle-cloud": {
		product:             emulator.Cloud, // nothing made by hand: an SSH access key
		verifiedPermissions: []string{"read"},
		expectWebhook:       true,
		expectAccessKeys:    1,
	},
	"ssh-mirror-cloud": {
		product:             emulator.Cloud, // nothing made by hand: a project access key
		verifiedPermissions: []string{"read"},
		expectAccessKeys:    1,
	},
	"nx-cloud-cloud": {
		product: emulator.Cloud,
		setup: func(t *testing.T, srv *emulator.Server) config.Variables {
			// An account whose API token holds only the scopes Nx Cloud lists.
			scopes := []string{"read:repository:bitbucket", "read:pullrequest:bitbucket", "write:pullrequest:bitbucket"}
			if err := srv.AddCloudUser("nx@example.com", "nx-api-token", map[string]string{emulator.CloudWorkspace: "member"}, scopes); err != nil {
				t.Fatal(err)
			}
			return config.Variables{"atlassian_email": config.StringVariable("nx@example.com"), "api_token": config.StringVariable("nx-api-token")}
		},
		verifiedPermissions: []string{"read"},
	},
	"blubracket-cloud": {
		product: emulator.Cloud,
		setup: func(*testing.T, *emulator.Server) config.Variables {
			return config.Variables{
				"username": config.StringVariable(emulator.CloudMemberEmail),
				"token":    config.StringVariable(emulator.CloudMemberAPIToken),
			}
		},
		verifiedPermissions: []string{"read"},
		expectWebhook:       true,
	},
}

// TestAccConnectionExamples applies and destroys every example under
// examples/connections against an emulator, with an empty second plan.
// Not parallel: the examples take the provider's settings from BITBUCKET_*
// environment variables, which are process-wide.
func TestAccConnectionExamples(t *testing.T) {
	entries, err := os.ReadDir(connectionExamplesDir)
	if err != nil {
		t.Fatal(err)
	}
	for name := range connectionExamples {
		if _, err := os.Stat(filepath.Join(connectionExamplesDir, name, "main.tf")); err != nil {
			t.Errorf("example %s is described here but has no main.tf: %v", name, err)
		}
	}
	// The examples declare source = "bitbucket-iac/bitbucket".
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", "bitbucket-iac")
	for _, e := range entries {
		if e.IsDir() {
			t.Run(e.Name(), func(t *testing.T) { testConnectionExample(t, e.Name()) })
		}
	}
}

// testConnectionExample applies the example in dir with what its entry in
// connectionExamples says.
func testConnectionExample(t *testing.T, dir string) {
	ex, ok := connectionExamples[dir]
	if !ok {
		t.Fatalf("examples/connections/%s has no entry in connectionExamples: every example must be applied by this test", dir)
	}
	if _, err := os.Stat(filepath.Join(connectionExamplesDir, dir, "README.md")); err != nil {
		t.Errorf("examples/connections/%s has no README.md", dir)
	}
	srv := startEmulator(t, ex.product)
	setProviderEnvironment(t, srv)
	vars := config.Variables{}
	if ex.setup != nil {
		vars = ex.setup(t, srv)
	}
	vars["workspace"] = config.StringVariable(seededWorkspace(ex.product))

	tokensBefore := len(srv.AccessTokens())
	want := make([]knownvalue.Check, 0, len(ex.verifiedPermissions))
	for _, p := range ex.verifiedPermissions {
		want = append(want, knownvalue.StringExact(p))
	}
	resource.Test(t, resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			if hooks := srv.Webhooks(); len(hooks) > 0 {
				return fmt.Errorf("webhooks left after destroy: %+v", hooks)
			}
			if n := len(srv.AccessTokens()); n != tokensBefore {
				return fmt.Errorf("%d tokens after destroy, want the %d there before", n, tokensBefore)
			}
			if keys := srv.AccessKeys(); len(keys) > 0 {
				return fmt.Errorf("access keys left after destroy: %+v", keys)
			}
			return nil
		},
		Steps: []resource.TestStep{{
			// At step level: the example's own provider block counts as providers of the step.
			ProtoV6ProviderFactories: testProviderFactories(),
			ConfigDirectory:          config.StaticDirectory(filepath.Join(connectionExamplesDir, dir)),
			ConfigVariables:          vars,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("verified_permissions", knownvalue.SetExact(want)),
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			Check: func(*terraform.State) error {
				if got := len(srv.Webhooks()); (got == 1) != ex.expectWebhook || got > 1 {
					return fmt.Errorf("%d webhooks in the emulator, want a webhook: %v", got, ex.expectWebhook)
				}
				if made := len(srv.AccessTokens()) - tokensBefore; made != ex.expectTokenCreations {
					return fmt.Errorf("%d tokens created, want %d", made, ex.expectTokenCreations)
				}
				if made := len(srv.AccessKeys()); made != ex.expectAccessKeys {
					return fmt.Errorf("%d access keys made, want %d", made, ex.expectAccessKeys)
				}
				return nil
			},
		}},
	})
}

// setProviderEnvironment points the examples' provider block, which takes
// its settings from BITBUCKET_* variables, at srv with admin credentials.
func setProviderEnvironment(t *testing.T, srv *emulator.Server) {
	t.Setenv("BITBUCKET_BASE_URL", srv.BaseURL())
	if srv.Product() == emulator.Cloud {
		t.Setenv("BITBUCKET_PRODUCT", "cloud")
		t.Setenv("BITBUCKET_USERNAME", emulator.CloudOwnerEmail)
		t.Setenv("BITBUCKET_TOKEN", emulator.CloudOwnerAPIToken)
		return
	}
	t.Setenv("BITBUCKET_USERNAME", emulator.DCAdminUser)
	t.Setenv("BITBUCKET_TOKEN", emulator.DCAdminPassword)
}
