package emulator_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

const hookBody = `{"url":"https://ci.example.com/hook","events":["repo:push","issue:created"],"description":"ci","secret":"s3cret"}`

func TestCloudRepositoryPagingFollowsNextAndClamps(t *testing.T) {
	srv := cloudServer(t)
	if err := srv.AddRepositories(emulator.CloudWorkspace, "bulk", 250); err != nil {
		t.Fatal(err)
	}
	// 2 seeded + 250 bulk = 252 repositories; the default pagelen is 10.
	first := do(t, srv, "GET", "/2.0/repositories/acme", alice, nil).expect(t, 200).object(t)
	if first["pagelen"] != 10.0 || first["size"] != 252.0 || len(first["values"].([]any)) != 10 {
		t.Fatalf("first page: pagelen=%v size=%v values=%d", first["pagelen"], first["size"], len(first["values"].([]any)))
	}
	if _, ok := first["previous"]; ok {
		t.Error("first page has previous")
	}

	// pagelen above 100 clamps to 100; following next visits every repository once.
	var seen []string
	next := srv.URL() + "/2.0/repositories/acme?pagelen=500"
	pages := 0
	for next != "" {
		res := do(t, srv, "GET", next, alice, nil).expect(t, 200)
		page := res.object(t)
		if page["pagelen"] != 100.0 {
			t.Fatalf("pagelen %v, want clamp to 100", page["pagelen"])
		}
		seen = append(seen, slugs(res.values(t), "slug")...)
		next, _ = page["next"].(string)
		if next != "" && !strings.HasPrefix(next, srv.URL()+"/2.0/repositories/acme?") {
			t.Fatalf("next is not an absolute URL on the request's host: %s", next)
		}
		pages++
	}
	if pages != 3 || len(seen) != 252 {
		t.Fatalf("pages=%d repos=%d, want 3 pages and 252 repositories", pages, len(seen))
	}
	unique := map[string]bool{}
	for _, s := range seen {
		unique[s] = true
	}
	if len(unique) != 252 {
		t.Fatalf("%d distinct repositories over the pages, want 252", len(unique))
	}
}

func TestCloudRepositoryQueries(t *testing.T) {
	srv := cloudServer(t)
	cases := []struct {
		q    string
		want []string
	}{
		{`name ~ "WEB"`, []string{"web-app"}},
		{`name = "api-service"`, []string{"api-service"}},
		{`slug = "web-app"`, []string{"web-app"}},
		{`project.key = "API"`, []string{"api-service"}},
		{`is_private = true`, []string{"api-service"}},
		{`is_private = false AND name ~ "app"`, []string{"web-app"}},
		{`(project.key = "API" OR project.key = "WEB") AND name ~ "service"`, []string{"api-service"}},
		{`name = "nope" OR slug = "web-app"`, []string{"web-app"}},
	}
	for _, tc := range cases {
		res := do(t, srv, "GET", "/2.0/repositories/acme?q="+url.QueryEscape(tc.q), alice, nil).expect(t, 200)
		if got := slugs(res.values(t), "slug"); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("q=%s: got %v, want %v", tc.q, got, tc.want)
		}
	}
	for _, bad := range []string{`name ~`, `name = "x" AND`, `(name = "x"`, `nosuchfield = "x"`, `is_private = "yes"`, `name "x"`} {
		res := do(t, srv, "GET", "/2.0/repositories/acme?q="+url.QueryEscape(bad), alice, nil).expect(t, 400)
		if msg := res.cloudMessage(t); !strings.Contains(msg, "Invalid query") {
			t.Errorf("q=%s: message %q", bad, msg)
		}
	}
	res := do(t, srv, "GET", "/2.0/repositories/acme?sort=-slug", alice, nil).expect(t, 200)
	if got := slugs(res.values(t), "slug"); !reflect.DeepEqual(got, []string{"web-app", "api-service"}) {
		t.Errorf("sort=-slug: %v", got)
	}
}

