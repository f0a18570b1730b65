package emulator

// Seeded fixtures (unless Options.NoSeed). Tests use these constants rather
// than repeating the literals.
const (
	// Cloud users: Basic email:API token. Both hold every granular scope.
	CloudOwnerEmail     = "alice@example.com" // owner of acme, member of globex
	CloudOwnerAPIToken  = "alice-api-token"
	CloudMemberEmail    = "bob@example.com" // member, not owner, of acme
	CloudMemberAPIToken = "bob-api-token"
	// CloudAccessToken is a Bearer workspace access token of acme with every
	// repository, webhook and project scope.
	CloudAccessToken = "acme-workspace-access-token"
	// The OAuth consumer acts for alice (client_credentials grant).
	CloudOAuthClientID     = "acme-oauth-client"
	CloudOAuthClientSecret = "acme-oauth-secret"

	CloudWorkspace       = "acme"   // "Acme Corp"
	CloudSecondWorkspace = "globex" // "Globex"
	CloudRepository      = "api-service"

	// Data Center users.
	DCAdminUser     = "admin" // system administrator
	DCAdminPassword = "admin-password"
	// DCAdminToken is admin's personal HTTP access token (PROJECT_ADMIN +
	// REPO_ADMIN), usable as Bearer or Basic admin:token.
	DCAdminToken  = "admin-http-token"
	DCDevUser     = "dev" // REPO_READ on project PRJ only
	DCDevPassword = "dev-password"

	DCProject       = "PRJ" // "Project One"
	DCSecondProject = "OPS" // "Operations"
	DCRepository    = "api-service"
)

// cloudGranularScopes is every API-token scope (they imply nothing, so
// "all scopes" means all of them).
var cloudGranularScopes = func() []string {
	var out []string
	add := func(resource string, actions ...string) {
		for _, a := range actions {
			out = append(out, a+":"+resource+":bitbucket")
		}
	}
	add("repository", "read", "write", "admin", "delete")
	add("pullrequest", "read", "write")
	add("project", "read", "admin")
	add("workspace", "read", "admin")
	add("user", "read", "write")
	add("pipeline", "read", "write", "admin")
	add("runner", "read", "write")
	add("issue", "read", "write", "delete")
	add("webhook", "read", "write", "delete")
	add("snippet", "read", "write", "delete")
	add("ssh-key", "read", "write", "delete")
	add("gpg-key", "read", "write", "delete")
	add("permission", "read", "write", "delete")
	return out
}()

// cloudWorkspaceTokenScopes are the scopes a workspace access token can hold
// except account: repository, webhook and project ones.
var cloudWorkspaceTokenScopes = []string{
	"repository", "repository:write", "repository:admin", "repository:delete",
	"pullrequest", "pullrequest:write", "webhook",
	"pipeline", "pipeline:write", "pipeline:variable", "runner", "runner:write",
	"project", "project:admin",
}

// cloudOAuthScopes is what the seeded OAuth consumer was granted.
var cloudOAuthScopes = []string{
	"account", "repository", "repository:write", "repository:admin", "repository:delete",
	"pullrequest", "pullrequest:write", "webhook", "project", "project:admin", "issue", "issue:write",
}

func must(err error) {
	if err != nil {
		panic("emulator: seeding fixtures: " + err.Error())
	}
}

func (s *Server) seedCloud() {
	must(s.AddWorkspace(WorkspaceSpec{Slug: CloudWorkspace, Name: "Acme Corp", Description: "Acme's workspace"}))
	must(s.AddWorkspace(WorkspaceSpec{Slug: CloudSecondWorkspace, Name: "Globex", Private: true}))
	must(s.AddCloudProject(CloudWorkspace, "API", "API services"))
	must(s.AddCloudProject(CloudWorkspace, "WEB", "Web"))
	must(s.AddCloudProject(CloudSecondWorkspace, "OPS", "Operations"))
	must(s.AddRepository(RepositorySpec{Workspace: CloudWorkspace, Slug: "api-service", Name: "api-service",
		Description: "The API service", ProjectKey: "API", Private: true, DefaultBranch: "main"}))
	must(s.AddRepository(RepositorySpec{Workspace: CloudWorkspace, Slug: "web-app", Name: "web-app",
		Description: "The web front end", ProjectKey: "WEB", Private: false, DefaultBranch: "main"}))
	must(s.AddRepository(RepositorySpec{Workspace: CloudSecondWorkspace, Slug: "infra", Name: "infra",
		Description: "Infrastructure", ProjectKey: "OPS", Private: true, DefaultBranch: "master"}))
	must(s.AddCloudUser(CloudOwnerEmail, CloudOwnerAPIToken,
		map[string]string{CloudWorkspace: "owner", CloudSecondWorkspace: "member"}, cloudGranularScopes))
	must(s.AddCloudUser(CloudMemberEmail, CloudMemberAPIToken,
		map[string]string{CloudWorkspace: "member"}, cloudGranularScopes))
	must(s.AddCloudAccessToken(CloudAccessToken, CloudWorkspace, "", cloudWorkspaceTokenScopes))
	must(s.AddCloudOAuthClient(CloudOAuthClientID, CloudOAuthClientSecret, CloudOwnerEmail, cloudOAuthScopes))
}

func (s *Server) seedDataCenter() {
	must(s.AddWorkspace(WorkspaceSpec{Slug: DCProject, Name: "Project One", Description: "The first project", Private: true}))
	must(s.AddWorkspace(WorkspaceSpec{Slug: DCSecondProject, Name: "Operations", Private: true}))
	must(s.AddRepository(RepositorySpec{Workspace: DCProject, Slug: "api-service", Name: "api-service",
		Description: "The API service", Private: true, DefaultBranch: "main"}))
	must(s.AddRepository(RepositorySpec{Workspace: DCProject, Slug: "web-app", Name: "web-app",
		Private: false, DefaultBranch: "main"}))
	must(s.AddRepository(RepositorySpec{Workspace: DCSecondProject, Slug: "infra", Name: "infra",
		Private: true, DefaultBranch: "main"}))
	must(s.addDCUser(DCAdminUser, DCAdminPassword, "Administrator", true, nil))
	must(s.AddDCUser(DCDevUser, DCDevPassword, map[string]string{DCProject: "REPO_READ"}))
	_, err := s.AddDCAccessToken(AccessToken{Level: "user", User: DCAdminUser, Name: "admin-token",
		Permissions: []string{"PROJECT_ADMIN", "REPO_ADMIN"}, Token: DCAdminToken})
	must(err)
}
