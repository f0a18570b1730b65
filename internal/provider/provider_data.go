package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// What Configure hands to every resource, data source, ephemeral and list
// resource, and every method on it, in one place.

// providerData is what Configure hands to every resource and data source.
type providerData struct {
	client           bitbucket.Client
	defaultWorkspace string
	// authMode (authModeName) and username say who the provider signs in
	// as, known at plan time.
	authMode string
	username string
	// creates is what the creates of this run share per scope
	// (create_recovery.go).
	creates createLedger
}

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

// listedWorkspace is the workspace a list resource lists (workspaceOf),
// spelt as Bitbucket returns it: its results become identities and
// generated configuration, and an import writes Bitbucket's spelling to
// state, so the filter's spelling ("prj" for PRJ) would make generated
// configuration fail to plan (docs/dev/bitbucket-api.md#case-of-keys-and-slugs).
// A workspace that cannot be read keeps the spelling given: the listing
// reports what is wrong.
func (pd *providerData) listedWorkspace(ctx context.Context, v types.String, diags *diag.Diagnostics) string {
	workspace := pd.workspaceOf(v, diags)
	if workspace == "" {
		return workspace
	}
	var unread diag.Diagnostics
	return canonicalWorkspace(ctx, pd, workspace, &unread)
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

// planDefaultWorkspace plans `workspace` for resources whose configuration
// may omit it. A configured value is left to the framework: a known one is
// the plan, and an unknown one (from another resource) stays unknown until
// apply, as Terraform requires. An omitted one is the provider's default,
// shown in the plan; when that default is not the workspace in state (the
// provider's `workspace` or BITBUCKET_WORKSPACE changed) the resource is
// replaced, as the attribute's description promises. planned is the
// planned value as the framework proposes it: for a resource in state whose
// configuration omits workspace, the workspace in state. It returns false
// when there is no workspace at all (the diagnostic says so).
func planDefaultWorkspace(ctx context.Context, pd *providerData, planned types.String, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) bool {
	configured := rawStringAttribute(ctx, req.Config.Raw, "workspace", &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return false
	}
	refuseCaseOnlyChanges(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return false
	}
	if !configured.IsNull() {
		return true
	}
	workspace := pd.workspaceOf(types.StringNull(), &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return false
	}
	if !req.State.Raw.IsNull() && strings.EqualFold(planned.ValueString(), workspace) {
		// The same workspace spelt otherwise (refuseCaseOnlyChange): keep the state's.
		workspace = planned.ValueString()
	}
	resp.Plan.Raw = withRawAttribute(ctx, resp.Plan.Raw, "workspace", types.StringValue(workspace), &resp.Diagnostics)
	if !req.State.Raw.IsNull() && planned.ValueString() != workspace {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("workspace"))
	}
	return !resp.Diagnostics.HasError()
}
