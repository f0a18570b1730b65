package emulator

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Out-of-band access to the state: fixtures, test setup and assertions.

// WorkspaceSpec describes a Cloud workspace or a Data Center project (Slug =
// key). Private false means public: a public Data Center project lets every
// user read all its repositories.
type WorkspaceSpec struct {
	Slug, Name, Description string
	Private                 bool
}

// RepositorySpec describes a repository. Workspace is the Cloud workspace slug
// or the Data Center project key; ProjectKey is the Cloud project (created
// when missing; "" = the workspace's oldest project). Private false = public.
type RepositorySpec struct {
	Workspace, Slug, Name, Description, ProjectKey string
	Private                                        bool
	DefaultBranch                                  string // default "main"
}

// AddWorkspace adds a Cloud workspace or a Data Center project.
func (s *Server) AddWorkspace(spec WorkspaceSpec) error {
	if spec.Slug == "" {
		return fmt.Errorf("emulator: workspace slug is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.workspaces[spec.Slug] != nil {
		return fmt.Errorf("emulator: workspace %q already exists", spec.Slug)
	}
	name := spec.Name
	if name == "" {
		name = spec.Slug
	}
	ws := &workspace{
		id:          s.st.newID(),
		uuid:        newUUID(),
		slug:        spec.Slug,
		name:        name,
		description: spec.Description,
		private:     spec.Private,
		created:     s.clock.now(),
		projects:    map[string]*cloudProject{},
		repoBySlug:  map[string]*repository{},
	}
	s.st.workspaces[ws.slug] = ws
	s.st.wsOrder = append(s.st.wsOrder, ws)
	return nil
}

// AddCloudProject adds a project to a Cloud workspace.
func (s *Server) AddCloudProject(workspace, key, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.st.workspaces[workspace]
	if ws == nil {
		return fmt.Errorf("emulator: no workspace %q", workspace)
	}
	if ws.projects[key] != nil {
		return fmt.Errorf("emulator: project %s/%s already exists", workspace, key)
	}
	s.addCloudProjectLocked(ws, key, name)
	return nil
}

func (s *Server) addCloudProjectLocked(ws *workspace, key, name string) {
	if name == "" {
		name = key
	}
	p := &cloudProject{uuid: newUUID(), key: key, name: name, private: ws.private, created: s.clock.now()}
	ws.projects[key] = p
	ws.projectKeys = append(ws.projectKeys, key)
}

// projectFor returns the Cloud project key a new repository goes to.
func (s *Server) projectFor(ws *workspace, key string) string {
	if s.product != Cloud {
		return ""
	}
	if key == "" {
		if len(ws.projectKeys) > 0 {
			return ws.projectKeys[0]
		}
		key = "PROJ"
	}
	if ws.projects[key] == nil {
		s.addCloudProjectLocked(ws, key, "")
	}
	return key
}

// AddRepository adds one repository.
func (s *Server) AddRepository(spec RepositorySpec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.st.workspaces[spec.Workspace]
	if ws == nil {
		return fmt.Errorf("emulator: no workspace %q", spec.Workspace)
	}
	slug := spec.Slug
	if slug == "" {
		slug = slugify(spec.Name)
	}
	if slug == "" {
		return fmt.Errorf("emulator: repository slug or name is required")
	}
	if ws.repoBySlug[slug] != nil {
		return fmt.Errorf("emulator: repository %s/%s already exists", ws.slug, slug)
	}
	ws.insertRepo(s.newRepo(ws, slug, spec.Name, spec.Description, s.projectFor(ws, spec.ProjectKey), spec.Private, spec.DefaultBranch, newUUID()))
	return nil
}

func (s *Server) newRepo(ws *workspace, slug, name, description, project string, private bool, branch, uuid string) *repository {
	if name == "" {
		name = slug
	}
	if branch == "" {
		branch = "main"
	}
	return &repository{
		id: s.st.newID(), uuid: uuid, hierarchyID: randomHex(20), ws: ws,
		slug: slug, name: name, description: description, projectKey: project,
		private: private, defaultBranch: branch, created: s.clock.now(),
	}
}

// AddRepositories adds n private repositories named prefix-00001 ... in bulk.
func (s *Server) AddRepositories(workspace, prefix string, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.st.workspaces[workspace]
	if ws == nil {
		return fmt.Errorf("emulator: no workspace %q", workspace)
	}
	random := make([]byte, 16*n)
	if _, err := rand.Read(random); err != nil {
		return err
	}
	project := s.projectFor(ws, "")
	for i := 1; i <= n; i++ {
		slug := fmt.Sprintf("%s-%05d", prefix, i)
		if ws.repoBySlug[slug] != nil {
			return fmt.Errorf("emulator: repository %s/%s already exists", ws.slug, slug)
		}
		var b [16]byte
		copy(b[:], random[16*(i-1):])
		r := s.newRepo(ws, slug, slug, "", project, true, "", formatUUID(b))
		ws.repos = append(ws.repos, r)
		ws.repoBySlug[slug] = r
	}
	sort.Slice(ws.repos, func(i, j int) bool { return ws.repos[i].slug < ws.repos[j].slug })
	return nil
}

// slugify lowercases name and turns runs of other characters into "-".
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// AddCloudUser adds a Cloud user authenticating with Basic email:apiToken.
// roles maps workspace slug to "owner", "member" or "collaborator"; scopes
// are granular API-token scopes (e.g. "read:repository:bitbucket").
func (s *Server) AddCloudUser(email, apiToken string, roles map[string]string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(email)
	if s.st.cloudUsers[key] != nil {
		return fmt.Errorf("emulator: user %q already exists", email)
	}
	for ws, role := range roles {
		if s.st.workspaces[ws] == nil {
			return fmt.Errorf("emulator: no workspace %q", ws)
		}
		if role != "owner" && role != "member" && role != "collaborator" {
			return fmt.Errorf("emulator: unknown role %q", role)
		}
	}
	nick := email
	if i := strings.IndexByte(email, '@'); i > 0 {
		nick = email[:i]
	}
	uuid := newUUID()
	s.st.cloudUsers[key] = &cloudUser{
		uuid:        uuid,
		accountID:   "557058:" + strings.Trim(uuid, "{}"),
		email:       email,
		nickname:    nick,
		displayName: strings.ToUpper(nick[:1]) + nick[1:],
		apiToken:    apiToken,
		roles:       cloneStringMap(roles),
		scopes:      setOf(scopes),
		created:     s.clock.now(),
	}
	return nil
}

// AddCloudAccessToken adds a Bearer access token of a workspace (repository
// "") or of one repository, with classic scopes (e.g. "repository", "webhook").
func (s *Server) AddCloudAccessToken(token, workspace, repository string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.st.workspaces[workspace]
	if ws == nil {
		return fmt.Errorf("emulator: no workspace %q", workspace)
	}
	if repository != "" && ws.repoBySlug[repository] == nil {
		return fmt.Errorf("emulator: no repository %s/%s", workspace, repository)
	}
	if s.st.cloudTokens[token] != nil {
		return fmt.Errorf("emulator: access token already exists")
	}
	s.st.cloudTokens[token] = &cloudAccessToken{uuid: newUUID(), token: token, ws: workspace, repo: repository, scopes: setOf(scopes)}
	return nil
}

// AddCloudOAuthClient adds an OAuth consumer that acts for the user with
// userEmail and is granted the classic scopes.
func (s *Server) AddCloudOAuthClient(clientID, secret, userEmail string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.cloudUsers[strings.ToLower(userEmail)]
	if u == nil {
		return fmt.Errorf("emulator: no user %q", userEmail)
	}
	s.st.oauthClients[clientID] = &oauthClient{id: clientID, secret: secret, user: u, scopes: slices.Clone(scopes)}
	return nil
}

// OAuthTokens returns every OAuth access and refresh token the server gave
// out that is still valid (Cloud), for tests that prove no log shows one.
func (s *Server) OAuthTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, 2*len(s.st.oauthTokens))
	for _, t := range s.st.oauthTokens {
		out = append(out, t.token, t.refresh)
	}
	return out
}

