package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
)

// dcSessionCookie is the session cookie of Bitbucket Data Center, Tomcat's
// HTTP session under Bitbucket's own name, valid for server.session.timeout
// (https://confluence.atlassian.com/bitbucketserverkb/how-do-i-change-the-default-session-timeout-779171650.html
// on Bitbucket's session cookies; REST clients such as
// https://github.com/xforcered/SCMKit authenticate with it as
// BITBUCKETSESSIONID). It logs its bearer in as the password does, so the
// provider must never log it. The emulator gives a new one to every
// authenticated answer whose request brought none: the most a real server
// sends, so a log test sees every value it could.
const dcSessionCookie = "BITBUCKETSESSIONID"

// withSession gives an authenticated Data Center answer a new session
// cookie when the request brought no session of this server.
func (s *Server) withSession(c *call, resp response) response {
	if ck, err := c.r.Cookie(dcSessionCookie); err == nil && s.sessions[ck.Value] {
		return resp
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := strings.ToUpper(hex.EncodeToString(b))
	if s.sessions == nil {
		s.sessions = map[string]bool{}
	}
	s.sessions[id] = true
	cookie := &http.Cookie{Name: dcSessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: c.r.TLS != nil}
	return resp.withExact("Set-Cookie", cookie.String())
}

// SessionCookies returns the value of every session cookie the server gave
// out (Data Center), for tests that prove no log shows one.
func (s *Server) SessionCookies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.sessions))
	for id := range s.sessions {
		out = append(out, id)
	}
	return out
}
