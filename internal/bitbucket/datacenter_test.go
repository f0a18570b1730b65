package bitbucket

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// dcHookServer keeps one Data Center webhook with id 10 whose stored
// secret is "old-secret", and answers like Data Center (secret in plain text).
func dcHookServer(t *testing.T, rec *recorder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := rec.add(r)
		hook := map[string]any{"id": 10, "name": "ci", "url": "https://ci.example.com/hook", "active": true,
			"events": []string{"repo:refs_changed", "pr:opened"}, "configuration": map[string]any{"secret": "old-secret"},
			"sslVerificationRequired": false, "createdDate": 1513106011000, "scopeType": "repository"}
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost, http.MethodPut:
			// Echo what was sent, as the server stores it.
			sent := bodyMap(t, e.Body)
			for k, v := range sent {
				hook[k] = v
			}
			if _, ok := sent["configuration"]; !ok {
				delete(hook, "configuration")
			}
		case http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, http.StatusOK, hook)
	})
}

func TestDataCenterWebhookSecretOnUpdate(t *testing.T) {
	tests := []struct {
		name       string
		secret     *string
		wantGET    bool
		wantConfig map[string]any
		wantSecret string
	}{
		{name: "nil keeps the current secret by sending it again", secret: nil, wantGET: true,
			wantConfig: map[string]any{"secret": "old-secret"}, wantSecret: "old-secret"},
		{name: "empty removes it", secret: ptr(""), wantConfig: map[string]any{}, wantSecret: ""},
		{name: "a value replaces it", secret: ptr("new-secret"), wantConfig: map[string]any{"secret": "new-secret"}, wantSecret: "new-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			c, _ := newTestClient(t, ProductDataCenter, dcHookServer(t, rec), nil)
			in := WebhookInput{Name: "ci", URL: "https://ci.example.com/hook", Events: []string{"repo:refs_changed"}, Active: true, Secret: tt.secret}
			hook, err := c.UpdateWebhook(context.Background(), WebhookScope{Workspace: "PRJ", Repository: "api"}, "10", in)
			if err != nil {
				t.Fatal(err)
			}
			var methods []string
			var put recorded
			for _, r := range rec.all() {
				if r.Path == "/rest/api/1.0/application-properties" {
					continue
				}
				methods = append(methods, r.Method)
				if r.Path != "/rest/api/1.0/projects/PRJ/repos/api/webhooks/10" {
					t.Errorf("path %s", r.Path)
				}
				if r.Method == http.MethodPut {
					put = r
				}
			}
			wantMethods := []string{http.MethodPut}
			if tt.wantGET {
				wantMethods = []string{http.MethodGet, http.MethodPut}
			}
			if !reflect.DeepEqual(methods, wantMethods) {
				t.Fatalf("requests %v, want %v", methods, wantMethods)
			}
			body := bodyMap(t, put.Body)
			want := map[string]any{"name": "ci", "url": "https://ci.example.com/hook", "active": true,
				"events": []any{"repo:refs_changed"}, "sslVerificationRequired": true, "configuration": tt.wantConfig}
			if !reflect.DeepEqual(body, want) {
				t.Errorf("PUT body %v\nwant %v", body, want)
			}
			if put.Header.Get("X-Atlassian-Token") != "no-check" {
				t.Error("PUT without X-Atlassian-Token: no-check")
			}
			if hook.Secret != tt.wantSecret || hook.SecretSet != (tt.wantSecret != "") {
				t.Errorf("hook secret %q set %v, want %q", hook.Secret, hook.SecretSet, tt.wantSecret)
			}
		})
	}
}

