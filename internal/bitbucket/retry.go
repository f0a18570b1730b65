package bitbucket

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxFreePacedRetries bounds the paced retries of one request that do not
// count against max_retries.
const maxFreePacedRetries = 10

// maxRetryAfter is the longest Retry-After the client waits out; a server
// asking for more gets its 429 handed to the caller instead of a Terraform
// run that hangs.
const maxRetryAfter = 10 * time.Minute

// retryTransport repeats requests that are safe to repeat (the rules are
// classify's):
//
//   - 429 always: the server did not process the request. It waits the
//     server's Retry-After (Data Center) or an exponential backoff with
//     jitter (Cloud sends none), and holds the shared gate meanwhile so the
//     other requests of this client wait too instead of adding to the load.
//   - 5xx (but 501) and lost answers only for idempotent requests
//     (isIdempotent). A create is never sent twice: its failure goes back to
//     the caller, who turns it into an *UncertainError.
//   - Failures before the request left (dial errors, a failed OAuth token
//     request) for every request.
//
// Each attempt gets its own timeout and its body read in full inside it, so
// the timeout covers the whole exchange.
type retryTransport struct {
	next           http.RoundTripper
	gate           *rateGate
	maxRetries     int
	waitMin        time.Duration
	waitMax        time.Duration
	attemptTimeout time.Duration
	redactor       *redactor
	log            clientLog
	// clock tells the time and waits (nil = the real one; tests use a
	// fake one that waits without sleeping).
	clock clock
	// onRetry, when set, is called as a wait before a retry begins (tests).
	onRetry func()
}

// clock is the time as the retry layer sees it.
type clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time                                   { return time.Now() }
func (realClock) Sleep(ctx context.Context, d time.Duration) error { return sleep(ctx, d) }

func (t *retryTransport) now() time.Time { return clockOf(t.clock).Now() }

func clockOf(c clock) clock {
	if c == nil {
		return realClock{}
	}
	return c
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	idempotent := isIdempotent(req)
	resendable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	budget := retryBudget{max: t.maxRetries, free: maxFreePacedRetries}
	for attempt := 0; ; attempt++ {
		ticket, err := t.passGate(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := t.attempt(req, attempt)
		paced := t.learn(ticket, resp)
		v := classify(resp, err, idempotent, t.now())
		wait := v.wait(budget.retries, t.waitMin, t.waitMax, jitter)
		if v.kind == giveUp || !resendable || !budget.take(paced) {
			return resp, err
		}
		reason := t.closeForRetry(resp, err)
		if ctx.Err() != nil {
			if resp == nil {
				return nil, err // the attempt itself was cut short, and says so
			}
			return nil, &notSentError{interrupted("while retrying after "+reason, ctx.Err())}
		}
		t.logRetry(ctx, req, attempt, reason, wait)
		if err := t.waitToRetry(ctx, v, paced, wait); err != nil {
			return nil, err
		}
	}
}

// passGate waits until the shared gate lets a request start.
func (t *retryTransport) passGate(ctx context.Context) (time.Time, error) {
	ticket, waited, err := t.gate.wait(ctx)
	switch {
	case err == nil:
		return ticket, nil
	case waited:
		return ticket, &notSentError{interrupted("while waiting for the rate limit to pass", err)}
	default:
		return ticket, &notSentError{interrupted("before the request was sent", err)}
	}
}

// learn tells the gate how the attempt started at ticket went, and reports
// whether its retry is paced: a 429 whose Retry-After is within the rate
// window, the granularity of the header; the gate, which just learned the
// rate from it, holds the retry until the window has room (exactly, from
// this client's own count) instead of a rounded-up whole second.
func (t *retryTransport) learn(ticket time.Time, resp *http.Response) bool {
	if resp == nil {
		return false
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		t.gate.answered(ticket)
		return false
	}
	d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now())
	if !ok {
		return false
	}
	// Only when requests of this client were accepted within the window
	// does its count say when there is room. A Retry-After of one second
	// is the header's granularity.
	return t.gate.refused(ticket) > 0 && d <= max(t.gate.windowLength(), time.Second)
}

