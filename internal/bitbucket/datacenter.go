package bitbucket

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

const (
	dcAPI    = "rest/api/1.0/"
	dcTokens = "rest/access-tokens/1.0/"
)

// dataCenterClient speaks Bitbucket Data Center REST 1.0 and access-tokens
// 1.0. Paths are relative to the base URL (the server root, context path
// included).
type dataCenterClient struct {
	h       *httpClient
	version string
}

var _ Client = (*dataCenterClient)(nil)

func (d *dataCenterClient) Product() Product      { return ProductDataCenter }
func (d *dataCenterClient) BaseURL() string       { return d.h.base.String() }
func (d *dataCenterClient) ServerVersion() string { return d.version }

// CheckCredentials lists one project. Data Center answers bad credentials
// with 401; a 401 AuthorisationException (a missing permission) means the
// credential itself was accepted.
func (d *dataCenterClient) CheckCredentials(ctx context.Context) error {
	_, err := d.h.send(ctx, http.MethodGet, d.h.url(dcAPI+"projects", url.Values{"limit": {"1"}}), nil, true)
	if errors.Is(err, ErrForbidden) {
		return nil
	}
	return wrongProduct(d.BaseURL(), ProductDataCenter, err)
}

type dcLink struct {
	Href string `json:"href"`
	Name string `json:"name"`
}

func firstHref(links []dcLink) string {
	if len(links) == 0 {
		return ""
	}
	return links[0].Href
}

