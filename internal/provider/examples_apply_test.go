package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// exampleSetup makes what an example names that the emulators do not seed,
// as a person would have made it before following the page.
var exampleSetup = map[string]func(t *testing.T, cloud, dc *emulator.Server){
	// The page checks the deliveries of webhook 12 of PRJ/api-service.
	"data-sources/bitbucket_webhook_deliveries": func(t *testing.T, _, dc *emulator.Server) {
		client := outOfBandClient(t, dc)
		for i := 0; i < 20; i++ {
			if hook := addHookByHand(t, client, bitbucket.WebhookScope{Workspace: "PRJ", Repository: "api-service"}, fmt.Sprintf("ci-%d", i), emulator.DataCenter); hook.ID == "12" {
				return
			}
		}
		t.Fatal("the emulator gave no webhook the id 12 the example names")
	},
}

var variablePattern = regexp.MustCompile(`(?m)^variable "([^"]+)"`)

// exampleScannerEmail is the account the connection example's Cloud token
// belongs to; the test gives it an API token (a person makes one in
// Atlassian's UI) so the connection's check can pass.
const (
	exampleScannerEmail = "scanner@example.com"
	exampleScannerToken = "scanner-api-token"
)

// TestAccResourceExamples applies every resource, data source and ephemeral
// resource page's example (examples/resources/*/resource.tf and the like)
// as a reader would copy it, with the
// provider blocks pointed at the emulators: the default provider at Cloud,
// every alias (bitbucket.datacenter, bitbucket.token_admin) at Data Center.
// The plan after is empty and destroy cleans up. A Data Center resource
// without its provider line reaches Cloud and fails.
func TestAccResourceExamples(t *testing.T) {
	var dirs []string
	for _, pattern := range []string{"resources/*/resource.tf", "data-sources/*/data-source.tf", "ephemeral-resources/*/ephemeral-resource.tf"} {
		found, err := filepath.Glob(filepath.Join(examplesDir, pattern))
		if err != nil || len(found) == 0 {
			t.Fatalf("no examples %s: %v", pattern, err)
		}
		dirs = append(dirs, found...)
	}
	sort.Strings(dirs)
	for _, file := range dirs {
		name, _ := filepath.Rel(examplesDir, filepath.Dir(file))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			example := string(b)
			cloud, dc := startEmulator(t, emulator.Cloud), startEmulator(t, emulator.DataCenter)
			if err := cloud.AddCloudUser(exampleScannerEmail, exampleScannerToken, map[string]string{"acme": "member"}, []string{"read:repository:bitbucket"}); err != nil {
				t.Fatal(err)
			}
			if setup := exampleSetup[name]; setup != nil {
				setup(t, cloud, dc)
			}
			aliases := map[string]bool{}
			for _, m := range regexp.MustCompile(`provider\s*=\s*bitbucket\.([a-z_]+)`).FindAllStringSubmatch(example, -1) {
				aliases[m[1]] = true
			}
			// The required_providers block of the provider page, then the provider blocks.
			config := strings.TrimSuffix(importProviderConfig, "\nprovider \"bitbucket\" {}\n") + "\n" + providerConfig(cloud, `workspace = "acme"`)
			for alias := range aliases {
				config += providerConfig(dc, `alias = "`+alias+`"`, `workspace = "PRJ"`)
			}
			config += providerBlockPattern.ReplaceAllString(example, "")
			h := newCLIHarness(t, nil)
			h.writeConfig(config)
			var vars []string
			for _, m := range variablePattern.FindAllStringSubmatch(example, -1) {
				value := "example-secret-" + m[1]
				if m[1] == "scanner_api_token" {
					value = exampleScannerToken
				}
				vars = append(vars, "-var", m[1]+"="+value)
			}
			// run runs a command with the variables (flags before the arguments).
			run := func(args ...string) string {
				t.Helper()
				if args[0] != "state" {
					args = append(append([]string{args[0]}, vars...), args[1:]...)
				}
				out, err := h.terraform(nil, args...)
				if err != nil {
					t.Fatalf("terraform %s: %v\n%s\n--- main.tf ---\n%s", strings.Join(args, " "), err, out, config)
				}
				return out
			}
			run("apply", "-auto-approve", "-input=false")
			// A data source in a check block is read again at every apply, which
			// -detailed-exitcode counts as a change; it plans nothing else.
			out, err := h.terraform(nil, append([]string{"plan", "-detailed-exitcode", "-input=false"}, vars...)...)
			checkReadOnly := exitCode(err) == 2 && strings.Contains(example, "check \"") && strings.Contains(out, "Plan: 0 to add, 0 to change, 0 to destroy.")
			if exitCode(err) != 0 && !checkReadOnly {
				t.Fatalf("the plan after applying the example is not empty (exit %d):\n%s", exitCode(err), out)
			}
			importAsWritten(t, h, filepath.Join(filepath.Dir(file), "import.sh"), vars, run)
			run("destroy", "-auto-approve", "-input=false")
		})
	}
}

var importCommand = regexp.MustCompile(`(?m)^terraform import (\S+) (\S+)$`)

// importAsWritten runs the page's `terraform import` commands whose ID names
// an object the example made (IDs with numbers from another server cannot):
// the object is dropped from state, imported as written, and after an apply
// the plan is empty.
func importAsWritten(t *testing.T, h *cliHarness, file string, vars []string, run func(args ...string) string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return // data sources and ephemeral resources import nothing
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range importCommand.FindAllStringSubmatch(string(b), -1) {
		address, id := m[1], m[2]
		out, err := h.terraform(nil, "state", "show", address)
		if err != nil || !regexp.MustCompile(`(?m)^\s*id\s*=\s*"`+regexp.QuoteMeta(id)+`"`).MatchString(out) {
			t.Logf("%s: %s names no object this example made here; not run", file, m[0])
			continue
		}
		run("state", "rm", address)
		run("import", "-input=false", address, id)
		run("apply", "-auto-approve", "-input=false")
		if out, err := h.terraform(nil, append([]string{"plan", "-detailed-exitcode", "-input=false"}, vars...)...); exitCode(err) != 0 {
			t.Fatalf("after %s and an apply the plan is not empty (exit %d):\n%s", m[0], exitCode(err), out)
		}
	}
}
