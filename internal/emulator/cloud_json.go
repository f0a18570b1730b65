package emulator

import (
	"net"
	"net/url"
	"time"
)

// JSON shapes of Cloud objects, as in the spec's schemas and real responses.
// Links are built on the request's own scheme and host.

// cloudTime formats like Bitbucket: microseconds and a numeric offset.
func cloudTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000-07:00")
}

// hostOnly drops the port: SSH clone URLs name the host alone.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func href(u string) map[string]any { return map[string]any{"href": u} }

func (c *call) cloudAPI() string  { return requestBase(c.r) + "/2.0" }
func (c *call) cloudHTML() string { return requestBase(c.r) }

func cloudWorkspaceJSON(c *call, ws *workspace) map[string]any {
	api, slug := c.cloudAPI(), url.PathEscape(ws.slug)
	return map[string]any{
		"type":                "workspace",
		"uuid":                ws.uuid,
		"name":                ws.name,
		"slug":                ws.slug,
		"is_private":          ws.private,
		"is_privacy_enforced": false,
		"forking_mode":        "allow_forks",
		"created_on":          cloudTime(ws.created),
		"updated_on":          cloudTime(ws.created),
		"links": map[string]any{
			"self":         href(api + "/workspaces/" + slug),
			"html":         href(c.cloudHTML() + "/" + slug + "/"),
			"avatar":       href(c.cloudHTML() + "/workspaces/" + slug + "/avatar/"),
			"members":      href(api + "/workspaces/" + slug + "/members"),
			"owners":       href(api + "/workspaces/" + slug + "/members?q=permission%3D%22owner%22"),
			"projects":     href(api + "/workspaces/" + slug + "/projects"),
			"repositories": href(api + "/repositories/" + slug),
			"snippets":     href(api + "/snippets/" + slug),
		},
	}
}

func cloudWorkspaceBaseJSON(c *call, ws *workspace) map[string]any {
	slug := url.PathEscape(ws.slug)
	return map[string]any{
		"type": "workspace_base",
		"uuid": ws.uuid,
		"slug": ws.slug,
		"name": ws.name,
		"links": map[string]any{
			"self":   href(c.cloudAPI() + "/workspaces/" + slug),
			"avatar": href(c.cloudHTML() + "/workspaces/" + slug + "/avatar/"),
		},
	}
}

// cloudTeamJSON is a workspace shown as a repository or project owner.
func cloudTeamJSON(c *call, ws *workspace) map[string]any {
	slug := url.PathEscape(ws.slug)
	return map[string]any{
		"type":         "team",
		"uuid":         ws.uuid,
		"display_name": ws.name,
		"username":     ws.slug,
		"links": map[string]any{
			"self":   href(c.cloudAPI() + "/workspaces/" + slug),
			"html":   href(c.cloudHTML() + "/" + slug + "/"),
			"avatar": href(c.cloudHTML() + "/workspaces/" + slug + "/avatar/"),
		},
	}
}

func cloudProjectJSON(c *call, ws *workspace, p *cloudProject) map[string]any {
	slug := url.PathEscape(ws.slug)
	return map[string]any{
		"type":                       "project",
		"uuid":                       p.uuid,
		"key":                        p.key,
		"name":                       p.name,
		"description":                "",
		"is_private":                 p.private,
		"created_on":                 cloudTime(p.created),
		"updated_on":                 cloudTime(p.created),
		"has_publicly_visible_repos": false,
		"owner":                      cloudTeamJSON(c, ws),
		"links": map[string]any{
			"html":   href(c.cloudHTML() + "/" + slug + "/workspace/projects/" + url.PathEscape(p.key)),
			"avatar": href(c.cloudHTML() + "/" + slug + "/workspace/projects/" + url.PathEscape(p.key) + "/avatar/"),
		},
	}
}

func cloudRepoJSON(c *call, r *repository) map[string]any {
	api, html := c.cloudAPI(), c.cloudHTML()
	path := url.PathEscape(r.ws.slug) + "/" + url.PathEscape(r.slug)
	self := api + "/repositories/" + path
	out := map[string]any{
		"type":        "repository",
		"uuid":        r.uuid,
		"slug":        r.slug,
		"name":        r.name,
		"full_name":   r.ws.slug + "/" + r.slug,
		"description": r.description,
		"is_private":  r.private,
		"scm":         "git",
		"fork_policy": "no_public_forks",
		"language":    "",
		"size":        0,
		"has_issues":  false,
		"has_wiki":    false,
		"created_on":  cloudTime(r.created),
		"updated_on":  cloudTime(r.created),
		"mainbranch":  map[string]any{"type": "branch", "name": r.defaultBranch},
		"workspace": map[string]any{
			"type": "workspace", "uuid": r.ws.uuid, "slug": r.ws.slug, "name": r.ws.name,
			"links": map[string]any{
				"self":   href(api + "/workspaces/" + url.PathEscape(r.ws.slug)),
				"html":   href(html + "/" + url.PathEscape(r.ws.slug) + "/"),
				"avatar": href(html + "/workspaces/" + url.PathEscape(r.ws.slug) + "/avatar/"),
			},
		},
		"owner": cloudTeamJSON(c, r.ws),
		"links": map[string]any{
			"self":         href(self),
			"html":         href(html + "/" + path),
			"avatar":       href(html + "/" + path + "/avatar/"),
			"pullrequests": href(self + "/pullrequests"),
			"commits":      href(self + "/commits"),
			"forks":        href(self + "/forks"),
			"watchers":     href(self + "/watchers"),
			"downloads":    href(self + "/downloads"),
			"hooks":        href(self + "/hooks"),
			"clone": []any{
				map[string]any{"name": "https", "href": html + "/" + path + ".git"},
				map[string]any{"name": "ssh", "href": c.sshCloneURL(hostOnly(c.r.Host), path+".git", "git@"+hostOnly(c.r.Host)+":"+path+".git")},
			},
		},
	}
	if p := r.ws.projects[r.projectKey]; p != nil {
		out["project"] = cloudProjectJSON(c, r.ws, p)
	}
	return out
}

