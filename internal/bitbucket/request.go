package bitbucket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// httpClient is the part both products share: the transport chain, URL
// building, JSON encoding and turning answers into typed errors.
type httpClient struct {
	// base is the normalised base URL (ends in "/"); paths are resolved
	// relative to it: "rest/api/1.0/projects", or "user" on Cloud.
	base     *url.URL
	http     *http.Client
	product  Product
	redactor *redactor
	log      clientLog
	cfg      Config
	// transport is the base transport (the connection pool), shared with
	// clients made by NewWithCredentials.
	transport http.RoundTripper

	// retry is the outermost transport (kept for tests: its gate).
	retry *retryTransport
	// oauth is set in OAuth mode.
	oauth *oauthTokenSource

	// seenUser is the last X-AUSERNAME a Data Center answer carried.
	mu       sync.Mutex
	seenUser string
	// clockOffset is the server's clock minus ours, from the Date header
	// of the latest answer; clockSeen says whether one was seen.
	clockOffset time.Duration
	clockSeen   bool
}

// noteServerDate records the server's clock from an answer's Date header
// (RFC 9110 section 6.6.1: a server with a clock sends it on every answer).
func (h *httpClient) noteServerDate(resp *http.Response, received time.Time) {
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clockOffset, h.clockSeen = date.Sub(received), true
}

// serverNow is the server's current time as its latest answer's Date header
// gives it (to the second), or ours before any answer.
func (h *httpClient) serverNow() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.clockSeen {
		return time.Now()
	}
	return time.Now().Add(h.clockOffset)
}

type ctxKey int

const (
	idempotentKey ctxKey = iota
	noAuthKey
	attemptKey
)

// withIdempotent marks requests made with ctx as safe to repeat after a 5xx
// or a lost answer (updates that set absolute values).
func withIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey, true)
}

// withoutAuth marks requests made with ctx as sent without credentials.
func withoutAuth(ctx context.Context) context.Context {
	return context.WithValue(ctx, noAuthKey, true)
}

// isIdempotent reports whether req may be sent again when its first answer
// was lost or was a 5xx. Creates (POST, and PUT on Data Center tokens) are
// not, unless the caller marked them.
func isIdempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodDelete:
		return true
	}
	v, _ := req.Context().Value(idempotentKey).(bool)
	return v
}

// url resolves a path relative to the base URL and adds query.
func (h *httpClient) url(path string, query url.Values) string {
	// path arrives with its segments escaped (seg): keep that escaping, so
	// "%7B" stays "%7B" on the wire instead of becoming "%257B".
	u := *h.base
	u.RawPath = h.base.EscapedPath() + strings.TrimPrefix(path, "/")
	if p, err := url.PathUnescape(u.RawPath); err == nil {
		u.Path = p
	}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return u.String()
}

// requestError is a request that got no HTTP answer (network failure,
// timeout, cancelled context).
type requestError struct {
	Method, Path string
	Err          error
}

func (e *requestError) Error() string { return fmt.Sprintf("%s %s: %v", e.Method, e.Path, e.Err) }
func (e *requestError) Unwrap() error { return e.Err }

func isTransportFailure(err error) bool {
	var re *requestError
	return errors.As(err, &re)
}

// send sends one logical request (the transport retries underneath) and
// returns the answer and its body. Non-2xx answers become *APIError; a
// failure of a non-idempotent request that may have been applied becomes
// *UncertainError.
func (h *httpClient) send(ctx context.Context, method, rawURL string, in any, idempotent bool) ([]byte, error) {
	if idempotent {
		ctx = withIdempotent(ctx)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encoding the %s request: %w", method, err)
		}
		// A *bytes.Reader lets NewRequest set GetBody, so retries can resend.
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return nil, fmt.Errorf("building the request %s %s: %w", method, rawURL, err)
	}
	if err := checkPathSegments(req.URL.EscapedPath()); err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if h.product == ProductDataCenter && method != http.MethodGet && method != http.MethodHead {
		// Data Center's XSRF check rejects mutating requests without it.
		req.Header.Set("X-Atlassian-Token", "no-check")
	}
	path := req.URL.Path

	resp, err := h.http.Do(req)
	if err != nil {
		return nil, h.transportError(req, err)
	}
	h.noteServerDate(resp, time.Now())
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, h.transportError(req, err)
	}
	if h.product == ProductDataCenter {
		if u := resp.Header.Get("X-AUSERNAME"); u != "" {
			h.mu.Lock()
			h.seenUser = u
			h.mu.Unlock()
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := newAPIError(method, path, resp, respBody, h.redactor)
		if resp.StatusCode >= 500 && !isIdempotent(req) {
			return respBody, &UncertainError{Err: apiErr}
		}
		return respBody, apiErr
	}
	return respBody, nil
}

