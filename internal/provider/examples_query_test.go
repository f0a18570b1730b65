package provider

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestAccListResourceExamples runs every list resource page's example
// (examples/list-resources/*/list-resource.tfquery.hcl) with terraform
// query against the emulator of the product it names (Data Center for the
// token lists and the examples that name the project PRJ, Cloud for the
// others), next to an empty configuration: each query runs as written.
func TestAccListResourceExamples(t *testing.T) {
	bin := useTerraformAtLeast(t, terraformQuery, "the list resources' examples (terraform query)")
	files, err := filepath.Glob(filepath.Join(examplesDir, "list-resources", "*", "list-resource.tfquery.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no list resource examples: %v", err)
	}
	sort.Strings(files)
	for _, file := range files {
		name := filepath.Base(filepath.Dir(file))
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			product := emulator.Cloud
			if strings.Contains(name, "_token") || strings.Contains(string(b), `"PRJ"`) {
				product = emulator.DataCenter
			}
			srv := startEmulator(t, product)
			h := newCLIHarness(t, importEnv(srv))
			h.bin = bin
			h.writeConfig(importProviderConfig)
			if err := os.WriteFile(filepath.Join(h.dir, "example.tfquery.hcl"), b, 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := h.terraform(nil, "query"); err != nil {
				t.Fatalf("terraform query with %s: %v\n%s", file, err, out)
			}
		})
	}
}
