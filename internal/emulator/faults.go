package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FaultKind says what an injected fault does to a request.
type FaultKind int

const (
	FaultStatus        FaultKind = iota // answer Status with the product's error body (429: product style)
	FaultReset                          // close the connection without an answer, change NOT applied
	FaultSlow                           // wait Delay (or until the client gives up), then answer normally
	FaultMalformedJSON                  // 200 with a truncated JSON body, change NOT applied
	FaultDropResponse                   // apply the change, then close the connection without an answer
	// FaultLateAnswer applies the change at once and answers after Delay. A
	// client that gives up first (a timeout, Ctrl-C) loses the answer, not the
	// change: a servlet container such as Tomcat, which Data Center runs on,
	// finishes a request whose client has gone and notices only when it
	// writes the answer (ClientAbortException,
	// https://tomcat.apache.org/tomcat-9.0-doc/api/org/apache/catalina/connector/ClientAbortException.html),
	// and nginx in front of it by default lets the upstream request finish
	// (proxy_ignore_client_abort only decides whether it closes the upstream
	// connection; a request already received is processed:
	// https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ignore_client_abort).
	FaultLateAnswer
	// FaultAppliedStatus applies the change, then answers Status (502 or
	// 504) as the proxy in front of the server does when the server's
	// answer does not reach it in time or its connection closes after the
	// server committed: nginx answers 504 when proxy_read_timeout passes
	// and 502 when the upstream closes the connection early
	// (https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_read_timeout),
	// AWS load balancers the same (HTTP 502 and 504 in
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html),
	// and neither undoes what the server did. The body is the proxy's HTML
	// page, not the product's error.
	FaultAppliedStatus
)

// Fault is one injected failure, matched on method and route template.
type Fault struct {
	Method     string        // "" = any
	Route      string        // route template (see RequestCount), "" = any
	Kind       FaultKind     //
	Status     int           // FaultStatus, FaultAppliedStatus
	RetryAfter time.Duration // 429 only; 0 = no Retry-After header (Data Center only)
	Delay      time.Duration // FaultSlow, FaultLateAnswer
	Times      int           // requests affected, then the fault is spent; 0 = until ClearFaults
	// Twin, on a create route, makes another party create an object in the
	// same scope while this request is handled: the request's JSON body,
	// changed by Twin (say: active false, another secret, the configured
	// name without a creation suffix, another public key with the same
	// label), is applied through the same route as a request of its own, with
	// the same credentials. It is applied before the request itself (its id
	// comes first) unless TwinAfter. Combine it with a fault that loses the
	// answer (FaultDropResponse, FaultLateAnswer, FaultReset) to model a
	// colleague, another workspace or a service creating an object of the
	// same name while the provider cannot see what its own create did; with
	// FaultSlow and no Delay, only the twin is added. Twins lists what the
	// other party made.
	Twin      func(body map[string]any)
	TwinAfter bool
}

// Twin is an object another party made through a Fault's Twin.
type Twin struct {
	Method, Route string // the create's method and route template
	ID            string // the object's id as the create answered it ("id", else "uuid")
	Status        int    // the create's status: a refused twin has no ID
}

type activeFault struct {
	Fault
	remaining int
}