func cloudUserJSON(c *call, u *cloudUser) map[string]any {
	self := c.cloudAPI() + "/users/" + url.PathEscape(u.uuid)
	return map[string]any{
		"type":            "user",
		"uuid":            u.uuid,
		"account_id":      u.accountID,
		"nickname":        u.nickname,
		"display_name":    u.displayName,
		"account_status":  "active",
		"created_on":      cloudTime(u.created),
		"has_2fa_enabled": false,
		"is_staff":        false,
		"links": map[string]any{
			"self":         href(self),
			"html":         href(c.cloudHTML() + "/" + url.PathEscape(u.uuid) + "/"),
			"avatar":       href(c.cloudHTML() + "/account/" + url.PathEscape(u.nickname) + "/avatar/"),
			"repositories": href(c.cloudAPI() + "/repositories/" + url.PathEscape(u.uuid)),
		},
	}
}

// cloudPrincipalJSON is the account behind the request: the user, or the
// bot account of an access token.
func cloudPrincipalJSON(c *call) map[string]any {
	if c.p.cloudUser != nil {
		return cloudUserJSON(c, c.p.cloudUser)
	}
	t := c.p.cloudToken
	return map[string]any{
		"type":           "user",
		"uuid":           t.uuid,
		"display_name":   c.p.cloudName(),
		"nickname":       c.p.cloudName(),
		"account_status": "active",
		"links": map[string]any{
			"avatar": href(c.cloudHTML() + "/account/bot/avatar/"),
		},
	}
}

func cloudHookSelf(c *call, h *webhook) string {
	base := c.cloudAPI() + "/workspaces/" + url.PathEscape(h.ws)
	if h.repo != "" {
		base = c.cloudAPI() + "/repositories/" + url.PathEscape(h.ws) + "/" + url.PathEscape(h.repo)
	}
	return base + "/hooks/" + url.PathEscape(h.id)
}

func cloudHookJSON(c *call, h *webhook) map[string]any {
	ws := c.s.st.workspaces[h.ws]
	subjectType := "workspace"
	var subject map[string]any
	if r := ws.repoBySlug[h.repo]; h.repo != "" && r != nil {
		subjectType = "repository"
		path := url.PathEscape(ws.slug) + "/" + url.PathEscape(r.slug)
		subject = map[string]any{
			"type": "repository", "name": r.name, "full_name": ws.slug + "/" + r.slug, "uuid": r.uuid,
			"links": map[string]any{
				"self":   href(c.cloudAPI() + "/repositories/" + path),
				"html":   href(c.cloudHTML() + "/" + path),
				"avatar": href(c.cloudHTML() + "/" + path + "/avatar/"),
			},
		}
	} else {
		subject = map[string]any{
			"type": "workspace", "uuid": ws.uuid, "slug": ws.slug, "name": ws.name,
			"links": map[string]any{
				"self":   href(c.cloudAPI() + "/workspaces/" + url.PathEscape(ws.slug)),
				"html":   href(c.cloudHTML() + "/" + url.PathEscape(ws.slug) + "/"),
				"avatar": href(c.cloudHTML() + "/workspaces/" + url.PathEscape(ws.slug) + "/avatar/"),
			},
		}
	}
	events := append([]string{}, h.events...)
	return map[string]any{
		"type":                   "webhook_subscription",
		"uuid":                   h.id,
		"url":                    h.url,
		"description":            h.name,
		"subject_type":           subjectType,
		"subject":                subject,
		"active":                 h.active,
		"created_at":             cloudTime(h.created),
		"events":                 events,
		"secret_set":             h.secret != "",
		"skip_cert_verification": h.skipCert,
		"history_enabled":        h.historyEnabled,
		"read_only":              nil,
		"source":                 nil,
		"links":                  map[string]any{"self": href(cloudHookSelf(c, h))},
	}
}