type dcProject struct {
	Key         string     `json:"key"`
	ID          flexString `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Public      bool       `json:"public"`
	Links       struct {
		Self []dcLink `json:"self"`
	} `json:"links"`
}

func (p dcProject) model() Workspace {
	return Workspace{
		Slug:        p.Key,
		ID:          string(p.ID),
		Name:        p.Name,
		Description: p.Description,
		Private:     !p.Public,
		WebURL:      firstHref(p.Links.Self),
	}
}

func (d *dataCenterClient) GetWorkspace(ctx context.Context, workspace string) (*Workspace, error) {
	if err := required("workspace (project key)", workspace); err != nil {
		return nil, err
	}
	var p dcProject
	if err := d.h.getJSON(ctx, dcAPI+"projects/"+seg(workspace), nil, &p); err != nil {
		return nil, err
	}
	m := p.model()
	return &m, nil
}

// ListWorkspaces lists projects, filtered on the server, sorted by key.
func (d *dataCenterClient) ListWorkspaces(ctx context.Context, filter WorkspaceFilter) ([]Workspace, error) {
	q := url.Values{}
	if filter.Name != "" {
		q.Set("name", filter.Name)
	}
	if filter.MinPermission != "" {
		p, err := dcProjectPermission(filter.MinPermission)
		if err != nil {
			return nil, err
		}
		q.Set("permission", p)
	}
	if filter.AdminOnly {
		q.Set("permission", "PROJECT_ADMIN")
	}
	items, err := listDC[dcProject](ctx, d.h, dcAPI+"projects", q)
	if err != nil {
		return nil, err
	}
	out := make([]Workspace, 0, len(items))
	for _, p := range items {
		out = append(out, p.model())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
	return out, nil
}

type dcRepository struct {
	Slug          string     `json:"slug"`
	ID            flexString `json:"id"`
	Name          string     `json:"name"`
	Description   string     `json:"description"`
	Public        bool       `json:"public"`
	DefaultBranch string     `json:"defaultBranch"`
	Project       dcProject  `json:"project"`
	Links         struct {
		Clone []dcLink `json:"clone"`
		Self  []dcLink `json:"self"`
	} `json:"links"`
}

func (r dcRepository) model() Repository {
	m := Repository{
		Workspace:     r.Project.Key,
		Slug:          r.Slug,
		Name:          r.Name,
		ID:            string(r.ID),
		Description:   r.Description,
		ProjectKey:    r.Project.Key,
		ProjectName:   r.Project.Name,
		Private:       !r.Public,
		DefaultBranch: strings.TrimPrefix(r.DefaultBranch, "refs/heads/"),
		WebURL:        firstHref(r.Links.Self),
	}
	for _, l := range r.Links.Clone {
		switch l.Name {
		case "http", "https":
			m.CloneHTTPS = l.Href
		case "ssh":
			m.CloneSSH = l.Href
		}
	}
	return m
}

func dcRepoPath(workspace, slug string) string {
	return dcAPI + "projects/" + seg(workspace) + "/repos/" + seg(slug)
}

// GetRepository reads a repository. Data Center does not always include
// the default branch in it; then it is read from /default-branch (an empty
// repository has none, which leaves DefaultBranch "").
func (d *dataCenterClient) GetRepository(ctx context.Context, workspace, slug string) (*Repository, error) {
	if err := required("workspace (project key) and repository", workspace, slug); err != nil {
		return nil, err
	}
	var r dcRepository
	if err := d.h.getJSON(ctx, dcRepoPath(workspace, slug), nil, &r); err != nil {
		return nil, err
	}
	m := r.model()
	if m.Workspace == "" {
		m.Workspace, m.ProjectKey = workspace, workspace
	}
	if m.DefaultBranch == "" {
		branch, err := d.defaultBranch(ctx, workspace, slug)
		if err != nil {
			return nil, err
		}
		m.DefaultBranch = branch
	}
	return &m, nil
}

func (d *dataCenterClient) defaultBranch(ctx context.Context, workspace, slug string) (string, error) {
	body, err := d.h.send(ctx, http.MethodGet, d.h.url(dcRepoPath(workspace, slug)+"/default-branch", nil), nil, true)
	if errors.Is(err, ErrNotFound) || (err == nil && len(strings.TrimSpace(string(body))) == 0) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var ref struct {
		ID        string `json:"id"`
		DisplayID string `json:"displayId"`
	}
	if err := decodeJSON(http.MethodGet, dcRepoPath(workspace, slug)+"/default-branch", body, &ref); err != nil {
		return "", err
	}
	if ref.DisplayID != "" {
		return ref.DisplayID, nil
	}
	return strings.TrimPrefix(ref.ID, "refs/heads/"), nil
}

// ListRepositories lists a project's repositories sorted by slug. A name
// filter goes to the global /repos search (name and projectkey, both
// case-insensitive on the server); a ProjectKey other than the workspace
// matches nothing, since a Data Center project is the workspace.
func (d *dataCenterClient) ListRepositories(ctx context.Context, workspace string, filter RepositoryFilter) ([]Repository, error) {
	if err := required("workspace (project key)", workspace); err != nil {
		return nil, err
	}
	if filter.ProjectKey != "" && !strings.EqualFold(filter.ProjectKey, workspace) {
		return []Repository{}, nil
	}
	var (
		items []dcRepository
		err   error
	)
	if filter.Name != "" {
		q := url.Values{"name": {filter.Name}, "projectkey": {workspace}}
		items, err = listDC[dcRepository](ctx, d.h, dcAPI+"repos", q)
		if err == nil && len(items) == 0 {
			// The global search answers an unknown project with an empty
			// list; reading the project tells "no match" from "no project".
			_, err = d.GetWorkspace(ctx, workspace)
		}
	} else {
		items, err = listDC[dcRepository](ctx, d.h, dcAPI+"projects/"+seg(workspace)+"/repos", nil)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Repository, 0, len(items))
	for _, r := range items {
		out = append(out, r.model())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
	return out, nil
}

type dcWebhook struct {
	ID                      flexString `json:"id"`
	Name                    string     `json:"name"`
	URL                     string     `json:"url"`
	Active                  bool       `json:"active"`
	Events                  []string   `json:"events"`
	SSLVerificationRequired *bool      `json:"sslVerificationRequired"`
	Configuration           struct {
		Secret string `json:"secret"`
	} `json:"configuration"`
	CreatedDate apiTime `json:"createdDate"`
}

func (w dcWebhook) model() Webhook {
	events := append([]string{}, w.Events...)
	sort.Strings(events)
	return Webhook{
		ID:     string(w.ID),
		Name:   w.Name,
		URL:    w.URL,
		Events: events,
		Active: w.Active,
		// Servers that predate the field verify certificates.
		SkipCertVerification: w.SSLVerificationRequired != nil && !*w.SSLVerificationRequired,
		Secret:               w.Configuration.Secret,
		SecretReturned:       true,
		SecretSet:            w.Configuration.Secret != "",
		CreatedAt:            w.CreatedDate.Time,
	}
}

// dcWebhookRequest is the whole webhook: Data Center's PUT replaces every
// field, and a missing configuration removes the secret.
type dcWebhookRequest struct {
	Name                    string            `json:"name"`
	URL                     string            `json:"url"`
	Active                  bool              `json:"active"`
	Events                  []string          `json:"events"`
	SSLVerificationRequired bool              `json:"sslVerificationRequired"`
	Configuration           map[string]string `json:"configuration"`
}

func newDCWebhookRequest(in WebhookInput, secret string) dcWebhookRequest {
	events := in.Events
	if events == nil {
		events = []string{}
	}
	req := dcWebhookRequest{
		Name:                    in.Name,
		URL:                     in.URL,
		Active:                  in.Active,
		Events:                  events,
		SSLVerificationRequired: !in.SkipCertVerification,
		Configuration:           map[string]string{},
	}
	if secret != "" {
		req.Configuration["secret"] = secret
	}
	return req
}

func dcHooksPath(s WebhookScope) (string, error) {
	if err := required("workspace (project key)", s.Workspace); err != nil {
		return "", err
	}
	if s.IsRepository() {
		return dcRepoPath(s.Workspace, s.Repository) + "/webhooks", nil
	}
	return dcAPI + "projects/" + seg(s.Workspace) + "/webhooks", nil
}

func dcHookPath(s WebhookScope, id string) (string, error) {
	p, err := dcHooksPath(s)
	if err != nil {
		return "", err
	}
	if err := required("webhook id", id); err != nil {
		return "", err
	}
	return p + "/" + seg(id), nil
}

func (d *dataCenterClient) CreateWebhook(ctx context.Context, scope WebhookScope, in WebhookInput) (*Webhook, error) {
	p, err := dcHooksPath(scope)
	if err != nil {
		return nil, err
	}
	secret := ""
	if in.Secret != nil {
		secret = *in.Secret
	}
	var w dcWebhook
	if err := d.h.sendJSON(ctx, http.MethodPost, p, newDCWebhookRequest(in, secret), &w, false); err != nil {
		return nil, err
	}
	m := w.model()
	return &m, nil
}

func (d *dataCenterClient) GetWebhook(ctx context.Context, scope WebhookScope, id string) (*Webhook, error) {
	p, err := dcHookPath(scope, id)
	if err != nil {
		return nil, err
	}
	var w dcWebhook
	if err := d.h.getManagedJSON(ctx, p, &w); err != nil {
		return nil, err
	}
	m := w.model()
	return &m, nil
}

// ListWebhooks returns the hooks in creation order (then by id).
func (d *dataCenterClient) ListWebhooks(ctx context.Context, scope WebhookScope) ([]Webhook, error) {
	p, err := dcHooksPath(scope)
	if err != nil {
		return nil, err
	}
	items, err := listDC[dcWebhook](ctx, d.h, p, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Webhook, 0, len(items))
	for _, w := range items {
		out = append(out, w.model())
	}
	sortWebhooks(out)
	return out, nil
}

// UpdateWebhook PUTs the whole webhook. With in.Secret nil the current
// secret is read first and sent again, since leaving it out would remove it.
func (d *dataCenterClient) UpdateWebhook(ctx context.Context, scope WebhookScope, id string, in WebhookInput) (*Webhook, error) {
	p, err := dcHookPath(scope, id)
	if err != nil {
		return nil, err
	}
	var secret string
	if in.Secret != nil {
		secret = *in.Secret
	} else {
		current, err := d.GetWebhook(ctx, scope, id)
		if err != nil {
			return nil, err
		}
		secret = current.Secret
	}
	var w dcWebhook
	if err := d.h.sendJSON(ctx, http.MethodPut, p, newDCWebhookRequest(in, secret), &w, true); err != nil {
		return nil, err
	}
	m := w.model()
	return &m, nil
}

func (d *dataCenterClient) DeleteWebhook(ctx context.Context, scope WebhookScope, id string) error {
	p, err := dcHookPath(scope, id)
	if err != nil {
		return err
	}
	return deleteConfirmed(ctx, "webhook "+id,
		func(ctx context.Context) error {
			_, err := d.h.send(ctx, http.MethodDelete, d.h.url(p, nil), nil, true)
			return err
		},
		func(ctx context.Context) error { return d.h.getJSON(ctx, p, nil, &dcWebhook{}) })
}

type dcAccessToken struct {
	ID                flexString `json:"id"`
	Name              string     `json:"name"`
	Permissions       []string   `json:"permissions"`
	Token             string     `json:"token"`
	CreatedDate       apiTime    `json:"createdDate"`
	ExpiryDays        int        `json:"expiryDays"`
	ExpiryDate        apiTime    `json:"expiryDate"`
	LastAuthenticated apiTime    `json:"lastAuthenticated"`
	User              *struct {
		Slug string `json:"slug"`
		Name string `json:"name"`
	} `json:"user"`
}

func (t dcAccessToken) model() AccessToken {
	perms := append([]string{}, t.Permissions...)
	sort.Strings(perms)
	m := AccessToken{
		ID:                string(t.ID),
		Name:              t.Name,
		Permissions:       perms,
		Token:             t.Token,
		CreatedAt:         t.CreatedDate.Time,
		ExpiresAt:         t.ExpiryDate.Time,
		ExpiryDays:        t.ExpiryDays,
		LastAuthenticated: t.LastAuthenticated.Time,
	}
	if m.ExpiresAt.IsZero() && t.ExpiryDays > 0 && !m.CreatedAt.IsZero() {
		m.ExpiresAt = m.CreatedAt.Add(time.Duration(t.ExpiryDays) * 24 * time.Hour)
	}
	if t.User != nil {
		m.User = t.User.Slug
		if m.User == "" {
			m.User = t.User.Name
		}
	}
	return m
}

// tokensPath is the collection path of a token scope.
func (d *dataCenterClient) tokensPath(ctx context.Context, s TokenScope) (string, error) {
	switch s.Level {
	case TokenLevelUser:
		user := s.User
		if user == "" {
			u, err := d.currentUser(ctx)
			if err != nil {
				return "", err
			}
			user = u
		}
		return dcTokens + "users/" + seg(user), nil
	case TokenLevelProject:
		if err := required("workspace (project key)", s.Workspace); err != nil {
			return "", err
		}
		return dcTokens + "projects/" + seg(s.Workspace), nil
	case TokenLevelRepository:
		if err := required("workspace (project key) and repository", s.Workspace, s.Repository); err != nil {
			return "", err
		}
		return dcTokens + "projects/" + seg(s.Workspace) + "/repos/" + seg(s.Repository), nil
	default:
		return "", fmt.Errorf("token level %q is not one of %q, %q, %q", s.Level, TokenLevelUser, TokenLevelProject, TokenLevelRepository)
	}
}

func (d *dataCenterClient) tokenPath(ctx context.Context, s TokenScope, id string) (string, error) {
	if err := required("access token id", id); err != nil {
		return "", err
	}
	p, err := d.tokensPath(ctx, s)
	if err != nil {
		return "", err
	}
	return p + "/" + seg(id), nil
}

// currentUser is the user the credentials belong to: the Basic username,
// else the X-AUSERNAME of an earlier answer, else applinks' whoami.
func (d *dataCenterClient) currentUser(ctx context.Context) (string, error) {
	if d.h.cfg.Username != "" {
		return d.h.cfg.Username, nil
	}
	d.h.mu.Lock()
	seen := d.h.seenUser
	d.h.mu.Unlock()
	if seen != "" {
		return seen, nil
	}
	body, err := d.h.send(ctx, http.MethodGet, d.h.url("plugins/servlet/applinks/whoami", nil), nil, true)
	if err != nil {
		return "", fmt.Errorf("finding the user the credentials belong to: %w", err)
	}
	user := strings.TrimSpace(string(body))
	if strings.ContainsAny(user, "<{\n") {
		// Not the plain-text username the servlet answers (a login page, say).
		user = ""
	}
	if user == "" {
		d.h.mu.Lock()
		user = d.h.seenUser
		d.h.mu.Unlock()
	}
	if user == "" {
		return "", errors.New("could not tell which user the credentials belong to (the server's whoami answered nothing): name the user explicitly")
	}
	d.h.mu.Lock()
	d.h.seenUser = user
	d.h.mu.Unlock()
	return user, nil
}

type dcTokenCreateRequest struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
	ExpiryDays  int      `json:"expiryDays,omitempty"`
}

// dcTokenUpdateRequest leaves out what is not changing: the server keeps
// omitted fields. The expiry cannot be changed.
type dcTokenUpdateRequest struct {
	Name        string   `json:"name,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
}

