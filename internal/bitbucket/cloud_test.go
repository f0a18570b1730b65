package bitbucket

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"sync/atomic"
	"testing"
	"time"
)

func TestCloudWebhookSecretInRequestBodies(t *testing.T) {
	tests := []struct {
		name    string
		update  bool
		secret  *string
		present bool
		want    any // value of "secret" when present
	}{
		{name: "create, nil: none", secret: nil, present: false},
		{name: "create, empty: none", secret: ptr(""), present: false},
		{name: "create, set", secret: ptr("s3cret"), present: true, want: "s3cret"},
		{name: "update, nil: kept (left out)", update: true, secret: nil, present: false},
		{name: "update, empty: cleared (null)", update: true, secret: ptr(""), present: true, want: nil},
		{name: "update, set", update: true, secret: ptr("n3w"), present: true, want: "n3w"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec.add(r)
				status := http.StatusOK
				if r.Method == http.MethodPost {
					status = http.StatusCreated
				}
				writeJSON(w, status, map[string]any{"uuid": "{h1}", "url": "https://ci.example.com/hook", "description": "ci",
					"active": true, "events": []string{"repo:push", "issue:created"}, "secret_set": true,
					"skip_cert_verification": true, "created_at": "2024-05-01T10:00:00.123456+00:00"})
			}), nil)

			in := WebhookInput{Name: "ci", URL: "https://ci.example.com/hook", Events: []string{"repo:push", "issue:created"}, Active: true, SkipCertVerification: true, Secret: tt.secret}
			scope := WebhookScope{Workspace: "acme", Repository: "api"}
			var (
				hook *Webhook
				err  error
			)
			if tt.update {
				hook, err = c.UpdateWebhook(context.Background(), scope, "{h1}", in)
			} else {
				hook, err = c.CreateWebhook(context.Background(), scope, in)
			}
			if err != nil {
				t.Fatal(err)
			}
			reqs := rec.all()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			body := bodyMap(t, reqs[0].Body)
			got, present := body["secret"]
			if present != tt.present || (present && got != tt.want) {
				t.Errorf("secret in body: present %v value %#v; want present %v value %#v (body %s)", present, got, tt.present, tt.want, reqs[0].Body)
			}
			wantBody := map[string]any{"description": "ci", "url": "https://ci.example.com/hook", "active": true,
				"events": []any{"repo:push", "issue:created"}, "skip_cert_verification": true}
			delete(body, "secret")
			if !reflect.DeepEqual(body, wantBody) {
				t.Errorf("body %v, want %v", body, wantBody)
			}
			wantHook := &Webhook{ID: "{h1}", Name: "ci", URL: "https://ci.example.com/hook", Events: []string{"issue:created", "repo:push"},
				Active: true, SkipCertVerification: true, SecretSet: true,
				CreatedAt: time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC)}
			if !hook.CreatedAt.Equal(wantHook.CreatedAt) {
				t.Errorf("CreatedAt %v, want %v", hook.CreatedAt, wantHook.CreatedAt)
			}
			hook.CreatedAt = wantHook.CreatedAt
			if !reflect.DeepEqual(hook, wantHook) {
				t.Errorf("hook %+v, want %+v", hook, wantHook)
			}
			wantPath := "/2.0/repositories/acme/api/hooks"
			if tt.update {
				wantPath += "/%7Bh1%7D"
			}
			if reqs[0].RequestURI != wantPath {
				t.Errorf("request to %q, want %q", reqs[0].RequestURI, wantPath)
			}
		})
	}
}

