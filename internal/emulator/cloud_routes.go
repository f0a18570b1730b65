package emulator

import "net/http"

// Granular API-token scope names (they imply nothing).
const (
	scopeReadUser        = "read:user:bitbucket"
	scopeReadWorkspace   = "read:workspace:bitbucket"
	scopeReadRepository  = "read:repository:bitbucket"
	scopeReadWebhook     = "read:webhook:bitbucket"
	scopeWriteWebhook    = "write:webhook:bitbucket"
	scopeDeleteWebhook   = "delete:webhook:bitbucket"
	scopeAdminRepository = "admin:repository:bitbucket"
	scopeAdminProject    = "admin:project:bitbucket"
	scopeWriteSSHKey     = "write:ssh-key:bitbucket"
	scopeDeleteSSHKey    = "delete:ssh-key:bitbucket"
	cloudRepoTemplate    = "/2.0/repositories/{workspace}/{repo_slug}"
	cloudRepoHooks       = cloudRepoTemplate + "/hooks"
	cloudWorkspaceHooks  = "/2.0/workspaces/{workspace}/hooks"
	cloudOAuthTokenRoute = "/site/oauth2/access_token"
)

// cloudRoutes lists the Cloud operations served, with the scopes each needs
// (classic from the spec's security block, granular from x-atlassian-oauth2-scopes).
func cloudRoutes() []*route {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	readHooks := []string{scopeReadWebhook}
	writeHooks := []string{scopeReadWebhook, scopeWriteWebhook}
	deleteHooks := []string{scopeDeleteWebhook}
	return []*route{
		{method: get, template: "/2.0/user", classic: "account", granular: []string{scopeReadUser}, handle: cloudGetUser},
		{method: get, template: "/2.0/user/workspaces", classic: "account", granular: []string{scopeReadWorkspace}, handle: cloudListUserWorkspaces},
		{method: get, template: "/2.0/user/workspaces/{workspace}/permission", classic: "account", granular: []string{scopeReadWorkspace}, handle: cloudGetWorkspacePermission},
		{method: get, template: "/2.0/workspaces", classic: "account", granular: []string{scopeReadUser, scopeReadWorkspace}, handle: cloudListWorkspaces},
		{method: get, template: "/2.0/workspaces/{workspace}", granular: []string{scopeReadWorkspace}, handle: cloudGetWorkspace},
		{method: get, template: "/2.0/repositories/{workspace}", classic: "repository", granular: []string{scopeReadRepository}, handle: cloudListRepositories},
		{method: get, template: cloudRepoTemplate, classic: "repository", granular: []string{scopeReadRepository}, handle: cloudGetRepository},

		{method: get, template: cloudRepoHooks, classic: "webhook", granular: readHooks, handle: cloudListHooks},
		{method: post, template: cloudRepoHooks, classic: "webhook", granular: writeHooks, handle: cloudCreateHook},
		{method: get, template: cloudRepoHooks + "/{uid}", classic: "webhook", granular: readHooks, handle: cloudGetHook},
		{method: put, template: cloudRepoHooks + "/{uid}", classic: "webhook", granular: writeHooks, handle: cloudUpdateHook},
		{method: del, template: cloudRepoHooks + "/{uid}", classic: "webhook", granular: deleteHooks, handle: cloudDeleteHook},
		{method: get, template: cloudWorkspaceHooks, classic: "webhook", granular: readHooks, handle: cloudListHooks},
		{method: post, template: cloudWorkspaceHooks, classic: "webhook", granular: writeHooks, handle: cloudCreateHook},
		{method: get, template: cloudWorkspaceHooks + "/{uid}", classic: "webhook", granular: readHooks, handle: cloudGetHook},
		{method: put, template: cloudWorkspaceHooks + "/{uid}", classic: "webhook", granular: writeHooks, handle: cloudUpdateHook},
		{method: del, template: cloudWorkspaceHooks + "/{uid}", classic: "webhook", granular: deleteHooks, handle: cloudDeleteHook},

		// Access keys (cloud_access_keys.go); scopes from the description.
		{method: get, template: cloudRepoKeys, classic: "repository:admin", granular: []string{scopeAdminRepository}, handle: cloudListKeys},
		{method: post, template: cloudRepoKeys, classic: "repository:admin", granular: []string{scopeAdminRepository, scopeWriteSSHKey}, handle: cloudCreateKey},
		{method: get, template: cloudRepoKeys + "/{key_id}", classic: "repository:admin", granular: []string{scopeAdminRepository}, handle: cloudGetKey},
		{method: put, template: cloudRepoKeys + "/{key_id}", classic: "repository:admin", granular: []string{scopeAdminRepository, scopeWriteSSHKey}, handle: cloudUpdateKey},
		{method: del, template: cloudRepoKeys + "/{key_id}", classic: "repository:admin", granular: []string{scopeAdminRepository, scopeDeleteSSHKey}, handle: cloudDeleteKey},
		{method: get, template: cloudProjectKeys, classic: "project:admin", granular: []string{scopeAdminProject}, handle: cloudListKeys},
		{method: post, template: cloudProjectKeys, classic: "project:admin", granular: []string{scopeAdminProject, scopeWriteSSHKey}, handle: cloudCreateKey},
		{method: get, template: cloudProjectKeys + "/{key_id}", classic: "project:admin", granular: []string{scopeAdminProject}, handle: cloudGetKey},
		{method: del, template: cloudProjectKeys + "/{key_id}", classic: "project:admin", granular: []string{scopeAdminProject, scopeDeleteSSHKey}, handle: cloudDeleteKey},

		{method: get, template: "/2.0/hook_events", public: true, handle: cloudHookEventTypes},
		{method: get, template: "/2.0/hook_events/{subject_type}", public: true, handle: cloudListHookEvents},
		{method: post, template: cloudOAuthTokenRoute, public: true, handle: cloudOAuthToken},
	}
}

// handleCloud authenticates, checks the route's scopes and runs the handler.
func (s *Server) handleCloud(c *call) response {
	if c.route.public {
		return c.route.handle(c)
	}
	p, fail := s.authenticateCloud(c)
	if fail != nil {
		return *fail
	}
	c.p = p
	if missing := p.missingScopes(c.route); len(missing) > 0 {
		return scopeDenied(p, missing)
	}
	return c.route.handle(c)
}
