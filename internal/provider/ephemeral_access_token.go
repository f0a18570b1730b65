package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var (
	_ ephemeral.EphemeralResourceWithConfigure      = &accessTokenEphemeralResource{}
	_ ephemeral.EphemeralResourceWithClose          = &accessTokenEphemeralResource{}
	_ ephemeral.EphemeralResourceWithValidateConfig = &accessTokenEphemeralResource{}
)

// Settings of the ephemeral token.
const (
	ephemeralTokenExpiryDays  = 1
	ephemeralTokenDefaultName = "terraform-ephemeral"
	// privateEphemeralToken is the private-data key Open leaves for Close.
	privateEphemeralToken = "token"
)

// NewAccessTokenEphemeralResource returns the bitbucket_access_token
// ephemeral resource: a Data Center project or repository token that lives
// for one Terraform operation and is revoked when Terraform closes it.
func NewAccessTokenEphemeralResource() ephemeral.EphemeralResource {
	return &accessTokenEphemeralResource{}
}

type accessTokenEphemeralResource struct {
	data *providerData
}

type accessTokenEphemeralModel struct {
	Workspace   types.String `tfsdk:"workspace"`
	Repository  types.String `tfsdk:"repository"`
	Name        types.String `tfsdk:"name"`
	Permissions types.Set    `tfsdk:"permissions"`
	ID          types.String `tfsdk:"id"`
	Token       types.String `tfsdk:"token"`
	ExpiresAt   types.String `tfsdk:"expires_at"`
}

// ephemeralTokenRef is what Close needs to revoke the token (never the value).
type ephemeralTokenRef struct {
	Level      bitbucket.TokenLevel `json:"level"`
	Workspace  string               `json:"workspace"`
	Repository string               `json:"repository,omitempty"`
	ID         string               `json:"id"`
	ExpiresAt  string               `json:"expires_at,omitempty"`
}

func (e *accessTokenEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_token"
}

func (e *accessTokenEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: fmt.Sprintf("A short-lived Bitbucket Data Center HTTP access token for use within one "+
			"Terraform run (Terraform 1.11+, the provider's minimum), for example to configure another provider or as a write-only argument "+
			"such as `bitbucket_repository_webhook.secret_wo`. A repository token when `repository` is set, otherwise a "+
			"project token. Its value never reaches the plan or state. Terraform opens ephemeral resources in "+
			"every operation that needs them, so a plan and the apply that follows each get their own token. Like the "+
			"token resources it needs Data Center and a provider that authenticates with `username` + a password; "+
			cloudHasNoTokens+", so on Cloud it fails and says what to do instead.\n\n"+
			"**How long the token lives.** It is revoked when Terraform closes the ephemeral resource at the end of the "+
			"operation (the revoke gets a short time budget of its own if Terraform has already cancelled the "+
			"provider's requests). Terraform 1.11 does not close ephemeral resources when a run is interrupted "+
			"(Ctrl-C): the provider then revokes the tokens it opened and that were never closed when Terraform shuts "+
			"it down. When opening fails after the token was made, or Terraform is interrupted while opening, the "+
			"provider revokes it before returning. What is not guaranteed: if the provider cannot run that last step "+
			"(Terraform or the provider is killed or crashes, the machine is lost, Bitbucket cannot be reached within "+
			"the couple of seconds Terraform allows) or a revoke fails (the error names the token), the token stays "+
			"valid until it expires, %d day after it was made: the shortest expiry Data Center allows (`expiryDays` "+
			"is a whole number of days).",
			ephemeralTokenExpiryDays),
		Attributes: map[string]schema.Attribute{
			"workspace": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				MarkdownDescription: "The Data Center project key. Defaults to the provider's `workspace`.",
				Validators:          []validator.String{workspaceValidator},
			},
			"repository": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Repository slug: set it for a repository token (REPO_* permissions only); leave it unset for a project token.",
				Validators:          []validator.String{repositoryValidator},
			},
			"name": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				MarkdownDescription: "Name of the token, shown in Bitbucket while it exists. Defaults to `" + ephemeralTokenDefaultName + "`.",
				Validators:          nameValidators(255),
			},
			"permissions": schema.SetAttribute{
				Required:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Permissions of the token: " + codeList(repositoryPermissions) + ", and for a project " +
					"token also " + codeList(projectPermissions) + ". Checked before anything is created.",
				Validators: []validator.Set{setvalidator.SizeAtLeast(1)},
			},
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The token's id.",
			},
			"token": schema.StringAttribute{
				Computed:            true,
				Sensitive:           true,
				MarkdownDescription: "The token value (sensitive; ephemeral: never stored).",
			},
			"expires_at": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "When the token expires (RFC 3339, UTC), unless it is revoked first.",
			},
		},
	}
}