func TestCloudWebhookPathsEscapeTheUUID(t *testing.T) {
	rec := &recorder{}
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"uuid": "{4f1c}", "values": []any{}})
	}), nil)
	ctx := context.Background()
	ws := WebhookScope{Workspace: "acme"}
	if _, err := c.GetWebhook(ctx, ws, "{4f1c}"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWebhook(ctx, ws, "{4f1c}"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListWebhooks(ctx, WebhookScope{Workspace: "acme", Repository: "api"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rec.all() {
		got = append(got, r.Method+" "+r.RequestURI)
	}
	want := []string{
		"GET /2.0/workspaces/acme/hooks/%7B4f1c%7D",
		"DELETE /2.0/workspaces/acme/hooks/%7B4f1c%7D",
		"GET /2.0/repositories/acme/api/hooks?pagelen=100",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("requests %q, want %q", got, want)
	}
	if _, err := c.GetWebhook(ctx, ws, ""); err == nil {
		t.Error("an empty id must fail before a request (it would address the list)")
	}
}

func TestCloudAccessTokensAreUnsupportedWithoutARequest(t *testing.T) {
	rec := &recorder{}
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rec.add(r) }), nil)
	ctx := context.Background()
	scope := TokenScope{Level: TokenLevelRepository, Workspace: "acme", Repository: "api"}
	_, e1 := c.CreateAccessToken(ctx, scope, AccessTokenInput{Name: "x"})
	_, e2 := c.GetAccessToken(ctx, scope, "1")
	_, e3 := c.ListAccessTokens(ctx, scope)
	_, e4 := c.UpdateAccessToken(ctx, scope, "1", AccessTokenInput{})
	e5 := c.DeleteAccessToken(ctx, scope, "1")
	for i, err := range []error{e1, e2, e3, e4, e5} {
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("call %d: want ErrUnsupported, got %v", i+1, err)
		}
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestCloudCheckCredentials(t *testing.T) {
	for status, want := range map[int]error{200: nil, 403: nil, 401: ErrUnauthorized, 500: ErrServer} {
		c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/2.0/user" {
				t.Errorf("path %s", r.URL.Path)
			}
			writeJSON(w, status, map[string]any{"type": "error", "error": map[string]any{"message": "m"}})
		}), func(cfg *Config) { cfg.MaxRetries = 0 })
		err := c.CheckCredentials(context.Background())
		if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
			t.Errorf("status %d: got %v, want %v", status, err, want)
		}
	}
}

func TestCloudRepositoryMapping(t *testing.T) {
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"type": "repository", "uuid": "{r1}", "slug": "api-service", "name": "API Service", "full_name": "acme-corp/api-service",
			"description": "d", "is_private": true, "mainbranch": map[string]any{"type": "branch", "name": "main"},
			"project":   map[string]any{"key": "API", "name": "API services"},
			"workspace": map[string]any{"slug": "acme-corp"},
			"links": map[string]any{
				"html": map[string]any{"href": "https://bitbucket.org/acme-corp/api-service"},
				"clone": []any{
					map[string]any{"name": "https", "href": "https://bitbucket.org/acme-corp/api-service.git"},
					map[string]any{"name": "ssh", "href": "git@bitbucket.org:acme-corp/api-service.git"},
				},
			},
		})
	}), nil)
	got, err := c.GetRepository(context.Background(), "{ws-uuid}", "api-service")
	if err != nil {
		t.Fatal(err)
	}
	want := &Repository{Workspace: "acme-corp", Slug: "api-service", Name: "API Service", ID: "{r1}", Description: "d",
		ProjectKey: "API", ProjectName: "API services", Private: true, DefaultBranch: "main",
		CloneHTTPS: "https://bitbucket.org/acme-corp/api-service.git", CloneSSH: "git@bitbucket.org:acme-corp/api-service.git",
		WebURL: "https://bitbucket.org/acme-corp/api-service"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestCreateWithAnUnreadableAnswerIsUncertain(t *testing.T) {
	var posts atomic.Int32
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"uuid":"{h1}","url":"https://ci.exa`)) // cut short
	}), nil)
	err := createHook(c)
	if !IsUncertain(err) {
		t.Fatalf("the server said yes but the id is unknown: want uncertain, got %v", err)
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("%d POSTs, want 1", n)
	}
}
