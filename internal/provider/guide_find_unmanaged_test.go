package provider

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// The guide docs/guides/find-unmanaged.md (from templates/guides/) and its
// examples are exercised here: its shell blocks are run command by command,
// in order, against the Data Center emulator, and its Bitbucket Pipelines
// script is run as written, on the minimum Terraform.
const (
	guideTemplate    = "../../templates/guides/find-unmanaged.md.tmpl"
	guideExamplesDir = "../../examples/guides/find-unmanaged"
)

// guideCommands are the terraform commands of the guide's ```shell blocks.
func guideCommands(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(guideTemplate)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var out [][]string
	inShell := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```shell":
			inShell = true
		case strings.HasPrefix(line, "```"):
			inShell = false
		case inShell:
			line, _, _ = strings.Cut(line, "#")
			fields := strings.Fields(line)
			if len(fields) < 2 || fields[0] != "terraform" {
				t.Fatalf("guide shell block has a line the test cannot run: %q", line)
			}
			out = append(out, fields[1:])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// copyGuideExamples copies the guide's example files into dir.
func copyGuideExamples(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(guideExamplesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// installFromMirror makes the harness install the built provider the way
// `terraform init` installs a released one (from a filesystem mirror laid
// out like the registry) instead of through dev_overrides, with which init
// would still ask the registry. The commands then run exactly as written.
func installFromMirror(t *testing.T, h *cliHarness) {
	t.Helper()
	mirror := filepath.Join(t.TempDir(), "mirror")
	platform := filepath.Join(mirror, "registry.terraform.io", "bitbucket-iac", "bitbucket", "0.0.1", runtime.GOOS+"_"+runtime.GOARCH)
	if err := os.MkdirAll(platform, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(providerBinaryDir(t), "terraform-provider-bitbucket")
	dst := filepath.Join(platform, "terraform-provider-bitbucket_v0.0.1")
	if err := os.Link(src, dst); err != nil {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil { //nolint:gosec // an executable
			t.Fatal(err)
		}
	}
	rc := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [\"bitbucket-iac/bitbucket\"]\n  }\n}\n", mirror)
	if err := os.WriteFile(filepath.Join(h.dir, "terraformrc"), []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
}

// guideEnv is the provider's settings for the emulator, as the guide passes them.
func guideEnv(srv *emulator.Server) map[string]string {
	return map[string]string{
		"BITBUCKET_BASE_URL": srv.BaseURL(), "BITBUCKET_USERNAME": emulator.DCAdminUser,
		"BITBUCKET_TOKEN": emulator.DCAdminPassword, "BITBUCKET_WORKSPACE": "PRJ",
	}
}

// exitCode is the exit status of a finished command (0 for nil).
func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestAccGuideFindUnmanaged runs the guide's query and import commands:
// objects made outside Terraform are listed, written down by
// -generate-config-out, imported, and the next plan is empty.
func TestAccGuideFindUnmanaged(t *testing.T) {
	bin := useTerraformAtLeast(t, terraformQuery, "the guide's terraform query commands")
	srv := startEmulator(t, emulator.DataCenter)
	h := newCLIHarness(t, guideEnv(srv))
	h.bin = bin
	installFromMirror(t, h)
	copyGuideExamples(t, h.dir, "main.tf", "webhooks.tfquery.hcl", "tokens.tfquery.hcl")

	run := func(args ...string) string {
		t.Helper()
		out, err := h.terraform(nil, args...)
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	// The configuration you have, applied.
	run("init", "-input=false")
	run("apply", "-auto-approve", "-input=false")

	// What nobody wrote down.
	client := outOfBandClient(t, srv)
	nightly := addHookByHand(t, client, bitbucket.WebhookScope{Workspace: "PRJ", Repository: "api-service"}, "nightly-build", emulator.DataCenter)
	addHookByHand(t, client, bitbucket.WebhookScope{Workspace: "PRJ"}, "audit", emulator.DataCenter)
	forgotten, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "project", Workspace: "PRJ", Name: "forgotten-admin", Permissions: []string{"PROJECT_ADMIN"}})
	if err != nil {
		t.Fatal(err)
	}

	for _, args := range guideCommands(t) {
		cmd := strings.Join(args, " ")
		if args[0] == "apply" {
			args = append(args, "-auto-approve", "-input=false")
		}
		if cmd == "plan" {
			// The guide's manual step: drop what the configuration already manages.
			dropManagedFromGenerated(t, h, filepath.Join(h.dir, "unmanaged.tf"))
		}
		out, err := h.terraform(nil, args...)
		switch {
		case cmd == "plan -detailed-exitcode":
			if code := exitCode(err); code != 0 {
				t.Fatalf("terraform %s exited %d, want 0 (no changes after the import):\n%s", cmd, code, out)
			}
		case err != nil:
			t.Fatalf("terraform %s: %v\n%s", cmd, err, out)
		case cmd == "query":
			for _, want := range []string{"nightly-build (webhook " + nightly.ID, "audit (webhook", "forgotten-admin (access token " + forgotten.ID} {
				if !strings.Contains(out, want) {
					t.Errorf("terraform query does not list %q:\n%s", want, out)
				}
			}
		case cmd == "plan":
			if !strings.Contains(out, "4 to import, 0 to add, 0 to change, 0 to destroy") {
				t.Errorf("terraform plan should only import the 4 unmanaged objects:\n%s", out)
			}
		}
	}
	// Each object is in state once: the hand-made ones imported, the managed
	// one still only at its own address.
	ids := managedIDs(t, h)
	for _, want := range []string{"bitbucket_repository_webhook/" + nightly.ID, "bitbucket_project_access_token/" + forgotten.ID} {
		if ids[want] != 1 {
			t.Errorf("state holds %s %d times, want once: %v", want, ids[want], ids)
		}
	}
	if n := len(srv.Webhooks()); ids["bitbucket_repository_webhook/"+srv.Webhooks()[0].ID] != 1 || n != 3 {
		t.Errorf("the managed webhook should stay managed once; state %v, emulator holds %d hooks", ids, n)
	}

	// Step 4 in the same folder, as the reader goes on: the drift pipeline
	// on the minimum Terraform, after the guide's clean-up of unmanaged.tf.
	removeImportBlocks(t, filepath.Join(h.dir, "unmanaged.tf"))
	h.bin = ""
	if out, code := runPipeline(t, h); code != 0 || strings.Contains(out, "DRIFT") {
		t.Fatalf("the guide's pipeline after step 2 exited %d, want 0 (no drift):\n%s", code, out)
	}
	if err := srv.UpdateWebhook(nightly.ID, func(w *emulator.Webhook) { w.URL = "https://attacker.example.com/" }); err != nil {
		t.Fatal(err)
	}
	if out, code := runPipeline(t, h); code != 1 || !strings.Contains(out, "DRIFT") || !strings.Contains(out, "https://attacker.example.com/") {
		t.Fatalf("the pipeline after a hand edit of an imported webhook exited %d, want 1 with DRIFT:\n%s", code, out)
	}
}

// guideRemoveImports is what the guide tells the reader to do after the
// import, in its words; the test does it (removeImportBlocks).
const guideRemoveImports = "delete the `import` blocks from `unmanaged.tf`"

// removeImportBlocks does the guide's clean-up after the import: the
// import blocks go, the resource blocks stay.
func removeImportBlocks(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(guideTemplate)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(b)), " "), guideRemoveImports) {
		t.Fatalf("the guide does not tell the reader to %s; the test would do a step the reader is not told to", guideRemoveImports)
	}
	b, err = os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var kept strings.Builder
	inImport := false
	for _, line := range strings.SplitAfter(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "import {"):
			inImport = true
		case inImport:
			inImport = strings.TrimRight(line, "\n") != "}"
		default:
			kept.WriteString(line)
		}
	}
	if err := os.WriteFile(file, []byte(kept.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// runPipeline runs the guide's Bitbucket Pipelines script in the harness's
// folder and returns its output and exit code.
func runPipeline(t *testing.T, h *cliHarness) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", "-c", pipelineScript(t))
	cmd.Dir = h.dir
	cmd.Env = h.env
	out, err := cmd.CombinedOutput()
	return string(out), exitCode(err)
}

// managedIDs counts the objects in state by "type/id".
func managedIDs(t *testing.T, h *cliHarness) map[string]int {
	t.Helper()
	out, err := h.terraform(nil, "show", "-json")
	if err != nil {
		t.Fatalf("terraform show -json: %v\n%s", err, out)
	}
	var state struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Type   string         `json:"type"`
					Values map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(out), &state); err != nil {
		t.Fatalf("terraform show -json: %v\n%s", err, out)
	}
	ids := map[string]int{}
	for _, r := range state.Values.RootModule.Resources {
		ids[fmt.Sprintf("%s/%v", r.Type, r.Values["id"])]++
	}
	return ids
}

