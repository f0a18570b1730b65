package bitbucket

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestDataCenter429HonoursRetryAfter(t *testing.T) {
	clk := newFakeClock()
	var (
		mu  sync.Mutex
		ats []time.Time
	)
	var calls atomic.Int32
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ats = append(ats, clk.Now())
		mu.Unlock()
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"errors": []any{map[string]any{"message": "Rate limit exceeded"}}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"key": "PRJ", "id": 1, "name": "Project One"})
	}), nil)

	useClock(c, clk)
	if _, err := c.GetWorkspace(context.Background(), "PRJ"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ats) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(ats))
	}
	// RetryWaitMax is 5ms, so only Retry-After explains a gap of a second.
	if gap := ats[1].Sub(ats[0]); gap < time.Second {
		t.Errorf("retried after %s, want at least the Retry-After of 1s", gap)
	}
}

func TestCloud429WithoutRetryAfterBacksOff(t *testing.T) {
	rec := &recorder{}
	var calls atomic.Int32
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		if calls.Add(1) <= 2 {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte("Rate limit for this resource has been exceeded"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"slug": "acme"})
	}), func(cfg *Config) {
		cfg.RetryWaitMin = 40 * time.Millisecond
		cfg.RetryWaitMax = 40 * time.Millisecond
	})

	if _, err := c.GetWorkspace(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	reqs := rec.all()
	if len(reqs) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(reqs))
	}
	for i := 1; i < len(reqs); i++ {
		if gap := reqs[i].At.Sub(reqs[i-1].At); gap < 40*time.Millisecond {
			t.Errorf("retry %d came after %s, want the backoff of at least 40ms", i, gap)
		}
	}
}

func TestServerErrorOnGetIsRetried(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			writeJSON(w, http.StatusBadGateway, map[string]any{"type": "error", "error": map[string]any{"message": "bad gateway"}})
		case 2:
			dropConnection(t, w)
		default:
			writeJSON(w, http.StatusOK, map[string]any{"slug": "acme"})
		}
	}), nil)

	if _, err := c.GetWorkspace(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n < 3 {
		t.Errorf("server saw %d requests, want 3 (502, dropped, 200)", n)
	}
}

func TestCreatesAreNotRetriedAfterAFailureThatMayHaveApplied(t *testing.T) {
	tests := []struct {
		name    string
		product Product
		fail    func(t *testing.T, w http.ResponseWriter)
		create  func(c Client) error
	}{
		{
			name: "cloud hook POST 500", product: ProductCloud,
			fail: func(t *testing.T, w http.ResponseWriter) {
				writeJSON(w, http.StatusInternalServerError, map[string]any{"type": "error", "error": map[string]any{"message": "Something went wrong"}})
			},
			create: createHook,
		},
		{
			name: "cloud hook POST dropped connection", product: ProductCloud,
			fail:   dropConnection,
			create: createHook,
		},
		{
			name: "data center hook POST 503", product: ProductDataCenter,
			fail: func(t *testing.T, w http.ResponseWriter) {
				writeJSON(w, http.StatusServiceUnavailable, map[string]any{"errors": []any{map[string]any{"message": "down"}}})
			},
			create: createHook,
		},
		{
			name: "data center token PUT 500", product: ProductDataCenter,
			fail: func(t *testing.T, w http.ResponseWriter) {
				writeJSON(w, http.StatusInternalServerError, map[string]any{"errors": []any{map[string]any{"message": "boom"}}})
			},
			create: func(c Client) error {
				_, err := c.CreateAccessToken(context.Background(), TokenScope{Level: TokenLevelProject, Workspace: "PRJ"},
					AccessTokenInput{Name: "ci", Permissions: []string{"REPO_READ"}})
				return err
			},
		},
		{
			name: "data center token PUT dropped connection", product: ProductDataCenter,
			fail: dropConnection,
			create: func(c Client) error {
				_, err := c.CreateAccessToken(context.Background(), TokenScope{Level: TokenLevelRepository, Workspace: "PRJ", Repository: "api"},
					AccessTokenInput{Name: "ci", Permissions: []string{"REPO_READ"}})
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var writes atomic.Int32
			c, _ := newTestClient(t, tt.product, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					http.NotFound(w, r)
					return
				}
				writes.Add(1)
				tt.fail(t, w)
			}), nil)

			err := tt.create(c)
			if err == nil {
				t.Fatal("want an error")
			}
			if !IsUncertain(err) {
				t.Errorf("IsUncertain(%v) = false, want true", err)
			}
			if n := writes.Load(); n != 1 {
				t.Errorf("server saw %d create requests, want exactly 1", n)
			}
		})
	}
}

