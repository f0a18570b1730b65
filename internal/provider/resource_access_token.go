package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// accessTokenResource implements bitbucket_project_access_token,
// bitbucket_repository_access_token and bitbucket_user_access_token (Data
// Center HTTP access tokens); the only difference is the owner.
type accessTokenResource struct {
	level bitbucket.TokenLevel
	data  *providerData
}

// accessTokenModel holds the attributes every level shares.
type accessTokenModel struct {
	ID               types.String `tfsdk:"id"`
	Name             types.String `tfsdk:"name"`
	Permissions      types.Set    `tfsdk:"permissions"`
	ExpiryDays       types.Int64  `tfsdk:"expiry_days"`
	RotateBeforeDays types.Int64  `tfsdk:"rotate_before_days"`
	Token            types.String `tfsdk:"token"`
	CreatedAt        types.String `tfsdk:"created_at"`
	ExpiresAt        types.String `tfsdk:"expires_at"`
}

type projectAccessTokenModel struct {
	accessTokenModel
	Workspace types.String `tfsdk:"workspace"`
}

type repositoryAccessTokenModel struct {
	accessTokenModel
	Workspace  types.String `tfsdk:"workspace"`
	Repository types.String `tfsdk:"repository"`
}

type userAccessTokenModel struct {
	accessTokenModel
	User types.String `tfsdk:"user"`
}

// tokenOwner is the level-specific part of a model: who the token belongs to.
type tokenOwner struct {
	Workspace  types.String
	Repository types.String
	User       types.String
}

// tokenExpiryDaysValidator is the bound of expiry_days for every token the
// provider makes (the token resources and the connection's managed token):
// at least a day, at most a hundred years.
func tokenExpiryDaysValidator() validator.Int64 {
	return int64validator.Between(1, 36500)
}

// checkTokenPermissions reports the permissions not valid for level,
// listing the valid values.
func checkTokenPermissions(level bitbucket.TokenLevel, perms []string, at path.Path, diags *diag.Diagnostics) {
	valid := validTokenPermissions(level)
	var invalid []string
	for _, p := range perms {
		if !slices.Contains(valid, p) {
			invalid = append(invalid, strconv.Quote(p))
		}
	}
	if len(invalid) == 0 {
		return
	}
	verb := map[bool]string{true: "is not a valid permission", false: "are not valid permissions"}[len(invalid) == 1]
	diags.AddAttributeError(at, "Invalid access token permission",
		fmt.Sprintf("%s %s for a %s. Valid values: %s.", strings.Join(invalid, ", "), verb, tokenLevelNoun(level),
			strings.Join(valid, ", ")))
}

// tokenPermissionsValidator checks permissions at plan time for one level.
type tokenPermissionsValidator struct{ level bitbucket.TokenLevel }

func (v tokenPermissionsValidator) Description(context.Context) string {
	return "each permission must be one of " + strings.Join(validTokenPermissions(v.level), ", ")
}

func (v tokenPermissionsValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v tokenPermissionsValidator) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	checkTokenPermissions(v.level, knownStrings(ctx, req.ConfigValue, &resp.Diagnostics), req.Path, &resp.Diagnostics)
}

// permissionsMarkdown documents the valid permissions of a level.
func permissionsMarkdown(level bitbucket.TokenLevel) string {
	return "Permissions of the token, one or more of " + codeList(validTokenPermissions(level)) + ". Checked at plan time. " +
		"Changed in place."
}

const (
	cloudTokensSummary = "Access tokens cannot be created on Bitbucket Cloud"
	// importNoValue is repeated in the docs of every token resource.
	importNoValue = "The token value cannot be imported: Bitbucket shows it only once, when the token is created, " +
		"so `token` is empty after an import."
)

func (r *accessTokenResource) typeSuffix() string {
	return "_" + string(r.level) + "_access_token"
}

func (r *accessTokenResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + r.typeSuffix()
}

