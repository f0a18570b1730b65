package bitbucket

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The retry rules (retryTransport, classify) one outcome at a time.
func TestClassify(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	answer := func(status int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	lost := errors.New("connection reset by peer")
	dial := &net.OpError{Op: "dial", Err: errors.New("connection refused")}
	tests := []struct {
		name       string
		resp       *http.Response
		err        error
		idempotent bool
		want       verdict
	}{
		{"200", answer(200, ""), nil, true, verdict{kind: giveUp}},
		{"404", answer(404, ""), nil, true, verdict{kind: giveUp}},
		{"429 without Retry-After: everyone backs off", answer(429, ""), nil, true, verdict{kind: backOffAll}},
		{"429 of a create is retried too", answer(429, ""), nil, false, verdict{kind: backOffAll}},
		{"429 with Retry-After: the server's wait", answer(429, "3"), nil, false, verdict{kind: waitServer, server: 3 * time.Second}},
		{"429 with a Retry-After date", answer(429, now.Add(90*time.Second).Format(http.TimeFormat)), nil, true, verdict{kind: waitServer, server: 90 * time.Second}},
		{"429 asking for more than maxRetryAfter goes to the caller", answer(429, "601"), nil, true, verdict{kind: giveUp}},
		{"500 of a GET", answer(500, ""), nil, true, verdict{kind: backOff}},
		{"502 of a create is not repeated", answer(502, ""), nil, false, verdict{kind: giveUp}},
		{"501 is not retried", answer(501, ""), nil, true, verdict{kind: giveUp}},
		{"503 with Retry-After: the server's wait", answer(503, "1"), nil, true, verdict{kind: waitServer, server: time.Second}},
		{"503 with a Retry-After too long: a backoff", answer(503, "601"), nil, true, verdict{kind: backOff}},
		{"503 of a create with Retry-After: not repeated", answer(503, "1"), nil, false, verdict{kind: giveUp}},
		{"lost answer of a GET", nil, lost, true, verdict{kind: backOff}},
		{"lost answer of a create", nil, lost, false, verdict{kind: giveUp}},
		{"dial error of a create: never sent", nil, dial, false, verdict{kind: backOff}},
		{"not sent (a wait cancelled) of a create", nil, &notSentError{errors.New("x")}, false, verdict{kind: backOff}},
		{"cancelled", nil, fmt.Errorf("x: %w", context.Canceled), true, verdict{kind: giveUp}},
		{"certificate error", nil, x509.UnknownAuthorityError{}, true, verdict{kind: giveUp}},
		{"OAuth token endpoint 5xx", nil, &APIError{StatusCode: 500, kind: ErrServer}, false, verdict{kind: backOff}},
		{"OAuth token endpoint 429 with Retry-After", nil, &APIError{StatusCode: 429, kind: ErrRateLimited, RetryAfter: 2 * time.Second}, false, verdict{kind: waitServer, server: 2 * time.Second}},
		{"OAuth token endpoint 429 without", nil, &APIError{StatusCode: 429, kind: ErrRateLimited}, false, verdict{kind: backOffAll}},
		{"OAuth token endpoint 401", nil, &APIError{StatusCode: 401, kind: ErrUnauthorized}, true, verdict{kind: giveUp}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.resp, tt.err, tt.idempotent, now); got != tt.want {
				t.Errorf("classify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// backoff doubles waitMin per retry up to waitMax, with jitter only in the
// upper half, never under waitMin.
func TestBackoff(t *testing.T) {
	lowest := func(int64) int64 { return 0 }
	highest := func(n int64) int64 { return n - 1 }
	tests := []struct {
		retry            int
		waitMin, waitMax time.Duration
		jitter           func(int64) int64
		want             time.Duration
	}{
		{0, time.Second, 30 * time.Second, lowest, time.Second}, // half of 1s is under waitMin
		{0, time.Second, 30 * time.Second, highest, time.Second},
		{1, time.Second, 30 * time.Second, lowest, time.Second},
		{1, time.Second, 30 * time.Second, highest, 2 * time.Second},
		{2, time.Second, 30 * time.Second, lowest, 2 * time.Second},
		{2, time.Second, 30 * time.Second, highest, 4 * time.Second},
		{4, time.Second, 30 * time.Second, highest, 16 * time.Second},
		{5, time.Second, 30 * time.Second, lowest, 15 * time.Second}, // 32s capped at 30s
		{5, time.Second, 30 * time.Second, highest, 30 * time.Second},
		{40, time.Second, 30 * time.Second, highest, 30 * time.Second}, // no overflow
		{62, time.Second, 30 * time.Second, lowest, 15 * time.Second},
	}
	for _, tt := range tests {
		if got := backoff(tt.retry, tt.waitMin, tt.waitMax, tt.jitter); got != tt.want {
			t.Errorf("backoff(%d, %s, %s) = %s, want %s", tt.retry, tt.waitMin, tt.waitMax, got, tt.want)
		}
	}
	// The real jitter stays within the bounds.
	for i := 0; i < 100; i++ {
		if d := backoff(3, time.Second, 30*time.Second, jitter); d < 4*time.Second || d > 8*time.Second {
			t.Fatalf("backoff(3) = %s, want within [4s, 8s]", d)
		}
	}
}

// A verdict waits what the server asked, else the backoff.
func TestVerdictWait(t *testing.T) {
	lowest := func(int64) int64 { return 0 }
	if d := (verdict{kind: waitServer, server: 7 * time.Second}).wait(3, time.Second, 30*time.Second, lowest); d != 7*time.Second {
		t.Errorf("server wait = %s, want 7s", d)
	}
	if d := (verdict{kind: backOff}).wait(2, time.Second, 30*time.Second, lowest); d != 2*time.Second {
		t.Errorf("backoff wait = %s, want 2s", d)
	}
}

// max_retries bounds the retries; paced retries of a 429 are free up to
// maxFreePacedRetries, then count like the others.
func TestRetryBudget(t *testing.T) {
	b := retryBudget{max: 2, free: 3}
	var got []bool
	for _, paced := range []bool{false, true, true, false, true, true, false, true} {
		got = append(got, b.take(paced))
	}
	want := []bool{true, true, true, true, true, false, false, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("take %d = %v (all %v), want %v", i, got[i], got, want)
		}
	}
	if b.retries != 2 || b.free != 0 {
		t.Errorf("budget left %+v, want 2 retries spent and no free ones", b)
	}
	zero := retryBudget{}
	if zero.take(false) || zero.take(true) {
		t.Error("max_retries = 0 still retried")
	}
}

// fakeClock waits by moving its time on, at once.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(max(d, 0))
	return nil
}

// useClock puts clk under c's retry layer and gives it a new gate on clk
// (the old one counted the requests of New on the real clock).
func useClock(c Client, clk clock) {
	internals(c).retry.clock = clk
	internals(c).retry.gate = &rateGate{clock: clk}
}

// A 503 with Retry-After: 1 on a GET: the retry comes at least a second
// later (RetryWaitMax is 5ms, so only the header explains it).
func TestServiceUnavailableRetryAfterIsWaited(t *testing.T) {
	clk := newFakeClock()
	var (
		mu  sync.Mutex
		ats []time.Time
	)
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ats = append(ats, clk.Now())
		n := len(ats)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"slug": "acme"})
	}), nil)
	useClock(c, clk)
	if _, err := c.GetWorkspace(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ats) != 2 {
		t.Fatalf("%d requests, want 2", len(ats))
	}
	if gap := ats[1].Sub(ats[0]); gap < time.Second {
		t.Errorf("retried %s after a 503 with Retry-After: 1, want at least 1s", gap)
	}
}

