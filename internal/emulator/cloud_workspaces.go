package emulator

import (
	"net/http"
	"net/url"
	"sort"
)

func cloudNoWorkspace(ref string) response {
	return cloudError(http.StatusNotFound, "No workspace with identifier '"+ref+"'.")
}

// cloudVisibleWorkspace finds the {workspace} parameter, hiding workspaces
// the caller may not see.
func cloudVisibleWorkspace(c *call) (*workspace, *response) {
	ref := c.param("workspace")
	ws := c.s.st.workspace(ref)
	if ws == nil || !c.p.canSeeWorkspace(ws) {
		r := cloudNoWorkspace(ref)
		return nil, &r
	}
	return ws, nil
}

func cloudGetUser(c *call) response {
	return jsonResponse(http.StatusOK, cloudPrincipalJSON(c))
}

// memberWorkspaces are the workspaces where the caller has a role (an
// access token: its own workspace), with that role.
func memberWorkspaces(c *call) (wss []*workspace, roles map[*workspace]string) {
	roles = map[*workspace]string{}
	for _, ws := range c.s.st.wsOrder {
		role := c.p.cloudRole(ws)
		if role == "" && c.p.cloudToken != nil && c.p.cloudToken.ws == ws.slug {
			role = "member"
		}
		if role != "" {
			wss = append(wss, ws)
			roles[ws] = role
		}
	}
	return wss, roles
}

// sortWorkspaces orders by slug or name ("-" = descending); "" = by slug.
func sortWorkspaces(wss []*workspace, by string, allowName bool) bool {
	desc := len(by) > 0 && by[0] == '-'
	field := by
	if desc {
		field = by[1:]
	}
	var less func(a, b *workspace) bool
	switch {
	case field == "" || field == "slug":
		less = func(a, b *workspace) bool { return a.slug < b.slug }
	case field == "name" && allowName:
		less = func(a, b *workspace) bool { return a.name < b.name }
	default:
		return false
	}
	sort.SliceStable(wss, func(i, j int) bool {
		if desc {
			return less(wss[j], wss[i])
		}
		return less(wss[i], wss[j])
	})
	return true
}

// GET /2.0/user/workspaces: administrator=true|false, sort=slug; pagelen 25.
func cloudListUserWorkspaces(c *call) response {
	q := c.r.URL.Query()
	wss, roles := memberWorkspaces(c)
	if admin := q.Get("administrator"); admin != "" {
		if admin != "true" && admin != "false" {
			return cloudError(http.StatusBadRequest, "Invalid value for administrator: "+admin)
		}
		var kept []*workspace
		for _, ws := range wss {
			if (roles[ws] == "owner") == (admin == "true") {
				kept = append(kept, ws)
			}
		}
		wss = kept
	}
	if !sortWorkspaces(wss, q.Get("sort"), false) {
		return cloudError(http.StatusBadRequest, "Invalid sort field: "+q.Get("sort")+". Only slug is supported.")
	}
	return cloudPage(c, wss, 25, func(ws *workspace) any {
		return map[string]any{
			"type":          "workspace_access",
			"administrator": roles[ws] == "owner",
			"workspace":     cloudWorkspaceBaseJSON(c, ws),
		}
	})
}

// GET /2.0/user/workspaces/{workspace}/permission
func cloudGetWorkspacePermission(c *call) response {
	ref := c.param("workspace")
	ws := c.s.st.workspace(ref)
	if ws == nil {
		return cloudError(http.StatusForbidden, "You do not have access to workspace '"+ref+"'.")
	}
	role := c.p.cloudRole(ws)
	if role == "" && c.p.cloudToken != nil && c.p.cloudToken.ws == ws.slug {
		role = "member"
	}
	if role == "" {
		return cloudError(http.StatusForbidden, "You do not have access to workspace '"+ref+"'.")
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"type":       "workspace_membership",
		"permission": role,
		"user":       cloudPrincipalJSON(c),
		"workspace":  cloudWorkspaceJSON(c, ws),
		"links": map[string]any{
			"self": href(c.cloudAPI() + "/user/workspaces/" + url.PathEscape(ws.slug) + "/permission"),
		},
	})
}

var cloudWorkspaceFields = bbqlFields{
	"slug": bbqlString, "name": bbqlString, "uuid": bbqlString, "is_private": bbqlBool,
	"created_on": bbqlTime, "updated_on": bbqlTime,
}

func workspaceRecord(ws *workspace) bbqlRecord {
	return func(field string) any {
		switch field {
		case "slug":
			return ws.slug
		case "name":
			return ws.name
		case "uuid":
			return ws.uuid
		case "is_private":
			return ws.private
		case "created_on", "updated_on":
			return ws.created
		}
		return nil
	}
}

// GET /2.0/workspaces (deprecated): role=owner|collaborator|member, q, sort.
func cloudListWorkspaces(c *call) response {
	q := c.r.URL.Query()
	wss, roles := memberWorkspaces(c)
	if role := q.Get("role"); role != "" {
		if role != "owner" && role != "collaborator" && role != "member" {
			return cloudError(http.StatusBadRequest, "Invalid role: "+role)
		}
		var kept []*workspace
		for _, ws := range wss {
			if role == "member" || roles[ws] == role {
				kept = append(kept, ws)
			}
		}
		wss = kept
	}
	if query := q.Get("q"); query != "" {
		expr, err := parseBBQL(query, cloudWorkspaceFields)
		if err != nil {
			return cloudQueryError(query, err)
		}
		var kept []*workspace
		for _, ws := range wss {
			if expr.match(workspaceRecord(ws)) {
				kept = append(kept, ws)
			}
		}
		wss = kept
	}
	if !sortWorkspaces(wss, q.Get("sort"), true) {
		return cloudError(http.StatusBadRequest, "Invalid sort field: "+q.Get("sort"))
	}
	return cloudPage(c, wss, 10, func(ws *workspace) any { return cloudWorkspaceJSON(c, ws) })
}

// GET /2.0/workspaces/{workspace}
func cloudGetWorkspace(c *call) response {
	ws, fail := cloudVisibleWorkspace(c)
	if fail != nil {
		return *fail
	}
	return jsonResponse(http.StatusOK, cloudWorkspaceJSON(c, ws))
}

func cloudQueryError(query string, err error) response {
	return cloudErrorDetail(http.StatusBadRequest, "Invalid query: "+err.Error(), "q="+query, nil, nil)
}
