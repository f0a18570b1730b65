// Package provider is the Terraform side of the Bitbucket provider: the
// provider block, resources and data sources. It speaks to Bitbucket only
// through the bitbucket.Client interface.
package provider

import (
	"context"
	"errors"
	"fmt"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var (
	_ provider.Provider                       = &BitbucketProvider{}
	_ provider.ProviderWithEphemeralResources = &BitbucketProvider{}
	_ provider.ProviderWithListResources      = &BitbucketProvider{}
	_ provider.ProviderWithActions            = &BitbucketProvider{}
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

func (p *BitbucketProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "bitbucket"
	resp.Version = p.version
}

func (p *BitbucketProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages Bitbucket Cloud and Bitbucket Data Center / Server from one provider. " +
			"Every argument can also come from the `BITBUCKET_*` environment variable named in its description; " +
			"a value in the configuration wins over the environment.",
		Attributes: providerSchemaAttributes(),
	}
}

func (p *BitbucketProvider) ConfigValidators(context.Context) []provider.ConfigValidator {
	return []provider.ConfigValidator{authModeValidator{}}
}

func (p *BitbucketProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	config, diags := readProviderConfig(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
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
	settings.cfg.Logger = tflogLogger{}
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
	resp.ActionData = data
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

// Actions are invoked by Terraform 1.14+ (action_trigger, apply -invoke).
func (p *BitbucketProvider) Actions(context.Context) []func() action.Action {
	return []func() action.Action{
		NewWebhookTestAction,     // action_webhook.go
		NewConnectionCheckAction, // action_connection_check.go
	}
}

func (p *BitbucketProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewRepositoryDataSource,        // data_source_repository.go
		NewRepositoriesDataSource,      // data_source_repositories.go
		NewWorkspaceDataSource,         // data_source_workspace.go
		NewWorkspacesDataSource,        // data_source_workspaces.go
		NewAccessKeysDataSource,        // data_source_access_keys.go
		NewWebhookDeliveriesDataSource, // data_source_webhook_deliveries.go
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
