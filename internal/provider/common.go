package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// workspaceDescription is the one line every resource and data source uses
// to say what `workspace` means on each product.
const workspaceDescription = "The owner of the repositories: a Bitbucket Cloud workspace slug, or a Bitbucket Data Center " +
	"project key. Defaults to the provider's `workspace`."

// providerDataFrom type-checks what Configure handed over. It returns nil
// without a diagnostic before the provider is configured (validation).
func providerDataFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. Please report this issue to the provider developers.", data))
		return nil
	}
	return pd
}

// workspaceOf is the configured workspace, or the provider's default.
func (pd *providerData) workspaceOf(v types.String, diags *diag.Diagnostics) string {
	if !v.IsNull() && !v.IsUnknown() && v.ValueString() != "" {
		return v.ValueString()
	}
	if pd.defaultWorkspace != "" {
		return pd.defaultWorkspace
	}
	diags.AddAttributeError(path.Root("workspace"), "Missing workspace",
		"Set workspace here or a default workspace in the provider block (or BITBUCKET_WORKSPACE): "+
			"the Cloud workspace slug or the Data Center project key.")
	return ""
}

// clientErrorDiagnostic builds the diagnostic for a failed client call.
// action says what was being done ("read repository acme/api"); the detail
// adds what to do for the kinds of failure a user can act on.
func clientErrorDiagnostic(diags *diag.Diagnostics, client bitbucket.Client, action string, err error) {
	summary := "Failed to " + action
	detail := fmt.Sprintf("Could not %s on %s: %s", action, serverURL(client), err)
	switch {
	case errors.Is(err, bitbucket.ErrUnauthorized):
		detail += "\n\nBitbucket rejected the credentials. " + credentialHint(client.Product())
	case errors.Is(err, bitbucket.ErrForbidden):
		detail += "\n\nThe credentials are valid but lack the permission for this. Use an account or token with the " +
			"permission named above."
	case errors.Is(err, bitbucket.ErrRateLimited):
		detail += "\n\nBitbucket kept throttling the requests after every retry. Try again later, lower " +
			"Terraform's -parallelism, or raise max_retries."
	case bitbucket.IsUncertain(err):
		detail += "\n\nThe change may have been applied. Run terraform apply again: the provider looks for the object " +
			"before creating it again."
	}
	diags.AddError(summary, detail)
}

// serverURL is the client's base URL as users wrote it (no trailing slash).
func serverURL(client bitbucket.Client) string {
	return strings.TrimSuffix(client.BaseURL(), "/")
}
