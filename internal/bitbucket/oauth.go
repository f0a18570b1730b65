package bitbucket

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// oauthTokenSource gets Cloud OAuth 2 access tokens with the client
// credentials grant: lazily on first use, cached until shortly before they
// expire, and fetched again when the API refuses one.
type oauthTokenSource struct {
	tokenURL     *url.URL
	clientID     string
	clientSecret string
	rt           http.RoundTripper
	now          func() time.Time

	// fetching is a one-slot semaphore: one fetch at a time, and waiting
	// for it can be cancelled (a mutex could not).
	fetching chan struct{}

	mu     sync.Mutex
	token  string
	expiry time.Time
}

// tokenRefreshMargin is how long before expires_in a token is replaced.
const tokenRefreshMargin = time.Minute

// defaultTokenLifetime is assumed when the endpoint gives no expires_in
// (Atlassian documents one hour).
const defaultTokenLifetime = time.Hour

func newOAuthTokenSource(cfg Config, rt http.RoundTripper) (*oauthTokenSource, error) {
	u, err := url.Parse(cfg.OAuthTokenURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("the OAuth token URL %q is not an http(s) URL", cfg.OAuthTokenURL)
	}
	return &oauthTokenSource{
		tokenURL:     u,
		clientID:     cfg.OAuthClientID,
		clientSecret: cfg.OAuthClientSecret,
		rt:           rt,
		now:          time.Now,
		fetching:     make(chan struct{}, 1),
	}, nil
}

// current is the cached token, for masking in logs.
func (s *oauthTokenSource) current() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

func (s *oauthTokenSource) cached() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && s.now().Before(s.expiry) {
		return s.token, true
	}
	return "", false
}

// Token returns a valid access token, fetching one when none is cached.
func (s *oauthTokenSource) Token(ctx context.Context) (string, error) {
	if tok, ok := s.cached(); ok {
		return tok, nil
	}
	select {
	case s.fetching <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.fetching }()
	// Another request may have fetched one while this one waited.
	if tok, ok := s.cached(); ok {
		return tok, nil
	}
	tok, lifetime, err := s.fetch(ctx)
	if err != nil {
		return "", err
	}
	margin := tokenRefreshMargin
	if lifetime/4 < margin {
		margin = lifetime / 4
	}
	s.mu.Lock()
	s.token, s.expiry = tok, s.now().Add(lifetime-margin)
	s.mu.Unlock()
	return tok, nil
}

// invalidate drops tok if it is still the cached token (a 401 said it is no
// longer good).
func (s *oauthTokenSource) invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == tok {
		s.token = ""
	}
}

func (s *oauthTokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.tokenURL.String(), strings.NewReader(form))
	if err != nil {
		return "", 0, err
	}
	req.SetBasicAuth(s.clientID, s.clientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		return "", 0, fmt.Errorf("requesting an OAuth access token from %s: %w", s.tokenURL.Redacted(), err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", 0, fmt.Errorf("reading the OAuth token answer from %s: %w", s.tokenURL.Redacted(), err)
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg, _ := errorMessage(body, resp.Header.Get("Content-Type"))
		apiErr := &APIError{
			Method:     http.MethodPost,
			Path:       s.tokenURL.Path,
			StatusCode: resp.StatusCode,
			Message:    "could not get an OAuth access token: " + msg,
			kind:       ErrUnauthorized,
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			apiErr.kind = ErrRateLimited
			apiErr.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		case resp.StatusCode >= 500:
			apiErr.kind = ErrServer
		}
		return "", 0, apiErr
	}

	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return "", 0, &APIError{
			Method: http.MethodPost, Path: s.tokenURL.Path, StatusCode: resp.StatusCode,
			Message: "could not get an OAuth access token: the answer has no access_token",
			kind:    ErrUnauthorized,
		}
	}
	lifetime := time.Duration(tok.ExpiresIn) * time.Second
	if lifetime <= 0 {
		lifetime = defaultTokenLifetime
	}
	return tok.AccessToken, lifetime, nil
}

// oauthTransport sends the Bearer token and, when the API answers 401,
// fetches a new token and sends the request once more.
type oauthTransport struct {
	next   http.RoundTripper
	base   *url.URL
	tokens *oauthTokenSource
}

func (t *oauthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !shouldAuthenticate(req, t.base) {
		return t.next.RoundTrip(req)
	}
	tok, err := t.tokens.Token(req.Context())
	if err != nil {
		return nil, &notSentError{err}
	}
	resp, err := t.next.RoundTrip(withBearer(req, tok))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	// A revoked or expired token: get a new one, once.
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return resp, nil
	}
	t.tokens.invalidate(tok)
	fresh, err := t.tokens.Token(req.Context())
	if err != nil {
		_ = resp.Body.Close()
		return nil, &notSentError{err}
	}
	if fresh == tok {
		return resp, nil
	}
	retry := withBearer(req, fresh)
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			_ = resp.Body.Close()
			return nil, &notSentError{fmt.Errorf("rewinding the request body: %w", err)}
		}
		retry.Body = body
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return t.next.RoundTrip(retry)
}

func withBearer(req *http.Request, tok string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}
