// Package provider is the Terraform side of the Bitbucket provider: the
// provider block, resources and data sources. It speaks to Bitbucket only
// through the bitbucket.Client interface.
package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var (
	_ provider.Provider                       = &BitbucketProvider{}
	_ provider.ProviderWithEphemeralResources = &BitbucketProvider{}
	_ provider.ProviderWithListResources      = &BitbucketProvider{}
)

// BitbucketProvider is the provider block.
type BitbucketProvider struct {
	version string
	options options
}

// options are settings tests change that users have no reason to.
type options struct {
	retryWaitMin time.Duration
	retryWaitMax time.Duration
}

// Option changes a provider setting that is not part of the schema.
type Option func(*options)

// WithRetryWait shortens the retry backoff (tests against the emulator).
func WithRetryWait(minWait, maxWait time.Duration) Option {
	return func(o *options) { o.retryWaitMin, o.retryWaitMax = minWait, maxWait }
}

// New returns a constructor of the provider at the given version.
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider {
		p := &BitbucketProvider{version: version}
		for _, opt := range opts {
			opt(&p.options)
		}
		return p
	}
}

// providerModel is the provider block as HCL gives it.
type providerModel struct {
	BaseURL            types.String `tfsdk:"base_url"`
	Product            types.String `tfsdk:"product"`
	Workspace          types.String `tfsdk:"workspace"`
	Username           types.String `tfsdk:"username"`
	Token              types.String `tfsdk:"token"`
	AccessToken        types.String `tfsdk:"access_token"`
	OAuthClientID      types.String `tfsdk:"oauth_client_id"`
	OAuthClientSecret  types.String `tfsdk:"oauth_client_secret"`
	OAuthTokenURL      types.String `tfsdk:"oauth_token_url"`
	CACertPEM          types.String `tfsdk:"ca_cert_pem"`
	InsecureSkipVerify types.Bool   `tfsdk:"insecure_skip_verify"`
	RequestTimeout     types.String `tfsdk:"request_timeout"`
	MaxRetries         types.Int64  `tfsdk:"max_retries"`
}

// providerData is what Configure hands to every resource and data source.
type providerData struct {
	client           bitbucket.Client
	defaultWorkspace string
	// authMode (authModeName) and username say who the provider signs in
	// as, known at plan time.
	authMode string
	username string
}

func (p *BitbucketProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "bitbucket"
	resp.Version = p.version
}

