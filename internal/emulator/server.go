// Package emulator is an in-memory Bitbucket (Cloud REST 2.0 or Data Center
// REST 1.0) for the provider's tests and demo. One Server emulates one
// product. It speaks HTTP like the real product does (paths, JSON shapes,
// paging, error bodies, auth and permissions) and adds fault injection, rate
// limiting and request counters so tests can exercise the client's error paths.
//
// All state sits behind one mutex; handlers run under it and build a
// complete response, which is written after the lock is released.
package emulator

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Product is the Bitbucket product a Server emulates.
type Product string

const (
	Cloud      Product = "cloud"
	DataCenter Product = "datacenter"
)

// Options configures a Server.
type Options struct {
	Product Product // required
	NoSeed  bool    // true = start empty (no fixtures)
	Version string  // Data Center version for application-properties, default "9.4.2"
	// PublicURL, when set, is the base URL the server reports in links (Data
	// Center links.self / clone hrefs), e.g. "http://localhost:7990", to emulate
	// a server whose base URL setting is wrong. Default: the URL the request
	// came in on (scheme+Host).
	PublicURL string
}

// ErrNotFound is returned by the out-of-band methods for unknown objects.
var ErrNotFound = errors.New("emulator: not found")

// maxBodyBytes bounds a request body; Bitbucket bodies here are small JSON.
const maxBodyBytes = 1 << 20

// Server is one emulated Bitbucket. It implements http.Handler.
type Server struct {
	opts    Options
	product Product
	routes  []*route

	mu    sync.Mutex
	st    *state
	clock clock

	faults      []*activeFault
	latency     time.Duration
	rateN       int
	rateWindow  time.Duration
	rateHits    []time.Time
	errRate     float64
	errRNG      *rand.Rand
	counts      map[string]int
	faultsFired map[string]int // "METHOD route" -> injected faults that fired
	twins       []Twin         // objects made by faults' Twin, since ResetCounts
	requests    []RecordedRequest
	requestNext int
	throttled   int
	sessions    map[string]bool // Data Center session cookies given out (sessions.go)

	// Webhook deliveries (datacenter_deliveries.go).
	webhookTimeout time.Duration
	deliveryLog    []*Invocation
	nextInvocation int

	url     string
	httpSrv *http.Server
	testSrv *httptest.Server
	// tb is the test of a server made by NewTestServer: a fault injected on
	// a route the server does not serve fails it.
	tb testing.TB
}

// New returns a Server for opts.Product, seeded with the fixtures unless
// opts.NoSeed. It panics on an unknown product (a programming error).
func New(opts Options) *Server {
	if opts.Product != Cloud && opts.Product != DataCenter {
		panic("emulator: Options.Product must be emulator.Cloud or emulator.DataCenter")
	}
	if opts.Version == "" {
		opts.Version = "9.4.2"
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	s := &Server{
		opts:    opts,
		product: opts.Product,
		st:      newState(),
		counts:  map[string]int{},

		faultsFired: map[string]int{},
	}
	if s.product == Cloud {
		s.routes = cloudRoutes()
	} else {
		s.routes = dataCenterRoutes()
	}
	for _, rt := range s.routes {
		rt.segs = strings.Split(strings.TrimPrefix(rt.template, "/"), "/")
	}
	if !opts.NoSeed {
		if s.product == Cloud {
			s.seedCloud()
		} else {
			s.seedDataCenter()
		}
	}
	return s
}

// Start returns a Server listening on addr ("" = 127.0.0.1:0).
func Start(opts Options, addr string) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s := New(opts)
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go func() { _ = s.httpSrv.Serve(ln) }()
	return s, nil
}

// NewTestServer starts an httptest server for tb and closes it in tb.Cleanup.
func NewTestServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	s.tb = tb
	s.testSrv = httptest.NewServer(s)
	s.url = s.testSrv.URL
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// URL is the root URL, "http://127.0.0.1:PORT" ("" before Start).
func (s *Server) URL() string { return s.url }

// BaseURL is the API base a client is configured with: Cloud URL()+"/2.0",
// Data Center URL().
func (s *Server) BaseURL() string {
	if s.product == Cloud {
		return s.url + "/2.0"
	}
	return s.url
}

// OAuthTokenURL is the Cloud OAuth 2 token endpoint.
func (s *Server) OAuthTokenURL() string { return s.url + "/site/oauth2/access_token" }

// Product is the product this server emulates.
func (s *Server) Product() Product { return s.product }

// Close stops the listener started by Start or NewTestServer. It is safe to
// call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	httpSrv, testSrv := s.httpSrv, s.testSrv
	s.httpSrv, s.testSrv = nil, nil
	s.mu.Unlock()
	if testSrv != nil {
		testSrv.CloseClientConnections()
		testSrv.Close()
	}
	if httpSrv != nil {
		return httpSrv.Close()
	}
	return nil
}

// call is one request on its way through a handler.
type call struct {
	s      *Server
	r      *http.Request
	body   []byte
	route  *route
	params map[string]string
	p      *principal
	now    time.Time
}

func (c *call) param(name string) string { return c.params[name] }

