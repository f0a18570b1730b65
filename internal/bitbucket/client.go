// Package bitbucket is the provider's API client for Bitbucket Cloud (REST 2.0)
// and Bitbucket Data Center / Server (REST 1.0 and access-tokens 1.0).
//
// Resources and data sources speak only to the Client interface; every
// difference between the two products (paths, JSON shapes, paging, error
// bodies, throttling) stays inside this package. The package knows nothing
// about Terraform except that it logs through terraform-plugin-log.
package bitbucket

import (
	"context"
	"time"
)

// Product names the Bitbucket product a client talks to.
type Product string

const (
	ProductCloud      Product = "cloud"
	ProductDataCenter Product = "datacenter"
)

// Client is everything the provider asks of Bitbucket. "Workspace" is the
// owner in a repository's path: a Cloud workspace slug or a Data Center
// project key.
type Client interface {
	// Product is the product this client talks to (after detection).
	Product() Product
	// BaseURL is the normalised base URL the client was configured with.
	BaseURL() string
	// ServerVersion is the Data Center version from application-properties
	// ("" on Cloud).
	ServerVersion() string

	// Capabilities says what the product behind this client can do, so that
	// callers decide behaviour from it and never from Product().
	Capabilities() Capabilities
	// WebhookEvents is the product's event catalogue for a repository hook
	// (repositoryHook) or a workspace/project hook, sorted.
	WebhookEvents(repositoryHook bool) []string

	// WithCredentials returns a client for the same server that
	// authenticates with cred instead, reusing what this client knows (the
	// product, version, TLS, retries, connection pool): it sends no request.
	WithCredentials(cred Credentials) (Client, error)
	// CheckAccess asks Bitbucket, with this client's credentials, whether
	// they can read the repository (repository != "") or the workspace's
	// repositories, and at which level. A rejected credential is
	// ErrUnauthorized; a repository it may not read is ErrForbidden or
	// ErrNotFound.
	CheckAccess(ctx context.Context, workspace, repository string) (*Access, error)

	// Now is the server's current time, as the Date header of its latest
	// answer gives it (to the second); the local clock before any answer.
	// Expiry is the server's judgement, so compare expiry times with this.
	Now() time.Time

	// CheckCredentials sends one authenticated request and reports whether
	// Bitbucket accepted the credentials. A credential that authenticates but
	// lacks the permission for that one request is accepted (nil).
	CheckCredentials(ctx context.Context) error

	GetWorkspace(ctx context.Context, workspace string) (*Workspace, error)
	ListWorkspaces(ctx context.Context, filter WorkspaceFilter) ([]Workspace, error)

	GetRepository(ctx context.Context, workspace, slug string) (*Repository, error)
	ListRepositories(ctx context.Context, workspace string, filter RepositoryFilter) ([]Repository, error)

	CreateWebhook(ctx context.Context, scope WebhookScope, in WebhookInput) (*Webhook, error)
	GetWebhook(ctx context.Context, scope WebhookScope, id string) (*Webhook, error)
	ListWebhooks(ctx context.Context, scope WebhookScope) ([]Webhook, error)
	UpdateWebhook(ctx context.Context, scope WebhookScope, id string, in WebhookInput) (*Webhook, error)
	DeleteWebhook(ctx context.Context, scope WebhookScope, id string) error
	// WebhookDeliveries is a webhook's delivery history and TestWebhook asks
	// Bitbucket to send a test request (deliveries.go); where the product
	// has no such API (Capabilities().WebhookDeliveries false) both return
	// an error matching ErrUnsupported without a request.
	WebhookDeliveries(ctx context.Context, scope WebhookScope, id string) (*WebhookDeliveries, error)
	TestWebhook(ctx context.Context, scope WebhookScope, in WebhookTestInput) (*WebhookTestResult, error)

	// Access tokens exist only on Data Center; on Cloud these return an
	// error matching ErrUnsupported without sending a request.
	CreateAccessToken(ctx context.Context, scope TokenScope, in AccessTokenInput) (*AccessToken, error)
	GetAccessToken(ctx context.Context, scope TokenScope, id string) (*AccessToken, error)
	ListAccessTokens(ctx context.Context, scope TokenScope) ([]AccessToken, error)
	UpdateAccessToken(ctx context.Context, scope TokenScope, id string, in AccessTokenInput) (*AccessToken, error)
	DeleteAccessToken(ctx context.Context, scope TokenScope, id string) error

	// SSH access keys (access_keys.go). AccessKeyRules says what the
	// product allows at a level. CreateAccessKey sends one create: a lost
	// answer is resolved by the provider's create recovery, which lists.
	AccessKeyRules(level AccessKeyLevel) AccessKeyRules
	CreateAccessKey(ctx context.Context, scope AccessKeyScope, in AccessKeyInput) (*AccessKey, error)
	GetAccessKey(ctx context.Context, scope AccessKeyScope, id string) (*AccessKey, error)
	ListAccessKeys(ctx context.Context, scope AccessKeyScope) ([]AccessKey, error)
	UpdateAccessKey(ctx context.Context, scope AccessKeyScope, id string, in AccessKeyInput) (*AccessKey, error)
	DeleteAccessKey(ctx context.Context, scope AccessKeyScope, id string) error
}

// Workspace is a Cloud workspace or a Data Center project.
type Workspace struct {
	// Slug is the Cloud workspace slug or the Data Center project key.
	Slug string
	// ID is the Cloud UUID (with braces) or the Data Center numeric id.
	ID          string
	Name        string
	Description string // Data Center only
	Private     bool
	WebURL      string
}

