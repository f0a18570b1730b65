package bitbucket

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// testConfig is a config with fast retries for a test server.
func testConfig(product Product, baseURL string) Config {
	return Config{
		BaseURL:        baseURL,
		Product:        product,
		Username:       "tester",
		Token:          "tester-token",
		MaxRetries:     3,
		RetryWaitMin:   time.Millisecond,
		RetryWaitMax:   5 * time.Millisecond,
		RequestTimeout: 5 * time.Second,
		Version:        "1.2.3",
	}
}

// newTestClient starts srv's handler and returns the product client for it
// (without the listing cache, which cache_test.go tests: these tests are
// about the requests one call sends). Data Center servers get
// application-properties answered in front of handler.
func newTestClient(t *testing.T, product Product, handler http.Handler, mod func(*Config)) (Client, *httptest.Server) {
	t.Helper()
	if product == ProductDataCenter {
		handler = withApplicationProperties(handler)
	}
	srv := httptest.NewServer(goneAfterDelete(handler))
	t.Cleanup(srv.Close)
	base := srv.URL
	if product == ProductCloud {
		base += "/2.0"
	}
	cfg := testConfig(product, base)
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return unwrapClient(c), srv
}

func withApplicationProperties(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rest/api/1.0/application-properties" {
			writeJSON(w, http.StatusOK, map[string]string{"version": "9.4.2", "buildNumber": "9004002", "displayName": "Bitbucket"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// recorded is one request a test server received.
type recorded struct {
	Method, Path, RequestURI string
	Header                   http.Header
	Body                     []byte
	At                       time.Time
}

// recorder keeps the requests a test server received.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

func (rec *recorder) add(r *http.Request) recorded {
	body, _ := io.ReadAll(r.Body)
	e := recorded{Method: r.Method, Path: r.URL.Path, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: body, At: time.Now()}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, e)
	rec.mu.Unlock()
	return e
}

func (rec *recorder) all() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

// count is the number of requests with this method and path.
func (rec *recorder) count(method, path string) int {
	n := 0
	for _, r := range rec.all() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// bodyMap decodes a recorded JSON body.
func bodyMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("request body is not a JSON object: %v: %s", err, b)
	}
	return m
}

// dropConnection closes the connection without an answer.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("response writer cannot be hijacked")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

func ptr[T any](v T) *T { return &v }

// internals reaches the shared HTTP layer of a client.
func internals(c Client) *httpClient {
	switch x := unwrapClient(c).(type) {
	case *cloudClient:
		return x.h
	case *dataCenterClient:
		return x.h
	}
	panic("unknown client type")
}

// sentinels are all the errors an *APIError may match.
var sentinels = []error{ErrNotFound, ErrUnauthorized, ErrForbidden, ErrConflict, ErrValidation, ErrRateLimited, ErrServer, ErrUnsupported}

// goneAfterDelete answers 404 to a GET of a path that was deleted, as a real
// server does: the client confirms deletes with such a read (confirm.go).
func goneAfterDelete(next http.Handler) http.Handler {
	var mu sync.Mutex
	deleted := map[string]bool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gone := r.Method == http.MethodGet && deleted[r.URL.Path]
		if r.Method == http.MethodDelete {
			deleted[r.URL.Path] = true
		}
		mu.Unlock()
		if gone {
			writeJSON(w, http.StatusNotFound, map[string]any{"errors": []any{map[string]any{"message": "gone"}}})
			return
		}
		next.ServeHTTP(w, r)
	})
}
