package emulator

import "time"

// clock is the server's notion of now: the wall clock shifted by Advance, or a
// fixed time set by SetNow. Guarded by Server.mu.
type clock struct {
	fixed  time.Time
	offset time.Duration
}

func (c *clock) now() time.Time {
	if !c.fixed.IsZero() {
		return c.fixed
	}
	return time.Now().Add(c.offset)
}

// Now is the server's current time (token expiry, created dates).
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock.now()
}

// SetNow fixes the clock at t; the zero time returns to the wall clock.
func (s *Server) SetNow(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = clock{fixed: t}
}

// Advance moves the clock forward by d (fixed or wall clock).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.clock.fixed.IsZero() {
		s.clock.fixed = s.clock.fixed.Add(d)
		return
	}
	s.clock.offset += d
}