// roundTripFunc is an http.RoundTripper from a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A request whose body cannot be read again is never retried, even where
// its method would allow it: a second attempt would send an empty body.
func TestBodyThatCannotBeReadAgainIsNotRetried(t *testing.T) {
	attempts := 0
	rt := &retryTransport{
		next: roundTripFunc(func(*http.Request) (*http.Response, error) {
			attempts++
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}, Body: http.NoBody}, nil
		}),
		gate: &rateGate{}, maxRetries: 3, waitMin: time.Millisecond, waitMax: time.Millisecond, attemptTimeout: time.Second,
		clock: newFakeClock(),
	}
	req, err := http.NewRequest(http.MethodDelete, "https://bitbucket.example.com/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(strings.NewReader("once")) // no GetBody
	resp, err := rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable || attempts != 1 {
		t.Fatalf("RoundTrip = %v, %v after %d attempts; want the 503 after 1", resp, err, attempts)
	}
	// The same request with a body that can be read again is retried.
	attempts = 0
	req, _ = http.NewRequest(http.MethodDelete, "https://bitbucket.example.com/x", strings.NewReader("again"))
	if _, err := rt.RoundTrip(req); err != nil || attempts != 4 {
		t.Fatalf("resendable: %v after %d attempts, want 4 (max_retries 3)", err, attempts)
	}
}

