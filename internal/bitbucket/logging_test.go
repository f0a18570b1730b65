package bitbucket

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

func TestLogsShowRequestsButNoSecrets(t *testing.T) {
	const (
		basicToken   = "basic-token-S1"
		bearerToken  = "bearer-token-S2"
		oauthSecret  = "oauth-client-secret-S3"
		oauthAccess  = "oauth-access-token-S4"
		oauthRefresh = "oauth-refresh-token-S5"
		hookSecret   = "webhook-secret-S6"
		tokenValue   = "dc-token-value-S7"
		hookPassword = "hook-password-S8"
	)
	secrets := []string{basicToken, bearerToken, oauthSecret, oauthAccess, oauthRefresh, hookSecret, tokenValue, hookPassword,
		base64.StdEncoding.EncodeToString([]byte("alice@example.com:" + basicToken)),
		base64.StdEncoding.EncodeToString([]byte("oauth-id:" + oauthSecret))}

	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)

	// Cloud with Basic: a webhook create whose body holds the secret, and a
	// server that (unlike Cloud) echoes it back.
	cloud := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/site/oauth2/access_token" {
			writeJSON(w, http.StatusOK, map[string]any{"access_token": oauthAccess, "refresh_token": oauthRefresh, "expires_in": 7200, "token_type": "bearer"})
			return
		}
		rec := (&recorder{}).add(r)
		hook := map[string]any{"uuid": "{h}", "url": "https://ci.example.com/hook", "events": []string{"repo:push"}, "secret_set": true}
		if len(rec.Body) > 0 {
			hook["secret"] = bodyMap(t, rec.Body)["secret"]
		}
		writeJSON(w, http.StatusCreated, hook)
	}))
	defer cloud.Close()
	cfg := testConfig(ProductCloud, cloud.URL+"/2.0")
	cfg.Username, cfg.Token = "alice@example.com", basicToken
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := WebhookInput{Name: "ci", URL: "https://ci.example.com/hook", Events: []string{"repo:push"}, Active: true, Secret: ptr(hookSecret)}
	if _, err := c.CreateWebhook(ctx, WebhookScope{Workspace: "acme", Repository: "api"}, in); err != nil {
		t.Fatal(err)
	}

	// Cloud with OAuth: the token answer holds the access and refresh tokens.
	cfg = testConfig(ProductCloud, cloud.URL+"/2.0")
	cfg.Username, cfg.Token = "", ""
	cfg.OAuthClientID, cfg.OAuthClientSecret, cfg.OAuthTokenURL = "oauth-id", oauthSecret, cloud.URL+"/site/oauth2/access_token"
	c, err = New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetWebhook(ctx, WebhookScope{Workspace: "acme"}, "{h}"); err != nil {
		t.Fatal(err)
	}

	// Data Center with Bearer: a token create whose answer holds the token,
	// and a hook whose configuration.secret and credentials.password come back.
	dc := httptest.NewServer(withApplicationProperties(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/rest/access-tokens/") {
			writeJSON(w, http.StatusOK, map[string]any{"id": "1", "name": "ci", "permissions": []string{"REPO_READ"}, "token": tokenValue})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": 10, "name": "ci", "url": "https://ci.example.com/hook",
			"configuration": map[string]any{"secret": hookSecret}, "credentials": map[string]any{"username": "u", "password": hookPassword}})
	})))
	defer dc.Close()
	cfg = testConfig(ProductDataCenter, dc.URL)
	cfg.Username, cfg.Token, cfg.AccessToken = "", "", bearerToken
	c, err = New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.CreateAccessToken(ctx, TokenScope{Level: TokenLevelProject, Workspace: "PRJ"}, AccessTokenInput{Name: "ci", Permissions: []string{"REPO_READ"}})
	if err != nil || tok.Token != tokenValue {
		t.Fatalf("create token: %v %+v", err, tok)
	}
	if _, err := c.UpdateWebhook(ctx, WebhookScope{Workspace: "PRJ"}, "10", WebhookInput{Name: "ci", Secret: ptr(hookSecret)}); err != nil {
		t.Fatal(err)
	}

	logs := out.String()
	entries, err := tflogtest.MultilineJSONDecode(&out)
	if err != nil {
		t.Fatalf("decoding logs: %v", err)
	}
	if len(entries) == 0 {
		t.Fatal("nothing was logged")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log shows the secret %q", s)
		}
	}
	if strings.Contains(strings.ToLower(logs), "authorization: basic") || strings.Contains(strings.ToLower(logs), "authorization: bearer") {
		t.Error("the log shows an Authorization header")
	}
	// The requests themselves are there, with their bodies at trace.
	for _, want := range []string{
		`"@message":"Bitbucket API response"`,
		`"method":"POST"`,
		`"url":"` + cloud.URL + `/2.0/repositories/acme/api/hooks"`,
		`"url":"` + dc.URL + `/rest/access-tokens/1.0/projects/PRJ"`,
		`"url":"` + cloud.URL + `/site/oauth2/access_token"`,
		`"status":201`,
		`"attempt":1`,
		`https://ci.example.com/hook`, // from a logged body
		`"@module":"provider.bitbucket"`,
		// The secret fields were in logged bodies, masked.
		`\"token\":\"***\"`,
		`\"secret\":\"***\"`,
		`\"password\":\"***\"`,
		`\"access_token\":\"***\"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", logs)
	}
}

func TestRedactBody(t *testing.T) {
	tests := []struct{ in, contentType, want string }{
		{`{"name":"x","secret":"s","configuration":{"secret":"s2"},"list":[{"Password":"p"}],"secret_set":true}`, "application/json",
			`{"configuration":{"secret":"***"},"list":[{"Password":"***"}],"name":"x","secret":"***","secret_set":true}`},
		{`{"access_token":"a","refresh_token":"r","client_secret":"c","token":"t","expires_in":7200}`, "application/json",
			`{"access_token":"***","client_secret":"***","expires_in":7200,"refresh_token":"***","token":"***"}`},
		{`{"secret":null}`, "application/json", `{"secret":null}`},
		{`grant_type=client_credentials&client_secret=c`, "application/x-www-form-urlencoded", `client_secret=%2A%2A%2A&grant_type=client_credentials`},
		{"plain text", "text/plain", "plain text"},
	}
	for _, tt := range tests {
		if got := redactBody([]byte(tt.in), tt.contentType); got != tt.want {
			t.Errorf("redactBody(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
