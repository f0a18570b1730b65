package emulator_test

import (
	"slices"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestContentsNamesTheSeededFixtures: what the standalone emulator prints
// names every seeded workspace or project with its projects and
// repositories, and shows generated repositories as a range.
func TestContentsNamesTheSeededFixtures(t *testing.T) {
	cloud := emulator.NewTestServer(t, emulator.Options{Product: emulator.Cloud})
	want := []string{
		"workspace acme (Acme Corp): projects API, WEB; repositories api-service (API), web-app (WEB)",
		"workspace globex (Globex): projects OPS; repositories infra (OPS)",
	}
	if got := cloud.Contents(); !slices.Equal(got, want) {
		t.Errorf("Cloud contents:\n%q\nwant\n%q", got, want)
	}
	dc := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
	if err := dc.AddRepositories(emulator.DCProject, "repo", 3); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"project PRJ (Project One): repositories api-service, web-app, repo-00001 … repo-00003 (3)",
		"project OPS (Operations): repositories infra",
	}
	if got := dc.Contents(); !slices.Equal(got, want) {
		t.Errorf("Data Center contents:\n%q\nwant\n%q", got, want)
	}
}
