package emulator_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

const (
	userTokens    = "/rest/access-tokens/1.0/users/"
	projectTokens = "/rest/access-tokens/1.0/projects/PRJ"
	repoTokens    = "/rest/access-tokens/latest/projects/PRJ/repos/api-service"
)

func TestDCTokenLifecycle(t *testing.T) {
	srv := dcServer(t)
	created0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srv.SetNow(created0)
	res := do(t, srv, "PUT", projectTokens, admin, map[string]any{
		"name": "ci", "permissions": []string{"PROJECT_READ", "REPO_WRITE"}, "expiryDays": 30,
	}).expect(t, 200)
	tok := res.object(t)
	id, _ := tok["id"].(string)
	value, _ := tok["token"].(string)
	if id == "" || value == "" || strings.Trim(id, "0123456789") != "" {
		t.Fatalf("create response: %s", res.body)
	}
	if tok["createdDate"] != float64(created0.UnixMilli()) || tok["expiryDays"] != 30.0 ||
		tok["expiryDate"] != float64(created0.Add(30*24*time.Hour).UnixMilli()) {
		t.Errorf("dates: %v", tok)
	}
	if _, ok := tok["lastAuthenticated"]; ok {
		t.Error("lastAuthenticated before first use")
	}
	if user := tok["user"].(map[string]any); user["type"] != "SERVICE" {
		t.Errorf("project token user %v", user)
	}

	// The token works as Bearer only, with its own (project-scoped) permissions.
	tk := bearer(value)
	do(t, srv, "GET", "/rest/api/1.0/projects/PRJ/repos/api-service", tk, nil).expect(t, 200)
	do(t, srv, "GET", "/rest/api/1.0/projects/OPS/repos/infra", tk, nil).expect(t, 401)
	do(t, srv, "GET", "/rest/api/1.0/projects/PRJ/repos/api-service", basic(tok["user"].(map[string]any)["slug"].(string), value), nil).expect(t, 401)

	srv.Advance(time.Hour)
	got := do(t, srv, "GET", projectTokens+"/"+id, admin, nil).expect(t, 200).object(t)
	if got["lastAuthenticated"] != float64(created0.UnixMilli()) {
		t.Errorf("lastAuthenticated %v", got["lastAuthenticated"])
	}
	if _, ok := got["token"]; ok {
		t.Error("token value returned on read")
	}

	// Update: omitted fields keep their value; the expiry cannot change.
	upd := do(t, srv, "POST", projectTokens+"/"+id, admin, map[string]any{"name": "ci-renamed"}).expect(t, 200).object(t)
	if upd["name"] != "ci-renamed" || !reflect.DeepEqual(upd["permissions"], []any{"PROJECT_READ", "REPO_WRITE"}) {
		t.Errorf("update: %v", upd)
	}
	do(t, srv, "POST", projectTokens+"/"+id, admin, map[string]any{"expiryDays": 90}).expect(t, 400)
	do(t, srv, "POST", projectTokens+"/"+id, admin, map[string]any{"permissions": []string{"REPO_READ"}}).expect(t, 200)

	list := do(t, srv, "GET", projectTokens, admin, nil).expect(t, 200)
	if n := len(list.values(t)); n != 1 {
		t.Errorf("%d project tokens listed", n)
	}

	// Expiry follows the server clock.
	srv.Advance(30 * 24 * time.Hour)
	do(t, srv, "GET", "/rest/api/1.0/projects/PRJ/repos/api-service", tk, nil).expect(t, 401)

	do(t, srv, "DELETE", projectTokens+"/"+id, admin, nil).expect(t, 204)
	do(t, srv, "GET", projectTokens+"/"+id, admin, nil).expect(t, 404)
}

func TestDCTokenRevokedOutOfBand(t *testing.T) {
	srv := dcServer(t)
	tok := do(t, srv, "PUT", userTokens+"dev", dev, map[string]any{"name": "mine", "permissions": []string{"REPO_READ"}}).expect(t, 200).object(t)
	value := tok["token"].(string)
	do(t, srv, "GET", "/rest/api/1.0/repos", basic(emulator.DCDevUser, value), nil).expect(t, 200)
	var stored emulator.AccessToken
	for _, at := range srv.AccessTokens() {
		if at.Token == value {
			stored = at
		}
	}
	if stored.Level != "user" || stored.User != "dev" || stored.LastAuthenticated.IsZero() {
		t.Fatalf("stored token %+v", stored)
	}
	if err := srv.RevokeAccessToken(stored.ID); err != nil {
		t.Fatal(err)
	}
	do(t, srv, "GET", "/rest/api/1.0/repos", bearer(value), nil).expect(t, 401)
}

func TestDCTokenCannotCreateTokens(t *testing.T) {
	srv := dcServer(t)
	body := map[string]any{"name": "x", "permissions": []string{"REPO_READ"}}
	for name, a := range map[string]auth{"bearer": adminTk, "basic token": basic(emulator.DCAdminUser, emulator.DCAdminToken)} {
		ex, msg := do(t, srv, "PUT", userTokens+"admin", a, body).expect(t, 401).dcError(t)
		if ex != "com.atlassian.bitbucket.AuthorisationException" || !strings.Contains(msg, "cannot be used to create access tokens") {
			t.Errorf("%s: %s %q", name, ex, msg)
		}
		do(t, srv, "PUT", projectTokens, a, body).expect(t, 401)
	}
	do(t, srv, "PUT", userTokens+"admin", admin, body).expect(t, 200)
}

