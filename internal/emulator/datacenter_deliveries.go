package emulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Webhook deliveries (Data Center): the emulator really sends each webhook's
// request to its URL, on the loopback interface only, and keeps the history
// the latest/statistics routes serve. Shapes and their sources: README.md,
// "Webhook deliveries".

// Outcomes of an invocation, as the latest route's outcome filter names them.
const (
	OutcomeSuccess = "SUCCESS" // the receiver answered 2xx
	OutcomeFailure = "FAILURE" // the receiver answered, not 2xx
	OutcomeError   = "ERROR"   // no answer: refused, timed out, not loopback
)

// PingEvent is the event a test request carries.
const PingEvent = "diagnostics:ping"

// defaultWebhookTimeout bounds one delivery (connect + answer).
const defaultWebhookTimeout = 10 * time.Second

// maxDeliveryBody bounds how much of a receiver's answer is kept.
const maxDeliveryBody = 16 << 10

// Invocation is one delivery of a webhook request, for out-of-band assertions.
type Invocation struct {
	ID         int
	WebhookID  string // "" for a test request without webhookId
	Event      string
	URL        string
	Start      time.Time
	Duration   time.Duration
	Outcome    string // OutcomeSuccess, OutcomeFailure or OutcomeError
	StatusCode int    // 0 when Outcome is OutcomeError
	Error      string // why there was no answer (OutcomeError)
	Body       string // the receiver's answer, truncated
	Test       bool   // sent by the test route
}

// eventHistory is what the server keeps per webhook and event: counts since
// the first invocation and the latest invocation of each outcome.
type eventHistory struct {
	windowStart                 time.Time
	successes, failures, errors int
	last                        map[string]*Invocation // by outcome
}

// hookHistory is every event's history of one webhook (state.deliveries).
type hookHistory map[string]*eventHistory

// deliveryTarget is what a delivery needs, copied out of the state lock.
type deliveryTarget struct {
	hookID   string
	event    string
	url      string
	secret   string
	skipCert bool
	user     string
	pass     string
	test     bool
}

// SetWebhookTimeout sets how long a delivery waits for the receiver
// (default 10s; 0 restores it).
func (s *Server) SetWebhookTimeout(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookTimeout = d
}

// TriggerWebhookEvent raises event on a repository (or, with repository "",
// on the project) of this Data Center server: every active repository and
// project webhook subscribed to it is delivered, one request each, and the
// invocations are recorded as the server records them. It returns them.
func (s *Server) TriggerWebhookEvent(workspace, repository, event string) ([]Invocation, error) {
	if s.product != DataCenter {
		return nil, fmt.Errorf("emulator: Bitbucket Cloud records no webhook deliveries; TriggerWebhookEvent is Data Center only")
	}
	s.mu.Lock()
	ws := s.st.workspaces[workspace]
	if ws == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: project %q", ErrNotFound, workspace)
	}
	if repository != "" && ws.repoBySlug[repository] == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: repository %s/%s", ErrNotFound, workspace, repository)
	}
	var targets []deliveryTarget
	for _, h := range s.st.hookOrder {
		if h.ws != ws.slug || (h.repo != "" && h.repo != repository) || !h.active {
			continue
		}
		for _, e := range h.events {
			if e == event {
				targets = append(targets, targetOf(h, event))
				break
			}
		}
	}
	s.mu.Unlock()
	out := make([]Invocation, 0, len(targets))
	for _, t := range targets {
		out = append(out, s.deliver(t))
	}
	return out, nil
}

// Deliveries returns every delivery so far (events and tests), oldest first.
func (s *Server) Deliveries() []Invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Invocation, 0, len(s.deliveryLog))
	for _, inv := range s.deliveryLog {
		out = append(out, *inv)
	}
	return out
}

func targetOf(h *webhook, event string) deliveryTarget {
	return deliveryTarget{hookID: h.id, event: event, url: h.url, secret: h.secret, skipCert: h.skipCert,
		user: h.credUser, pass: h.credPass}
}

