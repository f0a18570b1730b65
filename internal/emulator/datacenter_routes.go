package emulator

import (
	"net/http"
	"strconv"
	"strings"
)

const (
	dcAPI          = "/rest/api/1.0"
	dcTokens       = "/rest/access-tokens/1.0"
	dcProjectPath  = dcAPI + "/projects/{projectKey}"
	dcRepoPath     = dcProjectPath + "/repos/{repositorySlug}"
	dcWhoAmIRoute  = "/plugins/servlet/applinks/whoami"
	dcAppPropRoute = dcAPI + "/application-properties"
)

// dataCenterRoutes lists the Data Center operations served, in the canonical
// 1.0 form; "latest" paths are rewritten to it before matching.
func dataCenterRoutes() []*route {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	return []*route{
		{method: get, template: dcAppPropRoute, public: true, handle: dcApplicationProperties},
		{method: get, template: dcWhoAmIRoute, public: true, handle: dcWhoAmI},
		{method: get, template: dcAPI + "/users/{userSlug}", handle: dcGetUser},
		{method: get, template: dcAPI + "/projects", handle: dcListProjects},
		{method: get, template: dcProjectPath, handle: dcGetProject},
		{method: get, template: dcProjectPath + "/repos", handle: dcListProjectRepos},
		{method: get, template: dcRepoPath, handle: dcGetRepo},
		{method: get, template: dcRepoPath + "/default-branch", handle: dcGetDefaultBranch},
		{method: get, template: dcAPI + "/repos", handle: dcListRepos},

		{method: get, template: dcRepoPath + "/webhooks", handle: dcListHooks},
		{method: post, template: dcRepoPath + "/webhooks", handle: dcCreateHook},
		{method: get, template: dcRepoPath + "/webhooks/{webhookId}", handle: dcGetHook},
		{method: put, template: dcRepoPath + "/webhooks/{webhookId}", handle: dcReplaceHook},
		{method: del, template: dcRepoPath + "/webhooks/{webhookId}", handle: dcDeleteHook},
		{method: post, template: dcRepoPath + "/webhooks/test", handle: dcTestHook},
		{method: get, template: dcRepoPath + "/webhooks/{webhookId}/latest", handle: dcLatestInvocation},
		{method: get, template: dcRepoPath + "/webhooks/{webhookId}/statistics/summary", handle: dcStatisticsSummary},
		{method: get, template: dcProjectPath + "/webhooks", handle: dcListHooks},
		{method: post, template: dcProjectPath + "/webhooks", handle: dcCreateHook},
		{method: get, template: dcProjectPath + "/webhooks/{webhookId}", handle: dcGetHook},
		{method: put, template: dcProjectPath + "/webhooks/{webhookId}", handle: dcReplaceHook},
		{method: del, template: dcProjectPath + "/webhooks/{webhookId}", handle: dcDeleteHook},
		{method: post, template: dcProjectPath + "/webhooks/test", handle: dcTestHook},
		{method: get, template: dcProjectPath + "/webhooks/{webhookId}/latest", handle: dcLatestInvocation},
		{method: get, template: dcProjectPath + "/webhooks/{webhookId}/statistics/summary", handle: dcStatisticsSummary},

		{method: put, template: dcTokens + "/users/{userSlug}", handle: dcCreateToken},
		{method: get, template: dcTokens + "/users/{userSlug}", handle: dcListTokens},
		{method: get, template: dcTokens + "/users/{userSlug}/{tokenId}", handle: dcGetToken},
		{method: post, template: dcTokens + "/users/{userSlug}/{tokenId}", handle: dcUpdateToken},
		{method: del, template: dcTokens + "/users/{userSlug}/{tokenId}", handle: dcDeleteToken},
		{method: put, template: dcTokens + "/projects/{projectKey}", handle: dcCreateToken},
		{method: get, template: dcTokens + "/projects/{projectKey}", handle: dcListTokens},
		{method: get, template: dcTokens + "/projects/{projectKey}/{tokenId}", handle: dcGetToken},
		{method: post, template: dcTokens + "/projects/{projectKey}/{tokenId}", handle: dcUpdateToken},
		{method: del, template: dcTokens + "/projects/{projectKey}/{tokenId}", handle: dcDeleteToken},
		{method: put, template: dcTokens + "/projects/{projectKey}/repos/{repositorySlug}", handle: dcCreateToken},
		{method: get, template: dcTokens + "/projects/{projectKey}/repos/{repositorySlug}", handle: dcListTokens},
		{method: get, template: dcTokens + "/projects/{projectKey}/repos/{repositorySlug}/{tokenId}", handle: dcGetToken},
		{method: post, template: dcTokens + "/projects/{projectKey}/repos/{repositorySlug}/{tokenId}", handle: dcUpdateToken},
		{method: del, template: dcTokens + "/projects/{projectKey}/repos/{repositorySlug}/{tokenId}", handle: dcDeleteToken},

		// Access keys (datacenter_access_keys.go).
		{method: get, template: dcRepoKeys, handle: dcListKeys},
		{method: post, template: dcRepoKeys, handle: dcCreateKey},
		{method: get, template: dcRepoKeys + "/{keyId}", handle: dcGetKey},
		{method: del, template: dcRepoKeys + "/{keyId}", handle: dcDeleteKey},
		{method: put, template: dcRepoKeys + "/{keyId}/permission/{permission}", handle: dcUpdateKeyPermission},
		{method: get, template: dcProjectKeys, handle: dcListKeys},
		{method: post, template: dcProjectKeys, handle: dcCreateKey},
		{method: get, template: dcProjectKeys + "/{keyId}", handle: dcGetKey},
		{method: del, template: dcProjectKeys + "/{keyId}", handle: dcDeleteKey},
		{method: put, template: dcProjectKeys + "/{keyId}/permission/{permission}", handle: dcUpdateKeyPermission},
	}
}

