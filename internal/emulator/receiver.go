package emulator

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Receiver is a local webhook endpoint for tests: it answers every request
// with the status it is set to, or never answers (Hang), and records what
// arrived. Make one with NewReceiver; ClosedURL gives one nobody listens on.
type Receiver struct {
	URL string

	mu       sync.Mutex
	status   int
	hang     bool
	received []ReceivedRequest
	done     chan struct{}
}

// ReceivedRequest is one request a Receiver got.
type ReceivedRequest struct {
	EventKey  string // X-Event-Key
	Signature string // X-Hub-Signature
	Body      string
}

// NewReceiver starts a receiver answering status on the loopback interface
// and stops it in tb.Cleanup.
func NewReceiver(tb testing.TB, status int) *Receiver {
	tb.Helper()
	r := &Receiver{status: status, done: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = srv.URL + "/hook"
	tb.Cleanup(func() {
		close(r.done)
		srv.Close()
	})
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	r.received = append(r.received, ReceivedRequest{EventKey: req.Header.Get("X-Event-Key"),
		Signature: req.Header.Get("X-Hub-Signature"), Body: string(body)})
	status, hang := r.status, r.hang
	r.mu.Unlock()
	if hang {
		select {
		case <-req.Context().Done():
		case <-r.done:
		}
		return
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, http.StatusText(status))
}

// SetStatus makes the receiver answer status from now on (and stop hanging).
func (r *Receiver) SetStatus(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.hang = status, false
}

// Hang makes the receiver keep every request open without an answer, so the
// sender times out (see Server.SetWebhookTimeout).
func (r *Receiver) Hang() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hang = true
}

// Received returns the requests so far, oldest first.
func (r *Receiver) Received() []ReceivedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ReceivedRequest(nil), r.received...)
}

// ClosedURL is a loopback URL where nothing listens (connection refused).
func ClosedURL(tb testing.TB) string {
	tb.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr + "/hook"
}