// ServeHTTP counts and records the request, applies latency, faults and
// limits, then authenticates and runs the route's handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, valid := normalizePath(r.URL.EscapedPath())
	if !valid {
		// Tomcat answers 400 "Invalid URI" before any routing.
		s.record(r, unmatchedRoute)
		s.statusResponse(http.StatusBadRequest, 0).write(w)
		return
	}
	rt, params, template, allowed := s.match(r.Method, path)
	s.record(r, template)
	// Date comes from the server's clock, as a real server's comes from its
	// own (RFC 9110 section 6.6.1): a moved clock is what clients see.
	w.Header().Set("Date", s.Now().UTC().Format(http.TimeFormat))

	// The body is read before any latency or slow fault: only then does
	// net/http notice a client that gives up and cancel ctx, so a request
	// the client abandoned is not applied later behind its back. (A real
	// server may still apply it later, which the provider cannot see.)
	var body []byte
	if r.Body != nil { // nil when a test calls ServeHTTP with a client request
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, maxBodyBytes)); err != nil {
			abortConnection(w)
			return
		}
	}

	ctx := r.Context()
	if !sleepCtx(ctx, s.currentLatency()) {
		return
	}

	c := &call{s: s, r: r, body: body, route: rt, params: params}
	after, done := s.faultBefore(w, c, template)
	if done {
		return
	}
	if s.refuseByLimits(w, after) {
		return
	}
	var resp response
	switch {
	case rt == nil && len(allowed) > 0:
		resp = s.methodNotAllowed(allowed)
	case rt == nil:
		resp = s.notFoundRoute()
	default:
		resp = s.handle(c)
		after.makeTwin()
	}
	s.respond(ctx, w, resp.finish(), after)
}

// afterFault is what the fault of a request does once it is handled.
type afterFault struct {
	drop     bool          // FaultDropResponse: no answer
	status   int           // FaultAppliedStatus: the proxy's answer instead
	late     time.Duration // FaultLateAnswer
	makeTwin func()        // a Twin made after the request (TwinAfter)
}

// faultBefore takes the fault for c's request and does what it does before
// the handler runs; done reports that the request ends there (answered,
// cut, or the client left).
func (s *Server) faultBefore(w http.ResponseWriter, c *call, template string) (after afterFault, done bool) {
	after.makeTwin = func() {}
	f, ok := s.takeFault(c.r.Method, template)
	if !ok {
		return after, false
	}
	if f.Twin != nil && c.route != nil {
		twin := func() { s.makeTwin(f, &call{s: s, r: c.r, body: c.body, route: c.route, params: c.params}, template) }
		if f.TwinAfter {
			after.makeTwin = twin
		} else {
			twin()
		}
	}
	switch f.Kind {
	case FaultStatus:
		after.makeTwin()
		s.statusResponse(f.Status, f.RetryAfter).write(w)
		return after, true
	case FaultReset:
		after.makeTwin()
		abortConnection(w)
		return after, true
	case FaultSlow:
		if !sleepCtx(c.r.Context(), f.Delay) {
			after.makeTwin()
			return after, true
		}
	case FaultMalformedJSON:
		after.makeTwin()
		malformedJSON().write(w)
		return after, true
	case FaultDropResponse:
		after.drop = true
	case FaultAppliedStatus:
		after.status = f.Status
	case FaultLateAnswer:
		after.late = f.Delay
	}
	return after, false
}

// refuseByLimits answers a request the rate limit or the random error rate
// refuses, and reports whether it did.
func (s *Server) refuseByLimits(w http.ResponseWriter, after afterFault) bool {
	if limited, retryAfter := s.rateLimited(); limited {
		after.makeTwin()
		s.statusResponse(http.StatusTooManyRequests, retryAfter).write(w)
		return true
	}
	if s.randomServerError() {
		after.makeTwin()
		s.statusResponse(http.StatusInternalServerError, 0).write(w)
		return true
	}
	return false
}

// finish builds the answer of a handler's work that must not hold the state
// lock (a webhook test request); the headers it set stay.
func (r response) finish() response {
	if r.then == nil {
		return r
	}
	header := r.header
	resp := r.then()
	for k, v := range header {
		if _, set := resp.header[k]; !set {
			resp = resp.withExact(k, v[0])
		}
	}
	return resp
}

// respond writes resp as the request's fault leaves it: not at all, the
// proxy's page instead, or late.
func (s *Server) respond(ctx context.Context, w http.ResponseWriter, resp response, after afterFault) {
	switch {
	case after.drop:
		abortConnection(w)
		return
	case after.status != 0:
		resp = proxyErrorPage(after.status)
	}
	if after.late > 0 && !sleepCtx(ctx, after.late) {
		return // the client left: the change stays, its answer is lost
	}
	resp.write(w)
}

// handle runs one matched route under the state lock.
func (s *Server) handle(c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.now = s.clock.now()
	if s.product == Cloud {
		return s.handleCloud(c)
	}
	return s.handleDataCenter(c)
}

// abortConnection closes the client's connection without an answer, so the
// client sees EOF. Without a hijackable connection it falls back to the
// standard library's abort, which resets the stream.
func abortConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// sleepCtx waits d and reports false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// requestBase is scheme://host of the request, used for links and next URLs.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