func createHook(c Client) error {
	_, err := c.CreateWebhook(context.Background(), WebhookScope{Workspace: "PRJ", Repository: "api"},
		WebhookInput{Name: "ci", URL: "https://ci.example.com/hook", Events: []string{"repo:push"}, Active: true})
	return err
}

func TestCreateTimingOutIsUncertainAndNotRetried(t *testing.T) {
	var writes atomic.Int32
	release := make(chan struct{})
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writes.Add(1)
		<-release // never answers while the client waits
	}), func(cfg *Config) { cfg.RequestTimeout = 50 * time.Millisecond })
	t.Cleanup(func() { close(release) }) // runs before the server closes

	err := createHook(c)
	if !IsUncertain(err) {
		t.Fatalf("want an uncertain error, got %v", err)
	}
	if n := writes.Load(); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestGetTimingOutIsRetried(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-release
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"slug": "acme"})
	}), func(cfg *Config) { cfg.RequestTimeout = 50 * time.Millisecond })
	t.Cleanup(func() { close(release) })

	if _, err := c.GetWorkspace(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

func TestCreateThrottledIsRetried(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": 7, "name": "ci", "url": "https://ci.example.com/hook", "events": []string{"repo:refs_changed"}})
	}), nil)

	if err := createHook(c); err != nil {
		t.Fatalf("a 429 means the server did not process the create; it must be retried: %v", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

func TestCreateRefusedConnectionIsCertain(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens: every dial is refused

	cfg := testConfig(ProductCloud, "http://"+addr+"/2.0")
	cfg.MaxRetries = 1
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = createHook(c)
	if err == nil {
		t.Fatal("want an error")
	}
	if IsUncertain(err) {
		t.Errorf("a refused connection never reached the server, so it is not uncertain: %v", err)
	}
}

func TestMaxRetriesIsRespected(t *testing.T) {
	for _, maxRetries := range []int{0, 2} {
		var calls atomic.Int32
		c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"type": "error", "error": map[string]any{"message": "maintenance"}})
		}), func(cfg *Config) { cfg.MaxRetries = maxRetries })

		_, err := c.GetWorkspace(context.Background(), "acme")
		if !errors.Is(err, ErrServer) {
			t.Fatalf("MaxRetries %d: want ErrServer, got %v", maxRetries, err)
		}
		if IsUncertain(err) {
			t.Errorf("a GET is never uncertain: %v", err)
		}
		if got, want := int(calls.Load()), maxRetries+1; got != want {
			t.Errorf("MaxRetries %d: server saw %d requests, want %d", maxRetries, got, want)
		}
	}
}

func TestRateLimitErrorAfterRetriesCarriesRetryAfter(t *testing.T) {
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"errors": []any{map[string]any{"message": "slow down"}}})
	}), func(cfg *Config) { cfg.MaxRetries = 1 })

	_, err := c.GetWorkspace(context.Background(), "PRJ")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, ErrRateLimited) || apiErr.Message != "slow down" {
		t.Fatalf("want a rate-limited *APIError with the server's message, got %v", err)
	}
}

func TestCancellationDuringBackoffReturnsPromptly(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var calls atomic.Int32
			c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(status)
			}), func(cfg *Config) {
				// A backoff far longer than the test may take.
				cfg.RetryWaitMin = time.Hour
				cfg.RetryWaitMax = time.Hour
			})
			waiting := make(chan struct{}, 1)
			internals(c).retry.onRetry = func() { waiting <- struct{}{} }

			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := c.GetWorkspace(ctx, "acme")
				done <- err
			}()
			<-waiting // the backoff has begun
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("want context.Canceled, got %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the call did not return after its context was cancelled")
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

func TestThrottlingHoldsEveryRequestOfTheClient(t *testing.T) {
	rec := &recorder{}
	var aCalls atomic.Int32
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		if r.URL.Path == "/2.0/workspaces/a" && aCalls.Add(1) == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"slug": "x"})
	}), func(cfg *Config) {
		cfg.RetryWaitMin = 200 * time.Millisecond
		cfg.RetryWaitMax = 200 * time.Millisecond
	})
	held := make(chan time.Time, 1)
	internals(c).retry.gate.onHold = func(until time.Time) { held <- until }

	errA := make(chan error, 1)
	go func() {
		_, err := c.GetWorkspace(context.Background(), "a")
		errA <- err
	}()
	var until time.Time
	select {
	case until = <-held: // a is being throttled now
	case <-time.After(10 * time.Second): // a deadlock guard, not a timing
		t.Fatal("a 429 without Retry-After did not hold the client's gate")
	}

	if _, err := c.GetWorkspace(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	if err := <-errA; err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.all() {
		if r.Path == "/2.0/workspaces/b" && r.At.Before(until) {
			t.Errorf("b reached the server %s before the throttle ended", until.Sub(r.At))
		}
	}
	if n := rec.count(http.MethodGet, "/2.0/workspaces/b"); n != 1 {
		t.Errorf("b sent %d times, want 1", n)
	}
}