// CreateAccessToken PUTs a new token. The answer is the only time the
// server shows the token value. A lost answer is uncertain: look for a
// token of that name before creating another.
func (d *dataCenterClient) CreateAccessToken(ctx context.Context, scope TokenScope, in AccessTokenInput) (*AccessToken, error) {
	p, err := d.tokensPath(ctx, scope)
	if err != nil {
		return nil, err
	}
	perms := in.Permissions
	if perms == nil {
		perms = []string{}
	}
	body := dcTokenCreateRequest{Name: in.Name, Permissions: perms, ExpiryDays: in.ExpiryDays}
	var t dcAccessToken
	if err := d.h.sendJSON(ctx, http.MethodPut, p, body, &t, false); err != nil {
		return nil, err
	}
	m := t.model()
	return &m, nil
}

func (d *dataCenterClient) GetAccessToken(ctx context.Context, scope TokenScope, id string) (*AccessToken, error) {
	p, err := d.tokenPath(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	var t dcAccessToken
	if err := d.h.getManagedJSON(ctx, p, &t); err != nil {
		return nil, err
	}
	m := t.model()
	return &m, nil
}

// ListAccessTokens returns the tokens in creation order (then by id).
func (d *dataCenterClient) ListAccessTokens(ctx context.Context, scope TokenScope) ([]AccessToken, error) {
	p, err := d.tokensPath(ctx, scope)
	if err != nil {
		return nil, err
	}
	items, err := listDC[dcAccessToken](ctx, d.h, p, nil)
	if err != nil {
		return nil, err
	}
	out := make([]AccessToken, 0, len(items))
	for _, t := range items {
		out = append(out, t.model())
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return lessID(out[i].ID, out[j].ID)
	})
	return out, nil
}