// deliver sends one request (outside the state lock) and records it.
func (s *Server) deliver(t deliveryTarget) Invocation {
	s.mu.Lock()
	start := s.clock.now()
	timeout := s.webhookTimeout
	s.mu.Unlock()
	if timeout <= 0 {
		timeout = defaultWebhookTimeout
	}
	began := time.Now()
	status, body, err := send(t, start, timeout)
	inv := &Invocation{WebhookID: t.hookID, Event: t.event, URL: t.url, Start: start, Duration: time.Since(began).Round(time.Millisecond),
		StatusCode: status, Body: body, Test: t.test}
	switch {
	case err != nil:
		inv.Outcome, inv.Error, inv.StatusCode = OutcomeError, err.Error(), 0
	case status/100 == 2:
		inv.Outcome = OutcomeSuccess
	default:
		inv.Outcome = OutcomeFailure
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextInvocation++
	inv.ID = s.nextInvocation
	s.deliveryLog = append(s.deliveryLog, inv)
	if len(s.deliveryLog) > 1000 {
		s.deliveryLog = s.deliveryLog[len(s.deliveryLog)-1000:]
	}
	// A test request is not an event of the webhook: it stays out of the
	// webhook's history (README.md, "Webhook deliveries").
	if t.hookID != "" && !t.test && s.st.webhooks[t.hookID] != nil {
		hist := s.st.deliveries[t.hookID]
		if hist == nil {
			hist = hookHistory{}
			s.st.deliveries[t.hookID] = hist
		}
		eh := hist[t.event]
		if eh == nil {
			eh = &eventHistory{windowStart: start, last: map[string]*Invocation{}}
			hist[t.event] = eh
		}
		switch inv.Outcome {
		case OutcomeSuccess:
			eh.successes++
		case OutcomeFailure:
			eh.failures++
		default:
			eh.errors++
		}
		eh.last[inv.Outcome] = inv
	}
	return *inv
}

// errNotLoopback is the ERROR outcome of a URL the emulator will not reach.
var errNotLoopback = errors.New("the emulator delivers webhooks only to the loopback interface (127.0.0.0/8, ::1, localhost)")

// send posts the event's payload to t.url and returns the answer's status and
// (truncated) body, or the error that kept it from arriving.
func send(t deliveryTarget, now time.Time, timeout time.Duration) (int, string, error) {
	u, err := url.Parse(t.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return 0, "", fmt.Errorf("invalid URL %q", t.url)
	}
	if !isLoopbackHost(u.Hostname()) {
		return 0, "", errNotLoopback
	}
	payload, _ := json.Marshal(map[string]any{"eventKey": t.event, "date": now.UTC().Format("2006-01-02T15:04:05-0700"), "test": t.test})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(payload))
	if err != nil {
		return 0, "", err
	}
	// Headers a Data Center webhook request carries: X-Event-Key, X-Request-Id,
	// and X-Hub-Signature (sha256 HMAC of the body) when a secret is set
	// (docs/dev/bitbucket-api.md#datacenter-webhook-deliveries).
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Event-Key", t.event)
	req.Header.Set("X-Request-Id", newUUID())
	if t.secret != "" {
		mac := hmac.New(sha256.New, []byte(t.secret))
		mac.Write(payload)
		req.Header.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	if t.user != "" {
		req.SetBasicAuth(t.user, t.pass)
	}
	transport := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	if t.skipCert {
		transport.TLSClientConfig = insecureTLS()
	}
	resp, err := (&http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}).Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, "", fmt.Errorf("timed out after %s waiting for %s", timeout, u.Host)
		}
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return 0, "", fmt.Errorf("connection to %s refused", u.Host)
		}
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDeliveryBody))
	if err != nil {
		return 0, "", fmt.Errorf("reading the answer of %s: %w", u.Host, err)
	}
	return resp.StatusCode, string(body), nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ---- routes ----

// GET .../webhooks/{webhookId}/latest?event=&outcome=: the latest invocation
// matching both filters; 204 when there is none.
func dcLatestInvocation(c *call) response {
	ws, repo, fail := dcHookOwner(c)
	if fail != nil {
		return *fail
	}
	h, fail := dcHookByID(c, ws, repo)
	if fail != nil {
		return *fail
	}
	q := c.r.URL.Query()
	event, outcome := q.Get("event"), strings.ToUpper(q.Get("outcome"))
	if outcome != "" && outcome != OutcomeSuccess && outcome != OutcomeFailure && outcome != OutcomeError {
		return dcError(http.StatusBadRequest, exArgumentValidation, "outcome must be one of SUCCESS, FAILURE, ERROR")
	}
	latest := c.s.st.deliveries[h.id].latest(event, outcome)
	if latest == nil {
		return noContent()
	}
	return jsonResponse(http.StatusOK, invocationJSON(h, latest))
}

// latest is the newest invocation matching both filters ("" matches any);
// the route's filtering, kept apart from its request checks.
func (hist hookHistory) latest(event, outcome string) *Invocation {
	var latest *Invocation
	for e, eh := range hist {
		if event != "" && e != event {
			continue
		}
		for o, inv := range eh.last {
			if (outcome == "" || o == outcome) && (latest == nil || inv.ID > latest.ID) {
				latest = inv
			}
		}
	}
	return latest
}

// GET .../webhooks/{webhookId}/statistics/summary: the history of each event,
// keyed by event; 204 before the first invocation.
func dcStatisticsSummary(c *call) response {
	ws, repo, fail := dcHookOwner(c)
	if fail != nil {
		return *fail
	}
	h, fail := dcHookByID(c, ws, repo)
	if fail != nil {
		return *fail
	}
	hist := c.s.st.deliveries[h.id]
	if len(hist) == 0 {
		return noContent()
	}
	out := map[string]any{}
	for e, eh := range hist {
		entry := map[string]any{"counts": countsJSON(eh.successes, eh.failures, eh.errors, eh.windowStart, c.now)}
		if inv := eh.last[OutcomeError]; inv != nil {
			entry["lastError"] = invocationJSON(h, inv)
		}
		out[e] = entry
	}
	return jsonResponse(http.StatusOK, out)
}