func TestIdempotentUpdatesAreRetried(t *testing.T) {
	// Hook PUT and token update POST set absolute values: safe to repeat.
	var puts, posts atomic.Int32
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPut:
			if puts.Add(1) == 1 {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"id": 1})
		case http.MethodPost:
			if posts.Add(1) == 1 {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"id": "5"})
		}
	}), nil)

	_, err := c.UpdateWebhook(context.Background(), WebhookScope{Workspace: "PRJ"}, "1", WebhookInput{Secret: ptr("")})
	if err != nil || puts.Load() != 2 {
		t.Errorf("hook update: err %v after %d PUTs, want success after 2", err, puts.Load())
	}
	_, err = c.UpdateAccessToken(context.Background(), TokenScope{Level: TokenLevelProject, Workspace: "PRJ"}, "5", AccessTokenInput{Name: "n"})
	if err != nil || posts.Load() != 2 {
		t.Errorf("token update: err %v after %d POSTs, want success after 2", err, posts.Load())
	}
}

// A server that counts requests in a sliding window and answers 429 with a
// whole-second Retry-After (as Data Center does) must not stop every
// request of the client for that second: the refused request waits, the
// others go on within the rate the client learned, and after the first
// refusals few more requests are refused.
func TestRetryAfterPacesInsteadOfStoppingEveryone(t *testing.T) {
	const limit, window, requests, parallel = 10, 300 * time.Millisecond, 60, 10
	var (
		mu        sync.Mutex
		hits      []time.Time
		refusedAt []time.Time
		accepted  []time.Time
	)
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now := time.Now()
		for len(hits) > 0 && now.Sub(hits[0]) >= window {
			hits = hits[1:]
		}
		if len(hits) >= limit {
			refusedAt = append(refusedAt, now)
			mu.Unlock()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		hits = append(hits, now)
		accepted = append(accepted, now)
		mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"key": "PRJ"})
	}), func(cfg *Config) { cfg.MaxRetries = 10 })
	internals(c).retry.gate.window = window

	var wg sync.WaitGroup
	work := make(chan int, requests)
	for i := 0; i < requests; i++ {
		work <- i
	}
	close(work)
	for g := 0; g < parallel; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				if _, err := c.GetWorkspace(context.Background(), "PRJ"); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(refusedAt) == 0 {
		t.Fatal("the server never refused a request: the test proves nothing")
	}
	// Other requests were accepted while the first refused one waited out
	// its Retry-After of one second.
	first := refusedAt[0]
	during := 0
	for _, a := range accepted {
		if a.After(first) && a.Before(first.Add(time.Second)) {
			during++
		}
	}
	if during < limit {
		t.Errorf("%d requests accepted during the first refused request's Retry-After, want >= %d: everyone stopped", during, limit)
	}
	// Refusals come from the requests in flight when the limit was first
	// hit (at most the parallelism), and rarely after.
	if len(refusedAt) > 2*parallel {
		t.Errorf("%d requests refused for %d sent, want <= %d: the client did not keep to the rate it learned", len(refusedAt), requests, 2*parallel)
	}
}

// When nothing of the client's was accepted within the window, its own
// count says nothing about when there is room: the Retry-After is waited.
func TestRetryAfterWaitedWhenNothingWasAccepted(t *testing.T) {
	var (
		mu  sync.Mutex
		ats []time.Time
	)
	clk := newFakeClock()
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ats = append(ats, clk.Now())
		n := len(ats)
		mu.Unlock()
		if n <= 2 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"key": "PRJ"})
	}), nil)
	useClock(c, clk)
	if _, err := c.GetWorkspace(context.Background(), "PRJ"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(ats); i++ {
		if gap := ats[i].Sub(ats[i-1]); gap < 900*time.Millisecond {
			t.Errorf("retry %d came %s after a 429 with Retry-After: 1", i, gap)
		}
	}
}