func (r *accessTokenResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "The token's id (a number, as a string), as Bitbucket reports it.",
			PlanModifiers:       keep,
		},
		"name": schema.StringAttribute{
			Required: true,
			MarkdownDescription: "Name of the token, shown in Bitbucket. Changed in place. The token is created under this name " +
				"plus `-tf` and 8 random hex digits and renamed to it as soon as Bitbucket answers: after a lost answer " +
				"that unique name tells the provider's token from anyone else's.",
			Validators: nameValidators(255),
		},
		"permissions": schema.SetAttribute{
			Required:            true,
			ElementType:         types.StringType,
			MarkdownDescription: permissionsMarkdown(r.level),
			Validators:          []validator.Set{setvalidator.SizeAtLeast(1), tokenPermissionsValidator{level: r.level}},
		},
		"expiry_days": schema.Int64Attribute{
			Optional: true,
			MarkdownDescription: "Days until the token expires; unset, it never expires (unless the server's " +
				"administrator requires an expiry). Bitbucket cannot change an expiry, so changing this replaces the token.",
			PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			Validators:    []validator.Int64{tokenExpiryDaysValidator()},
		},
		"rotate_before_days": schema.Int64Attribute{
			Optional: true,
			MarkdownDescription: "Rotation: when a plan runs this many days (or fewer) before `expires_at`, it replaces " +
				"the token. Add `lifecycle { create_before_destroy = true }` so the new token exists before the old one " +
				"is revoked. Judged by the Bitbucket server's clock (the Date header of its answers), so a skewed local clock does not matter. Needs `expiry_days`, and must be " +
				"smaller than it. Changing it alone sends nothing to Bitbucket.",
			Validators: []validator.Int64{
				int64validator.AtLeast(1),
				int64validator.AlsoRequires(path.MatchRoot("expiry_days")),
			},
		},
		"token": schema.StringAttribute{
			Computed:  true,
			Sensitive: true,
			MarkdownDescription: "The token value (sensitive). Bitbucket returns it once, when the token is created; it " +
				"is kept in state, so protect the state. Empty after an import.",
			PlanModifiers: keep,
		},
		"created_at": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "When the token was created (RFC 3339, UTC).",
			PlanModifiers:       keep,
		},
		"expires_at": schema.StringAttribute{
			Computed: true,
			MarkdownDescription: "When the token expires (RFC 3339, UTC); null when it does not expire. A token " +
				"that has expired no longer authenticates, so the next plan replaces it, with or without `rotate_before_days`.",
			PlanModifiers: keep,
		},
	}
	workspace := schema.StringAttribute{
		Optional: true, Computed: true,
		MarkdownDescription: "The Data Center project key (`workspace` is the provider's one name for a Cloud workspace " +
			"or a Data Center project). Defaults to the provider's `workspace`. Changing it replaces the token.",
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIfConfigured(), stringplanmodifier.UseStateForUnknown()},
		Validators:    []validator.String{workspaceValidator},
	}
	owner := map[string]schema.Attribute{
		"workspace": workspace,
		"repository": schema.StringAttribute{
			Required:            true,
			MarkdownDescription: "Repository slug. Changing it replaces the token.",
			PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			Validators:          []validator.String{repositoryValidator},
		},
		"user": schema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: "Slug of the user the token belongs to. Defaults to the user the provider " +
				"authenticates as (recorded at creation). Only that user may create their tokens. Changing it " +
				"replaces the token.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIfConfigured(), stringplanmodifier.UseStateForUnknown()},
			Validators:    []validator.String{userValidator},
		},
	}
	spec := tokenLevel(r.level)
	for _, name := range spec.owner {
		attributes[name] = owner[name]
	}
	description := spec.description
	description += " Data Center only: " + cloudHasNoTokens + ", so on Cloud the plan fails and " +
		"says what to do instead. Bitbucket does not let a token create tokens, so the provider must authenticate " +
		"with `username` + a password in `token`. If the answer to a create is lost, the provider revokes the token " +
		"that request created (its value was only in the lost answer) and creates another, so no token is left " +
		"untracked. " + importNoValue
	resp.Schema = schema.Schema{MarkdownDescription: description, Attributes: attributes}
}