func TestDCTokenValidation(t *testing.T) {
	srv := dcServer(t)
	cases := []struct {
		path string
		body map[string]any
		msg  string
	}{
		{projectTokens, map[string]any{"permissions": []string{"REPO_READ"}}, "name"},
		{projectTokens, map[string]any{"name": "x"}, "permission"},
		{projectTokens, map[string]any{"name": "x", "permissions": []string{}}, "permission"},
		{projectTokens, map[string]any{"name": "x", "permissions": []string{"REPO_READ", "REPO_READ"}}, "Duplicate"},
		{projectTokens, map[string]any{"name": "x", "permissions": []string{"ACCOUNT_READ"}}, "ACCOUNT_READ is not a valid permission"},
		{projectTokens, map[string]any{"name": "x", "permissions": []string{"ADMIN"}}, "Tokens may not have the following permission: ADMIN"},
		{repoTokens, map[string]any{"name": "x", "permissions": []string{"PROJECT_READ"}}, "Permissions for REPOSITORY scope must be one of"},
	}
	for _, tc := range cases {
		_, msg := do(t, srv, "PUT", tc.path, admin, tc.body).expect(t, 400).dcError(t)
		if !strings.Contains(msg, tc.msg) {
			t.Errorf("%v: message %q, want it to contain %q", tc.body, msg, tc.msg)
		}
	}
	if n := len(srv.AccessTokens()); n != 1 {
		t.Errorf("%d tokens stored, want only the seeded one", n)
	}
	do(t, srv, "PUT", repoTokens, admin, map[string]any{"name": "x", "permissions": []string{"REPO_ADMIN"}}).expect(t, 200)
}

func TestDCTokenPermissions(t *testing.T) {
	srv := dcServer(t)
	// dev (REPO_READ on PRJ) may not manage project or repository tokens, nor admin's.
	do(t, srv, "GET", projectTokens, dev, nil).expect(t, 401)
	do(t, srv, "PUT", repoTokens, dev, map[string]any{"name": "x", "permissions": []string{"REPO_READ"}}).expect(t, 401)
	do(t, srv, "GET", userTokens+"admin", dev, nil).expect(t, 401)
	// A system administrator may read another user's tokens but not create them.
	do(t, srv, "GET", userTokens+"dev", admin, nil).expect(t, 200)
	do(t, srv, "PUT", userTokens+"dev", admin, map[string]any{"name": "x", "permissions": []string{"REPO_READ"}}).expect(t, 401)
	do(t, srv, "GET", userTokens+"ghost", admin, nil).expect(t, 404)

	// A token's effective permission is the lesser of its own and its owner's.
	weak := do(t, srv, "PUT", userTokens+"admin", admin, map[string]any{"name": "weak", "permissions": []string{"REPO_READ"}}).expect(t, 200).object(t)
	do(t, srv, "GET", "/rest/api/1.0/projects/PRJ/repos/api-service", bearer(weak["token"].(string)), nil).expect(t, 200)
	do(t, srv, "POST", "/rest/api/1.0/projects/PRJ/repos/api-service/webhooks", bearer(weak["token"].(string)), dcHook("x")).expect(t, 401)
	strong := do(t, srv, "PUT", userTokens+"dev", dev, map[string]any{"name": "strong", "permissions": []string{"REPO_ADMIN"}}).expect(t, 200).object(t)
	do(t, srv, "POST", "/rest/api/1.0/projects/PRJ/repos/api-service/webhooks", bearer(strong["token"].(string)), dcHook("x")).expect(t, 401)
	// The seeded admin token administers hooks.
	do(t, srv, "POST", "/rest/api/1.0/projects/PRJ/webhooks", adminTk, dcHook("x")).expect(t, 200)

	// A repository token reaches its repository only.
	repoTok := do(t, srv, "PUT", repoTokens, admin, map[string]any{"name": "r", "permissions": []string{"REPO_ADMIN"}}).expect(t, 200).object(t)
	rt := bearer(repoTok["token"].(string))
	do(t, srv, "POST", "/rest/api/1.0/projects/PRJ/repos/api-service/webhooks", rt, dcHook("x")).expect(t, 200)
	do(t, srv, "POST", "/rest/api/1.0/projects/PRJ/webhooks", rt, dcHook("x")).expect(t, 401)
	do(t, srv, "GET", "/rest/api/1.0/projects/OPS/repos/infra", rt, nil).expect(t, 401)
}

// TestDCTokenHugeExpiryDoesNotOverflow: an expiry of billions of days is a
// token that works for that long, not one that expired before it was made
// (a time.Duration of that many days overflows).
func TestDCTokenHugeExpiryDoesNotOverflow(t *testing.T) {
	srv := dcServer(t)
	tok := do(t, srv, "PUT", projectTokens, admin, map[string]any{
		"name": "forever", "permissions": []string{"PROJECT_READ"}, "expiryDays": 9999999999,
	}).expect(t, 200).object(t)
	if expires, _ := tok["expiryDate"].(float64); expires <= float64(srv.Now().UnixMilli()) {
		t.Errorf("expiryDate %v is not after now (%v)", tok["expiryDate"], srv.Now().UnixMilli())
	}
	value, _ := tok["token"].(string)
	do(t, srv, "GET", "/rest/api/1.0/projects/PRJ/repos/api-service", bearer(value), nil).expect(t, 200)
}
