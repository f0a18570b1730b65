package emulator

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// GET /rest/api/1.0/application-properties (no auth). All values are strings.
func dcApplicationProperties(c *call) response {
	return jsonResponse(http.StatusOK, map[string]any{
		"version":     c.s.opts.Version,
		"buildNumber": buildNumber(c.s.opts.Version),
		"buildDate":   "1700000000000",
		"displayName": "Bitbucket",
	})
}

// buildNumber turns "9.4.2" into "9004002", Bitbucket's numbering.
func buildNumber(version string) string {
	n := 0
	parts := strings.SplitN(version, ".", 3)
	for i := 0; i < 3; i++ {
		v := 0
		if i < len(parts) {
			v, _ = strconv.Atoi(strings.TrimFunc(parts[i], func(r rune) bool { return r < '0' || r > '9' }))
		}
		n = n*1000 + v
	}
	return strconv.Itoa(n)
}

// GET /plugins/servlet/applinks/whoami: the username as plain text, empty when anonymous.
func dcWhoAmI(c *call) response {
	if c.p == nil {
		return textResponse(http.StatusOK, "")
	}
	return textResponse(http.StatusOK, c.p.dcUser.slug)
}

// GET /rest/api/1.0/users/{userSlug}
func dcGetUser(c *call) response {
	slug := c.param("userSlug")
	u := c.s.st.dcUsers[slug]
	if u == nil {
		u = c.s.st.dcUsers[strings.ToLower(slug)]
	}
	if u == nil {
		return dcError(http.StatusNotFound, exNoSuchUser, fmt.Sprintf("User %s does not exist.", slug))
	}
	return jsonResponse(http.StatusOK, dcUserJSON(c, u))
}

// GET /rest/api/1.0/projects?name=&permission=: the projects the caller can see.
func dcListProjects(c *call) response {
	q := c.r.URL.Query()
	name := strings.ToLower(strings.TrimSpace(q.Get("name")))
	need := levelNone
	switch perm := q.Get("permission"); perm {
	case "", "PROJECT_VIEW":
	case "PROJECT_READ":
		need = levelRead
	case "PROJECT_WRITE":
		need = levelWrite
	case "PROJECT_ADMIN":
		need = levelAdmin
	default:
		return dcError(http.StatusBadRequest, exArgumentValidation, fmt.Sprintf("Invalid permission %s. Valid permissions are PROJECT_VIEW, PROJECT_READ, PROJECT_WRITE and PROJECT_ADMIN.", perm))
	}
	var out []*workspace
	for _, ws := range c.s.st.wsOrder {
		if name != "" && !strings.Contains(strings.ToLower(ws.name), name) {
			continue
		}
		if !dcProjectVisible(c.p, ws) || dcProjectLevel(c.p, ws) < need {
			continue
		}
		out = append(out, ws)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].slug < out[j].slug })
	return dcPage(c, out, func(ws *workspace) any { return dcProjectJSON(c, ws) })
}

// GET /rest/api/1.0/projects/{projectKey}
func dcGetProject(c *call) response {
	ws, fail := dcProject(c)
	if fail != nil {
		return *fail
	}
	if !dcProjectVisible(c.p, ws) {
		return dcNotPermitted()
	}
	return jsonResponse(http.StatusOK, dcProjectJSON(c, ws))
}

// GET /rest/api/1.0/projects/{projectKey}/repos: the readable repositories.
func dcListProjectRepos(c *call) response {
	ws, fail := dcProject(c)
	if fail != nil {
		return *fail
	}
	if !dcProjectVisible(c.p, ws) {
		return dcNotPermitted()
	}
	var out []*repository
	for _, r := range ws.repos {
		if dcRepoLevel(c.p, r) >= levelRead {
			out = append(out, r)
		}
	}
	return dcPage(c, out, func(r *repository) any { return dcRepoJSON(c, r) })
}

// GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}
func dcGetRepo(c *call) response {
	r, fail := dcRepo(c)
	if fail != nil {
		return *fail
	}
	if dcRepoLevel(c.p, r) < levelRead {
		return dcNotPermitted()
	}
	return jsonResponse(http.StatusOK, dcRepoJSON(c, r))
}

// GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/default-branch
// answers a RestMinimalRef: the repository resource itself does not carry
// the default branch (writeOnly in RestRepository).
func dcGetDefaultBranch(c *call) response {
	r, fail := dcRepo(c)
	if fail != nil {
		return *fail
	}
	if dcRepoLevel(c.p, r) < levelRead {
		return dcNotPermitted()
	}
	if r.defaultBranch == "" {
		return dcError(http.StatusNotFound, "com.atlassian.bitbucket.repository.NoDefaultBranchException",
			"The repository does not have a default branch configured.")
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"id": "refs/heads/" + r.defaultBranch, "displayId": r.defaultBranch, "type": "BRANCH",
	})
}

// GET /rest/api/1.0/repos?name=&projectname=&projectkey=&permission=&visibility=
func dcListRepos(c *call) response {
	q := c.r.URL.Query()
	need := levelRead
	switch perm := q.Get("permission"); perm {
	case "", "REPO_READ":
	case "REPO_WRITE":
		need = levelWrite
	case "REPO_ADMIN":
		need = levelAdmin
	default:
		return dcError(http.StatusBadRequest, exArgumentValidation, fmt.Sprintf("Invalid permission %s. Valid permissions are REPO_READ, REPO_WRITE and REPO_ADMIN.", perm))
	}
	visibility := q.Get("visibility")
	if visibility != "" && visibility != "public" && visibility != "private" {
		return dcError(http.StatusBadRequest, exArgumentValidation, "Invalid visibility "+visibility+". Valid values are public and private.")
	}
	name := strings.ToLower(strings.TrimSpace(q.Get("name")))
	projectName := strings.ToLower(strings.TrimSpace(q.Get("projectname")))
	projectKey := strings.TrimSpace(q.Get("projectkey"))

	projects := append([]*workspace{}, c.s.st.wsOrder...)
	sort.Slice(projects, func(i, j int) bool { return projects[i].slug < projects[j].slug })
	var out []*repository
	for _, ws := range projects {
		if projectKey != "" && !strings.EqualFold(ws.slug, projectKey) {
			continue
		}
		if projectName != "" && !strings.Contains(strings.ToLower(ws.name), projectName) {
			continue
		}
		for _, r := range ws.repos {
			if name != "" && !strings.Contains(strings.ToLower(r.name), name) {
				continue
			}
			if visibility != "" && (visibility == "public") == r.private {
				continue
			}
			if dcRepoLevel(c.p, r) >= need {
				out = append(out, r)
			}
		}
	}
	return dcPage(c, out, func(r *repository) any { return dcRepoJSON(c, r) })
}