func (r *accessTokenResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// getModel reads plan, state or config into the shared model and the owner.
func (r *accessTokenResource) getModel(ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (accessTokenModel, tokenOwner) {
	return tokenLevel(r.level).get(ctx, get, diags)
}

func (r *accessTokenResource) setModel(ctx context.Context, set func(context.Context, any) diag.Diagnostics, m accessTokenModel, o tokenOwner, diags *diag.Diagnostics) {
	tokenLevel(r.level).set(ctx, set, m, o, diags)
}

// scope is the client scope of an owner ("" user = the caller).
func (r *accessTokenResource) scope(o tokenOwner) bitbucket.TokenScope {
	return bitbucket.TokenScope{
		Level: r.level, User: o.User.ValueString(), Workspace: o.Workspace.ValueString(), Repository: o.Repository.ValueString(),
	}
}

// describeToken names a token in diagnostics.
func describeToken(scope bitbucket.TokenScope, id string) string {
	where := tokenLevel(scope.Level).where(scope)
	if id == "" {
		return "access token " + where
	}
	return fmt.Sprintf("access token %s %s", id, where)
}

func (r *accessTokenResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var expiry, rotate types.Int64
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("expiry_days"), &expiry)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("rotate_before_days"), &rotate)...)
	if expiry.IsNull() || expiry.IsUnknown() || rotate.IsNull() || rotate.IsUnknown() {
		return
	}
	if rotate.ValueInt64() >= expiry.ValueInt64() {
		resp.Diagnostics.AddAttributeError(path.Root("rotate_before_days"), "rotate_before_days too large",
			fmt.Sprintf("rotate_before_days (%d) must be smaller than expiry_days (%d): otherwise every plan would replace "+
				"the token it has just created.", rotate.ValueInt64(), expiry.ValueInt64()))
	}
}

func (r *accessTokenResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or provider not configured yet
	}
	// Before anything else: on Cloud nothing else can help.
	if caps := r.data.client.Capabilities(); !caps.AccessTokens {
		resp.Diagnostics.AddError(cloudTokensSummary, caps.AccessTokensUnsupported+createTokenElsewhere)
		return
	}
	requireServerVersion(&resp.Diagnostics, r.data.client, minimumTokenVersion[r.level], string(r.level)+" access tokens")
	if req.State.Raw.IsNull() {
		r.data.checkTokenCreator(ctx, req.Plan, r.level, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if r.level != bitbucket.TokenLevelUser {
		var planned types.String
		resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("workspace"), &planned)...)
		if resp.Diagnostics.HasError() || !planDefaultWorkspace(ctx, r.data, planned, req, resp) {
			return
		}
	}
	warnWidening(req.State, resp.Plan, &resp.Diagnostics, tokenWidening)
	if req.State.Raw.IsNull() {
		return
	}

	r.planRotation(ctx, req, resp)
}

// planReplacement plans a new token in place of this one. Terraform only
// honours a replacement for a path whose planned value differs from state,
// and the new token's expiry is not known until it exists.
func planReplacement(ctx context.Context, resp *resource.ModifyPlanResponse) {
	for _, name := range []string{"id", "token", "created_at", "expires_at"} {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), types.StringUnknown())...)
	}
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("expires_at"))
}

// tokenInput is the create/update request of a model.
func tokenInput(ctx context.Context, m accessTokenModel, diags *diag.Diagnostics) bitbucket.AccessTokenInput {
	return bitbucket.AccessTokenInput{Name: m.Name.ValueString(), Permissions: knownStrings(ctx, m.Permissions, diags),
		ExpiryDays: int(m.ExpiryDays.ValueInt64())}
}