func (p *BitbucketProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages Bitbucket Cloud and Bitbucket Data Center / Server from one provider. " +
			"Every argument can also come from the `BITBUCKET_*` environment variable named in its description; " +
			"a value in the configuration wins over the environment.",
		Attributes: map[string]schema.Attribute{
			"base_url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Base URL of the Bitbucket API. Bitbucket Cloud: `" + bitbucket.DefaultCloudBaseURL +
					"` (the default). Data Center / Server: the server's base URL, e.g. `https://bitbucket.example.com` " +
					"(with the context path, if any). Environment: `BITBUCKET_BASE_URL`.",
				Validators: []validator.String{baseURLValidator{}},
			},
			"product": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "`cloud` or `datacenter`. Detected when unset: the Cloud hosts are Cloud, any other " +
					"server must answer Data Center's `application-properties` (its version is then used for feature checks). " +
					"Environment: `BITBUCKET_PRODUCT`.",
				Validators: []validator.String{stringvalidator.OneOf(productNames()...)},
			},
			"workspace": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Default `workspace` for resources and data sources that omit it: a Cloud workspace slug " +
					"or a Data Center project key. Environment: `BITBUCKET_WORKSPACE`.",
				Validators: []validator.String{workspaceValidator},
			},
			"username": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Basic auth user, used with `token`: the Atlassian account email on Cloud (with an API token), " +
					"or the user name on Data Center (with a password or personal access token). Environment: `BITBUCKET_USERNAME`.",
			},
			"token": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Secret for `username`: a Cloud API token, or a Data Center password or personal access token. " +
					"Managing Data Center access tokens needs a password here (Bitbucket does not let a token create tokens). " +
					"Environment: `BITBUCKET_TOKEN`.",
			},
			"access_token": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Bearer token: a Cloud workspace, project or repository access token, or a Data Center " +
					"HTTP access token. Conflicts with `username`/`token` and the OAuth settings. Environment: `BITBUCKET_ACCESS_TOKEN`.",
			},
			"oauth_client_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Cloud OAuth consumer key for the client-credentials grant; needs `oauth_client_secret`. Environment: `BITBUCKET_OAUTH_CLIENT_ID`.",
			},
			"oauth_client_secret": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Cloud OAuth consumer secret. Environment: `BITBUCKET_OAUTH_CLIENT_SECRET`.",
			},
			"oauth_token_url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "OAuth token endpoint; defaults to `" + bitbucket.DefaultCloudOAuthTokenURL + "`. " +
					"Environment: `BITBUCKET_OAUTH_TOKEN_URL`.",
				Validators: []validator.String{httpURLValidator{}},
			},
			"ca_cert_pem": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "PEM-encoded CA certificate(s) trusted in addition to the system's, for a self-hosted " +
					"server with a private CA. Environment: `BITBUCKET_CA_CERT_PEM`.",
			},
			"insecure_skip_verify": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Skip TLS certificate verification. Only for testing: it lets anyone on the path read " +
					"your credentials. Environment: `BITBUCKET_INSECURE_SKIP_VERIFY`.",
			},
			"request_timeout": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("Time limit of one HTTP request, as a Go duration such as `%s` (the "+
					"default) or `2m`. Environment: `BITBUCKET_REQUEST_TIMEOUT`.", bitbucket.DefaultRequestTimeout),
				Validators: []validator.String{durationValidator{}},
			},
			"max_retries": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("Retries of a throttled (429) or failed (5xx, network) request that is safe to "+
					"repeat; default %d. A request that creates something is never repeated after a 5xx or a lost answer. "+
					"Environment: `BITBUCKET_MAX_RETRIES`.", bitbucket.DefaultMaxRetries),
				Validators: []validator.Int64{int64validator.Between(0, bitbucket.MaxMaxRetries)},
			},
		},
	}
}

func (p *BitbucketProvider) ConfigValidators(context.Context) []provider.ConfigValidator {
	return []provider.ConfigValidator{authModeValidator{}}
}

func (p *BitbucketProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	// Unknown values (from resources not yet created) cannot configure a
	// client. Terraform that supports deferral gets a deferral; others get
	// an error naming the attribute, as the framework documents.
	if unknown := unknownAttributes(config); len(unknown) > 0 {
		if req.ClientCapabilities.DeferralAllowed {
			resp.Deferred = &provider.Deferred{Reason: provider.DeferredReasonProviderConfigUnknown}
			return
		}
		for _, name := range unknown {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown Bitbucket provider setting",
				fmt.Sprintf("The provider cannot connect to Bitbucket while %q is unknown. Set it to a value known at plan time, "+
					"or use the BITBUCKET_%s environment variable.", name, strings.ToUpper(name)))
		}
		return
	}

	settings, diags := resolveSettings(config, os.LookupEnv)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	settings.cfg.Version = p.version
	settings.cfg.RetryWaitMin = p.options.retryWaitMin
	settings.cfg.RetryWaitMax = p.options.retryWaitMax

	ctx = tflog.MaskAllFieldValuesStrings(ctx, secretValues(settings.cfg)...)
	ctx = tflog.MaskMessageStrings(ctx, secretValues(settings.cfg)...)
	tflog.Debug(ctx, "Configuring Bitbucket client", map[string]interface{}{
		"base_url": settings.cfg.BaseURL, "product": string(settings.cfg.Product), "auth": authModeName(settings.cfg),
	})

	if settings.cfg.InsecureSkipVerify {
		resp.Diagnostics.AddAttributeWarning(path.Root("insecure_skip_verify"), "TLS certificate verification is off",
			"insecure_skip_verify = true: the provider does not check who it talks to, so anyone on the network path can read "+
				"your Bitbucket credentials. Trust the server's CA with ca_cert_pem instead.")
	}

	client, err := bitbucket.New(ctx, settings.cfg)
	if err != nil {
		resp.Diagnostics.AddError("Cannot connect to Bitbucket", err.Error())
		return
	}
	// One check here gives one clear diagnostic for wrong credentials
	// instead of one failure per resource.
	if err := client.CheckCredentials(ctx); err != nil {
		resp.Diagnostics.Append(credentialDiagnostic(client, err)...)
		return
	}

	data := &providerData{client: client, defaultWorkspace: settings.workspace,
		authMode: authModeName(settings.cfg), username: settings.cfg.Username}
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.EphemeralResourceData = data
	resp.ListResourceData = data
}

