package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestConnectionCombinations plans (validation and plan, in-process, no
// apply) every credential of connectionCredentialKinds at every level, on
// both products, for a repository and a workspace connection, with and
// without a webhook, and checks each outcome against the rules the
// connection's page states: managed tokens are Data Center only; a
// repository-level credential needs repository; a Cloud project key names
// its project, a Data Center one does not; a webhook works with every
// credential. A credential added to the table without a configuration here
// fails.
func TestConnectionCombinations(t *testing.T) {
	t.Parallel()
	credentialConfig := map[string]func(product emulator.Product, level string) map[string]any{
		"managed_token": func(_ emulator.Product, level string) map[string]any {
			permission := "REPO_READ"
			return map[string]any{"managed_token": map[string]any{"level": level, "permissions": []string{permission}}}
		},
		"managed_access_key": func(product emulator.Product, level string) map[string]any {
			key := map[string]any{"level": level}
			if product == emulator.Cloud && level == "project" {
				key["project"] = "API"
			}
			return map[string]any{"managed_access_key": key}
		},
		"token": func(emulator.Product, string) map[string]any { return map[string]any{"token": "supplied-secret"} },
		"token_wo": func(emulator.Product, string) map[string]any {
			return map[string]any{"token_wo": "supplied-secret", "token_wo_version": 1}
		},
	}
	// want is the rules the documentation states, written independently of
	// the code under test: none plans; otherwise the error names one of the
	// rules broken (validation reports a missing repository before the plan
	// asks the product).
	want := func(product emulator.Product, credential, level string, repository bool) []string {
		var broken []string
		if credential == "managed_token" && product == emulator.Cloud {
			broken = append(broken, "Managed tokens need Bitbucket Data Center")
		}
		if level == "repository" && !repository {
			broken = append(broken, "needs a repository")
		}
		return broken
	}
	for _, product := range []emulator.Product{emulator.DataCenter, emulator.Cloud} {
		srv := startEmulator(t, product)
		for _, kind := range connectionCredentialKinds {
			build, ok := credentialConfig[kind.attribute]
			if !ok {
				t.Fatalf("credential %s has no configuration in this test", kind.attribute)
			}
			levels := kind.levels
			if levels == nil {
				levels = []string{""}
			}
			for _, level := range levels {
				for _, repository := range []bool{true, false} {
					for _, webhook := range []bool{true, false} {
						name := fmt.Sprintf("%s/%s/%s/repository=%v/webhook=%v", product, kind.attribute, level, repository, webhook)
						config := build(product, level)
						config["name"], config["workspace"] = "combo", seededWorkspace(product)
						if repository {
							config["repository"] = "api-service"
						}
						if webhook {
							config["webhook"] = map[string]any{"url": "https://service.example.com/hook",
								"events": []string{strings.Trim(pushEvents(product), `["]`)}}
						}
						h := newProtocolHarness(t, "bitbucket_connection", matrixProviderConfig(srv))
						_, _, err := h.plan(config)
						expected := want(product, kind.attribute, level, repository)
						switch {
						case len(expected) == 0 && err != nil:
							t.Errorf("%s: plan failed: %v", name, err)
						case len(expected) > 0 && err == nil:
							t.Errorf("%s: planned, want an error saying one of %q", name, expected)
						case len(expected) > 0 && !slices.ContainsFunc(expected, func(e string) bool { return strings.Contains(err.Error(), e) }):
							t.Errorf("%s: error %v, want one saying one of %q", name, err, expected)
						}
					}
				}
			}
		}
	}
}
