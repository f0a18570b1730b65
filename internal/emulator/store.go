package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"time"
)

// The state below is guarded by Server.mu. Cloud workspaces and Data Center
// projects share one type: both are the owner in a repository's path.

type workspace struct {
	id          int // Data Center project id
	uuid        string
	slug        string // Cloud workspace slug / Data Center project key
	name        string
	description string
	private     bool
	created     time.Time
	projects    map[string]*cloudProject // Cloud projects by key
	projectKeys []string                 // Cloud project keys in creation order
	repos       []*repository            // sorted by slug
	repoBySlug  map[string]*repository
}

type cloudProject struct {
	uuid    string
	key     string
	name    string
	private bool
	created time.Time
}

type repository struct {
	id            int // Data Center repository id
	uuid          string
	hierarchyID   string
	ws            *workspace
	slug          string
	name          string
	description   string
	projectKey    string // Cloud project key
	private       bool
	defaultBranch string
	created       time.Time
}

// webhook is one hook of either product. Fields that only one product has are
// zero for the other.
type webhook struct {
	id             string // Cloud "{uuid}", Data Center decimal
	num            int    // Data Center numeric id
	ws             string
	repo           string // "" = workspace / project hook
	name           string // Cloud description, Data Center name
	url            string
	events         []string
	active         bool
	secret         string
	skipCert       bool
	historyEnabled bool              // Cloud
	configuration  map[string]string // Data Center; "secret" mirrors secret
	credUser       string            // Data Center
	credPass       string            // Data Center
	created        time.Time
	updated        time.Time
}

// dcToken is a Data Center HTTP access token.
type dcToken struct {
	id                string
	level             string // "user" | "project" | "repository"
	owner             *dcUser
	ws                string
	repo              string
	name              string
	permissions       []string
	value             string
	created           time.Time
	expiryDays        int
	lastAuthenticated time.Time
}

func (t *dcToken) expiresAt() time.Time {
	if t.expiryDays <= 0 {
		return time.Time{}
	}
	// Calendar days, not a time.Duration: a Duration of more than about
	// 106,000 days overflows into the past.
	return t.created.AddDate(0, 0, t.expiryDays)
}

func (t *dcToken) expired(now time.Time) bool {
	exp := t.expiresAt()
	return !exp.IsZero() && !now.Before(exp)
}

type dcUser struct {
	id          int
	slug        string
	displayName string
	email       string
	password    string
	sysadmin    bool
	service     bool              // synthetic bot user of a project/repository token
	perms       map[string]string // "PRJ" or "PRJ/repo" -> permission
}

type cloudUser struct {
	uuid        string
	accountID   string
	email       string
	nickname    string
	displayName string
	apiToken    string
	roles       map[string]string // workspace slug -> owner|member|collaborator
	scopes      map[string]bool   // granular API-token scopes
	created     time.Time
}

// cloudAccessToken is a workspace or repository access token (Bearer).
type cloudAccessToken struct {
	uuid   string
	token  string
	ws     string
	repo   string // "" = workspace token
	scopes map[string]bool
}

type oauthClient struct {
	id     string
	secret string
	user   *cloudUser
	scopes []string
}

type oauthToken struct {
	token   string
	refresh string
	client  *oauthClient
	expires time.Time
}

type state struct {
	workspaces  map[string]*workspace // by slug / key
	wsOrder     []*workspace
	nextID      int
	webhooks    map[string]*webhook
	deliveries  map[string]hookHistory // Data Center webhook id -> its invocation history
	hookOrder   []*webhook
	nextHookNum int

	// Cloud
	cloudUsers   map[string]*cloudUser // by email
	cloudTokens  map[string]*cloudAccessToken
	oauthClients map[string]*oauthClient
	oauthTokens  map[string]*oauthToken // by access token
	oauthRefresh map[string]*oauthToken // by refresh token

	// Data Center
	dcUsers      map[string]*dcUser // by slug
	dcTokens     map[string]*dcToken
	dcTokenOrder []*dcToken
	dcTokenByVal map[string]*dcToken
	nextTokenID  int64

	accessKeys *keyState // both products (access_keys.go)
}

func newState() *state {
	return &state{
		workspaces:   map[string]*workspace{},
		webhooks:     map[string]*webhook{},
		deliveries:   map[string]hookHistory{},
		nextHookNum:  1,
		nextID:       1,
		cloudUsers:   map[string]*cloudUser{},
		cloudTokens:  map[string]*cloudAccessToken{},
		oauthClients: map[string]*oauthClient{},
		oauthTokens:  map[string]*oauthToken{},
		oauthRefresh: map[string]*oauthToken{},
		dcUsers:      map[string]*dcUser{},
		dcTokens:     map[string]*dcToken{},
		dcTokenByVal: map[string]*dcToken{},
		nextTokenID:  158910532901,
	}
}

func (st *state) newID() int {
	id := st.nextID
	st.nextID++
	return id
}

// workspace finds a workspace by slug or "{uuid}".
func (st *state) workspace(ref string) *workspace {
	if ws, ok := st.workspaces[ref]; ok {
		return ws
	}
	if len(ref) > 2 && ref[0] == '{' {
		for _, ws := range st.wsOrder {
			if ws.uuid == ref {
				return ws
			}
		}
	}
	return nil
}

// repository finds a repository of ws by slug or "{uuid}".
func (ws *workspace) repository(ref string) *repository {
	if r, ok := ws.repoBySlug[ref]; ok {
		return r
	}
	if len(ref) > 2 && ref[0] == '{' {
		for _, r := range ws.repos {
			if r.uuid == ref {
				return r
			}
		}
	}
	return nil
}

func (ws *workspace) insertRepo(r *repository) {
	i := sort.Search(len(ws.repos), func(i int) bool { return ws.repos[i].slug >= r.slug })
	ws.repos = append(ws.repos, nil)
	copy(ws.repos[i+1:], ws.repos[i:])
	ws.repos[i] = r
	ws.repoBySlug[r.slug] = r
}

func (st *state) addHook(h *webhook) {
	st.webhooks[h.id] = h
	st.hookOrder = append(st.hookOrder, h)
}

func (st *state) removeHook(id string) bool {
	if _, ok := st.webhooks[id]; !ok {
		return false
	}
	delete(st.webhooks, id)
	delete(st.deliveries, id)
	for i, h := range st.hookOrder {
		if h.id == id {
			st.hookOrder = append(st.hookOrder[:i:i], st.hookOrder[i+1:]...)
			break
		}
	}
	return true
}

// hooksOf lists the hooks of one workspace/project (repo "") or repository, oldest first.
func (st *state) hooksOf(ws, repo string) []*webhook {
	var out []*webhook
	for _, h := range st.hookOrder {
		if h.ws == ws && h.repo == repo {
			out = append(out, h)
		}
	}
	return out
}

func (st *state) addDCToken(t *dcToken) {
	st.dcTokens[t.id] = t
	st.dcTokenOrder = append(st.dcTokenOrder, t)
	st.dcTokenByVal[t.value] = t
}

func (st *state) removeDCToken(id string) bool {
	t, ok := st.dcTokens[id]
	if !ok {
		return false
	}
	delete(st.dcTokens, id)
	delete(st.dcTokenByVal, t.value)
	for i, x := range st.dcTokenOrder {
		if x.id == id {
			st.dcTokenOrder = append(st.dcTokenOrder[:i:i], st.dcTokenOrder[i+1:]...)
			break
		}
	}
	return true
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("{%x-%x-%x-%x-%x}", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)[:n]
}