func (p *BitbucketProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewRepositoryWebhookResource,  // resource_webhook.go
		NewWorkspaceWebhookResource,   // resource_webhook.go
		NewProjectAccessTokenResource, // resource_access_token.go
		NewRepositoryAccessTokenResource,
		NewUserAccessTokenResource,
		NewConnectionResource,          // resource_connection.go
		NewRepositoryAccessKeyResource, // resource_access_key.go
		NewProjectAccessKeyResource,    // resource_access_key.go
	}
}

func (p *BitbucketProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewAccessTokenEphemeralResource, // ephemeral_access_token.go
	}
}

// ListResources serve `terraform query` (Terraform 1.14+); each has the
// type name of the resource it lists.
func (p *BitbucketProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewRepositoryWebhookListResource, // list_webhook.go
		NewWorkspaceWebhookListResource,
		NewProjectAccessTokenListResource, // list_access_token.go
		NewRepositoryAccessTokenListResource,
		NewUserAccessTokenListResource,
		NewRepositoryAccessKeyListResource, // list_access_key.go
		NewProjectAccessKeyListResource,
	}
}

func (p *BitbucketProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewRepositoryDataSource,   // data_source_repository.go
		NewRepositoriesDataSource, // data_source_repositories.go
		NewWorkspaceDataSource,    // data_source_workspace.go
		NewWorkspacesDataSource,   // data_source_workspaces.go
		NewAccessKeysDataSource,   // data_source_access_keys.go
	}
}

// unknownAttributes lists the provider attributes whose values are unknown.
func unknownAttributes(c providerModel) []string {
	values := map[string]interface{ IsUnknown() bool }{
		"base_url": c.BaseURL, "product": c.Product, "workspace": c.Workspace, "username": c.Username,
		"token": c.Token, "access_token": c.AccessToken, "oauth_client_id": c.OAuthClientID,
		"oauth_client_secret": c.OAuthClientSecret, "oauth_token_url": c.OAuthTokenURL, "ca_cert_pem": c.CACertPEM,
		"insecure_skip_verify": c.InsecureSkipVerify, "request_timeout": c.RequestTimeout, "max_retries": c.MaxRetries,
	}
	var unknown []string
	for _, name := range providerAttributeNames {
		if values[name].IsUnknown() {
			unknown = append(unknown, name)
		}
	}
	return unknown
}

// providerAttributeNames fixes the order attributes are reported in.
var providerAttributeNames = []string{
	"base_url", "product", "workspace", "username", "token", "access_token", "oauth_client_id",
	"oauth_client_secret", "oauth_token_url", "ca_cert_pem", "insecure_skip_verify", "request_timeout", "max_retries",
}

// resolvedSettings is the provider block merged with the environment.
type resolvedSettings struct {
	cfg       bitbucket.Config
	workspace string
}