// closeForRetry discards the answer that is retried and names why.
func (t *retryTransport) closeForRetry(resp *http.Response, err error) string {
	if resp != nil {
		_ = resp.Body.Close()
		return resp.Status
	}
	return t.redactor.mask(err.Error())
}

func (t *retryTransport) logRetry(ctx context.Context, req *http.Request, attempt int, reason string, wait time.Duration) {
	if !t.log.enabled(ctx, LogDebug) {
		return
	}
	t.log.log(ctx, LogDebug, "Retrying Bitbucket API request", map[string]any{
		"method":  req.Method,
		"url":     req.URL.Redacted(),
		"attempt": attempt + 1,
		"reason":  reason,
		"wait_ms": wait.Milliseconds(),
	})
}

// waitToRetry waits before the next attempt: at the gate, with every other
// request of the client, for a 429 without Retry-After; not at all for a
// paced retry (the gate paces it); else on its own.
func (t *retryTransport) waitToRetry(ctx context.Context, v verdict, paced bool, wait time.Duration) error {
	if t.onRetry != nil {
		t.onRetry()
	}
	switch {
	case v.kind == backOffAll:
		t.gate.hold(wait)
		return nil
	case paced:
		return nil
	}
	if err := clockOf(t.clock).Sleep(ctx, wait); err != nil {
		return &notSentError{fmt.Errorf("waiting to retry: %w", err)}
	}
	return nil
}

// retryBudget counts the retries of one request. max_retries bounds them,
// but paced retries of a 429 cost the server nothing the rate does not
// allow, so a few of them (free) are not counted: a burst that overran the
// limit does not use up the retries of the requests caught in it.
type retryBudget struct {
	max, retries, free int
}

// take spends one retry (a free one when paced and any are left) and
// reports whether there was one to spend.
func (b *retryBudget) take(paced bool) bool {
	switch {
	case paced && b.free > 0:
		b.free--
		return true
	case b.retries < b.max:
		b.retries++
		return true
	}
	return false
}

// attempt sends one try with its own timeout and returns the answer with
// its body already in memory.
func (t *retryTransport) attempt(req *http.Request, n int) (*http.Response, error) {
	parent := req.Context()
	ctx, cancel := context.WithTimeout(parent, t.attemptTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, attemptKey, n+1)

	r := req.Clone(ctx)
	if n > 0 && req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, &notSentError{fmt.Errorf("rewinding the request body: %w", err)}
		}
		r.Body = body
	}

	resp, err := t.next.RoundTrip(r)
	if err == nil {
		var body []byte
		body, err = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err == nil {
			resp.Body = io.NopCloser(bytes.NewReader(body))
			return resp, nil
		}
		err = fmt.Errorf("reading the answer (HTTP %d): %w", resp.StatusCode, err)
	}
	if parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && mayHaveBeenApplied(err) {
		err = fmt.Errorf("no complete answer within the request timeout of %s", t.attemptTimeout)
	}
	return nil, err
}

// retryKind is what the outcome of an attempt asks for.
type retryKind int

const (
	// giveUp: the answer or error goes to the caller.
	giveUp retryKind = iota
	// backOff: retry after an exponential backoff.
	backOff
	// backOffAll: retry after a backoff that every request of the client
	// waits out (a 429 without Retry-After: Cloud).
	backOffAll
	// waitServer: retry after the wait the server asked for (Retry-After).
	waitServer
)

// verdict is classify's answer: what to do, and the server's wait for
// waitServer.
type verdict struct {
	kind   retryKind
	server time.Duration
}

// wait is how long to wait before retry number retry (0 = the first).
func (v verdict) wait(retry int, waitMin, waitMax time.Duration, jitter func(int64) int64) time.Duration {
	if v.kind == waitServer {
		return v.server
	}
	return backoff(retry, waitMin, waitMax, jitter)
}

