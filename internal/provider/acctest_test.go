package provider

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestMain keeps the developer's own BITBUCKET_* settings out of the tests:
// every test states its configuration.
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "BITBUCKET_") {
			_ = os.Unsetenv(name)
		}
	}
	// Terraform must not phone home from the tests.
	_ = os.Setenv("CHECKPOINT_DISABLE", "1")
	os.Exit(checkRoutesAfterFullRun(m.Run()))
}

// testProviderFactories serve this provider in-process to the terraform CLI
// that terraform-plugin-testing drives. The backoff is shortened so retries
// against the emulator take milliseconds.
func testProviderFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"bitbucket": func() (tfprotov6.ProviderServer, error) {
			return NewServer("test", WithRetryWait(time.Millisecond, 20*time.Millisecond))(), nil
		},
	}
}

// startEmulator starts a seeded emulator of the product for one test.
func startEmulator(t *testing.T, product emulator.Product) *emulator.Server {
	t.Helper()
	return emulator.NewTestServer(t, emulator.Options{Product: product})
}

// providerConfig is a provider block for the emulator with its admin
// credentials (Cloud: the workspace owner's API token; Data Center: the
// admin's password), plus extra attribute lines.
func providerConfig(srv *emulator.Server, extra ...string) string {
	var auth string
	switch srv.Product() {
	case emulator.Cloud:
		auth = fmt.Sprintf("product = \"cloud\"\n  username = %q\n  token = %q", emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken)
	default:
		auth = fmt.Sprintf("username = %q\n  token = %q", emulator.DCAdminUser, emulator.DCAdminPassword)
	}
	return providerBlock(srv.BaseURL(), append([]string{auth}, extra...)...)
}

// providerBlock is a provider block with the given base URL and lines.
func providerBlock(baseURL string, lines ...string) string {
	return fmt.Sprintf("provider \"bitbucket\" {\n  base_url = %q\n  %s\n}\n", baseURL, strings.Join(lines, "\n  "))
}

// seededWorkspace is the workspace (Cloud acme) or project (Data Center PRJ)
// every emulator is seeded with.
func seededWorkspace(product emulator.Product) string {
	if product == emulator.Cloud {
		return "acme"
	}
	return "PRJ"
}

// bothProducts runs f once per product as subtests.
func bothProducts(t *testing.T, f func(t *testing.T, product emulator.Product)) {
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		t.Run(string(product), func(t *testing.T) { f(t, product) })
	}
}

// errorText matches text in terraform's output, which wraps long lines: the
// words must follow each other with any whitespace between them.
func errorText(parts ...string) *regexp.Regexp {
	var quoted []string
	for _, part := range parts {
		words := strings.Fields(part)
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		quoted = append(quoted, strings.Join(words, `\s+`))
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, `.*`))
}