func TestCloudNotFoundMessages(t *testing.T) {
	srv := cloudServer(t)
	res := do(t, srv, "GET", "/2.0/workspaces/nonexistent", alice, nil).expect(t, 404)
	if msg := res.cloudMessage(t); msg != "No workspace with identifier 'nonexistent'." {
		t.Errorf("workspace 404 message %q", msg)
	}
	res = do(t, srv, "GET", "/2.0/repositories/acme/nope", alice, nil).expect(t, 404)
	if msg := res.cloudMessage(t); !strings.HasPrefix(msg, "You may not have access to this repository") {
		t.Errorf("repository 404 message %q", msg)
	}
	// A workspace the caller cannot see looks like one that does not exist.
	do(t, srv, "GET", "/2.0/workspaces/globex", bob, nil).expect(t, 404)
	do(t, srv, "GET", "/2.0/repositories/globex/infra", bob, nil).expect(t, 404)
	do(t, srv, "GET", "/2.0/repositories/globex/infra", alice, nil).expect(t, 200)
}

func TestCloudAuthFailures(t *testing.T) {
	srv := cloudServer(t)
	for name, a := range map[string]auth{
		"anonymous":    anonymous,
		"wrong token":  basic(emulator.CloudOwnerEmail, "wrong"),
		"wrong email":  basic("nobody@example.com", emulator.CloudOwnerAPIToken),
		"wrong bearer": bearer("not-a-token"),
	} {
		res := do(t, srv, "GET", "/2.0/repositories/acme", a, nil).expect(t, 401)
		if got := res.header.Get("WWW-Authenticate"); got != `Basic realm="Bitbucket.org HTTP"` {
			t.Errorf("%s: WWW-Authenticate %q", name, got)
		}
		res.cloudMessage(t) // a JSON error envelope
	}
	// hook_events needs no credentials.
	do(t, srv, "GET", "/2.0/hook_events", anonymous, nil).expect(t, 200)
}

func TestCloudWorkspaces(t *testing.T) {
	srv := cloudServer(t)
	res := do(t, srv, "GET", "/2.0/user/workspaces", alice, nil).expect(t, 200)
	page := res.object(t)
	if page["pagelen"] != 25.0 {
		t.Errorf("default pagelen %v, want 25", page["pagelen"])
	}
	vals := res.values(t)
	if len(vals) != 2 || vals[0]["type"] != "workspace_access" || vals[0]["administrator"] != true || vals[1]["administrator"] != false {
		t.Fatalf("user workspaces: %s", res.body)
	}
	res = do(t, srv, "GET", "/2.0/user/workspaces?administrator=true", alice, nil).expect(t, 200)
	if got := len(res.values(t)); got != 1 {
		t.Errorf("administrator=true: %d workspaces, want 1", got)
	}
	res = do(t, srv, "GET", "/2.0/user/workspaces/acme/permission", bob, nil).expect(t, 200)
	if got := res.object(t)["permission"]; got != "member" {
		t.Errorf("bob's permission %v", got)
	}
	res = do(t, srv, "GET", "/2.0/workspaces/acme", alice, nil).expect(t, 200)
	if ws := res.object(t); ws["slug"] != "acme" || ws["name"] != "Acme Corp" || ws["type"] != "workspace" {
		t.Errorf("workspace: %s", res.body)
	}
	res = do(t, srv, "GET", "/2.0/workspaces?role=owner", alice, nil).expect(t, 200)
	if got := slugs(res.values(t), "slug"); !reflect.DeepEqual(got, []string{"acme"}) {
		t.Errorf("role=owner: %v", got)
	}
	do(t, srv, "GET", "/2.0/user", alice, nil).expect(t, 200)
}