func TestDataCenterWebhookCreateAndMapping(t *testing.T) {
	rec := &recorder{}
	c, _ := newTestClient(t, ProductDataCenter, dcHookServer(t, rec), nil)
	ctx := context.Background()

	hook, err := c.CreateWebhook(ctx, WebhookScope{Workspace: "PRJ"}, WebhookInput{Name: "ci", URL: "https://ci.example.com/hook",
		Events: []string{"repo:refs_changed", "pr:opened"}, Active: true, SkipCertVerification: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &Webhook{ID: "10", Name: "ci", URL: "https://ci.example.com/hook", Events: []string{"pr:opened", "repo:refs_changed"},
		Active: true, SkipCertVerification: true, SecretReturned: true, CreatedAt: time.UnixMilli(1513106011000).UTC()}
	if !reflect.DeepEqual(hook, want) {
		t.Errorf("hook %+v\nwant %+v", hook, want)
	}
	got, err := c.GetWebhook(ctx, WebhookScope{Workspace: "PRJ"}, "10")
	if err != nil {
		t.Fatal(err)
	}
	if got.Secret != "old-secret" || !got.SecretSet || !got.SkipCertVerification {
		t.Errorf("read hook %+v", got)
	}
	if err := c.DeleteWebhook(ctx, WebhookScope{Workspace: "PRJ"}, "10"); err != nil {
		t.Fatal(err)
	}

	var seen []string
	for _, r := range rec.all() {
		if r.Path == "/rest/api/1.0/application-properties" {
			continue
		}
		seen = append(seen, r.Method+" "+r.Path+" "+r.Header.Get("X-Atlassian-Token"))
		if r.Method == http.MethodPost {
			body := bodyMap(t, r.Body)
			if body["sslVerificationRequired"] != false {
				t.Errorf("sslVerificationRequired %v, want false for SkipCertVerification", body["sslVerificationRequired"])
			}
			if cfg, ok := body["configuration"].(map[string]any); !ok || len(cfg) != 0 {
				t.Errorf("configuration %v, want no secret", body["configuration"])
			}
		}
	}
	wantSeen := []string{
		"POST /rest/api/1.0/projects/PRJ/webhooks no-check",
		"GET /rest/api/1.0/projects/PRJ/webhooks/10 ",
		"DELETE /rest/api/1.0/projects/PRJ/webhooks/10 no-check",
		// (the confirming read after the delete is answered 404 by goneAfterDelete, outside the recorder)
	}
	if !reflect.DeepEqual(seen, wantSeen) {
		t.Errorf("requests %q\nwant %q", seen, wantSeen)
	}
}

func TestDataCenterAccessTokenPaths(t *testing.T) {
	rec := &recorder{}
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		switch {
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodGet && r.URL.Path == "/rest/access-tokens/1.0/projects/PRJ/repos/api":
			writeJSON(w, http.StatusOK, map[string]any{"isLastPage": true, "values": []any{
				map[string]any{"id": "2", "name": "b", "createdDate": 2000},
				map[string]any{"id": "10", "name": "c", "createdDate": 2000},
				map[string]any{"id": "3", "name": "a", "createdDate": 1000},
			}})
		default:
			writeJSON(w, http.StatusOK, map[string]any{
				"id": "158910532909", "createdDate": 1609249808751, "lastAuthenticated": 1609250000000, "name": "ci",
				"expiryDays": 90, "permissions": []string{"REPO_WRITE", "PROJECT_READ"}, "token": "MTU4OTEw-token-value",
				"user": map[string]any{"name": "tester", "slug": "tester"},
			})
		}
	}), nil)
	ctx := context.Background()

	repoScope := TokenScope{Level: TokenLevelRepository, Workspace: "PRJ", Repository: "api"}
	tok, err := c.CreateAccessToken(ctx, repoScope, AccessTokenInput{Name: "ci", Permissions: []string{"REPO_WRITE"}, ExpiryDays: 90})
	if err != nil {
		t.Fatal(err)
	}
	created := time.UnixMilli(1609249808751).UTC()
	want := &AccessToken{ID: "158910532909", Name: "ci", Permissions: []string{"PROJECT_READ", "REPO_WRITE"}, Token: "MTU4OTEw-token-value",
		CreatedAt: created, ExpiresAt: created.Add(90 * 24 * time.Hour), ExpiryDays: 90,
		LastAuthenticated: time.UnixMilli(1609250000000).UTC(), User: "tester"}
	if !reflect.DeepEqual(tok, want) {
		t.Errorf("token %+v\nwant %+v", tok, want)
	}
	list, err := c.ListAccessTokens(ctx, repoScope)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].ID != "3" || list[1].ID != "2" || list[2].ID != "10" {
		t.Errorf("list order %+v, want by creation then numeric id: 3, 2, 10", list)
	}
	if _, err := c.GetAccessToken(ctx, TokenScope{Level: TokenLevelProject, Workspace: "PRJ"}, "7"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateAccessToken(ctx, TokenScope{Level: TokenLevelUser, User: "alice"}, "7", AccessTokenInput{Name: "renamed"}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAccessToken(ctx, TokenScope{Level: TokenLevelUser}, "7"); err != nil {
		t.Fatal(err)
	}

	var seen []string
	for _, r := range rec.all() {
		if r.Path != "/rest/api/1.0/application-properties" {
			seen = append(seen, r.Method+" "+r.Path+" "+string(r.Body))
		}
	}
	wantSeen := []string{
		`PUT /rest/access-tokens/1.0/projects/PRJ/repos/api {"name":"ci","permissions":["REPO_WRITE"],"expiryDays":90}`,
		"GET /rest/access-tokens/1.0/projects/PRJ/repos/api ",
		"GET /rest/access-tokens/1.0/projects/PRJ/7 ",
		`POST /rest/access-tokens/1.0/users/alice/7 {"name":"renamed"}`,
		// User "" with Basic auth is the username itself.
		"DELETE /rest/access-tokens/1.0/users/tester/7 ",
		// (the confirming read after the delete is answered 404 by goneAfterDelete, outside the recorder)
	}
	if !reflect.DeepEqual(seen, wantSeen) {
		t.Errorf("requests\n%q\nwant\n%q", seen, wantSeen)
	}
}

func TestDataCenterCurrentUserWithBearer(t *testing.T) {
	t.Run("from an earlier X-AUSERNAME", func(t *testing.T) {
		rec := &recorder{}
		c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec.add(r)
			w.Header().Set("X-AUSERNAME", "bob")
			writeJSON(w, http.StatusOK, map[string]any{"isLastPage": true, "values": []any{}})
		}), func(cfg *Config) { cfg.Username, cfg.Token, cfg.AccessToken = "", "", "bearer-token" })
		if err := c.CheckCredentials(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListAccessTokens(context.Background(), TokenScope{Level: TokenLevelUser}); err != nil {
			t.Fatal(err)
		}
		if rec.count(http.MethodGet, "/rest/access-tokens/1.0/users/bob") != 1 || rec.count(http.MethodGet, "/plugins/servlet/applinks/whoami") != 0 {
			t.Errorf("requests %+v", rec.all())
		}
	})
	t.Run("from whoami", func(t *testing.T) {
		rec := &recorder{}
		c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec.add(r)
			if r.URL.Path == "/plugins/servlet/applinks/whoami" {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = w.Write([]byte("carol\n"))
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"isLastPage": true, "values": []any{}})
		}), func(cfg *Config) { cfg.Username, cfg.Token, cfg.AccessToken = "", "", "bearer-token" })
		for i := 0; i < 2; i++ {
			if _, err := c.ListAccessTokens(context.Background(), TokenScope{Level: TokenLevelUser}); err != nil {
				t.Fatal(err)
			}
		}
		if rec.count(http.MethodGet, "/rest/access-tokens/1.0/users/carol") != 2 || rec.count(http.MethodGet, "/plugins/servlet/applinks/whoami") != 1 {
			t.Errorf("requests %+v, want whoami once, then the user's tokens twice", rec.all())
		}
	})
}