func (e *accessTokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func ephemeralTokenLevel(repository types.String) bitbucket.TokenLevel {
	if repository.IsNull() {
		return bitbucket.TokenLevelProject
	}
	return bitbucket.TokenLevelRepository
}

func (e *accessTokenEphemeralResource) ValidateConfig(ctx context.Context, req ephemeral.ValidateConfigRequest, resp *ephemeral.ValidateConfigResponse) {
	var m accessTokenEphemeralModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.Repository.IsUnknown() || m.Permissions.IsUnknown() || m.Permissions.IsNull() {
		return
	}
	checkTokenPermissions(ephemeralTokenLevel(m.Repository), knownStrings(ctx, m.Permissions, &resp.Diagnostics),
		path.Root("permissions"), &resp.Diagnostics)
}

func (e *accessTokenEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m accessTokenEphemeralModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if e.data == nil {
		resp.Diagnostics.AddError("Provider not configured",
			"The bitbucket provider was not configured before bitbucket_access_token was opened. Please report this issue to the provider developers.")
		return
	}
	client := e.data.client
	if caps := client.Capabilities(); !caps.AccessTokens {
		resp.Diagnostics.AddError(cloudTokensSummary, caps.AccessTokensUnsupported+createTokenElsewhere)
		return
	}
	workspace := e.data.workspaceOf(m.Workspace, &resp.Diagnostics)
	level := ephemeralTokenLevel(m.Repository)
	requireServerVersion(&resp.Diagnostics, client, minimumTokenVersion[level], string(level)+" access tokens")
	perms := knownStrings(ctx, m.Permissions, &resp.Diagnostics)
	checkTokenPermissions(level, perms, path.Root("permissions"), &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	name := ephemeralTokenDefaultName
	if !m.Name.IsNull() {
		name = m.Name.ValueString()
	}
	scope := bitbucket.TokenScope{Level: level, Workspace: workspace, Repository: m.Repository.ValueString()}
	token, err := createAccessToken(ctx, client, scope, bitbucket.AccessTokenInput{
		Name: name, Permissions: perms, ExpiryDays: ephemeralTokenExpiryDays,
	})
	if err != nil {
		if token != nil {
			// Made, its value lost, and revoking it failed: try once more
			// when Terraform shuts the provider down.
			unclosed.add(client, ephemeralTokenRef{Level: level, Workspace: workspace, Repository: scope.Repository,
				ID: token.ID, ExpiresAt: rfc3339(token.ExpiresAt).ValueString()})
		}
		accessTokenError(&resp.Diagnostics, client, "create", scope, "", err)
		return
	}
	// From here on Terraform will not call Close if Open fails, so every
	// failure revokes the token itself.
	ref := ephemeralTokenRef{Level: level, Workspace: workspace, Repository: scope.Repository, ID: token.ID,
		ExpiresAt: rfc3339(token.ExpiresAt).ValueString()}
	raw, err := json.Marshal(ref)
	if err != nil {
		resp.Diagnostics.AddError("Cannot record the ephemeral token", err.Error())
	} else {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateEphemeralToken, raw)...)
	}
	m.Workspace = types.StringValue(workspace)
	m.Name = types.StringValue(name)
	m.ID = types.StringValue(token.ID)
	m.Token = types.StringValue(token.Token)
	m.ExpiresAt = rfc3339(token.ExpiresAt)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.Result.Set(ctx, m)...)
	}
	if resp.Diagnostics.HasError() || ctx.Err() != nil {
		// Failed, or Terraform was interrupted while opening: the answer may
		// never reach Terraform, which then has nothing to close.
		if !e.revoke(ctx, client, ref, &resp.Diagnostics) {
			unclosed.add(client, ref) // one more try when Terraform shuts the provider down
		}
		if ctx.Err() != nil {
			resp.Diagnostics.AddError("Ephemeral access token not opened",
				fmt.Sprintf("Terraform was interrupted while %s was being opened; it was revoked.", describeToken(scope, token.ID)))
		}
		return
	}
	unclosed.add(client, ref)
	tflog.Debug(ctx, "Opened ephemeral access token", map[string]any{"id": token.ID, "scope": describeToken(scope, "")})
}

// unclosed holds the ephemeral tokens this provider process opened that
// Terraform has not closed yet. An interrupted run (Ctrl-C) stops without
// closing ephemeral resources, so when Terraform shuts the provider down,
// main revokes what is left (RevokeUnclosedEphemeralTokens).
var unclosed = &unclosedTokens{tokens: map[string]unclosedToken{}}

