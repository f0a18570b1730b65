package emulator

import (
	"net/http"
	"sort"
	"strings"
)

// principal is who a request authenticated as.
type principal struct {
	// Cloud
	cloudUser  *cloudUser        // API-token or OAuth user
	cloudToken *cloudAccessToken // workspace / repository access token
	oauth      *oauthToken
	granular   bool            // API token: granular scopes that imply nothing
	scopes     map[string]bool // granted scopes

	// Data Center
	dcUser  *dcUser  // the user, or a project/repository token's bot user
	dcToken *dcToken // the token used, nil for password auth
}

// credentials splits the Authorization header.
func credentials(r *http.Request) (scheme, user, secret string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "", ""
	}
	if u, p, ok := r.BasicAuth(); ok {
		return "basic", u, p
	}
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return "bearer", "", strings.TrimSpace(h[7:])
	}
	return "invalid", "", ""
}

// --- Cloud -------------------------------------------------------------------

// authenticateCloud resolves the caller; fail is set when the credentials are
// missing or wrong.
func (s *Server) authenticateCloud(c *call) (p *principal, fail *response) {
	unauthorized := func(msg string) (*principal, *response) {
		r := cloudError(http.StatusUnauthorized, msg).with("WWW-Authenticate", cloudWWWAuthenticate)
		return nil, &r
	}
	scheme, user, secret := credentials(c.r)
	switch scheme {
	case "":
		return unauthorized("Authentication is required to access this resource.")
	case "basic":
		u := s.st.cloudUsers[strings.ToLower(user)]
		if u == nil || u.apiToken == "" || u.apiToken != secret {
			return unauthorized("Invalid credentials. Authenticate with your Atlassian account email and an API token.")
		}
		return &principal{cloudUser: u, granular: true, scopes: u.scopes}, nil
	case "bearer":
		if t := s.st.cloudTokens[secret]; t != nil {
			return &principal{cloudToken: t, scopes: t.scopes}, nil
		}
		if t := s.st.oauthTokens[secret]; t != nil && c.now.Before(t.expires) {
			return &principal{cloudUser: t.client.user, oauth: t, scopes: setOf(t.client.scopes)}, nil
		}
	}
	return unauthorized(msgCloudInvalidToken)
}

// classicImplies lists what each classic OAuth / access-token scope implies
// directly. The :admin and :delete scopes imply nothing.
var classicImplies = map[string][]string{
	"repository:write":  {"repository"},
	"pullrequest":       {"repository"},
	"pullrequest:write": {"pullrequest", "repository:write"},
	"project":           {"repository"},
	"project:write":     {"project"},
	"issue:write":       {"issue"},
	"snippet:write":     {"snippet"},
	"account:write":     {"account"},
	"pipeline:write":    {"pipeline"},
	"runner:write":      {"runner"},
	"team:write":        {"team"},
}

func classicGranted(granted map[string]bool, need string) bool {
	seen := map[string]bool{}
	var walk func(string) bool
	walk = func(scope string) bool {
		if scope == need {
			return true
		}
		if seen[scope] {
			return false
		}
		seen[scope] = true
		for _, next := range classicImplies[scope] {
			if walk(next) {
				return true
			}
		}
		return false
	}
	for g := range granted {
		if walk(g) {
			return true
		}
	}
	return false
}

// missingScopes lists the scopes the route needs that p lacks.
func (p *principal) missingScopes(rt *route) []string {
	var missing []string
	if p.granular {
		for _, need := range rt.granular {
			if !p.scopes[need] {
				missing = append(missing, need)
			}
		}
		return missing
	}
	if rt.classic != "" && !classicGranted(p.scopes, rt.classic) {
		missing = append(missing, rt.classic)
	}
	return missing
}

func scopeDenied(p *principal, missing []string) response {
	granted := make([]string, 0, len(p.scopes))
	for g := range p.scopes {
		granted = append(granted, g)
	}
	sort.Strings(granted)
	return cloudErrorDetail(http.StatusForbidden, msgCloudMissingScopes,
		"Missing required scope(s): "+strings.Join(missing, ", "),
		map[string]any{"required": missing, "granted": granted}, nil)
}

// cloudRole is p's role in ws: "owner", "member", "collaborator" or "".
// A workspace access token acts as an owner of its workspace.
func (p *principal) cloudRole(ws *workspace) string {
	switch {
	case p.cloudUser != nil:
		return p.cloudUser.roles[ws.slug]
	case p.cloudToken != nil && p.cloudToken.ws == ws.slug && p.cloudToken.repo == "":
		return "owner"
	}
	return ""
}

// canSeeWorkspace: members see their workspaces; anyone sees a public one.
func (p *principal) canSeeWorkspace(ws *workspace) bool {
	if p.cloudToken != nil {
		return p.cloudToken.ws == ws.slug
	}
	return p.cloudRole(ws) != "" || !ws.private
}

// canReadRepo: a repository access token sees only its repository.
func (p *principal) canReadRepo(r *repository) bool {
	if t := p.cloudToken; t != nil {
		return t.ws == r.ws.slug && (t.repo == "" || t.repo == r.slug)
	}
	return p.cloudRole(r.ws) != "" || !r.private
}

// canAdminRepo: owners and members administer repositories (hooks);
// collaborators and outsiders do not.
func (p *principal) canAdminRepo(r *repository) bool {
	if t := p.cloudToken; t != nil {
		return t.ws == r.ws.slug && (t.repo == "" || t.repo == r.slug)
	}
	role := p.cloudRole(r.ws)
	return role == "owner" || role == "member"
}