// AddDCUser adds a Data Center user. perms maps "PRJ" or "PRJ/repo" to
// PROJECT_READ|PROJECT_WRITE|PROJECT_ADMIN|REPO_READ|REPO_WRITE|REPO_ADMIN.
func (s *Server) AddDCUser(slug, password string, perms map[string]string) error {
	return s.addDCUser(slug, password, "", false, perms)
}

func (s *Server) addDCUser(slug, password, displayName string, sysadmin bool, perms map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.dcUsers[slug] != nil {
		return fmt.Errorf("emulator: user %q already exists", slug)
	}
	for key, perm := range perms {
		if _, _, ok := permissionLevel(perm); !ok {
			return fmt.Errorf("emulator: unknown permission %q for %q", perm, key)
		}
	}
	if displayName == "" {
		displayName = strings.ToUpper(slug[:1]) + slug[1:]
	}
	s.st.dcUsers[slug] = &dcUser{
		id: s.st.newID(), slug: slug, displayName: displayName, email: slug + "@example.com",
		password: password, sysadmin: sysadmin, perms: cloneStringMap(perms),
	}
	return nil
}

func cloneStringMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Webhook is a webhook of either product. Cloud ID = "{uuid}", Data Center
// ID = decimal string.
type Webhook struct {
	ID, Workspace, Repository string // Repository "" = workspace/project hook
	Name                      string // Cloud description / Data Center name
	URL                       string
	Events                    []string
	Active                    bool
	Secret                    string
	SkipCertVerification      bool
	CreatedAt                 time.Time
}

