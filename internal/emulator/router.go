package emulator

import (
	"sort"
	"strings"
)

// route is one operation. template is the counter key (Cloud spec path with
// /2.0; Data Center canonical 1.0 form) and the pattern the path is matched
// against: "{name}" matches any one non-empty segment.
type route struct {
	method   string
	template string
	segs     []string
	public   bool     // served without credentials
	classic  string   // Cloud classic OAuth scope needed ("" = none)
	granular []string // Cloud API-token scopes needed (all of them)
	handle   func(*call) response
}

// Data Center serves "latest" as an alias of "1.0"; routes are written in the 1.0 form.
var dcAliases = [][2]string{
	{"/rest/api/latest", "/rest/api/1.0"},
	{"/rest/access-tokens/latest", "/rest/access-tokens/1.0"},
	{"/rest/keys/latest", "/rest/keys/1.0"},
}

const unmatchedRoute = "unmatched"

// match finds the route for method and path. When the path matches a route
// but not for this method, rt is nil and allowed lists the methods that are.
func (s *Server) match(method, path string) (rt *route, params map[string]string, template string, allowed []string) {
	if s.product == DataCenter {
		for _, a := range dcAliases {
			if path == a[0] || strings.HasPrefix(path, a[0]+"/") {
				path = a[1] + path[len(a[0]):]
				break
			}
		}
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")

	bestScore := -1
	var bestTemplate string
	for _, cand := range s.routes {
		score, ok := matchSegs(cand.segs, segs)
		if !ok || score < bestScore {
			continue
		}
		if score > bestScore {
			bestScore, bestTemplate, rt, allowed = score, cand.template, nil, nil
		}
		if cand.template != bestTemplate {
			continue
		}
		allowed = append(allowed, cand.method)
		if cand.method == method {
			rt = cand
		}
	}
	if bestScore < 0 {
		return nil, nil, unmatchedRoute, nil
	}
	if rt == nil {
		sort.Strings(allowed)
		return nil, nil, bestTemplate, allowed
	}
	params = map[string]string{}
	for i, seg := range rt.segs {
		if isParam(seg) {
			params[seg[1:len(seg)-1]] = segs[i]
		}
	}
	return rt, params, rt.template, nil
}

// matchSegs reports whether path matches the template and how many literal
// segments it matched (more literals = more specific).
func matchSegs(tmpl, path []string) (int, bool) {
	if len(tmpl) != len(path) {
		return 0, false
	}
	literals := 0
	for i, t := range tmpl {
		switch {
		case isParam(t):
			if path[i] == "" {
				return 0, false
			}
		case t == path[i]:
			literals++
		default:
			return 0, false
		}
	}
	return literals, true
}

func isParam(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}