// WorkspaceFilter narrows ListWorkspaces on the server where the product can.
type WorkspaceFilter struct {
	// AdminOnly lists only workspaces where the caller is an administrator
	// (Cloud administrator=true; Data Center permission=PROJECT_ADMIN).
	AdminOnly bool
	// Name is a Data Center project name filter (server side, contains).
	Name string
	// MinPermission is the weakest permission the caller must hold on a
	// workspace: AccessRead, AccessWrite or AccessAdmin ("" = any). Data
	// Center sends it as permission=PROJECT_*; Cloud can filter only by
	// administrator, so "admin" means AdminOnly, "read" is every workspace
	// the caller is a member of, and "write" is an error matching
	// ErrUnsupported (no request is sent). AdminOnly wins over it.
	MinPermission string
}

// Capabilities is what a product can do where the two products differ.
// Resources ask this instead of asking which product they talk to.
type Capabilities struct {
	// AccessTokens: the product has an API to create, read and revoke HTTP
	// access tokens (project, repository and user tokens).
	AccessTokens bool
	// AccessTokensUnsupported, when AccessTokens is false, says why and what
	// to do instead, in words fit for a diagnostic.
	AccessTokensUnsupported string
	// WebhookSecretReturned: reading a webhook returns its secret in plain
	// text (Webhook.Secret), so a changed secret can be detected.
	WebhookSecretReturned bool
	// WorkspaceWebhooksOwnerOnly: only owners of a workspace may manage its
	// workspace-level webhooks, so a 403 there means "not an owner".
	WorkspaceWebhooksOwnerOnly bool
	// WorkspacePermissionFilters are the WorkspaceFilter.MinPermission values
	// ListWorkspaces can apply ("" always works).
	WorkspacePermissionFilters []string
	// WebhookDeliveries: the product records webhook deliveries and can send
	// a test request (WebhookDeliveries, TestWebhook).
	WebhookDeliveries bool
	// WebhookDeliveriesUnsupported, when WebhookDeliveries is false, says why
	// and what to do instead, in words fit for a diagnostic.
	WebhookDeliveriesUnsupported string
	// VersionGated: features depend on ServerVersion (Data Center); without
	// it every feature the product has is available.
	VersionGated bool
}

// Repository is a repository on either product.
type Repository struct {
	Workspace     string // Cloud workspace slug / Data Center project key
	Slug          string
	Name          string
	ID            string // Cloud UUID (with braces) / Data Center numeric id
	Description   string
	ProjectKey    string
	ProjectName   string
	Private       bool
	DefaultBranch string
	CloneHTTPS    string
	CloneSSH      string
	WebURL        string
}

// RepositoryFilter narrows ListRepositories; every field is pushed to the
// server (Cloud BBQL q=, Data Center query parameters).
type RepositoryFilter struct {
	// Name matches repositories whose name contains this text.
	Name string
	// ProjectKey limits a Cloud workspace listing to one project.
	ProjectKey string
}

// WebhookScope says where a webhook lives: a repository when Repository is
// set, otherwise the workspace (Cloud) or project (Data Center).
type WebhookScope struct {
	Workspace  string
	Repository string
}

// IsRepository reports whether the scope is a repository.
func (s WebhookScope) IsRepository() bool { return s.Repository != "" }

// WebhookInput is what Create and Update send.
type WebhookInput struct {
	// Name is the Cloud description / Data Center name.
	Name   string
	URL    string
	Events []string
	Active bool
	// SkipCertVerification is Cloud skip_cert_verification and the inverse
	// of Data Center sslVerificationRequired.
	SkipCertVerification bool
	// Secret: nil keeps the current secret on update (and means none on
	// create); a pointer to "" removes it; any other value sets it.
	Secret *string
}

// Webhook is a webhook as the server reports it.
type Webhook struct {
	ID                   string // Cloud UUID with braces / Data Center numeric id
	Name                 string
	URL                  string
	Events               []string // sorted
	Active               bool
	SkipCertVerification bool
	// Secret is the secret in plain text where the server returns it
	// (SecretReturned); "" otherwise.
	Secret string
	// SecretReturned reports whether Secret holds what the server has (Data
	// Center) or the server never returns secrets (Cloud: Secret is "" and
	// means "not returned", not "no secret").
	SecretReturned bool
	// SecretSet reports whether a secret is configured (Cloud secret_set;
	// on Data Center, Secret != "").
	SecretSet bool
	CreatedAt time.Time
}

// TokenLevel is the owner of a Data Center HTTP access token.
type TokenLevel string

const (
	TokenLevelUser       TokenLevel = "user"
	TokenLevelProject    TokenLevel = "project"
	TokenLevelRepository TokenLevel = "repository"
)

// TokenScope says which tokens: a user's (User; "" means the caller), a
// project's (Workspace) or a repository's (Workspace + Repository).
type TokenScope struct {
	Level      TokenLevel
	User       string
	Workspace  string
	Repository string
}

// AccessTokenInput is what Create and Update send. On Update, a nil
// Permissions or empty Name keeps the current value; ExpiryDays is ignored
// (the server cannot change an expiry).
type AccessTokenInput struct {
	Name        string
	Permissions []string
	ExpiryDays  int // 0 = no expiry
}

// AccessToken is a Data Center HTTP access token.
type AccessToken struct {
	ID          string
	Name        string
	Permissions []string // sorted
	// Token is the secret value; the server returns it only on create.
	Token             string
	CreatedAt         time.Time
	ExpiresAt         time.Time // zero when the token does not expire
	ExpiryDays        int
	LastAuthenticated time.Time // zero until first used
	User              string    // owner's slug (a bot user for project/repo tokens)
}
