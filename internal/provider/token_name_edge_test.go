package provider

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestTokenCreationNameAtTheLimit: a configured name of 255 characters,
// multibyte and outside the Basic Multilingual Plane, is created under a
// creation name within 255 characters and renamed to the whole name; after a
// lost answer, a token someone named in the creation-name pattern
// ("<name>-tf0123abcd") beforehand is left alone.
func TestTokenCreationNameAtTheLimit(t *testing.T) {
	for _, name := range []string{strings.Repeat("é", 255), strings.Repeat("🔑", 250) + "-tf01"} {
		t.Run(name[:8], func(t *testing.T) {
			t.Parallel()
			if n := utf8.RuneCountInString(name); n != 255 {
				t.Fatalf("%d characters", n)
			}
			creation := creationName(name)
			if n := utf8.RuneCountInString(creation); n != 255 || !utf8.ValidString(creation) {
				t.Fatalf("creation name of %d characters, valid %v", n, utf8.ValidString(creation))
			}
			srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
			client := testClient(t, srv)
			scope := bitbucket.TokenScope{Level: bitbucket.TokenLevelProject, Workspace: "PRJ"}
			lookalike := string([]rune(name)[:244]) + "-tf0123abcd"
			theirs, err := client.CreateAccessToken(t.Context(), scope, bitbucket.AccessTokenInput{Name: lookalike, Permissions: []string{"PROJECT_READ"}})
			if err != nil {
				t.Fatal(err)
			}
			subject := accessTokenMatrixSubjects()[0]
			srv.InjectFault(emulator.Fault{Method: "PUT", Route: subject.create, Kind: emulator.FaultDropResponse, Times: 1})
			tok, err := createAccessToken(t.Context(), client, scope, bitbucket.AccessTokenInput{Name: name, Permissions: []string{"PROJECT_READ"}})
			if err != nil {
				t.Fatal(err)
			}
			if tok.Name != name || tok.Token == "" || srv.FaultsFired("PUT", subject.create) != 1 {
				t.Errorf("token %q (value set %v)", tok.Name, tok.Token != "")
			}
			var names []string
			for _, tk := range srv.AccessTokens() {
				if strings.HasPrefix(tk.Name, string([]rune(name)[:8])) {
					names = append(names, tk.ID+" "+tk.Name)
				}
			}
			if len(names) != 2 || !strings.Contains(strings.Join(names, "\n"), theirs.ID+" "+lookalike) {
				t.Errorf("tokens %q", names)
			}
		})
	}
}