// resolveSettings merges HCL values with BITBUCKET_* environment variables
// (HCL wins) and checks the combination, naming attributes in every error.
func resolveSettings(c providerModel, lookupEnv func(string) (string, bool)) (resolvedSettings, diag.Diagnostics) {
	var diags diag.Diagnostics
	str := func(v types.String, name string) string {
		if !v.IsNull() {
			return v.ValueString()
		}
		if env, ok := lookupEnv("BITBUCKET_" + strings.ToUpper(name)); ok {
			return strings.TrimSpace(env)
		}
		return ""
	}
	// A block that sets a credential chooses its auth mode: the environment
	// may complete that mode (token = … with BITBUCKET_TOKEN, as the docs
	// show) but its other credentials are ignored, so an aliased block with
	// access_token works while BITBUCKET_USERNAME/BITBUCKET_TOKEN configure
	// the default one.
	configured := configuredAuthModes(c)
	fromEnv := func(name string) bool {
		if len(configured) == 0 {
			return true
		}
		for _, use := range configured {
			if slices.Contains(use.Mode.Settings, name) {
				return true
			}
		}
		return false
	}
	// Secrets keep their exact bytes from the environment.
	auth := authSettings{}
	secret := func(v types.String, name string) string {
		value, source := "", ""
		if !v.IsNull() {
			value, source = v.ValueString(), "configuration"
		} else if env, ok := lookupEnv("BITBUCKET_" + strings.ToUpper(name)); ok && env != "" && fromEnv(name) {
			value, source = env, "BITBUCKET_"+strings.ToUpper(name)
		}
		if value != "" {
			auth.sources = append(auth.sources, authSource{attribute: name, source: source})
		}
		return value
	}

	var s resolvedSettings
	s.cfg.BaseURL = strings.TrimRight(str(c.BaseURL, "base_url"), "/")
	s.cfg.Product = bitbucket.Product(str(c.Product, "product"))
	s.workspace = str(c.Workspace, "workspace")
	if s.workspace != "" {
		if err := bitbucket.CheckIdentifier(bitbucket.IdentifierWorkspace, s.workspace); err != nil {
			diags.AddAttributeError(path.Root("workspace"), "Invalid workspace", "workspace (or BITBUCKET_WORKSPACE) "+err.Error()+".")
		}
	}
	s.cfg.Username = strings.TrimSpace(secret(c.Username, "username"))
	s.cfg.Token = secret(c.Token, "token")
	s.cfg.AccessToken = secret(c.AccessToken, "access_token")
	s.cfg.OAuthClientID = strings.TrimSpace(secret(c.OAuthClientID, "oauth_client_id"))
	s.cfg.OAuthClientSecret = secret(c.OAuthClientSecret, "oauth_client_secret")
	s.cfg.OAuthTokenURL = str(c.OAuthTokenURL, "oauth_token_url")
	s.cfg.CACertPEM = str(c.CACertPEM, "ca_cert_pem")

	if err := bitbucket.CheckProduct(s.cfg.Product); err != nil {
		diags.AddAttributeError(path.Root("product"), "Invalid product", "product (or BITBUCKET_PRODUCT) "+err.Error()+".")
	}
	if s.cfg.BaseURL == "" {
		if s.cfg.Product == bitbucket.ProductDataCenter {
			diags.AddAttributeError(path.Root("base_url"), "Missing base_url",
				"product = \"datacenter\" needs base_url (or BITBUCKET_BASE_URL): the URL of your Bitbucket Data Center server.")
		}
		s.cfg.BaseURL = bitbucket.DefaultCloudBaseURL
	} else if u, err := bitbucket.CheckBaseURL(s.cfg.BaseURL); err != nil {
		diags.AddAttributeError(path.Root("base_url"), "Invalid base_url", "base_url (or BITBUCKET_BASE_URL) "+err.Error()+".")
	} else if u.Scheme == "http" && !bitbucket.IsLoopbackURL(s.cfg.BaseURL) && s.cfg.Username != "" && s.cfg.Token != "" {
		diags.AddAttributeWarning(path.Root("base_url"), "Credentials travel in clear",
			"base_url is a plain http:// URL and the provider signs in with username + token (HTTP Basic): anyone on the "+
				"network path can read them. Use the server's https:// URL.")
	}

	s.cfg.InsecureSkipVerify = c.InsecureSkipVerify.ValueBool()
	if c.InsecureSkipVerify.IsNull() {
		if env, ok := lookupEnv("BITBUCKET_INSECURE_SKIP_VERIFY"); ok && env != "" {
			b, err := strconv.ParseBool(env)
			if err != nil {
				diags.AddAttributeError(path.Root("insecure_skip_verify"), "Invalid BITBUCKET_INSECURE_SKIP_VERIFY",
					fmt.Sprintf("BITBUCKET_INSECURE_SKIP_VERIFY is %q; use true or false.", env))
			}
			s.cfg.InsecureSkipVerify = b
		}
	}

	s.cfg.RequestTimeout = bitbucket.DefaultRequestTimeout
	if timeout := str(c.RequestTimeout, "request_timeout"); timeout != "" {
		d, err := parseDuration(timeout)
		if err != nil {
			diags.AddAttributeError(path.Root("request_timeout"), "Invalid request_timeout",
				"request_timeout (or BITBUCKET_REQUEST_TIMEOUT) "+err.Error()+".")
		}
		s.cfg.RequestTimeout = d
	}

	s.cfg.MaxRetries = bitbucket.DefaultMaxRetries
	if !c.MaxRetries.IsNull() {
		s.cfg.MaxRetries = int(c.MaxRetries.ValueInt64())
	} else if env, ok := lookupEnv("BITBUCKET_MAX_RETRIES"); ok && env != "" {
		n, err := strconv.Atoi(env)
		if err != nil || n < 0 || n > bitbucket.MaxMaxRetries {
			diags.AddAttributeError(path.Root("max_retries"), "Invalid BITBUCKET_MAX_RETRIES",
				fmt.Sprintf("BITBUCKET_MAX_RETRIES is %q; use a whole number from 0 to %d.", env, bitbucket.MaxMaxRetries))
		}
		s.cfg.MaxRetries = n
	}

	diags.Append(checkAuthMode(auth, true)...)
	if s.cfg.Product == bitbucket.ProductDataCenter && s.cfg.OAuthClientID != "" {
		diags.AddAttributeError(path.Root("oauth_client_id"), "OAuth client credentials are Cloud only",
			"oauth_client_id / oauth_client_secret work with Bitbucket Cloud only. On Data Center use access_token "+
				"(an HTTP access token) or username + token.")
	}
	return s, diags
}