// learn: a 429 is paced by the gate (no wait of its own, a free retry) only
// when requests of this client were accepted within the window, so the
// gate's count says when there is room, and its Retry-After is within the
// window or the header's granularity of one second.
func TestLearnPacesOnlyWithinTheWindow(t *testing.T) {
	tests := []struct {
		name       string
		accepted   int
		retryAfter string
		status     int
		want       bool
	}{
		{"Retry-After 1 with requests accepted", 3, "1", http.StatusTooManyRequests, true},
		{"Retry-After 0 with requests accepted", 3, "0", http.StatusTooManyRequests, true},
		{"nothing accepted in the window", 0, "1", http.StatusTooManyRequests, false},
		{"Retry-After longer than the window", 3, "2", http.StatusTooManyRequests, false},
		{"no Retry-After", 3, "", http.StatusTooManyRequests, false},
		{"not a 429", 3, "1", http.StatusServiceUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			rt := &retryTransport{gate: &rateGate{clock: clk}, clock: clk}
			for i := 0; i < tt.accepted; i++ {
				ticket, _, _ := rt.gate.wait(context.Background())
				rt.gate.answered(ticket)
			}
			ticket, _, _ := rt.gate.wait(context.Background())
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			if got := rt.learn(ticket, &http.Response{StatusCode: tt.status, Header: h}); got != tt.want {
				t.Errorf("paced = %v, want %v", got, tt.want)
			}
		})
	}
}

// waitToRetry: a 429 without Retry-After closes the client's gate for the
// wait (everyone waits there, not this request alone); a paced retry waits
// at the gate only; any other retry waits on its own.
func TestWaitToRetry(t *testing.T) {
	tests := []struct {
		name      string
		v         verdict
		paced     bool
		wantSlept []time.Duration
		wantHold  bool
	}{
		{"backoff", verdict{kind: backOff}, false, []time.Duration{3 * time.Second}, false},
		{"server's wait", verdict{kind: waitServer, server: 3 * time.Second}, false, []time.Duration{3 * time.Second}, false},
		{"paced by the gate", verdict{kind: waitServer, server: time.Second}, true, nil, false},
		{"everyone backs off", verdict{kind: backOffAll}, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			rt := &retryTransport{gate: &rateGate{clock: clk}, clock: clk}
			if err := rt.waitToRetry(context.Background(), tt.v, tt.paced, 3*time.Second); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(clk.slept) != fmt.Sprint(tt.wantSlept) {
				t.Errorf("slept %v, want %v", clk.slept, tt.wantSlept)
			}
			if held := rt.gate.until.Equal(clk.Now().Add(3 * time.Second)); held != tt.wantHold {
				t.Errorf("gate held until %v (now %v), want held: %v", rt.gate.until, clk.Now(), tt.wantHold)
			}
		})
	}
}