// UpdateAccessToken POSTs the changed fields; it sets absolute values, so
// it is safe to repeat.
func (d *dataCenterClient) UpdateAccessToken(ctx context.Context, scope TokenScope, id string, in AccessTokenInput) (*AccessToken, error) {
	p, err := d.tokenPath(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	var t dcAccessToken
	body := dcTokenUpdateRequest{Name: in.Name, Permissions: in.Permissions}
	if err := d.h.sendJSON(ctx, http.MethodPost, p, body, &t, true); err != nil {
		// The update documents only 200, 400 and 401 (Data Center OpenAPI,
		// POST /access-tokens/latest/.../{tokenId}), so what it answers for
		// a token that no longer exists is not known. The read of the same
		// path documents 404 for it: ask that before saying why.
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnauthorized) {
			if gerr := d.h.getJSON(ctx, p, nil, &dcAccessToken{}); errors.Is(gerr, ErrNotFound) {
				return nil, gerr
			}
		}
		return nil, err
	}
	m := t.model()
	return &m, nil
}

func (d *dataCenterClient) DeleteAccessToken(ctx context.Context, scope TokenScope, id string) error {
	p, err := d.tokenPath(ctx, scope, id)
	if err != nil {
		return err
	}
	return deleteConfirmed(ctx, "access token "+id,
		func(ctx context.Context) error {
			_, err := d.h.send(ctx, http.MethodDelete, d.h.url(p, nil), nil, true)
			return err
		},
		func(ctx context.Context) error { return d.h.getJSON(ctx, p, nil, &dcAccessToken{}) })
}