// classify says what an attempt's outcome asks for: the retry rules of
// retryTransport, without any state. now reads a Retry-After given as a
// date.
func classify(resp *http.Response, err error, idempotent bool, now time.Time) verdict {
	if err != nil {
		return classifyFailure(err, idempotent)
	}
	retryAfter, given := parseRetryAfter(resp.Header.Get("Retry-After"), now)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return rateLimited(retryAfter, given)
	case resp.StatusCode < 500 || resp.StatusCode == http.StatusNotImplemented || !idempotent:
		return verdict{kind: giveUp}
	case given && retryAfter <= maxRetryAfter:
		// A 503 for maintenance may say when to come back.
		return verdict{kind: waitServer, server: retryAfter}
	}
	return verdict{kind: backOff}
}

// classifyFailure: an attempt without an answer.
func classifyFailure(err error, idempotent bool) verdict {
	var apiErr *APIError
	switch {
	case errors.Is(err, context.Canceled), isCertificateError(err):
		return verdict{kind: giveUp}
	case errors.As(err, &apiErr):
		// The OAuth token endpoint failed; the request itself never left.
		switch {
		case errors.Is(apiErr, ErrRateLimited):
			return rateLimited(apiErr.RetryAfter, apiErr.RetryAfter > 0)
		case errors.Is(apiErr, ErrServer):
			return verdict{kind: backOff}
		}
		return verdict{kind: giveUp}
	case !mayHaveBeenApplied(err), idempotent:
		return verdict{kind: backOff}
	}
	return verdict{kind: giveUp}
}

// rateLimited: without a Retry-After (Cloud) every request of the client
// waits out a backoff together; with one, the refused request waits what
// the server asked (or, within the rate window, what the gate says: see
// learn) while the others go on within the rate the gate learned from the
// refusal (rateGate.refused). A server asking for more than maxRetryAfter
// gets its 429 handed to the caller.
func rateLimited(retryAfter time.Duration, given bool) verdict {
	switch {
	case !given:
		return verdict{kind: backOffAll}
	case retryAfter > maxRetryAfter:
		return verdict{kind: giveUp}
	}
	return verdict{kind: waitServer, server: retryAfter}
}

// backoff is waitMin doubled per retry, capped at waitMax, with jitter in
// the upper half so that parallel clients spread out; jitter(n) returns a
// number in [0, n).
func backoff(retry int, waitMin, waitMax time.Duration, jitter func(int64) int64) time.Duration {
	d := waitMax
	if retry < 32 {
		if exp := waitMin << uint(retry); exp > 0 && exp < waitMax {
			d = exp
		}
	}
	half := d / 2
	d = half + time.Duration(jitter(int64(d-half)+1))
	return max(d, waitMin)
}

// jitter is backoff's randomness.
func jitter(n int64) int64 {
	return rand.Int64N(n) //nolint:gosec // jitter needs no cryptographic randomness
}

// mayHaveBeenApplied reports whether a failed request may have reached the
// server and been applied. Only failures known to happen before the request
// was written say no.
func mayHaveBeenApplied(err error) bool {
	var ns *notSentError
	if errors.As(err, &ns) {
		return false
	}
	return !isDialError(err) && !isCertificateError(err)
}

