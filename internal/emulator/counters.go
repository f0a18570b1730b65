package emulator

import (
	"net/http"
	"sync"
)

// routesHit is every "METHOD route" any Server of this process answered, per
// product: a test binary can compare what its tests made the provider call
// with the routes it claims to use (see RoutesHit).
var routesHit = struct {
	sync.Mutex
	m map[Product]map[string]int
}{m: map[Product]map[string]int{}}

// RoutesHit returns how often each "METHOD route" was requested from any
// Server of product in this process (ResetCounts does not clear it).
func RoutesHit(product Product) map[string]int {
	routesHit.Lock()
	defer routesHit.Unlock()
	out := make(map[string]int, len(routesHit.m[product]))
	for k, v := range routesHit.m[product] {
		out[k] = v
	}
	return out
}

// maxRecorded is how many requests Requests keeps.
const maxRecorded = 1000

// RecordedRequest is one request as the server received it.
type RecordedRequest struct {
	Method, Route, Path, RawQuery string
	Header                        http.Header
}

// record counts the request under "METHOD route" and keeps it for Requests.
func (s *Server) record(r *http.Request, template string) {
	rec := RecordedRequest{
		Method:   r.Method,
		Route:    template,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
	}
	routesHit.Lock()
	if routesHit.m[s.product] == nil {
		routesHit.m[s.product] = map[string]int{}
	}
	routesHit.m[s.product][r.Method+" "+template]++
	routesHit.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[r.Method+" "+template]++
	if len(s.requests) < maxRecorded {
		s.requests = append(s.requests, rec)
		return
	}
	s.requests[s.requestNext] = rec
	s.requestNext = (s.requestNext + 1) % maxRecorded
}

// RequestCount is how many method requests matched route (a route template,
// or "unmatched") since the last ResetCounts.
func (s *Server) RequestCount(method, route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method+" "+route]
}

// RequestCounts returns a copy of all counters, keyed "METHOD route".
func (s *Server) RequestCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// ResetCounts zeroes the counters and forgets the recorded requests.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.faultsFired = map[string]int{}
	s.twins = nil
	s.throttled = 0
	s.requests = nil
	s.requestNext = 0
}

// Requests returns the last 1000 requests received, oldest first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, 0, len(s.requests))
	out = append(out, s.requests[s.requestNext:]...)
	out = append(out, s.requests[:s.requestNext]...)
	return out
}

// ThrottledCount is how many requests SetRateLimit's limiter answered with
// 429 since the last ResetCounts.
func (s *Server) ThrottledCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}
