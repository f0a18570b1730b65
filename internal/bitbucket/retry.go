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

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// maxRetryAfter is the longest Retry-After the client waits out; a server
// asking for more gets its 429 handed to the caller instead of a Terraform
// run that hangs.
const maxRetryAfter = 10 * time.Minute

// retryTransport repeats requests that are safe to repeat:
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
	// onRetry, when set, is called as a wait before a retry begins (tests).
	onRetry func()
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	idempotent := isIdempotent(req)
	resendable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil

	for attempt := 0; ; attempt++ {
		if waited, err := t.gate.wait(ctx); err != nil {
			if waited {
				return nil, &notSentError{interrupted("while waiting for the rate limit to pass", err)}
			}
			return nil, &notSentError{interrupted("before the request was sent", err)}
		}
		resp, err := t.attempt(req, attempt)

		wait, throttled, retry := t.decide(resp, err, idempotent, attempt)
		if !retry || !resendable || attempt >= t.maxRetries {
			return resp, err
		}
		reason := ""
		if resp != nil {
			reason = resp.Status
			_ = resp.Body.Close()
		} else {
			reason = t.redactor.mask(err.Error())
		}
		if ctx.Err() != nil {
			if resp == nil {
				return nil, err // the attempt itself was cut short, and says so
			}
			return nil, &notSentError{interrupted("while retrying after "+reason, ctx.Err())}
		}
		tflog.SubsystemDebug(t.redactor.logContext(ctx), logSubsystem, "Retrying Bitbucket API request", map[string]any{
			"method":  req.Method,
			"url":     req.URL.Redacted(),
			"attempt": attempt + 1,
			"reason":  reason,
			"wait_ms": wait.Milliseconds(),
		})
		if t.onRetry != nil {
			t.onRetry()
		}
		if throttled {
			// Everyone waits at the gate, this request included.
			t.gate.hold(wait)
			continue
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, &notSentError{fmt.Errorf("waiting to retry: %w", err)}
		}
	}
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

// decide says whether to retry and how long to wait; throttled means the
// wait is a rate-limit wait that the whole client shares.
func (t *retryTransport) decide(resp *http.Response, err error, idempotent bool, attempt int) (wait time.Duration, throttled, retry bool) {
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 0, false, false
		}
		var apiErr *APIError
		switch {
		case isCertificateError(err):
			return 0, false, false
		case errors.As(err, &apiErr):
			// The OAuth token endpoint failed; the request itself never left.
			switch {
			case errors.Is(apiErr, ErrRateLimited):
				return t.rateLimitWait(apiErr.RetryAfter, apiErr.RetryAfter > 0, attempt)
			case errors.Is(apiErr, ErrServer):
				return t.backoff(attempt), false, true
			}
			return 0, false, false
		case !mayHaveBeenApplied(err):
			return t.backoff(attempt), false, true
		default:
			return t.backoff(attempt), false, idempotent
		}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return t.rateLimitWait(d, ok, attempt)
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		wait := t.backoff(attempt)
		// A 503 for maintenance may say when to come back.
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && d <= maxRetryAfter {
			wait = d
		}
		return wait, false, idempotent
	}
	return 0, false, false
}

func (t *retryTransport) rateLimitWait(retryAfter time.Duration, given bool, attempt int) (time.Duration, bool, bool) {
	if !given {
		return t.backoff(attempt), true, true
	}
	if retryAfter > maxRetryAfter {
		return 0, false, false
	}
	return retryAfter, true, true
}

// backoff is waitMin doubled per retry, capped at waitMax, with jitter in
// the upper half so that parallel clients spread out.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.waitMax
	if attempt < 32 {
		if exp := t.waitMin << uint(attempt); exp > 0 && exp < t.waitMax {
			d = exp
		}
	}
	half := d / 2
	d = half + time.Duration(rand.Int64N(int64(d-half)+1)) //nolint:gosec // jitter needs no cryptographic randomness
	if d < t.waitMin {
		d = t.waitMin
	}
	return d
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

// rateGate is shared by all requests of one client. After a 429 it stays
// closed until the backoff ends, and every request waits for it.
type rateGate struct {
	mu    sync.Mutex
	until time.Time
	// onHold, when set, is called after the gate is closed (tests).
	onHold func(until time.Time)
}

// hold closes the gate for at least d from now.
func (g *rateGate) hold(d time.Duration) {
	g.mu.Lock()
	until := time.Now().Add(d)
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

// wait returns when the gate is open or ctx is done.
func (g *rateGate) wait(ctx context.Context) (waited bool, err error) {
	for {
		g.mu.Lock()
		d := time.Until(g.until)
		g.mu.Unlock()
		if d <= 0 {
			return waited, ctx.Err()
		}
		waited = true
		// The gate may have been extended meanwhile: look again after.
		if err := sleep(ctx, d); err != nil {
			return waited, err
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
