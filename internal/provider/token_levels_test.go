package provider

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// TestTokenLevelSpecs: the one table of token levels matches the
// resources: every level has a spec, each resource's owner attributes are
// the spec's (in import-ID order), and an unknown level is never taken for
// another one.
func TestTokenLevelSpecs(t *testing.T) {
	levels := []bitbucket.TokenLevel{bitbucket.TokenLevelProject, bitbucket.TokenLevelRepository, bitbucket.TokenLevelUser}
	if len(tokenLevels) != len(levels) {
		t.Fatalf("%d token level specs for %d levels", len(tokenLevels), len(levels))
	}
	for _, level := range levels {
		spec := tokenLevel(level)
		r := &accessTokenResource{level: level}
		var resp resource.SchemaResponse
		r.Schema(context.Background(), resource.SchemaRequest{}, &resp)
		var owner []string
		for _, name := range []string{"workspace", "repository", "user"} {
			if _, ok := resp.Schema.Attributes[name]; ok {
				owner = append(owner, name)
			}
		}
		if !slices.Equal(owner, spec.owner) {
			t.Errorf("%s: schema owner attributes %v, spec %v", level, owner, spec.owner)
		}
		if got := strings.Count(spec.importFormat(), "/"); got != len(spec.owner) {
			t.Errorf("%s: import format %q does not hold the owner and the id", level, spec.importFormat())
		}
		if spec.noun == "" || spec.minimumVersion == "" || len(spec.permissions) == 0 || spec.description == "" {
			t.Errorf("%s: incomplete spec %+v", level, spec)
		}
		if minimumTokenVersion[level] != spec.minimumVersion {
			t.Errorf("%s: minimumTokenVersion %q, spec %q", level, minimumTokenVersion[level], spec.minimumVersion)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown token level was accepted (it used to mean \"user\")")
		}
	}()
	tokenLevel("workspace")
}

// TestTokenLevelIdentityNamesTheImportID: each level's identity is its
// import ID's parts (owner attributes, then id), so an import by identity
// and by ID name the same token.
func TestTokenLevelIdentityNamesTheImportID(t *testing.T) {
	for level, spec := range tokenLevels {
		var names []string
		for _, a := range spec.identity {
			names = append(names, a.name)
		}
		want := append(slices.Clone(spec.owner), "id")
		if !slices.Equal(names, want) {
			t.Errorf("%s: identity %v, import ID parts %v", level, names, want)
		}
	}
}