// configuredAuthModes are the auth modes of which the provider block sets
// at least one attribute.
func configuredAuthModes(c providerModel) []bitbucket.AuthUse {
	set := map[string]bool{
		"username": !c.Username.IsNull(), "token": !c.Token.IsNull(), "access_token": !c.AccessToken.IsNull(),
		"oauth_client_id": !c.OAuthClientID.IsNull(), "oauth_client_secret": !c.OAuthClientSecret.IsNull(),
	}
	return bitbucket.CheckAuthModes(func(s string) bool { return set[s] })
}

// secretValues are the configured credentials, masked in every log line.
func secretValues(cfg bitbucket.Config) []string {
	var out []string
	for _, v := range []string{cfg.Token, cfg.AccessToken, cfg.OAuthClientSecret} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Names of the auth modes, as logged and as checkTokenCreator reports them.
const (
	authModeAccessToken   = "access_token"
	authModeOAuth         = "oauth_client_credentials"
	authModeUsernameToken = "username_token"
)

func authModeName(cfg bitbucket.Config) string {
	switch {
	case cfg.AccessToken != "":
		return authModeAccessToken
	case cfg.OAuthClientID != "":
		return authModeOAuth
	default:
		return authModeUsernameToken
	}
}

// credentialDiagnostic turns the configure-time credential check into one
// diagnostic that says what to do.
func credentialDiagnostic(client bitbucket.Client, err error) diag.Diagnostics {
	var diags diag.Diagnostics
	switch {
	case errors.Is(err, bitbucket.ErrUnauthorized):
		diags.AddError("Bitbucket rejected the credentials",
			fmt.Sprintf("Bitbucket rejected the credentials for %s: %s\n\n%s", serverURL(client), err, credentialHint(client.Product())))
	case errors.Is(err, bitbucket.ErrWrongProduct):
		diags.AddError("The server does not look like "+productName(client.Product()),
			fmt.Sprintf("Checking the credentials against %s failed: %s\n\nThe server answered, but not as %s does. "+
				"Check base_url, and product if it is set.", serverURL(client), err, productName(client.Product())))
	case bitbucket.IsCertificateError(err):
		diags.AddError("The server's certificate is not trusted",
			fmt.Sprintf("Checking the credentials against %s failed: %s\n\nThe server's certificate is not trusted: set "+
				"ca_cert_pem to the PEM of the CA that signed it.", serverURL(client), err))
	default:
		diags.AddError("Cannot reach Bitbucket",
			fmt.Sprintf("Checking the credentials against %s failed: %s\n\nCheck base_url, the network path to the server "+
				"and request_timeout.", serverURL(client), err))
	}
	return diags
}

func credentialHint(product bitbucket.Product) string {
	if product == bitbucket.ProductCloud {
		return "On Bitbucket Cloud use username = your Atlassian account email with token = an API token, " +
			"access_token = a workspace, project or repository access token, or oauth_client_id + oauth_client_secret. " +
			"App passwords no longer work (removed on 2026-07-28)."
	}
	return "On Bitbucket Data Center use access_token = an HTTP access token, or username + token " +
		"(a password or personal access token). Check that the token has not expired or been revoked."
}