// hookStatisticsJSON is the statistics GET .../webhooks/{webhookId}?statistics=true
// adds: the latest invocation of each outcome over every event, and the counts.
func hookStatisticsJSON(c *call, h *webhook) map[string]any {
	var s, f, e int
	var start time.Time
	last := map[string]*Invocation{}
	events := make([]string, 0, len(c.s.st.deliveries[h.id]))
	for ev := range c.s.st.deliveries[h.id] {
		events = append(events, ev)
	}
	sort.Strings(events)
	for _, ev := range events {
		eh := c.s.st.deliveries[h.id][ev]
		s, f, e = s+eh.successes, f+eh.failures, e+eh.errors
		if start.IsZero() || eh.windowStart.Before(start) {
			start = eh.windowStart
		}
		for o, inv := range eh.last {
			if last[o] == nil || inv.ID > last[o].ID {
				last[o] = inv
			}
		}
	}
	if start.IsZero() {
		start = c.now
	}
	out := map[string]any{"counts": countsJSON(s, f, e, start, c.now)}
	for o, key := range map[string]string{OutcomeSuccess: "lastSuccess", OutcomeFailure: "lastFailure", OutcomeError: "lastError"} {
		if inv := last[o]; inv != nil {
			out[key] = invocationJSON(h, inv)
		}
	}
	return out
}

func countsJSON(s, f, e int, start, now time.Time) map[string]any {
	return map[string]any{"successes": s, "failures": f, "errors": e,
		"window": map[string]any{"start": epochMillis(start), "duration": now.Sub(start).Milliseconds()}}
}

// invocationJSON is a RestDetailedInvocation.
func invocationJSON(h *webhook, inv *Invocation) map[string]any {
	scope := map[string]any{"type": "project", "id": h.ws}
	if h.repo != "" {
		scope = map[string]any{"type": "repository", "id": h.ws + "/" + h.repo}
	}
	result := map[string]any{"outcome": inv.Outcome}
	if inv.Outcome == OutcomeError {
		result["description"] = inv.Error
	} else {
		result["description"] = strconv.Itoa(inv.StatusCode)
		result["statusCode"] = inv.StatusCode
	}
	return map[string]any{
		"id":         inv.ID,
		"event":      inv.Event,
		"eventScope": scope,
		"duration":   inv.Duration.Milliseconds(),
		"start":      epochMillis(inv.Start),
		"finish":     epochMillis(inv.Start.Add(inv.Duration)),
		"request":    map[string]any{"url": inv.URL, "method": http.MethodPost},
		"result":     result,
	}
}

// POST .../webhooks/test?url=&webhookId=&sslVerificationRequired=: sends a
// diagnostics:ping to the URL (or the webhook's) and answers what came back.
// The request leaves after the state lock is released (response.then).
func dcTestHook(c *call) response {
	ws, repo, fail := dcHookOwner(c)
	if fail != nil {
		return *fail
	}
	q := c.r.URL.Query()
	t := deliveryTarget{event: PingEvent, url: q.Get("url"), test: true,
		skipCert: strings.EqualFold(q.Get("sslVerificationRequired"), "false")}
	if id := q.Get("webhookId"); id != "" {
		h := c.s.st.webhooks[id]
		if _, err := strconv.Atoi(id); err != nil || h == nil || h.ws != ws.slug || h.repo != repo {
			return dcError(http.StatusNotFound, exNoSuchWebhook, fmt.Sprintf("No webhook with id %s exists.", id))
		}
		t.hookID = h.id
		// Only the query turns verification off: sslVerificationRequired
		// "Default value is true" (9.4 OpenAPI testWebhook), whatever the
		// webhook's own setting.
		if t.url == "" {
			t.url = h.url
		}
		t.secret, t.user, t.pass = h.secret, h.credUser, h.credPass
	}
	if len(c.body) > 0 {
		var cred struct{ Username, Password string }
		if json.Unmarshal(c.body, &cred) == nil && cred.Username != "" {
			t.user, t.pass = cred.Username, cred.Password
		}
	}
	if !validHookURL(t.url) {
		return dcError(http.StatusBadRequest, exArgumentValidation, "A webhook URL is required and must be an absolute http or https URL.")
	}
	return response{then: func() response {
		inv := c.s.deliver(t)
		out := map[string]any{"request": map[string]any{"url": t.url, "method": http.MethodPost}}
		if inv.Outcome == OutcomeError {
			out["error"] = map[string]any{"message": inv.Error}
		} else {
			out["response"] = map[string]any{"status": inv.StatusCode, "body": inv.Body}
		}
		return jsonResponse(http.StatusOK, out)
	}}
}

// insecureTLS is for a webhook whose sslVerificationRequired is false: the
// server then accepts any certificate, as the setting says.
func insecureTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true}
}