var (
	importTo = regexp.MustCompile(`(?m)^\s*to\s*=\s*(\S+)`)
	importID = regexp.MustCompile(`(?m)^\s*id\s*=\s*"([^"]*)"`)
)

// dropManagedFromGenerated removes from a -generate-config-out file the
// import and resource blocks of objects already in state, as the guide
// tells the reader to.
func dropManagedFromGenerated(t *testing.T, h *cliHarness, file string) {
	t.Helper()
	managed := managedIDs(t, h)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// Top-level blocks end with a "}" in the first column.
	var blocks []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		cur.WriteString(line)
		if strings.TrimRight(line, "\n") == "}" {
			blocks = append(blocks, cur.String())
			cur.Reset()
		}
	}
	drop := map[string]bool{}
	for _, block := range blocks {
		to, id := importTo.FindStringSubmatch(block), importID.FindStringSubmatch(block)
		if strings.Contains(block, "import {") && to != nil && id != nil {
			typ, _, _ := strings.Cut(to[1], ".")
			if managed[typ+"/"+id[1]] > 0 {
				drop[to[1]] = true
			}
		}
	}
	if len(drop) == 0 {
		t.Fatalf("%s imports nothing the configuration manages; the guide's manual step is untested", file)
	}
	var kept strings.Builder
	for _, block := range blocks {
		to := importTo.FindStringSubmatch(block)
		header := regexp.MustCompile(`resource "([^"]+)" "([^"]+)"`).FindStringSubmatch(block)
		switch {
		case to != nil && drop[to[1]]:
		case header != nil && drop[header[1]+"."+header[2]]:
		default:
			kept.WriteString(block)
		}
	}
	if err := os.WriteFile(file, []byte(kept.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// pipelineScript is the script of the guide's bitbucket-pipelines.yml, the
// items of its `script:` list joined into one shell script (a `- |` item
// is a block of lines).
func pipelineScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(guideExamplesDir, "bitbucket-pipelines.yml"))
	if err != nil {
		t.Fatal(err)
	}
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	var script []string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "script:" {
			continue
		}
		base := indent(lines[i])
		for i++; i < len(lines) && (strings.TrimSpace(lines[i]) == "" || indent(lines[i]) > base); i++ {
			item := strings.TrimSpace(lines[i])
			if !strings.HasPrefix(item, "- ") {
				continue
			}
			item = strings.TrimPrefix(item, "- ")
			if item != "|" {
				script = append(script, item)
				continue
			}
			itemIndent := indent(lines[i])
			for i+1 < len(lines) && (strings.TrimSpace(lines[i+1]) == "" || indent(lines[i+1]) > itemIndent) {
				i++
				script = append(script, strings.TrimSpace(lines[i]))
			}
		}
		break
	}
	if len(script) == 0 {
		t.Fatal("bitbucket-pipelines.yml has no script")
	}
	return "set -e\n" + strings.Join(script, "\n") + "\n"
}

