package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// tokenScope is where a token route points: a user's personal tokens, a
// project's or a repository's.
type tokenScope struct {
	level string // "user" | "project" | "repository"
	user  *dcUser
	ws    string
	repo  string
}

func (sc tokenScope) holds(t *dcToken) bool {
	if t.level != sc.level {
		return false
	}
	if sc.level == "user" {
		return t.owner == sc.user
	}
	return t.ws == sc.ws && t.repo == sc.repo
}

// dcTokenScope resolves the path and checks the caller may manage its
// tokens: yourself for user tokens (a system administrator signed in with a
// password may also manage others', but not create them), PROJECT_ADMIN for
// project tokens, REPO_ADMIN for repository tokens.
func dcTokenScope(c *call, creating bool) (tokenScope, *response) {
	denied := func() (tokenScope, *response) {
		r := dcNotPermitted()
		return tokenScope{}, &r
	}
	if slug, ok := c.params["userSlug"]; ok {
		u := c.s.st.dcUsers[slug]
		if u == nil || u.service {
			r := dcError(http.StatusNotFound, exNoSuchUser, fmt.Sprintf("User %s does not exist.", slug))
			return tokenScope{}, &r
		}
		self := c.p.dcUser == u
		admin := c.p.dcUser.sysadmin && c.p.dcToken == nil
		if !self && (creating || !admin) {
			return denied()
		}
		return tokenScope{level: "user", user: u}, nil
	}
	if _, ok := c.params["repositorySlug"]; ok {
		r, fail := dcRepo(c)
		if fail != nil {
			return tokenScope{}, fail
		}
		if dcRepoLevel(c.p, r) < levelAdmin {
			return denied()
		}
		return tokenScope{level: "repository", ws: r.ws.slug, repo: r.slug}, nil
	}
	ws, fail := dcProject(c)
	if fail != nil {
		return tokenScope{}, fail
	}
	if dcProjectLevel(c.p, ws) < levelAdmin {
		return denied()
	}
	return tokenScope{level: "project", ws: ws.slug}, nil
}

func dcTokenByID(c *call, sc tokenScope) (*dcToken, *response) {
	id := c.param("tokenId")
	t := c.s.st.dcTokens[id]
	if t == nil || !sc.holds(t) {
		r := dcError(http.StatusNotFound, exNoSuchEntity, fmt.Sprintf("No access token exists with ID %s.", id))
		return nil, &r
	}
	return t, nil
}

// dcTokenBody is the create and update request.
type dcTokenBody struct {
	Name        *string   `json:"name"`
	Permissions *[]string `json:"permissions"`
	ExpiryDays  *int      `json:"expiryDays"`
}

// forbiddenTokenPermissions are real permissions that a token may not carry.
var forbiddenTokenPermissions = []string{"LICENSED_USER", "PROJECT_CREATE", "ADMIN", "SYS_ADMIN", "PROJECT_VIEW", "REPO_CREATE"}

// validTokenPermissions checks a permission list for a token of level.
func validTokenPermissions(level string, perms []string) string {
	if len(perms) == 0 {
		return "At least one permission must be provided."
	}
	seen := map[string]bool{}
	for _, p := range perms {
		if seen[p] {
			return fmt.Sprintf("Duplicate permission %s. Each permission may be given only once.", p)
		}
		seen[p] = true
		if slices.Contains(forbiddenTokenPermissions, p) {
			return "Tokens may not have the following permission: " + p
		}
		isProject, _, ok := permissionLevel(p)
		if !ok {
			return p + " is not a valid permission"
		}
		if level == "repository" && isProject {
			return "Permissions for REPOSITORY scope must be one of [REPO_READ, REPO_WRITE, REPO_ADMIN]"
		}
	}
	return ""
}

func parseTokenBody(body []byte) (dcTokenBody, *response) {
	var b dcTokenBody
	if err := json.Unmarshal(body, &b); err != nil {
		r := dcError(http.StatusBadRequest, exArgumentValidation, "The request body is not a valid access token request: "+err.Error())
		return b, &r
	}
	return b, nil
}

