package provider

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

const examplesDir = "../../examples"

// providerBlockPattern matches a top-level provider block as terraform fmt
// writes it (closing brace alone at the start of a line).
var providerBlockPattern = regexp.MustCompile(`(?ms)^provider "bitbucket" \{.*?^\}\n?`)

var aliasPattern = regexp.MustCompile(`(?m)^\s*alias\s*=\s*"([^"]+)"`)

// referencePattern matches references a borrowed provider block makes to
// its own example (variables, ephemeral values); they become literals.
var referencePattern = regexp.MustCompile(`\b(var|ephemeral|data|local)\.[A-Za-z0-9_.]+`)

// providerAlias is a provider block's alias ("" for the default block).
func providerAlias(block string) string {
	if m := aliasPattern.FindStringSubmatch(block); m != nil {
		return m[1]
	}
	return ""
}

// exampleModules are the example directories holding .tf files, each
// with its files' contents.
func exampleModules(t *testing.T) map[string]map[string]string {
	t.Helper()
	modules := map[string]map[string]string{}
	err := filepath.WalkDir(examplesDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".tf" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel(examplesDir, filepath.Dir(p))
		if modules[dir] == nil {
			modules[dir] = map[string]string{}
		}
		modules[dir][filepath.Base(p)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return modules
}

// Every example uses one provider alias scheme, so any
// example validates with the provider blocks of all the others (as when
// a user copies two doc examples into one configuration).
func TestExamplesValidateWithEachOthersProviderBlocks(t *testing.T) {
	modules := exampleModules(t)
	names := make([]string, 0, len(modules))
	for name := range modules {
		names = append(names, name)
	}
	sort.Strings(names)
	// Every provider block of every example, the first of each alias kept.
	blocks := map[string]string{}
	for _, name := range names {
		files := make([]string, 0, len(modules[name]))
		for f := range modules[name] {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			for _, b := range providerBlockPattern.FindAllString(modules[name][f], -1) {
				if _, seen := blocks[providerAlias(b)]; !seen {
					blocks[providerAlias(b)] = b
				}
			}
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			files := modules[name]
			for _, text := range files {
				if strings.Contains(text, "\naction \"") || strings.HasPrefix(text, "action \"") {
					// Action blocks need Terraform 1.14+.
					validateExample(t, files, blocks, useTerraformAtLeast(t, terraformActions, "the "+name+" example's action blocks"))
					return
				}
			}
			identity, hasIdentity := files["import-by-identity.tf"]
			if !hasIdentity {
				validateExample(t, files, blocks, "")
				return
			}
			// import { identity = ... } needs Terraform 1.12+, and it is an
			// alternative to the import by ID: each is validated alone.
			byID := maps.Clone(files)
			delete(byID, "import-by-identity.tf")
			validateExample(t, byID, blocks, "")
			path, v, err := findNewerTerraform()
			if err != nil || v == nil || v.LessThan(terraformIdentity) {
				t.Logf("import-by-identity.tf not validated: it needs Terraform >= %s", terraformIdentity)
				return
			}
			byIdentity := maps.Clone(byID)
			delete(byIdentity, "import-by-string-id.tf")
			byIdentity["import-by-identity.tf"] = identity
			validateExample(t, byIdentity, blocks, path)
		})
	}
}

// validateExample validates one example's files with the provider blocks of
// the other examples (blocks, by alias), with terraform bin ("" = PATH).
func validateExample(t *testing.T, files, blocks map[string]string, bin string) {
	t.Helper()
	h := newCLIHarness(t, nil)
	h.bin = bin
	own := map[string]bool{}
	hasRequiredProviders := false
	for f, text := range files {
		for _, b := range providerBlockPattern.FindAllString(text, -1) {
			own[providerAlias(b)] = true
		}
		hasRequiredProviders = hasRequiredProviders || strings.Contains(text, "required_providers")
		if err := os.WriteFile(filepath.Join(h.dir, f), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var others []string
	for alias, b := range blocks {
		if !own[alias] {
			others = append(others, referencePattern.ReplaceAllString(b, `"from-another-example"`))
		}
	}
	sort.Strings(others)
	extra := strings.Join(others, "\n")
	if !hasRequiredProviders {
		extra += "\nterraform {\n  required_providers {\n    bitbucket = { source = \"bitbucket-iac/bitbucket\" }\n  }\n}\n"
	}
	if err := os.WriteFile(filepath.Join(h.dir, "zz_other_examples_providers.tf"), []byte(extra), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := h.terraform(nil, "validate"); err != nil {
		t.Fatalf("terraform validate: %v\n%s", err, out)
	}
}

// The docs' "One module, both products" webhook module
// applies unchanged to both products, only its variables differ.
func TestAccOneModuleBothProductsPattern(t *testing.T) {
	doc, err := os.ReadFile("../../templates/index.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)[strings.Index(string(doc), "### One module, both products"):]
	start := strings.Index(section, "```hcl\n")
	if start < 0 {
		t.Fatal("the section shows no hcl module")
	}
	module := section[start+len("```hcl\n"):]
	module = module[:strings.Index(module, "```")]
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{{
				Config: providerConfig(srv) + module,
				ConfigVariables: config.Variables{
					"workspace":   config.StringVariable(seededWorkspace(product)),
					"push_events": config.ListVariable(config.StringVariable(map[emulator.Product]string{emulator.Cloud: "repo:push", emulator.DataCenter: "repo:refs_changed"}[product])),
				},
			}},
		})
		if n := len(srv.Webhooks()); n != 0 {
			t.Errorf("%d webhooks left after destroy", n)
		}
	})
}
