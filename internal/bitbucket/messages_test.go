package bitbucket

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestCertificateFailureNamesCACert: an untrusted certificate says to set
// ca_cert_pem, and never suggests product = "cloud".
func TestCertificateFailureNamesCACert(t *testing.T) {
	srv := httptest.NewTLSServer(withApplicationProperties(http.NotFoundHandler()))
	defer srv.Close()
	for _, product := range []Product{"", ProductDataCenter} {
		_, err := New(context.Background(), testConfig(product, srv.URL))
		if err == nil {
			t.Fatalf("product %q: want an error", product)
		}
		if msg := err.Error(); !strings.Contains(msg, "certificate is not trusted: set ca_cert_pem") || strings.Contains(msg, "product =") {
			t.Errorf("product %q: %q", product, msg)
		}
	}
}

// TestCancelledRequestSaysInterrupted: a request whose context ends says
// "interrupted", and mentions the rate limit only when it was waiting for
// one.
func TestCancelledRequestSaysInterrupted(t *testing.T) {
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"key": "PRJ", "id": 1, "name": "P"})
	}), nil)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GetWorkspace(ctx, "PRJ")
	if err == nil || !strings.Contains(err.Error(), "interrupted") || strings.Contains(err.Error(), "rate limit") || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before sending: %v", err)
	}

	gate := internals(c).retry.gate
	gate.mu.Lock()
	gate.until = time.Now().Add(time.Hour) // a 429 closed the gate
	gate.mu.Unlock()
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = c.GetWorkspace(ctx, "PRJ")
	if err == nil || !strings.Contains(err.Error(), "timed out while waiting for the rate limit to pass") {
		t.Errorf("deadline while the rate limit held: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = c.GetWorkspace(ctx, "PRJ")
	if err == nil || !strings.Contains(err.Error(), "interrupted while waiting for the rate limit to pass") {
		t.Errorf("cancelled while the rate limit held: %v", err)
	}
}