func TestCloudScopes(t *testing.T) {
	srv := cloudServer(t)
	// API-token scopes imply nothing: write:webhook alone cannot list hooks.
	if err := srv.AddCloudUser("carol@example.com", "carol-token", map[string]string{"acme": "owner"},
		[]string{"read:repository:bitbucket", "write:webhook:bitbucket"}); err != nil {
		t.Fatal(err)
	}
	carol := basic("carol@example.com", "carol-token")
	do(t, srv, "GET", "/2.0/repositories/acme", carol, nil).expect(t, 200)
	res := do(t, srv, "GET", "/2.0/repositories/acme/api-service/hooks", carol, nil).expect(t, 403)
	if !strings.Contains(string(res.body), "read:webhook:bitbucket") {
		t.Errorf("403 does not name the missing scope: %s", res.body)
	}
	res.cloudMessage(t)

	// Classic scopes: repository:write implies repository; webhook is implied by nothing.
	if err := srv.AddCloudAccessToken("repo-writer", "acme", "", []string{"repository:write"}); err != nil {
		t.Fatal(err)
	}
	do(t, srv, "GET", "/2.0/repositories/acme", bearer("repo-writer"), nil).expect(t, 200)
	res = do(t, srv, "GET", "/2.0/repositories/acme/api-service/hooks", bearer("repo-writer"), nil).expect(t, 403)
	if !strings.Contains(string(res.body), `"webhook"`) {
		t.Errorf("403 does not name the missing scope: %s", res.body)
	}
	// repository:admin does not imply repository.
	if err := srv.AddCloudAccessToken("repo-admin", "acme", "", []string{"repository:admin"}); err != nil {
		t.Fatal(err)
	}
	do(t, srv, "GET", "/2.0/repositories/acme", bearer("repo-admin"), nil).expect(t, 403)
}

func TestCloudRepositoryAccessTokenSeesOnlyItsRepository(t *testing.T) {
	srv := cloudServer(t)
	if err := srv.AddCloudAccessToken("api-only", "acme", "api-service", []string{"repository", "webhook"}); err != nil {
		t.Fatal(err)
	}
	tok := bearer("api-only")
	res := do(t, srv, "GET", "/2.0/repositories/acme", tok, nil).expect(t, 200)
	if got := slugs(res.values(t), "slug"); !reflect.DeepEqual(got, []string{"api-service"}) {
		t.Errorf("repository token lists %v", got)
	}
	do(t, srv, "GET", "/2.0/repositories/acme/web-app", tok, nil).expect(t, 404)
	do(t, srv, "POST", "/2.0/repositories/acme/api-service/hooks", tok, hookBody).expect(t, 201)
	do(t, srv, "POST", "/2.0/repositories/acme/web-app/hooks", tok, hookBody).expect(t, 404)
	do(t, srv, "GET", "/2.0/workspaces/acme/hooks", tok, nil).expect(t, 403)
}

