package bitbucket

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// oauthServer is a Cloud API with a client-credentials token endpoint.
type oauthServer struct {
	t        *testing.T
	srv      *httptest.Server
	fetches  atomic.Int32
	apiCalls atomic.Int32
	// valid is the set of tokens the API accepts.
	mu    sync.Mutex
	valid map[string]bool
	// tokenError, when set, is the token endpoint's answer.
	tokenError string
}

const (
	testClientID     = "client-id-1"
	testClientSecret = "client-secret-XYZ"
)

func newOAuthServer(t *testing.T) *oauthServer {
	s := &oauthServer{t: t, valid: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/site/oauth2/access_token" {
			s.token(w, r)
			return
		}
		s.apiCalls.Add(1)
		s.mu.Lock()
		ok := s.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"type": "error", "error": map[string]any{"message": "Access token expired."}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"slug": "acme"})
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *oauthServer) token(w http.ResponseWriter, r *http.Request) {
	n := s.fetches.Add(1)
	id, secret, ok := r.BasicAuth()
	if r.Method != http.MethodPost || !ok || id != testClientID || secret != testClientSecret {
		s.t.Errorf("token request %s with Basic %q/%q", r.Method, id, secret)
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		s.t.Errorf("token request form %v (%v), want grant_type=client_credentials", r.PostForm, err)
	}
	if s.tokenError != "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client", "error_description": s.tokenError})
		return
	}
	tok := fmt.Sprintf("access-%d", n)
	s.mu.Lock()
	s.valid[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 7200, "scopes": "repository webhook", "refresh_token": "refresh-" + tok})
}

func (s *oauthServer) revoke(tok string) {
	s.mu.Lock()
	delete(s.valid, tok)
	s.mu.Unlock()
}

func (s *oauthServer) client(t *testing.T) Client {
	cfg := testConfig(ProductCloud, s.srv.URL+"/2.0")
	cfg.Username, cfg.Token = "", ""
	cfg.OAuthClientID, cfg.OAuthClientSecret = testClientID, testClientSecret
	cfg.OAuthTokenURL = s.srv.URL + "/site/oauth2/access_token"
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOAuthTokenIsFetchedLazilyAndCached(t *testing.T) {
	s := newOAuthServer(t)
	c := s.client(t)
	if n := s.fetches.Load(); n != 0 {
		t.Fatalf("New fetched %d tokens, want none before the first request", n)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.GetWorkspace(context.Background(), "acme"); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.fetches.Load(); n != 1 {
		t.Errorf("fetched %d tokens for 3 requests, want 1", n)
	}
}

func TestOAuthTokenIsReplacedBeforeItExpires(t *testing.T) {
	s := newOAuthServer(t)
	c := s.client(t)
	var mu sync.Mutex
	now := time.Now()
	internals(c).oauth.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }

	if _, err := c.GetWorkspace(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(7200*time.Second - 30*time.Second) // inside the refresh margin
	mu.Unlock()
	if _, err := c.GetWorkspace(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	if n := s.fetches.Load(); n != 2 {
		t.Errorf("fetched %d tokens, want 2 (the first was about to expire)", n)
	}
}

func TestOAuthRefreshesOnceOn401(t *testing.T) {
	s := newOAuthServer(t)
	c := s.client(t)
	if _, err := c.GetWorkspace(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	s.revoke("access-1")
	before := s.apiCalls.Load()

	// A create: the 401 proves the server did not apply it, so resending is safe.
	_, err := c.CreateWebhook(context.Background(), WebhookScope{Workspace: "acme"}, WebhookInput{URL: "https://x", Events: []string{"repo:push"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.fetches.Load(); n != 2 {
		t.Errorf("fetched %d tokens, want 2", n)
	}
	if n := s.apiCalls.Load() - before; n != 2 {
		t.Errorf("the call sent %d API requests, want 2 (rejected, then with the new token)", n)
	}

}

func TestOAuthGivesUpAfterOneRefresh(t *testing.T) {
	var fetches, apiCalls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			n := fetches.Add(1)
			writeJSON(w, http.StatusOK, map[string]any{"access_token": fmt.Sprintf("t%d", n), "expires_in": 3600})
			return
		}
		apiCalls.Add(1)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"type": "error", "error": map[string]any{"message": "nope"}})
	}))
	defer srv.Close()
	cfg := testConfig(ProductCloud, srv.URL+"/2.0")
	cfg.Username, cfg.Token = "", ""
	cfg.OAuthClientID, cfg.OAuthClientSecret, cfg.OAuthTokenURL = "id", "secret", srv.URL+"/token"
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetWorkspace(context.Background(), "acme")
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("want ErrUnauthorized, got %v", err)
	}
	if fetches.Load() != 2 || apiCalls.Load() != 2 {
		t.Errorf("%d token fetches and %d API calls, want 2 and 2", fetches.Load(), apiCalls.Load())
	}
}

func TestOAuthTokenEndpointFailureIsUnauthorized(t *testing.T) {
	s := newOAuthServer(t)
	s.tokenError = "Invalid OAuth client credentials"
	c := s.client(t)

	_, err := c.CreateWebhook(context.Background(), WebhookScope{Workspace: "acme"}, WebhookInput{URL: "https://x", Events: []string{"repo:push"}})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("want ErrUnauthorized, got %v", err)
	}
	if IsUncertain(err) {
		t.Errorf("the create never left: it must not be uncertain: %v", err)
	}
	if !strings.Contains(err.Error(), "Invalid OAuth client credentials") {
		t.Errorf("error %q lacks the endpoint's error_description", err)
	}
	if strings.Contains(err.Error(), testClientSecret) {
		t.Errorf("error %q shows the client secret", err)
	}
	if n := s.apiCalls.Load(); n != 0 {
		t.Errorf("%d API requests sent without a token", n)
	}
	if n := s.fetches.Load(); n != 1 {
		t.Errorf("%d token requests, want 1 (a refused client is not retried)", n)
	}
}

func TestOAuthTokenRequestCarriesUserAgent(t *testing.T) {
	var ua atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			ua.Store(r.Header.Get("User-Agent"))
			_ = r.ParseForm()
			writeJSON(w, http.StatusOK, map[string]any{"access_token": "t", "expires_in": 3600})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{})
	}))
	defer srv.Close()
	cfg := testConfig(ProductCloud, srv.URL+"/2.0")
	cfg.Username, cfg.Token = "", ""
	cfg.OAuthClientID, cfg.OAuthClientSecret, cfg.OAuthTokenURL = "id", "secret", srv.URL+"/token?x="+url.QueryEscape("1")
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckCredentials(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := ua.Load(); got != "terraform-provider-bitbucket/1.2.3" {
		t.Errorf("token request User-Agent %q", got)
	}
}
