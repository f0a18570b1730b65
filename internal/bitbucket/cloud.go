package bitbucket

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
)

// cloudClient speaks Bitbucket Cloud REST 2.0. Paths are relative to the
// base URL, which ends in "/2.0/".
type cloudClient struct {
	h *httpClient
}

var _ Client = (*cloudClient)(nil)

func (c *cloudClient) Product() Product      { return ProductCloud }
func (c *cloudClient) BaseURL() string       { return c.h.base.String() }
func (c *cloudClient) ServerVersion() string { return "" }

// CheckCredentials reads the current user. A 403 means the credential
// authenticated but may not read the user (a workspace access token, or an
// API token without read:user), which is fine.
func (c *cloudClient) CheckCredentials(ctx context.Context) error {
	_, err := c.h.send(ctx, http.MethodGet, c.h.url("user", nil), nil, true)
	if errors.Is(err, ErrForbidden) {
		return nil
	}
	return wrongProduct(c.BaseURL(), ProductCloud, err)
}

type cloudLink struct {
	Href string `json:"href"`
	Name string `json:"name"`
}

type cloudWorkspace struct {
	UUID      string `json:"uuid"`
	Slug      string `json:"slug"`
	Name      string `json:"name"`
	IsPrivate bool   `json:"is_private"`
	Links     struct {
		HTML cloudLink `json:"html"`
	} `json:"links"`
}

func (w cloudWorkspace) model() Workspace {
	return Workspace{Slug: w.Slug, ID: w.UUID, Name: w.Name, Private: w.IsPrivate, WebURL: w.Links.HTML.Href}
}

func (c *cloudClient) GetWorkspace(ctx context.Context, workspace string) (*Workspace, error) {
	if err := required("workspace", workspace); err != nil {
		return nil, err
	}
	var w cloudWorkspace
	if err := c.h.getJSON(ctx, "workspaces/"+seg(workspace), nil, &w); err != nil {
		return nil, err
	}
	m := w.model()
	return &m, nil
}

// cloudListWorkspacesCredentials says which credentials may list workspaces:
// GET /user/workspaces needs read:workspace:bitbucket (API token) or the
// classic scope account (Cloud OpenAPI, x-atlassian-oauth2-scopes of that
// operation), and only workspace access tokens may hold account (Cloud
// OpenAPI narrative, "Authentication methods", access token scopes).
const cloudListWorkspacesCredentials = "Listing workspaces (GET /2.0/user/workspaces) needs the credentials of a user " +
	"or a workspace: username = your Atlassian account email with token = an API token that has read:workspace:bitbucket, " +
	"OAuth client credentials with the account scope, or a workspace access token with the account scope. Repository " +
	"and project access tokens can never list workspaces."

