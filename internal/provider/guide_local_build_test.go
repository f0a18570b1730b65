package provider

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const localBuildGuide = "../../templates/guides/local-build.md.tmpl"

// TestAccGuideLocalBuild runs the shell commands of the guide "Use a build
// of this repository" in order, with an empty home folder and no CLI
// configuration: go build into the implied local mirror, then terraform
// init finds the provider without the registry. The quickstart it enters
// is a copy, so the repository gets no .terraform folder.
func TestAccGuideLocalBuild(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("drives the terraform CLI: set TF_ACC=1 (make test does)")
	}
	commands := guideShellCommands(t, localBuildGuide)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	home, work := t.TempDir(), t.TempDir()
	quickstart := copyQuickstart(t, root, work)
	runGuideCommands(t, commands, root, quickstart, cleanGuideEnv(home))
	lock, err := os.ReadFile(filepath.Join(quickstart, ".terraform.lock.hcl"))
	if err != nil || !strings.Contains(string(lock), `provider "registry.terraform.io/bitbucket-iac/bitbucket"`) {
		t.Fatalf("terraform init wrote no lock entry for the provider: %v\n%s", err, lock)
	}
}

// guideShellCommands are the non-empty lines of the guide's shell blocks,
// in order.
func guideShellCommands(t *testing.T, guide string) []string {
	t.Helper()
	f, err := os.Open(guide)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var commands []string
	inShell := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```shell":
			inShell = true
		case strings.HasPrefix(line, "```"):
			inShell = false
		case inShell && line != "":
			commands = append(commands, line)
		}
	}
	if len(commands) == 0 {
		t.Fatal("the guide has no shell commands")
	}
	return commands
}

// copyQuickstart copies the quickstart into work, so the repository gets
// no .terraform folder; it returns the copy's folder.
func copyQuickstart(t *testing.T, root, work string) string {
	t.Helper()
	quickstart := filepath.Join(work, "examples", "quickstart")
	if err := os.MkdirAll(quickstart, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "examples", "quickstart", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(quickstart, "main.tf"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return quickstart
}

// cleanGuideEnv is this environment without TF_*, BITBUCKET_* and HOME,
// with home as HOME: no CLI configuration reaches terraform.
func cleanGuideEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "BITBUCKET_") || name == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	// go keeps its caches where they are; terraform sees only the new home.
	gocache, _ := exec.Command("go", "env", "GOCACHE").Output()
	gomodcache, _ := exec.Command("go", "env", "GOMODCACHE").Output()
	return append(env, "HOME="+home, "GOCACHE="+strings.TrimSpace(string(gocache)),
		"GOMODCACHE="+strings.TrimSpace(string(gomodcache)), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
}

// runGuideCommands runs the commands in order, starting in the repository's
// root folder; "cd examples/quickstart" moves to the copy.
func runGuideCommands(t *testing.T, commands []string, root, quickstart string, env []string) {
	t.Helper()
	dir := root // the guide starts in the repository's root folder
	for _, command := range commands {
		if target, ok := strings.CutPrefix(command, "cd "); ok {
			if target != "examples/quickstart" {
				t.Fatalf("the guide changes to %q, which the test does not copy", target)
			}
			dir = quickstart
			continue
		}
		cmd := exec.Command("bash", "-c", command)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", command, err, out)
		}
	}
}