func (h *webhook) export() Webhook {
	return Webhook{
		ID: h.id, Workspace: h.ws, Repository: h.repo, Name: h.name, URL: h.url,
		Events: slices.Clone(h.events), Active: h.active, Secret: h.secret,
		SkipCertVerification: h.skipCert, CreatedAt: h.created,
	}
}

// lookupHook accepts a Cloud id with or without braces.
func (st *state) lookupHook(id string) *webhook {
	if h := st.webhooks[id]; h != nil {
		return h
	}
	return st.webhooks["{"+strings.Trim(id, "{}")+"}"]
}

// Webhooks returns every webhook, oldest first.
func (s *Server) Webhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Webhook, 0, len(s.st.hookOrder))
	for _, h := range s.st.hookOrder {
		out = append(out, h.export())
	}
	return out
}

// Webhook returns one webhook by ID.
func (s *Server) Webhook(id string) (Webhook, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.st.lookupHook(id)
	if h == nil {
		return Webhook{}, false
	}
	return h.export(), true
}

// UpdateWebhook changes a webhook out of band (as a user in the UI would).
// ID, Workspace and Repository cannot change.
func (s *Server) UpdateWebhook(id string, mutate func(*Webhook)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.st.lookupHook(id)
	if h == nil {
		return fmt.Errorf("%w: webhook %s", ErrNotFound, id)
	}
	w := h.export()
	mutate(&w)
	h.name, h.url, h.events, h.active = w.Name, w.URL, slices.Clone(w.Events), w.Active
	h.secret, h.skipCert, h.created = w.Secret, w.SkipCertVerification, w.CreatedAt
	if h.configuration != nil {
		if h.secret == "" {
			delete(h.configuration, "secret")
		} else {
			h.configuration["secret"] = h.secret
		}
	}
	h.updated = s.clock.now()
	return nil
}

// DeleteWebhook deletes a webhook out of band.
func (s *Server) DeleteWebhook(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.st.lookupHook(id)
	if h == nil || !s.st.removeHook(h.id) {
		return fmt.Errorf("%w: webhook %s", ErrNotFound, id)
	}
	return nil
}

// AccessToken is a Data Center HTTP access token.
type AccessToken struct {
	ID                string
	Level             string // "user" | "project" | "repository"
	User              string // owner slug; a project/repository token's bot user
	Workspace         string // project key (project and repository tokens)
	Repository        string // repository slug (repository tokens)
	Name              string
	Permissions       []string
	Token             string // the secret value
	CreatedAt         time.Time
	ExpiryDays        int // 0 = never expires
	LastAuthenticated time.Time
}

func (t *dcToken) export() AccessToken {
	return AccessToken{
		ID: t.id, Level: t.level, User: t.owner.slug, Workspace: t.ws, Repository: t.repo,
		Name: t.name, Permissions: slices.Clone(t.permissions), Token: t.value,
		CreatedAt: t.created, ExpiryDays: t.expiryDays, LastAuthenticated: t.lastAuthenticated,
	}
}

// AccessTokens returns every Data Center access token, oldest first.
func (s *Server) AccessTokens() []AccessToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AccessToken, 0, len(s.st.dcTokenOrder))
	for _, t := range s.st.dcTokenOrder {
		out = append(out, t.export())
	}
	return out
}

// AddDCAccessToken adds a token out of band. Level, Name and Permissions are
// required, User for user tokens, Workspace (and Repository) for the others;
// ID, Token and CreatedAt are generated when empty. It returns the token as stored.
func (s *Server) AddDCAccessToken(t AccessToken) (AccessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var owner *dcUser
	switch t.Level {
	case "user":
		owner = s.st.dcUsers[t.User]
		if owner == nil {
			return AccessToken{}, fmt.Errorf("emulator: no user %q", t.User)
		}
	case "project", "repository":
		ws := s.st.workspaces[t.Workspace]
		if ws == nil {
			return AccessToken{}, fmt.Errorf("emulator: no project %q", t.Workspace)
		}
		if t.Level == "repository" && ws.repoBySlug[t.Repository] == nil {
			return AccessToken{}, fmt.Errorf("emulator: no repository %s/%s", t.Workspace, t.Repository)
		}
	default:
		return AccessToken{}, fmt.Errorf("emulator: unknown token level %q", t.Level)
	}
	if t.Token != "" && s.st.dcTokenByVal[t.Token] != nil {
		return AccessToken{}, fmt.Errorf("emulator: token value already in use")
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = s.clock.now()
	}
	tok := s.newDCToken(t.Level, owner, t.Workspace, t.Repository, t.Name, t.Permissions, t.ExpiryDays, created)
	if t.ID != "" {
		if s.st.dcTokens[t.ID] != nil {
			return AccessToken{}, fmt.Errorf("emulator: token id %s already in use", t.ID)
		}
		tok.id = t.ID
	}
	if t.Token != "" {
		tok.value = t.Token
	}
	tok.lastAuthenticated = t.LastAuthenticated
	s.st.addDCToken(tok)
	return tok.export(), nil
}

