package bitbucket

import (
	"context"
	"net/url"
	"strings"
)

// Credentials are the credentials of a client made by NewWithCredentials:
// Username + Token (Basic: a Cloud account email and API token, or a Data
// Center user and password or personal token) or AccessToken (Bearer).
type Credentials struct {
	Username    string
	Token       string
	AccessToken string
}

// NewWithCredentials returns a client for the same server as parent that
// authenticates with cred instead: parent.WithCredentials(cred). It sends no
// request of its own: no product detection, no application-properties.
func NewWithCredentials(parent Client, cred Credentials) (Client, error) {
	return parent.WithCredentials(cred)
}

// withCredentials is h with cred instead of its credentials, sharing its
// transport (connection pool, TLS) and settings.
func (h *httpClient) withCredentials(cred Credentials) (*httpClient, error) {
	cfg := h.cfg
	cfg.Username, cfg.Token, cfg.AccessToken = cred.Username, cred.Token, cred.AccessToken
	cfg.OAuthClientID, cfg.OAuthClientSecret = "", ""
	if err := validateCredentials(cfg); err != nil {
		return nil, err
	}
	cfg.Transport = h.transport
	child, err := newHTTPClient(cfg, h.base)
	if err != nil {
		return nil, err
	}
	child.product = h.product
	return child, nil
}

// Access levels a credential can hold on a repository, weakest first.
const (
	AccessRead  = "read"
	AccessWrite = "write"
	AccessAdmin = "admin"
)

// Access is what one credential can do, as CheckAccess found it.
type Access struct {
	// Repositories maps the slug of every repository the credential can read
	// (the one asked for, or all it can read in the workspace) to the
	// strongest level it holds there: AccessRead, AccessWrite or
	// AccessAdmin. Cloud has no side-effect-free way to test more than
	// read, so on Cloud every level is AccessRead.
	Repositories map[string]string
	// Repository is the repository asked for, as the credential sees it
	// (nil for a workspace check).
	Repository *Repository
	// ReportedBaseURL is the base URL the server puts in its links (Data
	// Center's configured base URL; "" on Cloud or when no link was seen).
	ReportedBaseURL string
}

// CheckAccess asks Bitbucket, with c's credentials, whether they can read
// the repository (repository != "") or the workspace's repositories, and at
// which level: c.CheckAccess. Data Center levels come from
// /rest/api/1.0/repos filtered by permission, which the server computes with
// the token's and its owner's permissions. A rejected credential is
// ErrUnauthorized; a repository it may not read is ErrForbidden or
// ErrNotFound.
func CheckAccess(ctx context.Context, c Client, workspace, repository string) (*Access, error) {
	return c.CheckAccess(ctx, workspace, repository)
}

func (c *cloudClient) checkAccess(ctx context.Context, workspace, repository string) (*Access, error) {
	a := &Access{Repositories: map[string]string{}}
	if repository != "" {
		r, err := c.GetRepository(ctx, workspace, repository)
		if err != nil {
			return nil, err
		}
		a.Repository = r
		a.Repositories[r.Slug] = AccessRead
		return a, nil
	}
	repos, err := c.ListRepositories(ctx, workspace, RepositoryFilter{})
	if err != nil {
		return nil, err
	}
	for _, r := range repos {
		a.Repositories[r.Slug] = AccessRead
	}
	return a, nil
}

func (d *dataCenterClient) checkAccess(ctx context.Context, workspace, repository string) (*Access, error) {
	if err := required("workspace (project key)", workspace); err != nil {
		return nil, err
	}
	a := &Access{Repositories: map[string]string{}}
	if repository != "" {
		var r dcRepository
		if err := d.h.getJSON(ctx, dcRepoPath(workspace, repository), nil, &r); err != nil {
			return nil, err
		}
		m := r.model()
		a.Repository = &m
		a.Repositories[m.Slug] = AccessRead
		a.ReportedBaseURL = reportedBaseURL(m)
	} else {
		repos, err := listDC[dcRepository](ctx, d.h, dcAPI+"projects/"+seg(workspace)+"/repos", nil)
		if err != nil {
			return nil, err
		}
		for _, r := range repos {
			m := r.model()
			a.Repositories[m.Slug] = AccessRead
			if a.ReportedBaseURL == "" {
				a.ReportedBaseURL = reportedBaseURL(m)
			}
		}
	}
	// Stronger levels: the repositories of the project the credential holds
	// REPO_WRITE, then REPO_ADMIN on.
	for _, level := range []struct{ permission, access string }{{"REPO_WRITE", AccessWrite}, {"REPO_ADMIN", AccessAdmin}} {
		q := url.Values{"projectkey": {workspace}, "permission": {level.permission}}
		repos, err := listDC[dcRepository](ctx, d.h, dcAPI+"repos", q)
		if err != nil {
			return nil, err
		}
		for _, r := range repos {
			if _, readable := a.Repositories[r.Slug]; readable && strings.EqualFold(r.Project.Key, workspace) {
				a.Repositories[r.Slug] = level.access
			}
		}
	}
	return a, nil
}

// reportedBaseURL is the server's base URL as its links give it: what
// precedes /projects/ in the web link, or /scm/ in the HTTP clone link.
func reportedBaseURL(r Repository) string {
	if i := strings.Index(r.WebURL, "/projects/"); i > 0 {
		return r.WebURL[:i]
	}
	if i := strings.Index(r.CloneHTTPS, "/scm/"); i > 0 {
		return r.CloneHTTPS[:i]
	}
	return ""
}

// IsLoopbackURL reports whether rawURL's host is localhost or a loopback
// address: a base URL no other machine can reach.
func IsLoopbackURL(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "::1" ||
		strings.HasPrefix(host, "127.")
}
