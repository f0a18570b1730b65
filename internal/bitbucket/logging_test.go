package bitbucket

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// lineLogger is a Logger that writes each line as one JSON object
// ({"level", "msg", fields...}) at the level it is given and above.
type lineLogger struct {
	min LogLevel
	mu  sync.Mutex
	out bytes.Buffer
}

func (l *lineLogger) Enabled(_ context.Context, level LogLevel) bool { return level >= l.min }

func (l *lineLogger) Log(_ context.Context, level LogLevel, msg string, fields map[string]any) {
	line := map[string]any{"level": int(level), "msg": msg}
	for k, v := range fields {
		line[k] = v
	}
	b, _ := json.Marshal(line)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out.Write(append(b, '\n'))
}

func (l *lineLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.String()
}

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

	logger := &lineLogger{min: LogTrace}
	cloudURL := logCloudScenario(t, logger, basicToken, oauthSecret, oauthAccess, oauthRefresh, hookSecret)
	dcURL := logDataCenterScenario(t, logger, bearerToken, tokenValue, hookSecret, hookPassword)
	checkLogs(t, logger.String(), secrets, []string{
		`"msg":"Bitbucket API response"`,
		`"method":"POST"`,
		`"url":"` + cloudURL + `/2.0/repositories/acme/api/hooks"`,
		`"url":"` + dcURL + `/rest/access-tokens/1.0/projects/PRJ"`,
		`"url":"` + cloudURL + `/site/oauth2/access_token"`,
		`"status":201`,
		`"attempt":1`,
		`https://ci.example.com/hook`, // from a logged body
		// The secret fields were in logged bodies, masked.
		`\"token\":\"***\"`,
		`\"secret\":\"***\"`,
		`\"password\":\"***\"`,
		`\"access_token\":\"***\"`,
	})
}

// logCloudScenario: Cloud with Basic (a webhook create whose body holds the
// secret, and a server that, unlike Cloud, echoes it back), then with OAuth
// (the token answer holds the access and refresh tokens).
func logCloudScenario(t *testing.T, logger Logger, basicToken, oauthSecret, oauthAccess, oauthRefresh, hookSecret string) string {
	t.Helper()
	ctx := context.Background()
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
	t.Cleanup(cloud.Close)
	cfg := testConfig(ProductCloud, cloud.URL+"/2.0")
	cfg.Username, cfg.Token = "alice@example.com", basicToken
	cfg.Logger = logger
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
	cfg.Logger = logger
	c, err = New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetWebhook(ctx, WebhookScope{Workspace: "acme"}, "{h}"); err != nil {
		t.Fatal(err)
	}
	return cloud.URL
}

// logDataCenterScenario: Data Center with Bearer: a token create whose
// answer holds the token, and a hook whose configuration.secret and
// credentials.password come back.
func logDataCenterScenario(t *testing.T, logger Logger, bearerToken, tokenValue, hookSecret, hookPassword string) string {
	t.Helper()
	ctx := context.Background()
	dc := httptest.NewServer(withApplicationProperties(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/rest/access-tokens/") {
			writeJSON(w, http.StatusOK, map[string]any{"id": "1", "name": "ci", "permissions": []string{"REPO_READ"}, "token": tokenValue})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": 10, "name": "ci", "url": "https://ci.example.com/hook",
			"configuration": map[string]any{"secret": hookSecret}, "credentials": map[string]any{"username": "u", "password": hookPassword}})
	})))
	t.Cleanup(dc.Close)
	cfg := testConfig(ProductDataCenter, dc.URL)
	cfg.Username, cfg.Token, cfg.AccessToken = "", "", bearerToken
	cfg.Logger = logger
	c, err := New(ctx, cfg)
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
	return dc.URL
}