// ListWorkspaces reads /user/workspaces, whose items carry only slug and
// uuid, then each workspace for its name and privacy (a few at a time).
// Cloud cannot filter by name on the server; filter.Name is applied here
// (case-insensitive "contains", like Data Center's).
func (c *cloudClient) ListWorkspaces(ctx context.Context, filter WorkspaceFilter) ([]Workspace, error) {
	q := url.Values{}
	switch filter.MinPermission {
	case "", AccessRead: // every workspace in /user/workspaces can be read by its member
	case AccessAdmin:
		filter.AdminOnly = true
	default:
		return nil, fmt.Errorf("%w: Bitbucket Cloud filters workspaces only by administrator: \"admin\" keeps those the "+
			"credentials administer, \"read\" keeps every workspace they belong to (the same as no filter), and there is "+
			"no %q filter", ErrUnsupported, filter.MinPermission)
	}
	if filter.AdminOnly {
		q.Set("administrator", "true")
	}
	type access struct {
		Workspace struct {
			Slug string `json:"slug"`
		} `json:"workspace"`
	}
	items, err := listCloud[access](ctx, c.h, "user/workspaces", q)
	if errors.Is(err, ErrForbidden) {
		return nil, fmt.Errorf("%w\n\n%s", err, cloudListWorkspacesCredentials)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Workspace, len(items))
	// Four reads at a time; the first error cancels the others.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i := range items {
		g.Go(func() error {
			w, err := c.GetWorkspace(gctx, items[i].Workspace.Slug)
			if err != nil {
				return err
			}
			out[i] = *w
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if filter.Name != "" {
		kept := out[:0]
		for _, w := range out {
			if strings.Contains(strings.ToLower(w.Name), strings.ToLower(filter.Name)) {
				kept = append(kept, w)
			}
		}
		out = kept
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
	return out, nil
}

type cloudRepository struct {
	UUID        string `json:"uuid"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	FullName    string `json:"full_name"`
	Description string `json:"description"`
	IsPrivate   bool   `json:"is_private"`
	MainBranch  *struct {
		Name string `json:"name"`
	} `json:"mainbranch"`
	Project *struct {
		Key  string `json:"key"`
		Name string `json:"name"`
	} `json:"project"`
	Workspace *struct {
		Slug string `json:"slug"`
	} `json:"workspace"`
	Links struct {
		HTML  cloudLink   `json:"html"`
		Clone []cloudLink `json:"clone"`
	} `json:"links"`
}

// model maps a repository; workspace is the one asked for, used when the
// answer lacks the (undocumented but real) workspace and slug fields.
func (r cloudRepository) model(workspace string) Repository {
	m := Repository{
		Workspace:   workspace,
		Slug:        r.Slug,
		Name:        r.Name,
		ID:          r.UUID,
		Description: r.Description,
		Private:     r.IsPrivate,
		WebURL:      r.Links.HTML.Href,
	}
	if r.Workspace != nil && r.Workspace.Slug != "" {
		m.Workspace = r.Workspace.Slug
	}
	if m.Slug == "" {
		if _, slug, ok := strings.Cut(r.FullName, "/"); ok {
			m.Slug = slug
		}
	}
	if r.Project != nil {
		m.ProjectKey, m.ProjectName = r.Project.Key, r.Project.Name
	}
	if r.MainBranch != nil {
		m.DefaultBranch = r.MainBranch.Name
	}
	for _, l := range r.Links.Clone {
		switch l.Name {
		case "https":
			m.CloneHTTPS = l.Href
		case "ssh":
			m.CloneSSH = l.Href
		}
	}
	return m
}

func (c *cloudClient) GetRepository(ctx context.Context, workspace, slug string) (*Repository, error) {
	if err := required("workspace and repository", workspace, slug); err != nil {
		return nil, err
	}
	var r cloudRepository
	if err := c.h.getJSON(ctx, "repositories/"+seg(workspace)+"/"+seg(slug), nil, &r); err != nil {
		return nil, err
	}
	m := r.model(workspace)
	return &m, nil
}

// ListRepositories pushes the filter to the server as BBQL and returns the
// repositories sorted by slug.
func (c *cloudClient) ListRepositories(ctx context.Context, workspace string, filter RepositoryFilter) ([]Repository, error) {
	if err := required("workspace", workspace); err != nil {
		return nil, err
	}
	q := url.Values{}
	if bbql := repositoryQuery(filter); bbql != "" {
		q.Set("q", bbql)
	}
	items, err := listCloud[cloudRepository](ctx, c.h, "repositories/"+seg(workspace), q)
	if err != nil {
		return nil, err
	}
	out := make([]Repository, 0, len(items))
	for _, r := range items {
		out = append(out, r.model(workspace))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
	return out, nil
}

// repositoryQuery builds the BBQL for a filter: name ~ "x" AND project.key = "X".
func repositoryQuery(f RepositoryFilter) string {
	var terms []string
	if f.Name != "" {
		terms = append(terms, "name ~ "+bbqlString(f.Name))
	}
	if f.ProjectKey != "" {
		terms = append(terms, "project.key = "+bbqlString(f.ProjectKey))
	}
	return strings.Join(terms, " AND ")
}

// bbqlString quotes a BBQL string literal: double quotes, with backslash
// and double quote escaped by a backslash.
func bbqlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

type cloudWebhook struct {
	UUID                 string   `json:"uuid"`
	URL                  string   `json:"url"`
	Description          string   `json:"description"`
	Active               bool     `json:"active"`
	Events               []string `json:"events"`
	SecretSet            bool     `json:"secret_set"`
	SkipCertVerification bool     `json:"skip_cert_verification"`
	CreatedAt            apiTime  `json:"created_at"`
}

func (w cloudWebhook) model() Webhook {
	events := append([]string{}, w.Events...)
	sort.Strings(events)
	return Webhook{
		ID:                   w.UUID,
		Name:                 w.Description,
		URL:                  w.URL,
		Events:               events,
		Active:               w.Active,
		SkipCertVerification: w.SkipCertVerification,
		SecretSet:            w.SecretSet,
		CreatedAt:            w.CreatedAt.Time,
	}
}

func cloudHooksPath(s WebhookScope) (string, error) {
	if err := required("workspace", s.Workspace); err != nil {
		return "", err
	}
	if s.IsRepository() {
		return "repositories/" + seg(s.Workspace) + "/" + seg(s.Repository) + "/hooks", nil
	}
	return "workspaces/" + seg(s.Workspace) + "/hooks", nil
}

func cloudHookPath(s WebhookScope, id string) (string, error) {
	p, err := cloudHooksPath(s)
	if err != nil {
		return "", err
	}
	if err := required("webhook id", id); err != nil {
		return "", err
	}
	return p + "/" + seg(id), nil
}

// cloudWebhookBody is the POST/PUT body. The secret is left out on create
// when there is none; on update nil keeps it (left out) and "" clears it
// (null), as Cloud reads the field.
func cloudWebhookBody(in WebhookInput, update bool) map[string]any {
	events := in.Events
	if events == nil {
		events = []string{}
	}
	body := map[string]any{
		"description":            in.Name,
		"url":                    in.URL,
		"active":                 in.Active,
		"events":                 events,
		"skip_cert_verification": in.SkipCertVerification,
	}
	switch {
	case in.Secret == nil:
	case *in.Secret != "":
		body["secret"] = *in.Secret
	case update:
		body["secret"] = nil
	}
	return body
}

func (c *cloudClient) CreateWebhook(ctx context.Context, scope WebhookScope, in WebhookInput) (*Webhook, error) {
	p, err := cloudHooksPath(scope)
	if err != nil {
		return nil, err
	}
	var w cloudWebhook
	if err := c.h.sendJSON(ctx, http.MethodPost, p, cloudWebhookBody(in, false), &w, false); err != nil {
		return nil, err
	}
	m := w.model()
	return &m, nil
}

func (c *cloudClient) GetWebhook(ctx context.Context, scope WebhookScope, id string) (*Webhook, error) {
	p, err := cloudHookPath(scope, id)
	if err != nil {
		return nil, err
	}
	var w cloudWebhook
	if err := c.h.getManagedJSON(ctx, p, &w); err != nil {
		return nil, err
	}
	m := w.model()
	return &m, nil
}

// ListWebhooks returns the hooks in creation order (then by id).
func (c *cloudClient) ListWebhooks(ctx context.Context, scope WebhookScope) ([]Webhook, error) {
	p, err := cloudHooksPath(scope)
	if err != nil {
		return nil, err
	}
	items, err := listCloud[cloudWebhook](ctx, c.h, p, nil)
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

func (c *cloudClient) UpdateWebhook(ctx context.Context, scope WebhookScope, id string, in WebhookInput) (*Webhook, error) {
	p, err := cloudHookPath(scope, id)
	if err != nil {
		return nil, err
	}
	var w cloudWebhook
	if err := c.h.sendJSON(ctx, http.MethodPut, p, cloudWebhookBody(in, true), &w, true); err != nil {
		return nil, err
	}
	m := w.model()
	return &m, nil
}

func (c *cloudClient) DeleteWebhook(ctx context.Context, scope WebhookScope, id string) error {
	p, err := cloudHookPath(scope, id)
	if err != nil {
		return err
	}
	return deleteConfirmed(ctx, "webhook "+id,
		func(ctx context.Context) error {
			_, err := c.h.send(ctx, http.MethodDelete, c.h.url(p, nil), nil, true)
			return err
		},
		func(ctx context.Context) error { return c.h.getJSON(ctx, p, nil, &cloudWebhook{}) })
}

// errCloudTokens says why access tokens are not managed on Cloud.
// The provider asks Capabilities first, so it is only met by other callers.
var errCloudTokens = fmt.Errorf("access tokens: %w: %s", ErrUnsupported, cloudTokensUnsupported)

func (c *cloudClient) CreateAccessToken(context.Context, TokenScope, AccessTokenInput) (*AccessToken, error) {
	return nil, errCloudTokens
}

func (c *cloudClient) GetAccessToken(context.Context, TokenScope, string) (*AccessToken, error) {
	return nil, errCloudTokens
}

func (c *cloudClient) ListAccessTokens(context.Context, TokenScope) ([]AccessToken, error) {
	return nil, errCloudTokens
}

func (c *cloudClient) UpdateAccessToken(context.Context, TokenScope, string, AccessTokenInput) (*AccessToken, error) {
	return nil, errCloudTokens
}

func (c *cloudClient) DeleteAccessToken(context.Context, TokenScope, string) error {
	return errCloudTokens
}

// sortWebhooks orders hooks by creation time, then id: stable across
// refreshes and the same rule on both products.
func sortWebhooks(ws []Webhook) {
	sort.SliceStable(ws, func(i, j int) bool {
		if !ws[i].CreatedAt.Equal(ws[j].CreatedAt) {
			return ws[i].CreatedAt.Before(ws[j].CreatedAt)
		}
		return lessID(ws[i].ID, ws[j].ID)
	})
}
