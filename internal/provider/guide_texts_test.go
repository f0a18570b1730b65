package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPerformanceGuideNamesEveryMatrixSubject: the performance guide's
// fault-matrix paragraph names every resource type the matrix covers, so a
// new subject (or a guide that forgets one) fails here.
func TestPerformanceGuideNamesEveryMatrixSubject(t *testing.T) {
	b, err := os.ReadFile("../../templates/guides/performance.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	_, paragraph, found := strings.Cut(string(b), "`make test` runs a fault matrix:")
	if !found {
		t.Fatal("the performance guide has no fault-matrix paragraph")
	}
	paragraph, _, _ = strings.Cut(paragraph, "\n\n")
	for _, s := range allMatrixSubjects() {
		if !strings.Contains(paragraph, "`"+s.typeName+"`") {
			t.Errorf("the fault-matrix paragraph does not name %s (subject %s, %s)", s.typeName, s.name, s.product)
		}
	}
}

// terraformVersionPattern matches "Terraform 1.N" in prose.
var terraformVersionPattern = regexp.MustCompile(`Terraform 1\.(\d+)\b`)

// TestNoTextNamesATerraformBelowTheMinimum: the minimum is Terraform 1.11
// (write-only attributes); no page, example or schema description says a
// feature works from an older one ("Terraform 1.10+"), which would read as
// if that Terraform could run the provider.
func TestNoTextNamesATerraformBelowTheMinimum(t *testing.T) {
	const minimum = 11
	var files []string
	for _, root := range []string{"../../examples", "../../templates", "."} {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if strings.HasSuffix(p, "_test.go") || root == "." && filepath.Dir(p) != "." {
				return nil
			}
			switch filepath.Ext(p) {
			case ".go", ".tf", ".tmpl", ".md", ".sh":
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	files = append(files, "../../README.md")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range terraformVersionPattern.FindAllStringSubmatch(string(b), -1) {
			if minor, _ := strconv.Atoi(m[1]); minor < minimum {
				t.Errorf("%s says %q: the provider's minimum is Terraform 1.%d", p, m[0], minimum)
			}
		}
	}
}