type unclosedToken struct {
	client bitbucket.Client
	ref    ephemeralTokenRef
}

type unclosedTokens struct {
	mu     sync.Mutex
	tokens map[string]unclosedToken
}

func unclosedKey(client bitbucket.Client, ref ephemeralTokenRef) string {
	return client.BaseURL() + " " + string(ref.Level) + " " + ref.ID
}

func (u *unclosedTokens) add(client bitbucket.Client, ref ephemeralTokenRef) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.tokens[unclosedKey(client, ref)] = unclosedToken{client: client, ref: ref}
}

func (u *unclosedTokens) remove(client bitbucket.Client, ref ephemeralTokenRef) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.tokens, unclosedKey(client, ref))
}

func (u *unclosedTokens) take() []unclosedToken {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]unclosedToken, 0, len(u.tokens))
	for _, t := range u.tokens {
		out = append(out, t)
	}
	u.tokens = map[string]unclosedToken{}
	return out
}

// RevokeUnclosedEphemeralTokens revokes the ephemeral tokens this process
// opened that Terraform never closed, and returns what failed. main calls it
// when Terraform shuts the provider down; ctx must be short (Terraform kills
// a provider that has not exited about two seconds after asking it to).
func RevokeUnclosedEphemeralTokens(ctx context.Context) []error {
	var errs []error
	for _, t := range unclosed.take() {
		scope := bitbucket.TokenScope{Level: t.ref.Level, Workspace: t.ref.Workspace, Repository: t.ref.Repository}
		if err := t.client.DeleteAccessToken(ctx, scope, t.ref.ID); err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
			errs = append(errs, fmt.Errorf("revoking the unclosed ephemeral %s (valid until it expires, %s): %w",
				describeToken(scope, t.ref.ID), t.ref.expiry(), err))
		}
	}
	return errs
}

// revoke revokes the token of ref, on a short context of its own when
// ctx has ended (Terraform was interrupted: its requests are cancelled, but
// the token must not outlive the run). A failure is an error that names the
// token and when it expires; it reports whether the token is gone.
func (e *accessTokenEphemeralResource) revoke(ctx context.Context, client bitbucket.Client, ref ephemeralTokenRef, diags *diag.Diagnostics) bool {
	rctx, cancel := recoveryContext(ctx)
	defer cancel()
	scope := bitbucket.TokenScope{Level: ref.Level, Workspace: ref.Workspace, Repository: ref.Repository}
	err := client.DeleteAccessToken(rctx, scope, ref.ID)
	if err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
		accessTokenError(diags, client, "revoke", scope, ref.ID, err)
		diags.AddError("Ephemeral access token left live",
			fmt.Sprintf("The %s could not be revoked, so it stays valid until it expires (%s). Revoke it in Bitbucket "+
				"(project or repository settings > HTTP access tokens) if it must not live that long.",
				describeToken(scope, ref.ID), ref.expiry()))
		return false
	}
	tflog.Debug(ctx, "Revoked ephemeral access token", map[string]any{"id": ref.ID})
	return true
}

// expiry says when the token of ref expires, as well as it is known.
func (ref ephemeralTokenRef) expiry() string {
	if ref.ExpiresAt != "" {
		return "at " + ref.ExpiresAt
	}
	return fmt.Sprintf("%d day after it was created", ephemeralTokenExpiryDays)
}

func (e *accessTokenEphemeralResource) Close(ctx context.Context, req ephemeral.CloseRequest, resp *ephemeral.CloseResponse) {
	raw, diags := req.Private.GetKey(ctx, privateEphemeralToken)
	resp.Diagnostics.Append(diags...)
	if len(raw) == 0 || resp.Diagnostics.HasError() {
		return
	}
	var ref ephemeralTokenRef
	if err := json.Unmarshal(raw, &ref); err != nil || ref.ID == "" {
		resp.Diagnostics.AddError("Cannot revoke the ephemeral token",
			fmt.Sprintf("The record of the token opened in this run is unreadable (%v), so it was not revoked. Revoke "+
				"the tokens named as configured in Bitbucket; they expire %d day after they were made.", err, ephemeralTokenExpiryDays))
		return
	}
	if e.data == nil {
		resp.Diagnostics.AddError("Provider not configured",
			fmt.Sprintf("The bitbucket provider was not configured when Terraform closed bitbucket_access_token, so token %s "+
				"was not revoked; it stays valid until it expires (%s). Please report this issue to the provider developers.",
				ref.ID, ref.expiry()))
		return
	}
	if e.revoke(ctx, e.data.client, ref, &resp.Diagnostics) {
		unclosed.remove(e.data.client, ref)
	}
}
