package provider

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// seededNamePattern matches a literal workspace, repository or project in
// an example.
var seededNamePattern = regexp.MustCompile(`(?m)^\s*(workspace|repository|project)\s*=\s*"([^"$]+)"`)

// TestExamplesUseSeededNames: every workspace, project and repository an
// example names literally exists in the emulator (on either product), so a
// reader who runs an example against `make demo`'s emulator, or the
// standalone one whose banner lists them, finds what it names.
func TestExamplesUseSeededNames(t *testing.T) {
	seeded := map[string]map[string]bool{"workspace": {}, "repository": {}, "project": {}}
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		srv := emulator.NewTestServer(t, emulator.Options{Product: product})
		for _, line := range srv.Contents() {
			// "<noun> <slug> (<name>): [projects A, B;] repositories r1 (A), r2"
			fields := strings.Fields(line)
			seeded["workspace"][fields[1]] = true
			head, repos, _ := strings.Cut(line, "repositories ")
			if _, projects, ok := strings.Cut(head, "projects "); ok {
				for _, p := range strings.Split(strings.TrimSuffix(strings.TrimSpace(projects), ";"), ", ") {
					seeded["project"][p] = true
				}
			}
			for _, r := range strings.Split(repos, ", ") {
				slug, _, _ := strings.Cut(r, " ")
				seeded["repository"][slug] = true
			}
		}
	}
	for dir, files := range exampleModules(t) {
		for file, text := range files {
			for _, m := range seededNamePattern.FindAllStringSubmatch(text, -1) {
				if !seeded[m[1]][m[2]] {
					t.Errorf("examples/%s/%s: %s = %q is not in the emulator (seeded: %v)", dir, file, m[1], m[2], sortedNames(seeded[m[1]]))
				}
			}
		}
	}
}

func sortedNames(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