func TestCloudOAuthClientCredentials(t *testing.T) {
	srv := cloudServer(t)
	srv.SetNow(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	form := "grant_type=client_credentials"
	req := func(a auth) result {
		res, err := try(srv, "POST", "/site/oauth2/access_token", func(r *http.Request) {
			a(r)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}, form)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := req(basic(emulator.CloudOAuthClientID, "wrong")).expect(t, 400)
	if got := res.object(t)["error"]; got != "invalid_client" {
		t.Errorf("wrong client: error %v", got)
	}
	tok := req(basic(emulator.CloudOAuthClientID, emulator.CloudOAuthClientSecret)).expect(t, 200).object(t)
	if tok["token_type"] != "bearer" || tok["expires_in"] != 7200.0 || tok["state"] != "client_credentials" ||
		tok["refresh_token"] == "" || !strings.Contains(tok["scopes"].(string), "webhook") {
		t.Fatalf("token response: %v", tok)
	}
	access := bearer(tok["access_token"].(string))
	do(t, srv, "GET", "/2.0/repositories/acme", access, nil).expect(t, 200)
	do(t, srv, "POST", "/2.0/workspaces/acme/hooks", access, hookBody).expect(t, 201) // acts for alice, an owner
	srv.Advance(2 * time.Hour)
	do(t, srv, "GET", "/2.0/repositories/acme", access, nil).expect(t, 401)
}

func TestCloudHookLifecycleAndSecret(t *testing.T) {
	srv := cloudServer(t)
	base := "/2.0/repositories/acme/api-service/hooks"
	res := do(t, srv, "POST", base, alice, hookBody).expect(t, 201)
	hook := res.object(t)
	uid := hook["uuid"].(string)
	if loc := res.header.Get("Location"); !strings.HasSuffix(loc, base+"/"+url.PathEscape(uid)) || !strings.HasPrefix(loc, "http") {
		t.Errorf("Location %q", loc)
	}
	if _, ok := hook["secret"]; ok || hook["secret_set"] != true {
		t.Errorf("secret leaked or secret_set wrong: %s", res.body)
	}
	if !reflect.DeepEqual(hook["events"], []any{"issue:created", "repo:push"}) || hook["subject_type"] != "repository" ||
		hook["active"] != true || hook["type"] != "webhook_subscription" {
		t.Errorf("hook: %s", res.body)
	}
	stored, ok := srv.Webhook(uid)
	if !ok || stored.Secret != "s3cret" || stored.Repository != "api-service" || stored.Name != "ci" {
		t.Fatalf("stored hook %+v", stored)
	}

	// The uid works with braces and URL-encoded braces.
	do(t, srv, "GET", base+"/"+uid, alice, nil).expect(t, 200)
	do(t, srv, "GET", base+"/"+url.PathEscape(uid), alice, nil).expect(t, 200)

	// PUT is partial: an absent secret keeps it.
	res = do(t, srv, "PUT", base+"/"+url.PathEscape(uid), alice, `{"description":"renamed"}`).expect(t, 200)
	if h := res.object(t); h["description"] != "renamed" || h["secret_set"] != true || h["url"] != "https://ci.example.com/hook" {
		t.Errorf("partial PUT: %s", res.body)
	}
	// "" clears it; so does null.
	res = do(t, srv, "PUT", base+"/"+url.PathEscape(uid), alice, `{"secret":""}`).expect(t, 200)
	if res.object(t)["secret_set"] != false {
		t.Errorf(`secret "" did not clear: %s`, res.body)
	}
	do(t, srv, "PUT", base+"/"+url.PathEscape(uid), alice, `{"secret":"again"}`).expect(t, 200)
	res = do(t, srv, "PUT", base+"/"+url.PathEscape(uid), alice, `{"secret":null}`).expect(t, 200)
	if res.object(t)["secret_set"] != false {
		t.Errorf("secret null did not clear: %s", res.body)
	}
	// On create, null means no secret.
	res = do(t, srv, "POST", base, alice, `{"url":"https://x.example.com/","events":["repo:push"],"secret":null}`).expect(t, 201)
	if res.object(t)["secret_set"] != false {
		t.Errorf("create with null secret: %s", res.body)
	}

	list := do(t, srv, "GET", base, alice, nil).expect(t, 200)
	if n := len(list.values(t)); n != 2 {
		t.Errorf("%d hooks listed, want 2", n)
	}
	do(t, srv, "DELETE", base+"/"+url.PathEscape(uid), alice, nil).expect(t, 204)
	do(t, srv, "GET", base+"/"+url.PathEscape(uid), alice, nil).expect(t, 404)
	if _, ok := srv.Webhook(uid); ok {
		t.Error("hook still stored after DELETE")
	}
}

func TestCloudHookValidation(t *testing.T) {
	srv := cloudServer(t)
	base := "/2.0/repositories/acme/api-service/hooks"
	cases := map[string]struct{ body, field string }{
		"relative url":     {`{"url":"/hook","events":["repo:push"]}`, "url"},
		"ftp url":          {`{"url":"ftp://x.example.com/","events":["repo:push"]}`, "url"},
		"missing url":      {`{"events":["repo:push"]}`, "url"},
		"no events":        {`{"url":"https://x.example.com/","events":[]}`, "events"},
		"duplicate events": {`{"url":"https://x.example.com/","events":["repo:push","repo:push"]}`, "events"},
		"unknown event":    {`{"url":"https://x.example.com/","events":["repo:refs_changed"]}`, "events"},
		"long secret":      {fmt.Sprintf(`{"url":"https://x.example.com/","events":["repo:push"],"secret":%q}`, strings.Repeat("s", 129)), "secret"},
	}
	for name, tc := range cases {
		res := do(t, srv, "POST", base, alice, tc.body).expect(t, 400)
		fields, _ := res.object(t)["error"].(map[string]any)["fields"].(map[string]any)
		if _, ok := fields[tc.field]; !ok {
			t.Errorf("%s: no error for field %s: %s", name, tc.field, res.body)
		}
	}
	if n := len(srv.Webhooks()); n != 0 {
		t.Errorf("%d hooks stored after invalid requests", n)
	}
	// Every event of the spec's enum is accepted, and a 128-character secret is fine.
	do(t, srv, "POST", base, alice, fmt.Sprintf(`{"url":"https://x.example.com/","events":["pullrequest:push","pipeline:span_created"],"secret":%q}`, strings.Repeat("s", 128))).expect(t, 201)
}

func TestCloudWorkspaceHooksOwnersOnly(t *testing.T) {
	srv := cloudServer(t)
	res := do(t, srv, "POST", "/2.0/workspaces/acme/hooks", bob, hookBody).expect(t, 403)
	if msg := res.cloudMessage(t); !strings.Contains(msg, "not an owner of the workspace") {
		t.Errorf("403 message %q", msg)
	}
	do(t, srv, "GET", "/2.0/workspaces/acme/hooks", bob, nil).expect(t, 403)
	res = do(t, srv, "POST", "/2.0/workspaces/acme/hooks", alice, hookBody).expect(t, 201)
	hook := res.object(t)
	if hook["subject_type"] != "workspace" {
		t.Errorf("subject_type %v", hook["subject_type"])
	}
	uid := url.PathEscape(hook["uuid"].(string))
	// A workspace hook is not a repository hook.
	do(t, srv, "GET", "/2.0/repositories/acme/api-service/hooks/"+uid, alice, nil).expect(t, 404)
	do(t, srv, "PUT", "/2.0/workspaces/acme/hooks/"+uid, alice, `{"active":false}`).expect(t, 200)
	do(t, srv, "DELETE", "/2.0/workspaces/acme/hooks/"+uid, alice, nil).expect(t, 204)
	// Members administer repository hooks.
	do(t, srv, "POST", "/2.0/repositories/acme/api-service/hooks", bob, hookBody).expect(t, 201)
}

func TestCloudHookEvents(t *testing.T) {
	srv := cloudServer(t)
	res := do(t, srv, "GET", "/2.0/hook_events/repository", anonymous, nil).expect(t, 200)
	if res.object(t)["pagelen"] != 30.0 || len(res.values(t)) != 28 {
		t.Errorf("repository events: %s", res.body)
	}
	do(t, srv, "GET", "/2.0/hook_events/workspace", anonymous, nil).expect(t, 200)
	do(t, srv, "GET", "/2.0/hook_events/team", anonymous, nil).expect(t, 404)
}

func TestCloudOutOfBandHookChanges(t *testing.T) {
	srv := cloudServer(t)
	hook := do(t, srv, "POST", "/2.0/repositories/acme/api-service/hooks", alice, hookBody).expect(t, 201).object(t)
	uid := hook["uuid"].(string)
	if err := srv.UpdateWebhook(uid, func(w *emulator.Webhook) { w.URL = "https://changed.example.com/"; w.Secret = "" }); err != nil {
		t.Fatal(err)
	}
	got := do(t, srv, "GET", "/2.0/repositories/acme/api-service/hooks/"+url.PathEscape(uid), alice, nil).expect(t, 200).object(t)
	if got["url"] != "https://changed.example.com/" || got["secret_set"] != false {
		t.Errorf("out-of-band change not visible: %v", got)
	}
	if err := srv.DeleteWebhook(uid); err != nil {
		t.Fatal(err)
	}
	do(t, srv, "GET", "/2.0/repositories/acme/api-service/hooks/"+url.PathEscape(uid), alice, nil).expect(t, 404)
	if err := srv.DeleteWebhook(uid); err == nil {
		t.Error("deleting a deleted hook succeeded")
	}
}
