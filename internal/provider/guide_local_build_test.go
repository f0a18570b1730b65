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
	f, err := os.Open(localBuildGuide)
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
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	home, work := t.TempDir(), t.TempDir()
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
	env = append(env, "HOME="+home, "GOCACHE="+strings.TrimSpace(string(gocache)),
		"GOMODCACHE="+strings.TrimSpace(string(gomodcache)), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
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
	lock, err := os.ReadFile(filepath.Join(quickstart, ".terraform.lock.hcl"))
	if err != nil || !strings.Contains(string(lock), `provider "registry.terraform.io/bitbucket-iac/bitbucket"`) {
		t.Fatalf("terraform init wrote no lock entry for the provider: %v\n%s", err, lock)
	}
}