// transportError turns an error from http.Client.Do into one that names the
// request and, for creates that may have reached the server, is uncertain.
func (h *httpClient) transportError(req *http.Request, err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	// Token endpoint failures and similar come up as an *APIError already;
	// its answer may echo the client secret (every message is masked:
	// logging.go, redactor).
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		apiErr.Message = h.redactor.mask(apiErr.Message)
		return h.redactor.maskError(err)
	}
	err = h.redactor.maskError(err)
	if errors.Is(err, context.Canceled) {
		err = fmt.Errorf("interrupted: %w", err)
	}
	re := &requestError{Method: req.Method, Path: req.URL.Path, Err: err}
	if !isIdempotent(req) && mayHaveBeenApplied(err) {
		return &UncertainError{Err: re}
	}
	return re
}

// getJSON GETs path (relative to the base URL) and decodes the answer.
func (h *httpClient) getJSON(ctx context.Context, path string, query url.Values, out any) error {
	return h.getJSONURL(ctx, h.url(path, query), out)
}

// A GET whose answer does not decode is read once more: a truncated body is
// a transport accident, and reading again changes nothing on the server.
func (h *httpClient) getJSONURL(ctx context.Context, rawURL string, out any) error {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		var body []byte
		if body, err = h.send(ctx, http.MethodGet, rawURL, nil, true); err != nil {
			return err
		}
		if err = decodeJSON(http.MethodGet, rawURL, body, out); err == nil {
			return nil
		}
	}
	return err
}

// getManagedJSON reads an object Terraform manages, confirming a 404 with a
// second read (see confirm.go).
func (h *httpClient) getManagedJSON(ctx context.Context, path string, out any) error {
	_, err := confirmNotFound(func() (struct{}, error) { return struct{}{}, h.getJSON(ctx, path, nil, out) })
	return err
}

// sendJSON sends in with method to path and decodes the answer into out
// (when out is not nil).
func (h *httpClient) sendJSON(ctx context.Context, method, path string, in, out any, idempotent bool) error {
	rawURL := h.url(path, nil)
	body, err := h.send(ctx, method, rawURL, in, idempotent)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	err = decodeJSON(method, rawURL, body, out)
	if err != nil && idempotent {
		// Sending an idempotent request again is safe and gets an answer
		// that can be read.
		if body, err = h.send(ctx, method, rawURL, in, idempotent); err != nil {
			return err
		}
		err = decodeJSON(method, rawURL, body, out)
	}
	if err != nil && !idempotent {
		// The server said yes but we cannot read what it made.
		return &UncertainError{Err: err}
	}
	return err
}

func decodeJSON(method, rawURL string, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		path := rawURL
		if u, perr := url.Parse(rawURL); perr == nil {
			path = u.Path
		}
		return fmt.Errorf("%s %s: the answer is not the expected JSON (%w): %s", method, path, err, summarizeBody(body, ""))
	}
	return nil
}

// apiTime reads the timestamps both products send: RFC 3339 strings (Cloud)
// and epoch milliseconds as a number or a numeric string (Data Center).
// Anything else reads as the zero time rather than failing the whole answer.
type apiTime struct{ time.Time }

func (t *apiTime) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" || s == `""` {
		return nil
	}
	if unq, err := strconv.Unquote(s); err == nil {
		if ts, err := time.Parse(time.RFC3339Nano, unq); err == nil {
			t.Time = ts
			return nil
		}
		s = unq
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		t.Time = time.UnixMilli(ms).UTC()
	}
	return nil
}

// flexString reads an id that is a JSON number or a string.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if unq, err := strconv.Unquote(s); err == nil {
		*f = flexString(unq)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// lessID orders ids numerically when both are numbers (Data Center), as
// text otherwise (Cloud UUIDs).
func lessID(a, b string) bool {
	an, aerr := strconv.ParseUint(a, 10, 64)
	bn, berr := strconv.ParseUint(b, 10, 64)
	if aerr == nil && berr == nil {
		return an < bn
	}
	return a < b
}

// seg escapes one path segment: "{uuid}" becomes "%7Buuid%7D", "a/b"
// cannot break out of its segment.
func seg(s string) string { return url.PathEscape(s) }

// required reports the first empty argument, before any request is sent.
func required(what string, values ...string) error {
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("%s must not be empty", what)
		}
	}
	return nil
}