// InjectFault adds f; faults are tried in the order they were injected.
// A fault on a route this server does not serve could never fire, so a
// test that injects one proves nothing: InjectFault then fails the test of
// a server made by NewTestServer (and panics on any other server) instead
// of adding it. See CheckFault.
func (s *Server) InjectFault(f Fault) {
	if err := s.CheckFault(f); err != nil {
		if s.tb != nil {
			s.tb.Helper()
			s.tb.Errorf("emulator: %v", err)
			return
		}
		panic("emulator: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &activeFault{Fault: f, remaining: f.Times})
}

// CheckFault reports an error when f names a route template (with its
// method, when f.Method is set) that this server does not serve.
func (s *Server) CheckFault(f Fault) error {
	if f.Route == "" || f.Route == unmatchedRoute {
		return nil
	}
	var methods []string
	for _, rt := range s.routes {
		if rt.template == f.Route {
			if f.Method == "" || strings.EqualFold(rt.method, f.Method) {
				return nil
			}
			methods = append(methods, rt.method)
		}
	}
	if len(methods) == 0 {
		return fmt.Errorf("no %s route %q: a fault there would never fire (route templates are the counters' keys, see RequestCounts)", s.product, f.Route)
	}
	return fmt.Errorf("%s route %q serves %s, not %s: a fault there would never fire", s.product, f.Route, strings.Join(methods, ", "), f.Method)
}

// Twins lists, oldest first, the objects other parties made through a
// Fault's Twin since the last ResetCounts.
func (s *Server) Twins() []Twin {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.twins)
}

// makeTwin applies the twin request of f: c's body changed by f.Twin.
func (s *Server) makeTwin(f Fault, c *call, template string) {
	var body map[string]any
	if err := json.Unmarshal(c.body, &body); err != nil || body == nil {
		body = map[string]any{}
	}
	f.Twin(body)
	raw, err := json.Marshal(body)
	if err != nil {
		panic("emulator: twin body: " + err.Error())
	}
	twin := *c
	twin.body = raw
	resp := s.handle(&twin)
	id := ""
	if resp.status < 300 {
		id = answeredID(resp.body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.twins = append(s.twins, Twin{Method: strings.ToUpper(c.r.Method), Route: template, ID: id, Status: resp.status})
}

// answeredID is the id in a create's answer: "id", else "uuid" (Cloud
// webhooks), else "key"."id" (Data Center access keys).
func answeredID(body []byte) string {
	var answer struct {
		ID   json.RawMessage `json:"id"`
		UUID string          `json:"uuid"`
		Key  struct {
			ID json.RawMessage `json:"id"`
		} `json:"key"`
	}
	_ = json.Unmarshal(body, &answer)
	for _, raw := range []json.RawMessage{answer.ID, json.RawMessage(strconv.Quote(answer.UUID)), answer.Key.ID} {
		if id := strings.Trim(string(raw), `"`); id != "" && id != "null" {
			return id
		}
	}
	return ""
}

// FaultsFired is how many injected faults fired on method requests to route
// (a route template) since the last ResetCounts. A test asserts it to prove
// its fault met the request it was meant for.
func (s *Server) FaultsFired(method, route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faultsFired[strings.ToUpper(method)+" "+route]
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// SetLatency adds d to every request (0 disables).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetRateLimit answers 429 to requests beyond n in a sliding window
// measured on the server's clock (n = 0 disables).
func (s *Server) SetRateLimit(n int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateN, s.rateWindow, s.rateHits = n, window, nil
}

// SetServerErrorRate answers 500 to a random fraction of requests, drawn from
// a generator seeded with seed so runs repeat (0 disables).
func (s *Server) SetServerErrorRate(fraction float64, seed int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errRate = fraction
	s.errRNG = rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
}

func (s *Server) currentLatency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency
}

// takeFault returns the first fault matching the request and spends one use.
func (s *Server) takeFault(method, template string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.Route != "" && f.Route != template {
			continue
		}
		s.faultsFired[strings.ToUpper(method)+" "+template]++
		if f.Times > 0 {
			f.remaining--
			if f.remaining <= 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}

// rateLimited records the request in the window, or reports that it is over
// the limit and when the window frees up (at least one second).
func (s *Server) rateLimited() (bool, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rateN <= 0 {
		return false, 0
	}
	now := s.clock.now()
	cutoff := now.Add(-s.rateWindow)
	keep := 0
	for keep < len(s.rateHits) && !s.rateHits[keep].After(cutoff) {
		keep++
	}
	s.rateHits = s.rateHits[keep:]
	if len(s.rateHits) >= s.rateN {
		wait := s.rateHits[0].Add(s.rateWindow).Sub(now)
		if wait < time.Second {
			wait = time.Second
		}
		s.throttled++
		return true, wait
	}
	s.rateHits = append(s.rateHits, now)
	return false, 0
}

func (s *Server) randomServerError() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errRate > 0 && s.errRNG.Float64() < s.errRate
}