// handleDataCenter authenticates (application-properties ignores wrong
// credentials; it and whoami accept anonymous callers), runs the handler and
// names the authenticated user in X-AUSERNAME.
func (s *Server) handleDataCenter(c *call) response {
	p, fail := s.authenticateDC(c)
	if c.route.template == dcAppPropRoute && fail != nil {
		p, fail = nil, nil // product detection must work whatever the credentials
	}
	if fail != nil {
		return *fail
	}
	if p == nil && !c.route.public {
		return dcError(http.StatusUnauthorized, exAuthRequired, msgAuthRequired)
	}
	c.p = p
	resp := c.route.handle(c)
	if p != nil {
		resp = resp.withExact("X-AUSERNAME", p.dcUser.slug).withExact("X-AUSERID", strconv.Itoa(p.dcUser.id))
		resp = s.withSession(c, resp)
	}
	return resp
}

func dcNotPermitted() response {
	return dcError(http.StatusUnauthorized, exAuthorisation, msgNotPermitted)
}

// dcProject finds {projectKey} (keys match case-insensitively).
func dcProject(c *call) (*workspace, *response) {
	key := c.param("projectKey")
	ws := c.s.st.workspaces[key]
	if ws == nil {
		ws = c.s.st.workspaces[strings.ToUpper(key)]
	}
	if ws == nil {
		r := dcError(http.StatusNotFound, exNoSuchProject, "Project "+key+" does not exist.")
		return nil, &r
	}
	return ws, nil
}

// dcRepo finds {projectKey}/{repositorySlug}.
func dcRepo(c *call) (*repository, *response) {
	ws, fail := dcProject(c)
	if fail != nil {
		return nil, fail
	}
	slug := c.param("repositorySlug")
	r := ws.repoBySlug[slug]
	if r == nil {
		// Data Center matches a slug without regard to case
		// (docs/dev/bitbucket-api.md#case-of-keys-and-slugs).
		for _, candidate := range ws.repos {
			if strings.EqualFold(candidate.slug, slug) {
				r = candidate
				break
			}
		}
	}
	if r == nil {
		resp := dcError(http.StatusNotFound, exNoSuchRepository, "Repository "+ws.slug+"/"+slug+" does not exist.")
		return nil, &resp
	}
	return r, nil
}