func isDialError(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

func isCertificateError(err error) bool {
	var (
		verifyErr   *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
	)
	return errors.As(err, &verifyErr) || errors.As(err, &unknownAuth) ||
		errors.As(err, &hostErr) || errors.As(err, &invalidErr)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// rateGate is shared by all requests of one client. It does two things:
//
//   - After a 429 without Retry-After it stays closed until the backoff ends,
//     and every request waits for it (hold).
//   - After a 429 with Retry-After it learns the server's rate: the number of
//     this client's requests the server accepted within the last window.
//     From then on it lets at most that many requests start within any
//     window (plus a margin for the time a request takes to arrive), so the
//     other requests go on at the server's rate instead of all stopping for
//     a whole-second Retry-After, and few more are refused. Each further
//     refusal learns again (a lower rate); a rate not confirmed by a refusal
//     for rateForget is forgotten.
type rateGate struct {
	// clock is the retry layer's (nil = the real one).
	clock clock

	mu    sync.Mutex
	until time.Time
	// onHold, when set, is called after the gate is closed (tests).
	onHold func(until time.Time)

	// window is the span a server's limit counts requests in: Data Center
	// limits per second and says so in whole-second Retry-After values
	// (0 = rateWindow; tests shorten it).
	window time.Duration
	// starts are the start times of this client's requests within the last
	// window (+ margin), oldest first, refused ones removed.
	starts []time.Time
	// limit is the learned number of requests per window; 0 = none.
	limit   int
	learned time.Time
}

const (
	rateWindow = time.Second
	// rateWindowMargin covers the time between a request's start here and
	// its arrival at the server, where the server's window is counted.
	rateWindowMargin = 50 * time.Millisecond
	rateForget       = 30 * time.Second
)

func (g *rateGate) windowLength() time.Duration {
	if g.window <= 0 {
		return rateWindow
	}
	return g.window
}

func (g *rateGate) span() time.Duration { return g.windowLength() + rateWindowMargin }

// hold closes the gate for at least d from now.
func (g *rateGate) hold(d time.Duration) {
	g.mu.Lock()
	until := clockOf(g.clock).Now().Add(d)
	if until.After(g.until) {
		g.until = until
	}
	until = g.until
	onHold := g.onHold
	g.mu.Unlock()
	if onHold != nil {
		onHold(until)
	}
}

// wait returns when the gate is open and a request may start within the
// learned rate, or when ctx is done. The ticket names the start for
// refused and answered; waited says whether it had to wait.
func (g *rateGate) wait(ctx context.Context) (ticket time.Time, waited bool, err error) {
	for {
		g.mu.Lock()
		now := clockOf(g.clock).Now()
		d := g.until.Sub(now)
		if d <= 0 {
			if err := ctx.Err(); err != nil {
				g.mu.Unlock()
				return time.Time{}, waited, err
			}
			g.prune(now)
			if g.limit > 0 && now.Sub(g.learned) > rateForget {
				g.limit = 0
			}
			if g.limit == 0 || len(g.starts) < g.limit {
				g.starts = append(g.starts, now)
				g.mu.Unlock()
				return now, waited, nil
			}
			// The next start is free when the oldest of the last limit
			// starts leaves the window.
			d = g.starts[len(g.starts)-g.limit].Add(g.span()).Sub(now)
		}
		g.mu.Unlock()
		waited = true
		// The gate may have changed meanwhile: look again after.
		if err := clockOf(g.clock).Sleep(ctx, max(d, time.Millisecond)); err != nil {
			return time.Time{}, waited, err
		}
	}
}

// interrupted says that the caller's context ended (Ctrl-C or a cancelled
// run: "interrupted"; its deadline: "timed out") and where, so no message
// blames a rate limit or a retry that was not the cause.
func interrupted(where string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("timed out %s: %w", where, err)
	}
	return fmt.Errorf("interrupted %s: %w", where, err)
}

// answered records that the request started at ticket was answered (and
// so counted by the server) now: the server counted it when it arrived,
// at the latest now, so the window is counted from now, which errs on the
// safe side when this process was slow to send it.
func (g *rateGate) answered(ticket time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.remove(ticket)
	g.starts = append(g.starts, clockOf(g.clock).Now())
}

func (g *rateGate) remove(ticket time.Time) {
	for i, s := range g.starts {
		if s.Equal(ticket) {
			g.starts = append(g.starts[:i], g.starts[i+1:]...)
			return
		}
	}
}

// refused records that the request started at ticket was refused with a
// Retry-After: it did not count at the server, and the requests that did
// count within the window are the server's rate. It returns that count.
func (g *rateGate) refused(ticket time.Time) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.remove(ticket)
	now := clockOf(g.clock).Now()
	g.prune(now)
	g.limit = max(1, len(g.starts))
	g.learned = now
	return len(g.starts)
}

// prune drops the starts that left the window. Without a learned limit
// only the last window is kept, so the list stays short.
func (g *rateGate) prune(now time.Time) {
	cutoff := now.Add(-g.span())
	i := 0
	for i < len(g.starts) && !g.starts[i].After(cutoff) {
		i++
	}
	if i > 0 {
		g.starts = append(g.starts[:0], g.starts[i:]...)
	}
}
