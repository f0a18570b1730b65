package bitbucket

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestManagedReadConfirmsNotFound: one spurious 404 does not make a webhook
// look deleted; two do.
func TestManagedReadConfirmsNotFound(t *testing.T) {
	var gets, spurious atomic.Int32
	spurious.Store(1)
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		if spurious.Add(-1) >= 0 {
			writeJSON(w, http.StatusNotFound, map[string]any{"errors": []any{map[string]any{"message": "proxy says no"}}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": 10, "name": "ci", "url": "https://ci.example.com/", "events": []string{"repo:refs_changed"}})
	}), nil)
	scope := WebhookScope{Workspace: "PRJ", Repository: "api"}
	if _, err := c.GetWebhook(context.Background(), scope, "10"); err != nil {
		t.Fatalf("a single 404 made the read fail: %v", err)
	}
	spurious.Store(2)
	if _, err := c.GetWebhook(context.Background(), scope, "10"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("two 404s: err = %v, want ErrNotFound", err)
	}
}

// TestDeleteIsConfirmed: a delete answered 204 while the object survives is
// sent again, and an object that survives both deletes is an error.
func TestDeleteIsConfirmed(t *testing.T) {
	for _, tc := range []struct {
		name          string
		ignoreDeletes int32
		wantErr       bool
		wantDeletes   int32
	}{
		{"first delete works", 0, false, 1},
		{"first delete lies", 1, false, 2},
		{"both deletes lie", 2, true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var deletes atomic.Int32
			var exists atomic.Bool
			exists.Store(true)
			// Not newTestClient: its goneAfterDelete would hide the lie.
			srv := httptest.NewServer(withApplicationProperties(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodDelete:
					if deletes.Add(1) > tc.ignoreDeletes {
						exists.Store(false)
					}
					w.WriteHeader(http.StatusNoContent)
				case exists.Load():
					writeJSON(w, http.StatusOK, map[string]any{"id": 10, "name": "ci"})
				default:
					writeJSON(w, http.StatusNotFound, map[string]any{"errors": []any{map[string]any{"message": "no such webhook"}}})
				}
			})))
			t.Cleanup(srv.Close)
			c, err := New(context.Background(), testConfig(ProductDataCenter, srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			err = c.DeleteWebhook(context.Background(), WebhookScope{Workspace: "PRJ"}, "10")
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got := deletes.Load(); got != tc.wantDeletes {
				t.Errorf("deletes sent = %d, want %d", got, tc.wantDeletes)
			}
		})
	}
}

// TestGetRereadsATruncatedAnswer: a GET whose body does not decode is read
// once more; two bad bodies are an error that names the request.
func TestGetRereadsATruncatedAnswer(t *testing.T) {
	var bad atomic.Int32
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if bad.Add(-1) >= 0 {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id": 10, "na`))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": 10, "name": "ci"})
	}), nil)
	scope := WebhookScope{Workspace: "PRJ"}
	bad.Store(1)
	if hook, err := c.GetWebhook(context.Background(), scope, "10"); err != nil || hook.Name != "ci" {
		t.Fatalf("one truncated answer: hook %+v, err %v", hook, err)
	}
	bad.Store(2)
	if _, err := c.GetWebhook(context.Background(), scope, "10"); err == nil || !strings.Contains(err.Error(), "/rest/api/1.0/projects/PRJ/webhooks/10") {
		t.Fatalf("two truncated answers: err = %v, want an error naming the request", err)
	}
}
