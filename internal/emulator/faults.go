package emulator

import (
	"fmt"
	"math/rand/v2"
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
)

// Fault is one injected failure, matched on method and route template.
type Fault struct {
	Method     string        // "" = any
	Route      string        // route template (see RequestCount), "" = any
	Kind       FaultKind     //
	Status     int           // FaultStatus
	RetryAfter time.Duration // 429 only; 0 = no Retry-After header (Data Center only)
	Delay      time.Duration // FaultSlow, FaultLateAnswer
	Times      int           // requests affected, then the fault is spent; 0 = until ClearFaults
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