func (p *principal) cloudName() string {
	switch {
	case p.cloudUser != nil:
		return p.cloudUser.displayName
	case p.cloudToken != nil && p.cloudToken.repo != "":
		return p.cloudToken.ws + "/" + p.cloudToken.repo + " access token"
	case p.cloudToken != nil:
		return p.cloudToken.ws + " access token"
	}
	return "anonymous"
}

// --- Data Center ---------------------------------------------------------------

// authenticateDC resolves the caller: nil principal = anonymous; fail is set
// for wrong or expired credentials.
func (s *Server) authenticateDC(c *call) (p *principal, fail *response) {
	wrong := func() (*principal, *response) {
		r := dcError(http.StatusUnauthorized, exIncorrectPassword, msgAuthFailed)
		return nil, &r
	}
	scheme, user, secret := credentials(c.r)
	switch scheme {
	case "":
		return nil, nil
	case "basic":
		u := s.st.dcUsers[user]
		if u == nil {
			u = s.st.dcUsers[strings.ToLower(user)]
		}
		if u == nil || u.service {
			return wrong()
		}
		if u.password != "" && u.password == secret {
			return &principal{dcUser: u}, nil
		}
		// Basic works with personal tokens only; project and repository
		// tokens are Bearer-only.
		if t := s.st.dcTokenByVal[secret]; t != nil && t.level == "user" && t.owner == u && !t.expired(c.now) {
			t.lastAuthenticated = c.now
			return &principal{dcUser: u, dcToken: t}, nil
		}
	case "bearer":
		if t := s.st.dcTokenByVal[secret]; t != nil && !t.expired(c.now) {
			t.lastAuthenticated = c.now
			return &principal{dcUser: t.owner, dcToken: t}, nil
		}
	}
	return wrong()
}

// level is a Data Center permission strength on a project or repository.
type level int

const (
	levelNone level = iota
	levelRead
	levelWrite
	levelAdmin
)

// permissionLevel splits "PROJECT_WRITE" into (true, levelWrite); ok is false for unknown names.
func permissionLevel(perm string) (project bool, l level, ok bool) {
	switch perm {
	case "PROJECT_READ":
		return true, levelRead, true
	case "PROJECT_WRITE":
		return true, levelWrite, true
	case "PROJECT_ADMIN":
		return true, levelAdmin, true
	case "REPO_READ":
		return false, levelRead, true
	case "REPO_WRITE":
		return false, levelWrite, true
	case "REPO_ADMIN":
		return false, levelAdmin, true
	}
	return false, levelNone, false
}

// tokenCaps is the strongest project and repository permission a token
// carries; a project permission implies the same on its repositories.
func tokenCaps(perms []string) (project, repo level) {
	for _, p := range perms {
		isProject, l, ok := permissionLevel(p)
		if !ok {
			continue
		}
		if isProject {
			project = max(project, l)
		}
		repo = max(repo, l)
	}
	return project, repo
}

// ownerProjectLevel is what the user (or a token's bot) holds on ws, before token caps.
func ownerProjectLevel(p *principal, ws *workspace) level {
	if t := p.dcToken; t != nil && t.level != "user" {
		proj, _ := tokenCaps(t.permissions)
		if t.level == "project" && t.ws == ws.slug {
			return proj
		}
		return levelNone
	}
	u := p.dcUser
	if u.sysadmin {
		return levelAdmin
	}
	l := levelNone
	if isProject, g, ok := permissionLevel(u.perms[ws.slug]); ok && isProject {
		l = g
	}
	if !ws.private {
		l = max(l, levelRead)
	}
	return l
}

func ownerRepoLevel(p *principal, r *repository) level {
	l := levelNone
	if t := p.dcToken; t != nil && t.level != "user" {
		_, repo := tokenCaps(t.permissions)
		if t.ws == r.ws.slug && (t.level == "project" || t.repo == r.slug) {
			l = repo
		}
	} else {
		u := p.dcUser
		if u.sysadmin {
			return levelAdmin
		}
		if _, g, ok := permissionLevel(u.perms[r.ws.slug]); ok {
			l = g
		}
		if _, g, ok := permissionLevel(u.perms[r.ws.slug+"/"+r.slug]); ok {
			l = max(l, g)
		}
	}
	if !r.private || !r.ws.private {
		l = max(l, levelRead)
	}
	return l
}

// dcProjectLevel is p's effective permission on project ws: the lesser of
// the token's permissions and its owner's.
func dcProjectLevel(p *principal, ws *workspace) level {
	l := ownerProjectLevel(p, ws)
	if p.dcToken != nil {
		proj, _ := tokenCaps(p.dcToken.permissions)
		l = min(l, proj)
	}
	return l
}

// dcRepoLevel is p's effective permission on repository r.
func dcRepoLevel(p *principal, r *repository) level {
	l := ownerRepoLevel(p, r)
	if p.dcToken != nil {
		_, repo := tokenCaps(p.dcToken.permissions)
		l = min(l, repo)
	}
	return l
}

// dcProjectVisible: a project is visible with any permission on it or on
// one of its repositories (PROJECT_VIEW).
func dcProjectVisible(p *principal, ws *workspace) bool {
	if dcProjectLevel(p, ws) >= levelRead {
		return true
	}
	if t := p.dcToken; t != nil && t.level != "user" {
		if t.ws == ws.slug {
			return true
		}
	} else if !p.dcUser.sysadmin {
		for key := range p.dcUser.perms {
			if key == ws.slug || strings.HasPrefix(key, ws.slug+"/") {
				return true
			}
		}
	}
	for _, r := range ws.repos {
		if !r.private {
			return true
		}
	}
	return false
}

func setOf(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}
