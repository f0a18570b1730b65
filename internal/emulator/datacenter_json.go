package emulator

import (
	"net/url"
	"strings"
	"time"
)

// JSON shapes of Data Center objects. Links are arrays of {href[,name]} on
// the server's base URL (Options.PublicURL when set).

func (c *call) dcBase() string {
	if c.s.opts.PublicURL != "" {
		return c.s.opts.PublicURL
	}
	return requestBase(c.r)
}

func epochMillis(t time.Time) int64 { return t.UnixMilli() }

func dcLinks(hrefs ...string) []any {
	out := make([]any, 0, len(hrefs))
	for _, h := range hrefs {
		out = append(out, map[string]any{"href": h})
	}
	return out
}

func dcProjectJSON(c *call, ws *workspace) map[string]any {
	out := map[string]any{
		"key":    ws.slug,
		"id":     ws.id,
		"name":   ws.name,
		"public": !ws.private,
		"type":   "NORMAL",
		"links":  map[string]any{"self": dcLinks(c.dcBase() + "/projects/" + url.PathEscape(ws.slug))},
	}
	if ws.description != "" {
		out["description"] = ws.description
	}
	return out
}

func dcRepoJSON(c *call, r *repository) map[string]any {
	base := c.dcBase()
	host := base
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	path := strings.ToLower(r.ws.slug) + "/" + r.slug + ".git"
	// defaultBranch is writeOnly in RestRepository: real reads do not carry it.
	out := map[string]any{
		"slug":          r.slug,
		"id":            r.id,
		"name":          r.name,
		"hierarchyId":   r.hierarchyID,
		"scmId":         "git",
		"state":         "AVAILABLE",
		"statusMessage": "Available",
		"forkable":      true,
		"project":       dcProjectJSON(c, r.ws),
		"public":        !r.private,
		"archived":      false,
		"links": map[string]any{
			"clone": []any{
				map[string]any{"href": c.sshCloneURL(host, path, "ssh://git@"+host+":7999/"+path), "name": "ssh"},
				map[string]any{"href": base + "/scm/" + path, "name": "http"},
			},
			"self": dcLinks(base + "/projects/" + url.PathEscape(r.ws.slug) + "/repos/" + url.PathEscape(r.slug) + "/browse"),
		},
	}
	if r.description != "" {
		out["description"] = r.description
	}
	return out
}

func dcUserJSON(c *call, u *dcUser) map[string]any {
	out := map[string]any{
		"name":        u.slug,
		"id":          u.id,
		"displayName": u.displayName,
		"active":      true,
		"slug":        u.slug,
		"type":        "NORMAL",
		"links":       map[string]any{"self": dcLinks(c.dcBase() + "/users/" + url.PathEscape(u.slug))},
	}
	if u.service {
		out["type"] = "SERVICE"
	} else {
		out["emailAddress"] = u.email
	}
	return out
}

func dcHookJSON(h *webhook) map[string]any {
	scopeType := "project"
	if h.repo != "" {
		scopeType = "repository"
	}
	configuration := map[string]string{}
	for k, v := range h.configuration {
		configuration[k] = v
	}
	out := map[string]any{
		"id":                      h.num,
		"name":                    h.name,
		"createdDate":             epochMillis(h.created),
		"updatedDate":             epochMillis(h.updated),
		"events":                  append([]string{}, h.events...),
		"configuration":           configuration,
		"url":                     h.url,
		"active":                  h.active,
		"scopeType":               scopeType,
		"sslVerificationRequired": !h.skipCert,
	}
	if h.credUser != "" {
		out["credentials"] = map[string]any{"username": h.credUser}
	}
	return out
}

// dcTokenJSON is a token as the real server returns it: the value only on
// create, lastAuthenticated only once used, expiryDate only when it expires.
func dcTokenJSON(c *call, t *dcToken, withValue bool) map[string]any {
	out := map[string]any{
		"id":          t.id,
		"createdDate": epochMillis(t.created),
		"name":        t.name,
		"permissions": append([]string{}, t.permissions...),
		"user":        dcUserJSON(c, t.owner),
	}
	if t.expiryDays > 0 {
		out["expiryDays"] = t.expiryDays
		out["expiryDate"] = epochMillis(t.expiresAt())
	}
	if !t.lastAuthenticated.IsZero() {
		out["lastAuthenticated"] = epochMillis(t.lastAuthenticated)
	}
	if withValue {
		out["token"] = t.value
	}
	return out
}