// checkLogs fails for every secret in logs and every wanted text missing.
func checkLogs(t *testing.T, logs string, secrets, wants []string) {
	t.Helper()
	if logs == "" {
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
	for _, want := range wants {
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

// Every line goes through the client's masks before the Logger sees it:
// secret strings in the message and string fields, and the whole value of
// credential and secret keys, whatever the Logger does.
func TestClientLogMasksBeforeTheLogger(t *testing.T) {
	logger := &lineLogger{min: LogTrace}
	log := clientLog{logger: logger, redactor: newRedactor(Config{Username: "u", Token: "tok-S1"})}
	log.log(context.Background(), LogDebug, "failed with tok-S1", map[string]any{
		"error":         "401 for tok-S1",
		"Authorization": "Basic xyz",
		"set-cookie":    "BITBUCKETSESSIONID=abc",
		"secret":        42,
		"status":        401,
	})
	var line map[string]any
	if err := json.Unmarshal([]byte(logger.String()), &line); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"level": float64(LogDebug), "msg": "failed with ***", "error": "401 for ***",
		"Authorization": redacted, "set-cookie": redacted, "secret": redacted, "status": float64(401)}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v", k, line[k], v)
		}
	}
}

// A Logger at debug gets one line per attempt and no trace lines; no
// Logger at all costs nothing and logs nothing.
func TestClientLogLevels(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"uuid": "{h}", "url": "https://ci.example.com/hook", "events": []string{"repo:push"}})
	}))
	defer srv.Close()
	logger := &lineLogger{min: LogDebug}
	cfg := testConfig(ProductCloud, srv.URL+"/2.0")
	cfg.Logger = logger
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetWebhook(context.Background(), WebhookScope{Workspace: "acme"}, "{h}"); err != nil {
		t.Fatal(err)
	}
	logs := logger.String()
	if !strings.Contains(logs, `"msg":"Bitbucket API response"`) {
		t.Errorf("no debug line for the request:\n%s", logs)
	}
	if strings.Contains(logs, "Sending Bitbucket API request") || strings.Contains(logs, `"body"`) {
		t.Errorf("trace lines at debug:\n%s", logs)
	}
	cfg.Logger = nil
	if c, err = New(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetWebhook(context.Background(), WebhookScope{Workspace: "acme"}, "{h}"); err != nil {
		t.Fatalf("without a Logger: %v", err)
	}
}

// The session cookie a Data Center server sets never reaches the trace
// log: the header is there, its value is not.
func TestTraceLogHidesSessionCookies(t *testing.T) {
	_, srv := emulatorClient(t, emulator.DataCenter)
	logger := &lineLogger{min: LogTrace}
	c, err := New(context.Background(), Config{BaseURL: srv.BaseURL(), Username: emulator.DCAdminUser, Token: emulator.DCAdminPassword, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetWorkspace(context.Background(), emulator.DCProject); err != nil {
		t.Fatal(err)
	}
	sessions := srv.SessionCookies()
	if len(sessions) == 0 {
		t.Fatal("the server set no session cookie: the test proves nothing")
	}
	logs := logger.String()
	if !strings.Contains(logs, "Set-Cookie: [redacted]") {
		t.Errorf("no redacted Set-Cookie header in the trace log:\n%s", logs)
	}
	for _, id := range sessions {
		if strings.Contains(logs, id) {
			t.Errorf("the trace log shows the session cookie %s", id)
		}
	}
}

// Every credential header is redacted whatever its case; others are not.
func TestHeaderTextRedactsCredentials(t *testing.T) {
	h := http.Header{}
	h.Set("Authorization", "Basic abc")
	h.Set("Proxy-Authorization", "Basic def")
	h["cookie"] = []string{"BITBUCKETSESSIONID=ghi"}
	h.Set("Set-Cookie", "BITBUCKETSESSIONID=jkl; Path=/")
	h.Set("X-Ausername", "admin")
	got := headerText(h)
	for _, secret := range []string{"abc", "def", "ghi", "jkl"} {
		if strings.Contains(got, secret) {
			t.Errorf("headerText shows %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "X-Ausername: admin") || strings.Count(got, "[redacted]") != 4 {
		t.Errorf("headerText = %s", got)
	}
}
