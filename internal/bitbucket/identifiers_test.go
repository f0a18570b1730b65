package bitbucket

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
)

func TestCheckIdentifier(t *testing.T) {
	valid := map[IdentifierKind][]string{
		IdentifierWorkspace: {"acme", "PRJ", "my_team-2", "~alice", "{0c5bd1e4-6d5b-4b83-9e36-1f3b4b0d4a8e}"},
		IdentifierRepository: {"api-service", "my.repo", "_x", ".github",
			"{0c5bd1e4-6d5b-4b83-9e36-1f3b4b0d4a8e}"},
		IdentifierUser: {"admin", "jane.doe", "jane@example.com", "ünïcode"},
	}
	invalid := map[IdentifierKind][]string{
		IdentifierWorkspace:  {"", " ", "\t", ".", "..", "PRJ/x", "a b", "P.R", "~", "~..", "%2e%2e", " PRJ"},
		IdentifierRepository: {"", "  ", ".", "..", "a/b", "a b", "a;b", "%2e%2e", "é"},
		IdentifierUser:       {"", " ", ".", "..", "a/b", "a b", "a?b", "a#b", "a%b", "a;b", "a\\b", "a\u00a0b"},
	}
	for kind, values := range valid {
		for _, v := range values {
			if err := CheckIdentifier(kind, v); err != nil {
				t.Errorf("%s %q rejected: %v", kind, v, err)
			}
		}
	}
	for kind, values := range invalid {
		for _, v := range values {
			if err := CheckIdentifier(kind, v); err == nil {
				t.Errorf("%s %q accepted", kind, v)
			}
		}
	}
}

func TestCheckObjectNumber(t *testing.T) {
	for _, ok := range []string{"1", "42", "123456789012"} {
		if err := CheckObjectNumber(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "0", "-1", "abc", "1.5", " 1", "99999999999999999999999"} {
		if err := CheckObjectNumber(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The client never puts a dot segment on the wire, whatever its caller
// passes: a server behind Tomcat or nginx would resolve it to the parent.
func TestClientRefusesDotSegments(t *testing.T) {
	var requests atomic.Int32
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		writeJSON(w, http.StatusOK, map[string]any{})
	}), nil)
	ctx := context.Background()
	for _, repo := range []string{"..", "."} {
		_, err := c.CreateAccessToken(ctx, TokenScope{Level: TokenLevelRepository, Workspace: "PRJ", Repository: repo},
			AccessTokenInput{Name: "x", Permissions: []string{"REPO_READ"}})
		if !errors.Is(err, ErrInvalidIdentifier) {
			t.Errorf("repository %q: err %v, want ErrInvalidIdentifier", repo, err)
		}
		if _, err := c.GetRepository(ctx, repo, "api"); !errors.Is(err, ErrInvalidIdentifier) {
			t.Errorf("workspace %q: err %v, want ErrInvalidIdentifier", repo, err)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
	if err := checkPathSegments("/rest/api/1.0/projects/PRJ/repos/%2E%2e/webhooks"); err == nil {
		t.Error("encoded dot segment passed")
	}
	if err := checkPathSegments("/rest/api/1.0/projects/PRJ/repos/my.repo"); err != nil {
		t.Errorf("slug with a dot refused: %v", err)
	}
}