// PUT .../{scope} creates a token and answers 200 with its value. A request
// authenticated with a token may not create tokens.
func dcCreateToken(c *call) response {
	if c.p.dcToken != nil {
		return dcError(http.StatusUnauthorized, exAuthorisation, msgTokensCannotCreate)
	}
	sc, fail := dcTokenScope(c, true)
	if fail != nil {
		return *fail
	}
	b, fail := parseTokenBody(c.body)
	if fail != nil {
		return *fail
	}
	bad := func(msg string) response { return dcError(http.StatusBadRequest, exArgumentValidation, msg) }
	if b.Name == nil || strings.TrimSpace(*b.Name) == "" {
		return bad("A name must be provided for the access token.")
	}
	var perms []string
	if b.Permissions != nil {
		perms = *b.Permissions
	}
	if msg := validTokenPermissions(sc.level, perms); msg != "" {
		return bad(msg)
	}
	expiry := 0
	if b.ExpiryDays != nil {
		if *b.ExpiryDays < 0 {
			return bad("expiryDays must be a positive number of days.")
		}
		expiry = *b.ExpiryDays
	}
	t := c.s.newDCToken(sc.level, sc.user, sc.ws, sc.repo, *b.Name, perms, expiry, c.now)
	c.s.st.addDCToken(t)
	return jsonResponse(http.StatusOK, dcTokenJSON(c, t, true))
}

// GET .../{scope}: paged, oldest first.
func dcListTokens(c *call) response {
	sc, fail := dcTokenScope(c, false)
	if fail != nil {
		return *fail
	}
	var tokens []*dcToken
	for _, t := range c.s.st.dcTokenOrder {
		if sc.holds(t) {
			tokens = append(tokens, t)
		}
	}
	return dcPage(c, tokens, func(t *dcToken) any { return dcTokenJSON(c, t, false) })
}

func dcGetToken(c *call) response {
	sc, fail := dcTokenScope(c, false)
	if fail != nil {
		return *fail
	}
	t, fail := dcTokenByID(c, sc)
	if fail != nil {
		return *fail
	}
	return jsonResponse(http.StatusOK, dcTokenJSON(c, t, false))
}

// POST .../{scope}/{tokenId} updates name and permissions; omitted fields
// keep their value and the expiry cannot change.
func dcUpdateToken(c *call) response {
	sc, fail := dcTokenScope(c, false)
	if fail != nil {
		return *fail
	}
	t, fail := dcTokenByID(c, sc)
	if fail != nil {
		return *fail
	}
	b, fail := parseTokenBody(c.body)
	if fail != nil {
		return *fail
	}
	bad := func(msg string) response { return dcError(http.StatusBadRequest, exArgumentValidation, msg) }
	if b.Name != nil && strings.TrimSpace(*b.Name) == "" {
		return bad("A name must be provided for the access token.")
	}
	if b.Permissions != nil {
		if msg := validTokenPermissions(t.level, *b.Permissions); msg != "" {
			return bad(msg)
		}
	}
	if b.ExpiryDays != nil && *b.ExpiryDays != t.expiryDays {
		return bad("The expiry of an access token cannot be changed.")
	}
	if b.Name != nil {
		t.name = *b.Name
		if t.owner.service {
			t.owner.displayName = t.name
		}
	}
	if b.Permissions != nil {
		t.permissions = slices.Clone(*b.Permissions)
	}
	return jsonResponse(http.StatusOK, dcTokenJSON(c, t, false))
}

func dcDeleteToken(c *call) response {
	sc, fail := dcTokenScope(c, false)
	if fail != nil {
		return *fail
	}
	t, fail := dcTokenByID(c, sc)
	if fail != nil {
		return *fail
	}
	c.s.st.removeDCToken(t.id)
	return noContent()
}