// rfc3339 formats a server time for state; the zero time is null.
func rfc3339(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

// fillToken copies what the server reports into the model. The value is
// only in a create answer; otherwise the model keeps the one it has.
func fillToken(m *accessTokenModel, t *bitbucket.AccessToken) {
	m.ID = types.StringValue(t.ID)
	m.Name = types.StringValue(t.Name)
	m.Permissions = stringSet(t.Permissions)
	if t.Token != "" {
		m.Token = types.StringValue(t.Token)
	} else if m.Token.IsUnknown() {
		m.Token = types.StringNull()
	}
	m.CreatedAt = rfc3339(t.CreatedAt)
	m.ExpiresAt = rfc3339(t.ExpiresAt)
}

func (r *accessTokenResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	plan, owner := r.getModel(ctx, req.Plan.Get, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.level == bitbucket.TokenLevelUser && owner.User.IsUnknown() {
		owner.User = types.StringNull() // the caller
	}
	scope := r.scope(owner)
	in := tokenInput(ctx, plan, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	token, err := createAccessToken(ctx, r.data.client, scope, in)
	if err != nil && token != nil {
		// A live token whose value is lost: record it, so that Terraform
		// marks it tainted and the next apply revokes and replaces it.
		accessTokenError(&resp.Diagnostics, r.data.client, "create", scope, "", err)
		resp.Diagnostics.AddError("Access token recorded for revocation",
			fmt.Sprintf("The %s exists, but its value was lost with the answer. It is recorded in state as tainted: "+
				"the next terraform apply revokes it and creates a new one.", describeToken(scope, token.ID)))
		fillToken(&plan, token)
		plan.Token = types.StringNull()
		if owner.User.IsNull() && r.level == bitbucket.TokenLevelUser {
			owner.User = types.StringValue(token.User)
		}
		r.setModel(ctx, resp.State.Set, plan, owner, &resp.Diagnostics)
		return
	}
	if err != nil {
		accessTokenError(&resp.Diagnostics, r.data.client, "create", scope, "", err)
		return
	}
	fillToken(&plan, token)
	if r.level == bitbucket.TokenLevelUser && owner.User.IsNull() {
		if token.User == "" {
			resp.Diagnostics.AddError("Cannot tell whose token this is",
				fmt.Sprintf("Bitbucket created %s but did not say which user owns it. Set user explicitly and import "+
					"the token as <user>/%s, or revoke it.", describeToken(scope, token.ID), token.ID))
			return
		}
		owner.User = types.StringValue(token.User)
	}
	r.setModel(ctx, resp.State.Set, plan, owner, &resp.Diagnostics)
	syncIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

// accessTokenError turns a client error into a diagnostic; the two cases a
// user is most likely to meet (Cloud, token authentication) get their own.
func accessTokenError(diags *diag.Diagnostics, client bitbucket.Client, action string, scope bitbucket.TokenScope, id string, err error) {
	switch {
	case errors.Is(err, bitbucket.ErrUnsupported):
		diags.AddError(cloudTokensSummary, client.Capabilities().AccessTokensUnsupported+createTokenElsewhere)
	case errors.Is(err, bitbucket.ErrTokenAuthRefused):
		diags.AddError("Access tokens can only be created with a password",
			fmt.Sprintf("Bitbucket refused to %s the %s on %s: %s\n\nBitbucket Data Center does not let a request "+
				"authenticated with an access token create access tokens. Configure the provider that manages tokens "+
				"with username + token, where token is the user's password (BITBUCKET_USERNAME / BITBUCKET_TOKEN), "+
				"not access_token or a personal access token. If the rest of the configuration uses a token, add a "+
				"second provider block with an alias for token management.",
				action, describeToken(scope, id), serverURL(client), err))
	default:
		clientErrorDiagnostic(diags, client, action+" "+describeToken(scope, id), err)
	}
}

func (r *accessTokenResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	state, owner := r.getModel(ctx, req.State.Get, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || r.data == nil {
		return
	}
	// The identity names the object whether or not it still exists.
	syncIdentity(ctx, req.State, resp.Identity, &resp.Diagnostics)
	scope := r.scope(owner)
	id := state.ID.ValueString()
	token, err := r.data.client.GetAccessToken(ctx, scope, id)
	if errors.Is(err, bitbucket.ErrNotFound) {
		tflog.Info(ctx, "Access token no longer exists; removing it from state", map[string]any{"id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		accessTokenError(&resp.Diagnostics, r.data.client, "read", scope, id, err)
		return
	}
	fillToken(&state, token)
	if token.ExpiryDays > 0 {
		state.ExpiryDays = types.Int64Value(int64(token.ExpiryDays))
	} else {
		state.ExpiryDays = types.Int64Null()
	}
	r.setModel(ctx, resp.State.Set, state, owner, &resp.Diagnostics)
}

func (r *accessTokenResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	plan, owner := r.getModel(ctx, req.Plan.Get, &resp.Diagnostics)
	state, _ := r.getModel(ctx, req.State.Get, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	// Only name and permissions change in place; rotate_before_days lives
	// in state alone.
	if !plan.Name.Equal(state.Name) || !plan.Permissions.Equal(state.Permissions) {
		scope := r.scope(owner)
		id := state.ID.ValueString()
		in := tokenInput(ctx, plan, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
		token, err := r.data.client.UpdateAccessToken(ctx, scope, id, bitbucket.AccessTokenInput{Name: in.Name, Permissions: in.Permissions})
		if errors.Is(err, bitbucket.ErrNotFound) {
			resp.Diagnostics.AddError("Access token was revoked",
				goneSinceRefresh(describeToken(scope, id), "revoked", "create a new one"))
			return
		}
		if err != nil {
			accessTokenError(&resp.Diagnostics, r.data.client, "update", scope, id, err)
			return
		}
		fillToken(&plan, token)
	}
	plan.Token = state.Token
	r.setModel(ctx, resp.State.Set, plan, owner, &resp.Diagnostics)
	syncIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

func (r *accessTokenResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	state, owner := r.getModel(ctx, req.State.Get, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	scope := r.scope(owner)
	err := r.data.client.DeleteAccessToken(ctx, scope, state.ID.ValueString())
	if err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
		accessTokenError(&resp.Diagnostics, r.data.client, "revoke", scope, state.ID.ValueString(), err)
	}
}

// importPartOf is the import ID part of each owner attribute.
var importPartOf = map[string]importPart{"workspace": importProjectKey, "repository": importRepository, "user": importUser}

func (r *accessTokenResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if importByIdentity(ctx, r.data, req, resp, nil) {
		return
	}
	spec := tokenLevel(r.level)
	parts := make([]importPart, 0, len(spec.owner)+1)
	for _, name := range spec.owner {
		parts = append(parts, importPartOf[name])
	}
	parts = append(parts, importTokenID)
	importIntoState(ctx, r.data, req.ID, resp, parts...)
}

var (
	_ resource.ResourceWithImportState    = &accessTokenResource{}
	_ resource.ResourceWithModifyPlan     = &accessTokenResource{}
	_ resource.ResourceWithConfigure      = &accessTokenResource{}
	_ resource.ResourceWithValidateConfig = &accessTokenResource{}
)

// NewProjectAccessTokenResource returns bitbucket_project_access_token: a
// Data Center project HTTP access token (/rest/access-tokens/1.0/projects/{key}).
func NewProjectAccessTokenResource() resource.Resource {
	return &accessTokenResource{level: bitbucket.TokenLevelProject}
}

// NewRepositoryAccessTokenResource returns bitbucket_repository_access_token:
// a Data Center repository HTTP access token
// (/rest/access-tokens/1.0/projects/{key}/repos/{slug}).
func NewRepositoryAccessTokenResource() resource.Resource {
	return &accessTokenResource{level: bitbucket.TokenLevelRepository}
}

// NewUserAccessTokenResource returns bitbucket_user_access_token: a Data
// Center personal HTTP access token (/rest/access-tokens/1.0/users/{slug}).
func NewUserAccessTokenResource() resource.Resource {
	return &accessTokenResource{level: bitbucket.TokenLevelUser}
}

var _ resource.ResourceWithIdentity = &accessTokenResource{}

func (r *accessTokenResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identitySchemaOf(tokenLevels[r.level].identity...)
}

// planRotation replaces a token that expired, or that is within
// rotate_before_days of expiring.
func (r *accessTokenResource) planRotation(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var expiresAt types.String
	var rotate types.Int64
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("expires_at"), &expiresAt)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("rotate_before_days"), &rotate)...)
	if resp.Diagnostics.HasError() || expiresAt.IsNull() || expiresAt.IsUnknown() || rotate.IsUnknown() {
		return
	}
	expires, err := time.Parse(time.RFC3339, expiresAt.ValueString())
	if err != nil {
		return // not ours to judge; Read writes RFC 3339 only
	}
	// The server decides when a token expires: use its clock (Date header).
	current := r.data.client.Now()
	switch {
	case !current.Before(expires):
		planReplacement(ctx, resp)
		resp.Diagnostics.AddWarning("Access token expired: replacing it",
			fmt.Sprintf("The token expired at %s, so the plan replaces it with a new one.", expiresAt.ValueString()))
	case !rotate.IsNull() && !current.Before(expires.Add(-time.Duration(rotate.ValueInt64())*24*time.Hour)):
		planReplacement(ctx, resp)
		resp.Diagnostics.AddWarning("Access token due for rotation: replacing it",
			fmt.Sprintf("The token expires at %s, within rotate_before_days = %d days, so the plan replaces it with a new one.",
				expiresAt.ValueString(), rotate.ValueInt64()))
	}
}