// newDCToken builds (but does not store) a token; project and repository
// tokens get a synthetic SERVICE bot user.
func (s *Server) newDCToken(lvl string, owner *dcUser, ws, repo, name string, perms []string, expiryDays int, created time.Time) *dcToken {
	id := strconv.FormatInt(s.st.nextTokenID, 10)
	s.st.nextTokenID++
	if owner == nil {
		bot := "bot-" + strings.ToLower(ws)
		if repo != "" {
			bot += "-" + repo
		}
		bot += "-" + id
		owner = &dcUser{id: s.st.newID(), slug: bot, displayName: name, service: true}
	}
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		panic(err)
	}
	value := base64.RawStdEncoding.EncodeToString(append([]byte(id+":"), secret...))
	return &dcToken{
		id: id, level: lvl, owner: owner, ws: ws, repo: repo, name: name,
		permissions: slices.Clone(perms), value: value, created: created, expiryDays: expiryDays,
	}
}

// UpdateAccessToken changes a token out of band (e.g. CreatedAt to age it).
// ID, Level and the owner cannot change.
func (s *Server) UpdateAccessToken(id string, mutate func(*AccessToken)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.dcTokens[id]
	if t == nil {
		return fmt.Errorf("%w: access token %s", ErrNotFound, id)
	}
	a := t.export()
	mutate(&a)
	if a.Token != t.value {
		if a.Token == "" || s.st.dcTokenByVal[a.Token] != nil {
			return fmt.Errorf("emulator: token value empty or already in use")
		}
		delete(s.st.dcTokenByVal, t.value)
		t.value = a.Token
		s.st.dcTokenByVal[t.value] = t
	}
	t.name, t.permissions, t.created = a.Name, slices.Clone(a.Permissions), a.CreatedAt
	t.expiryDays, t.lastAuthenticated = a.ExpiryDays, a.LastAuthenticated
	return nil
}

// RevokeAccessToken deletes a token out of band; it stops authenticating at once.
func (s *Server) RevokeAccessToken(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.st.removeDCToken(id) {
		return fmt.Errorf("%w: access token %s", ErrNotFound, id)
	}
	return nil
}

// RevokeCloudAccessToken deletes a Cloud access token out of band (as an
// admin would in the web UI); it stops authenticating at once.
func (s *Server) RevokeCloudAccessToken(token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.cloudTokens[token] == nil {
		return fmt.Errorf("%w: Cloud access token", ErrNotFound)
	}
	delete(s.st.cloudTokens, token)
	return nil
}

// generatedRepo matches the slugs AddRepositories makes with the
// standalone emulator's prefix.
var generatedRepo = regexp.MustCompile(`^repo-[0-9]{5,}$`)

// Contents lists what the server holds, one line per Cloud workspace or Data
// Center project: its slug or key, its Cloud projects, and its repositories
// (with their Cloud project). The standalone emulator prints it, so a reader
// knows which names the examples can use.
func (s *Server) Contents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	noun := map[Product]string{Cloud: "workspace", DataCenter: "project"}[s.product]
	var lines []string
	for _, ws := range s.st.wsOrder {
		line := fmt.Sprintf("%s %s (%s)", noun, ws.slug, ws.name)
		if len(ws.projectKeys) > 0 {
			line += ": projects " + strings.Join(ws.projectKeys, ", ") + ";"
		} else {
			line += ":"
		}
		var repos, generated []string
		for _, r := range ws.repos {
			switch {
			case generatedRepo.MatchString(r.slug):
				generated = append(generated, r.slug) // AddRepositories' names, shown as a range
			case r.projectKey != "" && s.product == Cloud:
				repos = append(repos, r.slug+" ("+r.projectKey+")")
			default:
				repos = append(repos, r.slug)
			}
		}
		if len(generated) > 0 {
			repos = append(repos, fmt.Sprintf("%s … %s (%d)", generated[0], generated[len(generated)-1], len(generated)))
		}
		line += " repositories " + strings.Join(repos, ", ")
		lines = append(lines, line)
	}
	return lines
}