func TestDataCenterCheckCredentials(t *testing.T) {
	tests := []struct {
		status    int
		exception string
		want      error
	}{
		{200, "", nil},
		{401, "com.atlassian.bitbucket.AuthorisationException", nil}, // authenticated, lacks permission
		{401, "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException", ErrUnauthorized},
		{403, "", nil},
	}
	for _, tt := range tests {
		rec := &recorder{}
		c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec.add(r)
			if tt.status == 200 {
				writeJSON(w, 200, map[string]any{"isLastPage": true, "values": []any{}})
				return
			}
			writeJSON(w, tt.status, map[string]any{"errors": []any{map[string]any{"message": "m", "exceptionName": tt.exception}}})
		}), nil)
		err := c.CheckCredentials(context.Background())
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%d %s: got %v, want %v", tt.status, tt.exception, err, tt.want)
		}
		if reqs := rec.all(); len(reqs) != 1 || reqs[0].RequestURI != "/rest/api/1.0/projects?limit=1" {
			t.Errorf("requests %+v", reqs)
		}
	}
}

func TestDataCenterRepositoryMappingReadsDefaultBranch(t *testing.T) {
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rest/api/1.0/projects/PRJ/repos/api":
			writeJSON(w, http.StatusOK, map[string]any{"slug": "api", "id": 3, "name": "API", "description": "d", "public": false,
				"project": map[string]any{"key": "PRJ", "name": "Project One"},
				"links": map[string]any{
					"clone": []any{map[string]any{"href": "ssh://git@bb:7999/prj/api.git", "name": "ssh"}, map[string]any{"href": "https://bb/scm/prj/api.git", "name": "http"}},
					"self":  []any{map[string]any{"href": "https://bb/projects/PRJ/repos/api/browse"}},
				}})
		case "/rest/api/1.0/projects/PRJ/repos/api/default-branch":
			writeJSON(w, http.StatusOK, map[string]any{"id": "refs/heads/develop", "displayId": "develop"})
		default:
			http.NotFound(w, r)
		}
	}), nil)
	got, err := c.GetRepository(context.Background(), "PRJ", "api")
	if err != nil {
		t.Fatal(err)
	}
	want := &Repository{Workspace: "PRJ", Slug: "api", Name: "API", ID: "3", Description: "d", ProjectKey: "PRJ", ProjectName: "Project One",
		Private: true, DefaultBranch: "develop", CloneHTTPS: "https://bb/scm/prj/api.git", CloneSSH: "ssh://git@bb:7999/prj/api.git",
		WebURL: "https://bb/projects/PRJ/repos/api/browse"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// TestDataCenterTokenUpdateOfMissingToken: the update's answer for a token
// that no longer exists is undocumented (200, 400, 401 only), so the client
// reads the token (404 documented) before reporting: a gone token is
// ErrNotFound whatever the update said, and an existing one keeps the
// update's error.
func TestDataCenterTokenUpdateOfMissingToken(t *testing.T) {
	for _, tc := range []struct {
		name             string
		updateStatus     int
		readStatus       int
		wantNotFound     bool
		wantUnauthorized bool
	}{
		{"401 for a gone token", http.StatusUnauthorized, http.StatusNotFound, true, false},
		{"404 for a gone token", http.StatusNotFound, http.StatusNotFound, true, false},
		{"401 for an existing token", http.StatusUnauthorized, http.StatusOK, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				status := tc.readStatus
				if r.Method == http.MethodPost {
					status = tc.updateStatus
				}
				if status == http.StatusOK {
					writeJSON(w, status, map[string]any{"id": "7", "name": "ci", "createdDate": 1, "permissions": []string{"REPO_READ"}})
					return
				}
				writeJSON(w, status, map[string]any{"errors": []map[string]any{{"message": "no", "exceptionName": "x"}}})
			}), nil)
			_, err := c.UpdateAccessToken(context.Background(), TokenScope{Level: TokenLevelProject, Workspace: "PRJ"}, "7",
				AccessTokenInput{Name: "renamed"})
			if errors.Is(err, ErrNotFound) != tc.wantNotFound || errors.Is(err, ErrUnauthorized) != tc.wantUnauthorized {
				t.Errorf("UpdateAccessToken = %v; want not found %v, unauthorized %v", err, tc.wantNotFound, tc.wantUnauthorized)
			}
		})
	}
}
