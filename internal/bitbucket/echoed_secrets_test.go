package bitbucket

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A server (or a proxy in front of it) may echo what it was sent in an
// error answer. Every configured credential is masked wherever it shows:
// in the error the caller gets (a Terraform diagnostic) and in every log
// line, not only under the keys and headers known to carry one
// (logging.go: redactor).
func TestEchoedCredentialsAreMasked(t *testing.T) {
	const (
		apiToken     = "echo-api-token-E1"
		accessToken  = "echo-access-token-E2"
		clientSecret = "echo-client-secret-E3"
	)
	echo := func(w http.ResponseWriter, secret string) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"error": "invalid_client", "error_description": "rejected credential " + secret,
			"type": "error", "error_message": "rejected credential " + secret,
		})
	}
	cases := []struct {
		name    string
		secrets []string
		cfg     func(cfg *Config, url string)
	}{
		{name: "username and API token", secrets: []string{apiToken, base64.StdEncoding.EncodeToString([]byte("alice:" + apiToken))},
			cfg: func(cfg *Config, _ string) { cfg.Username, cfg.Token = "alice", apiToken }},
		{name: "access token", secrets: []string{accessToken},
			cfg: func(cfg *Config, _ string) { cfg.Username, cfg.Token, cfg.AccessToken = "", "", accessToken }},
		{name: "OAuth consumer", secrets: []string{clientSecret, base64.StdEncoding.EncodeToString([]byte("oauth-id:" + clientSecret))},
			cfg: func(cfg *Config, url string) {
				cfg.Username, cfg.Token = "", ""
				cfg.OAuthClientID, cfg.OAuthClientSecret, cfg.OAuthTokenURL = "oauth-id", clientSecret, url+"/site/oauth2/access_token"
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Echo whatever credential the request carried.
				if id, secret, ok := r.BasicAuth(); ok {
					echo(w, id+":"+secret+" "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
					return
				}
				echo(w, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			}))
			t.Cleanup(srv.Close)
			cfg := testConfig(ProductCloud, srv.URL+"/2.0")
			tc.cfg(&cfg, srv.URL)
			logger := &lineLogger{min: LogTrace}
			cfg.Logger = logger
			c, err := New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetWebhook(context.Background(), WebhookScope{Workspace: "acme", Repository: "api"}, "{h}")
			if err == nil {
				t.Fatal("the server refused every request, but the read succeeded")
			}
			if logger.String() == "" {
				t.Fatal("nothing was logged: the test would prove nothing")
			}
			for _, s := range tc.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error shows the credential %q: %v", s, err)
				}
				if strings.Contains(logger.String(), s) {
					t.Errorf("the log shows the credential %q", s)
				}
			}
		})
	}
}

// A secret that contains another is masked whole, not left as the other's
// mask plus the rest of it (redactor.secrets: longest first).
func TestRedactorMasksASecretContainingAnotherWhole(t *testing.T) {
	r := newRedactor(Config{Token: "tok-E4", OAuthClientSecret: "tok-E4-and-more-E5"})
	if got := r.mask("a tok-E4-and-more-E5 b tok-E4 c"); got != "a *** b *** c" {
		t.Errorf("mask = %q, want %q", got, "a *** b *** c")
	}
}