// TestAccGuideDriftPipeline runs the guide's Bitbucket Pipelines script on
// the minimum Terraform (terraform on PATH): it passes while Bitbucket
// matches the configuration and fails, saying DRIFT, once a webhook is
// edited by hand.
func TestAccGuideDriftPipeline(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	h := newCLIHarness(t, guideEnv(srv))
	installFromMirror(t, h)
	copyGuideExamples(t, h.dir, "main.tf")
	if out, err := h.terraform(nil, "init", "-input=false"); err != nil {
		t.Fatalf("terraform init: %v\n%s", err, out)
	}
	if out, err := h.terraform(nil, "apply", "-auto-approve", "-input=false"); err != nil {
		t.Fatalf("terraform apply: %v\n%s", err, out)
	}
	pipeline := func() (string, int) { return runPipeline(t, h) }

	if out, code := pipeline(); code != 0 || strings.Contains(out, "DRIFT") {
		t.Fatalf("pipeline without drift exited %d, want 0:\n%s", code, out)
	}
	hook := onlyHook(t, srv)
	if err := srv.UpdateWebhook(hook.ID, func(w *emulator.Webhook) { w.URL = "https://attacker.example.com/" }); err != nil {
		t.Fatal(err)
	}
	out, code := pipeline()
	if code != 1 || !strings.Contains(out, "DRIFT") || !strings.Contains(out, "https://attacker.example.com/") {
		t.Fatalf("pipeline after a hand edit exited %d, want 1 with DRIFT and the changed URL in the plan:\n%s", code, out)
	}
}
