package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var (
	_ resource.ResourceWithImportState    = &connectionResource{}
	_ resource.ResourceWithModifyPlan     = &connectionResource{}
	_ resource.ResourceWithConfigure      = &connectionResource{}
	_ resource.ResourceWithValidateConfig = &connectionResource{}
)

// NewConnectionResource returns bitbucket_connection: an external service
// (a CI, build or scanning service) connected to a repository or a
// workspace as one unit: its credential, its webhook and a check that the
// credential can read what the service needs.
func NewConnectionResource() resource.Resource {
	return &connectionResource{}
}

type connectionResource struct {
	data *providerData
}

type connectionModel struct {
	ID                  types.String `tfsdk:"id"`
	Name                types.String `tfsdk:"name"`
	Workspace           types.String `tfsdk:"workspace"`
	Repository          types.String `tfsdk:"repository"`
	ManagedToken        types.Object `tfsdk:"managed_token"`
	Token               types.String `tfsdk:"token"`
	TokenWO             types.String `tfsdk:"token_wo"`
	TokenWOVersion      types.Int64  `tfsdk:"token_wo_version"`
	Username            types.String `tfsdk:"username"`
	Webhook             types.Object `tfsdk:"webhook"`
	Verify              types.Bool   `tfsdk:"verify"`
	TokenID             types.String `tfsdk:"token_id"`
	WebhookID           types.String `tfsdk:"webhook_id"`
	VerifiedPermissions types.Set    `tfsdk:"verified_permissions"`
	CloneHTTPS          types.String `tfsdk:"clone_https"`
	CloneSSH            types.String `tfsdk:"clone_ssh"`
}

type managedTokenModel struct {
	Level       types.String `tfsdk:"level"`
	Permissions types.Set    `tfsdk:"permissions"`
	ExpiryDays  types.Int64  `tfsdk:"expiry_days"`
}

type connectionWebhookModel struct {
	URL             types.String `tfsdk:"url"`
	Events          types.Set    `tfsdk:"events"`
	SecretWO        types.String `tfsdk:"secret_wo"`
	SecretWOVersion types.Int64  `tfsdk:"secret_wo_version"`
	Active          types.Bool   `tfsdk:"active"`
}

var (
	managedTokenAttrTypes = map[string]attr.Type{
		"level":       types.StringType,
		"permissions": types.SetType{ElemType: types.StringType},
		"expiry_days": types.Int64Type,
	}
	connectionWebhookAttrTypes = map[string]attr.Type{
		"url":               types.StringType,
		"events":            types.SetType{ElemType: types.StringType},
		"secret_wo":         types.StringType,
		"secret_wo_version": types.Int64Type,
		"active":            types.BoolType,
	}
)

// Token permissions a managed token may carry, per level.
var (
	repositoryTokenPermissions = []string{"REPO_READ", "REPO_WRITE", "REPO_ADMIN"}
	allTokenPermissions        = []string{"PROJECT_READ", "PROJECT_WRITE", "PROJECT_ADMIN", "REPO_READ", "REPO_WRITE", "REPO_ADMIN"}
)

func (r *connectionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_connection"
}

func (r *connectionResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Connects an external service (a CI, build or scanning service such as Xcode Cloud, " +
			"Appcircle, Nx Cloud or BluBracket) to a repository or a whole workspace, as one unit: the service's " +
			"credential, its webhook, and a check that the credential can read what the service needs.\n\n" +
			"The credential is either a token the provider creates with exactly the permissions given " +
			"(`managed_token`, Data Center only) or one you supply (`token`, or write-only `token_wo`). The " +
			"webhook is created with the provider's own credentials, so the service's credential never needs " +
			"admin rights: no connection needs an admin token. With `verify` (the default) the provider calls " +
			"Bitbucket *with the connection's credential* after every apply and on every refresh where the " +
			"credential is in state, and a credential that stopped working (revoked, expired, permissions lowered) " +
			"shows as a change in the plan, with a warning that says what failed.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`<workspace>/<name>`, or `<workspace>/<repository>/<name>` for a repository connection (the import ID).",
			},
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Name of the connection, usually the service's name. Used as the name of the " +
					"managed token and of the webhook, and to find both on import. Must not contain `/`.",
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, 255),
					stringvalidator.RegexMatches(regexp.MustCompile(`^[^/]+$`), "must not contain /"),
				},
			},
			"workspace": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: workspaceDescription + " Changing it replaces the connection.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplaceIfConfigured(), stringplanmodifier.UseStateForUnknown()},
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"repository": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Repository slug for a repository connection. Leave it out to connect the whole " +
					"workspace (the check then covers every repository in it). Changing it replaces the connection.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"token": schema.StringAttribute{
				Optional: true, Computed: true, Sensitive: true,
				MarkdownDescription: "The connection's token. Either supplied (kept in state, sensitive) or, with " +
					"`managed_token`, the value of the token the provider created (computed, sensitive): hand it to " +
					"the service. Prefer `token_wo` for a supplied token that should not be in state. Conflicts with " +
					"`managed_token` and `token_wo`.",
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ConflictsWith(path.MatchRoot("token_wo")),
				},
			},
			"token_wo": schema.StringAttribute{
				Optional: true, Sensitive: true, WriteOnly: true,
				MarkdownDescription: "A supplied token, write-only (Terraform 1.11+): never stored in state or plan. " +
					"It is checked on create and whenever `token_wo_version` changes, since Terraform keeps no copy to " +
					"check on refresh.",
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.AlsoRequires(path.MatchRoot("token_wo_version")),
				},
			},
			"token_wo_version": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "Change this number when `token_wo` changes (rotation): the new token is checked.",
				Validators:          []validator.Int64{int64validator.AlsoRequires(path.MatchRoot("token_wo"))},
			},
			"username": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "For a supplied token that authenticates with Basic auth: the Atlassian account " +
					"email of a Bitbucket Cloud API token, or the Data Center user of a personal token. Leave it out " +
					"for tokens sent as Bearer (Cloud repository, project and workspace access tokens; any Data " +
					"Center HTTP access token).",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"verify": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Check the credential with Bitbucket after create and update, and on refresh " +
					"where the credential is in state. Defaults to `true`.",
			},
			"token_id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Id of the managed token (Data Center); null for a supplied token.",
			},
			"webhook_id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Id of the connection's webhook: a UUID in braces on Cloud, a number on Data Center.",
			},
			"verified_permissions": schema.SetAttribute{
				Computed:    true,
				ElementType: types.StringType,
				MarkdownDescription: "What the last check found the credential can do with the repository (or with " +
					"every repository of the workspace): `read`, plus `write` and `admin` when it holds them. Bitbucket " +
					"Cloud has no side-effect-free way to test more than read, so there it is `[\"read\"]`. Empty when " +
					"the check failed; null with `verify = false`.",
			},
			"clone_https": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "HTTPS clone URL of the repository, as the server reports it (repository connections).",
			},
			"clone_ssh": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "SSH clone URL of the repository, with the server's SSH host and port (repository connections).",
			},
		},
		Blocks: map[string]schema.Block{
			"managed_token": schema.SingleNestedBlock{
				MarkdownDescription: "A token the provider creates for the service (Bitbucket Data Center only: Cloud " +
					"has no API to create tokens, so there this is a plan-time error; supply `token` or `token_wo`). " +
					"It gets exactly `permissions`, its value is in `token`, and it is revoked when the connection " +
					"is destroyed. A token revoked or changed outside Terraform is recreated or restored on the next " +
					"apply.",
				Attributes: map[string]schema.Attribute{
					"level": schema.StringAttribute{
						Optional: true,
						MarkdownDescription: "`repository` (a repository access token; needs `repository`), `project` " +
							"(a project access token of `workspace`) or `user` (a personal token of the provider's " +
							"user; token creation needs the provider configured with a password). Changing it makes a new token.",
						Validators: []validator.String{stringvalidator.OneOf("repository", "project", "user")},
					},
					"permissions": schema.SetAttribute{
						Optional:    true,
						ElementType: types.StringType,
						MarkdownDescription: "The token's permissions: `REPO_READ`, `REPO_WRITE`, `REPO_ADMIN` and, for " +
							"project and user tokens, `PROJECT_READ`, `PROJECT_WRITE`, `PROJECT_ADMIN`. Changed in place.",
						Validators: []validator.Set{
							setvalidator.SizeAtLeast(1),
							setvalidator.ValueStringsAre(stringvalidator.OneOf(allTokenPermissions...)),
						},
					},
					"expiry_days": schema.Int64Attribute{
						Optional:            true,
						MarkdownDescription: "Days until the token expires; no expiry when unset. Changing it makes a new token.",
						Validators:          []validator.Int64{tokenExpiryDaysValidator()},
					},
				},
			},
			"webhook": schema.SingleNestedBlock{
				MarkdownDescription: "The service's webhook, on the repository (or on the workspace / project for a " +
					"workspace connection), named after the connection. It is created with the provider's own " +
					"credentials, so the connection's credential needs no admin permission.",
				Attributes: map[string]schema.Attribute{
					"url": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "The absolute `http://` or `https://` URL events are delivered to.",
						Validators:          []validator.String{httpURLValidator{}},
					},
					"events": schema.SetAttribute{
						Optional:    true,
						ElementType: types.StringType,
						MarkdownDescription: "Events in the product's own names (`repo:push`, `pullrequest:created` on " +
							"Cloud; `repo:refs_changed`, `pr:opened` on Data Center), checked at plan time.",
						Validators: []validator.Set{setvalidator.SizeAtLeast(1)},
					},
					"secret_wo": schema.StringAttribute{
						Optional: true, Sensitive: true, WriteOnly: true,
						MarkdownDescription: "Write-only secret that signs deliveries; sent on create and whenever " +
							"`secret_wo_version` changes.",
						Validators: []validator.String{
							stringvalidator.LengthBetween(1, 128),
							stringvalidator.AlsoRequires(path.MatchRelative().AtParent().AtName("secret_wo_version")),
						},
					},
					"secret_wo_version": schema.Int64Attribute{
						Optional:            true,
						MarkdownDescription: "Change this number to send `secret_wo` again (rotation).",
						Validators:          []validator.Int64{int64validator.AlsoRequires(path.MatchRelative().AtParent().AtName("secret_wo"))},
					},
					"active": schema.BoolAttribute{
						Optional:            true,
						MarkdownDescription: "Whether events are delivered. Unset means `true`.",
					},
				},
			},
		},
	}
}

func (r *connectionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig checks what needs no provider: exactly one credential, and
// a managed token that fits its level.
func (r *connectionResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var config connectionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Only known values count: a value that depends on a variable or a
	// resource not known yet (e.g. a conditional) is checked again once it
	// is known.
	var kinds []string
	unknown := false
	for _, c := range []struct {
		name  string
		value attr.Value
	}{{"managed_token", config.ManagedToken}, {"token", config.Token}, {"token_wo", config.TokenWO}} {
		switch {
		case c.value.IsUnknown():
			unknown = true
		case !c.value.IsNull():
			kinds = append(kinds, c.name)
		}
	}
	switch {
	case len(kinds) == 0 && unknown:
	case len(kinds) == 0 && !config.TokenWOVersion.IsNull():
		// token_wo_version's AlsoRequires says what is missing.
	case len(kinds) == 0:
		resp.Diagnostics.AddAttributeError(path.Root("token"), "Missing credential",
			"A connection needs exactly one credential: a managed_token block (Data Center: the provider creates "+
				"the token), or a token you supply in token or token_wo (+ token_wo_version).")
	case len(kinds) > 1:
		resp.Diagnostics.AddAttributeError(path.Root(kinds[1]), "Conflicting credentials",
			fmt.Sprintf("Set only one of managed_token, token and token_wo (got %s).", strings.Join(kinds, " and ")))
	}
	if config.ManagedToken.IsNull() || config.ManagedToken.IsUnknown() {
		return
	}
	if !config.Username.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("username"), "username does not apply to a managed token",
			"A managed token is sent as a Bearer token; username is only for a supplied token that uses Basic auth. Remove username.")
	}
	mt := objectAs[managedTokenModel](ctx, config.ManagedToken, &resp.Diagnostics)
	levelPath := path.Root("managed_token").AtName("level")
	if mt.Level.IsNull() {
		resp.Diagnostics.AddAttributeError(levelPath, "Missing managed token level",
			`Set level to "repository", "project" or "user".`)
	}
	if mt.Permissions.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("managed_token").AtName("permissions"), "Missing managed token permissions",
			"Set permissions to what the service needs, e.g. [\"REPO_READ\"].")
	}
	if mt.Level.ValueString() == "repository" {
		if config.Repository.IsNull() {
			resp.Diagnostics.AddAttributeError(levelPath, "A repository token needs a repository",
				`level = "repository" makes a repository access token: set repository, or use level = "project" for a workspace connection.`)
		}
		var perms []string
		if !mt.Permissions.IsUnknown() {
			resp.Diagnostics.Append(mt.Permissions.ElementsAs(ctx, &perms, false)...)
		}
		for _, p := range perms {
			if !slices.Contains(repositoryTokenPermissions, p) {
				resp.Diagnostics.AddAttributeError(path.Root("managed_token").AtName("permissions"), "Permission not allowed for a repository token",
					fmt.Sprintf("%s is not a repository permission. A repository token may carry only %s; use level = \"project\" or \"user\" for project permissions.",
						p, strings.Join(repositoryTokenPermissions, ", ")))
			}
		}
	}
	if wh := config.Webhook; !wh.IsNull() && !wh.IsUnknown() {
		w := objectAs[connectionWebhookModel](ctx, wh, &resp.Diagnostics)
		if w.URL.IsNull() || w.Events.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("webhook"), "Incomplete webhook", "A webhook block needs url and events.")
		}
	}
}

// objectAs converts a known, non-null object into its model.
func objectAs[T any](ctx context.Context, o types.Object, diags *diag.Diagnostics) T {
	var m T
	if o.IsNull() || o.IsUnknown() {
		return m
	}
	diags.Append(o.As(ctx, &m, objectAsOptions)...)
	return m
}

func connectionID(workspace, repository, name string) string {
	if repository == "" {
		return workspace + "/" + name
	}
	return workspace + "/" + repository + "/" + name
}

func (r *connectionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or provider not configured yet
	}
	var plan, config connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	var state *connectionModel
	if !req.State.Raw.IsNull() {
		state = &connectionModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	client := r.data.client

	if !planDefaultWorkspace(ctx, r.data, plan.Workspace, req, resp) {
		return
	}
	resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("workspace"), &plan.Workspace)...)

	managed := !config.ManagedToken.IsNull()
	if managed && client.Product() == bitbucket.ProductCloud {
		resp.Diagnostics.AddAttributeError(path.Root("managed_token"), "Managed tokens need Bitbucket Data Center",
			"Bitbucket Cloud has no API to create access tokens, so the provider cannot make one for this connection. "+
				"Create a repository, project or workspace access token (or an API token) in Bitbucket's web UI with the "+
				"permissions the service needs, and supply it in token_wo (+ token_wo_version) or token, with username "+
				"for an API token. Remove the managed_token block.")
		return
	}

	if managed {
		mt := objectAs[managedTokenModel](ctx, config.ManagedToken, &resp.Diagnostics)
		if level := bitbucket.TokenLevel(mt.Level.ValueString()); minimumTokenVersion[level] != "" {
			requireServerVersion(&resp.Diagnostics, client, minimumTokenVersion[level], "a managed "+string(level)+" token")
		}
	}

	repositoryLevel := !plan.Repository.IsNull()
	if wh := objectAs[connectionWebhookModel](ctx, plan.Webhook, &resp.Diagnostics); !plan.Webhook.IsNull() {
		checkWebhookEvents(ctx, client, repositoryLevel, wh.Events, path.Root("webhook").AtName("events"), &resp.Diagnostics)
	}

	if plan.Workspace.IsUnknown() || plan.Name.IsUnknown() || plan.Repository.IsUnknown() {
		plan.ID = types.StringUnknown()
	} else {
		plan.ID = types.StringValue(connectionID(plan.Workspace.ValueString(), plan.Repository.ValueString(), plan.Name.ValueString()))
	}

	// The token: a new managed one whenever there is none usable in state.
	switch {
	case managed:
		if state != nil && !needsNewToken(ctx, plan, *state, &resp.Diagnostics) {
			plan.TokenID, plan.Token = state.TokenID, state.Token
		} else {
			plan.TokenID, plan.Token = types.StringUnknown(), types.StringUnknown()
		}
	case !config.Token.IsNull():
		plan.TokenID = types.StringNull()
	default:
		plan.TokenID, plan.Token = types.StringNull(), types.StringNull()
	}

	switch {
	case plan.Webhook.IsNull():
		plan.WebhookID = types.StringNull()
	case state != nil && !state.Webhook.IsNull() && !state.WebhookID.IsNull() && !state.WebhookID.IsUnknown():
		plan.WebhookID = state.WebhookID
	default:
		plan.WebhookID = types.StringUnknown()
	}

	switch {
	case plan.Repository.IsNull():
		plan.CloneHTTPS, plan.CloneSSH = types.StringNull(), types.StringNull()
	case state != nil && !state.CloneHTTPS.IsNull():
		plan.CloneHTTPS, plan.CloneSSH = state.CloneHTTPS, state.CloneSSH
	default:
		plan.CloneHTTPS, plan.CloneSSH = types.StringUnknown(), types.StringUnknown()
	}

	// verified_permissions is planned as what the credential should be able
	// to do; a refresh that found otherwise makes this a diff.
	switch {
	case !plan.Verify.IsUnknown() && !plan.Verify.ValueBool():
		plan.VerifiedPermissions = types.SetNull(types.StringType)
	case managed:
		mt := objectAs[managedTokenModel](ctx, plan.ManagedToken, &resp.Diagnostics)
		var perms []string
		if mt.Permissions.IsUnknown() {
			plan.VerifiedPermissions = types.SetUnknown(types.StringType)
			break
		}
		resp.Diagnostics.Append(mt.Permissions.ElementsAs(ctx, &perms, false)...)
		plan.VerifiedPermissions = levelsSet(levelsForPermissions(perms))
	default:
		baseline, known := readBaseline(ctx, req.Private, &resp.Diagnostics)
		switch {
		case state == nil || suppliedCredentialChanged(plan, *state) || state.VerifiedPermissions.IsNull():
			plan.VerifiedPermissions = types.SetUnknown(types.StringType)
		case known && !setEqualsStrings(ctx, state.VerifiedPermissions, baseline):
			// What the refresh found differs from what was verified at apply.
			plan.VerifiedPermissions = types.SetUnknown(types.StringType)
		default:
			plan.VerifiedPermissions = state.VerifiedPermissions
		}
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// needsNewToken reports whether the plan needs a new managed token: there
// is none usable in state (not created, revoked, value unknown after an
// import) or its level, expiry or owner changes.
func needsNewToken(ctx context.Context, plan, state connectionModel, diags *diag.Diagnostics) bool {
	if state.ManagedToken.IsNull() || state.TokenID.IsNull() || state.TokenID.IsUnknown() || state.Token.IsNull() {
		return true
	}
	p := objectAs[managedTokenModel](ctx, plan.ManagedToken, diags)
	s := objectAs[managedTokenModel](ctx, state.ManagedToken, diags)
	return !p.Level.Equal(s.Level) || !p.ExpiryDays.Equal(s.ExpiryDays)
}

// suppliedCredentialChanged reports whether a supplied credential differs
// from the one last verified, so it must be checked again.
func suppliedCredentialChanged(plan, state connectionModel) bool {
	return !plan.Token.Equal(state.Token) || !plan.Username.Equal(state.Username) ||
		!plan.TokenWOVersion.Equal(state.TokenWOVersion) || !state.ManagedToken.IsNull() ||
		!state.Verify.ValueBool()
}

func (r *connectionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	parts := strings.Split(req.ID, "/")
	if (len(parts) != 2 && len(parts) != 3) || slices.Contains(parts, "") {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("Expected <workspace>/<name> for a workspace connection or <workspace>/<repository>/<name> for a "+
				"repository connection (workspace = Cloud workspace slug or Data Center project key), got %q.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("workspace"), parts[0])...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), parts[len(parts)-1])...)
	if len(parts) == 3 {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("repository"), parts[1])...)
	}
}

// scopes of a model.
func hookScopeOf(m connectionModel) bitbucket.WebhookScope {
	return bitbucket.WebhookScope{Workspace: m.Workspace.ValueString(), Repository: m.Repository.ValueString()}
}

func tokenScopeOf(ctx context.Context, m connectionModel, diags *diag.Diagnostics) bitbucket.TokenScope {
	mt := objectAs[managedTokenModel](ctx, m.ManagedToken, diags)
	scope := bitbucket.TokenScope{Level: bitbucket.TokenLevel(mt.Level.ValueString()), Workspace: m.Workspace.ValueString()}
	if scope.Level == bitbucket.TokenLevelRepository {
		scope.Repository = m.Repository.ValueString()
	}
	return scope
}

// describeConnection names the connection in diagnostics.
func describeConnection(m connectionModel) string {
	return fmt.Sprintf("connection %q (%s)", m.Name.ValueString(),
		connectionID(m.Workspace.ValueString(), m.Repository.ValueString(), m.Name.ValueString()))
}

func (r *connectionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state connectionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client := r.data.client
	if id := state.WebhookID.ValueString(); id != "" {
		if err := client.DeleteWebhook(ctx, hookScopeOf(state), id); err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
			clientErrorDiagnostic(&resp.Diagnostics, client, "delete the webhook of "+describeConnection(state), err)
			return
		}
	}
	if id := state.TokenID.ValueString(); id != "" && !state.ManagedToken.IsNull() {
		if err := client.DeleteAccessToken(ctx, tokenScopeOf(ctx, state, &resp.Diagnostics), id); err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
			clientErrorDiagnostic(&resp.Diagnostics, client, "revoke the token of "+describeConnection(state), err)
			return
		}
	}
	tflog.Info(ctx, "Connection deleted", map[string]any{"id": state.ID.ValueString()})
}

// nullUnknowns turns the computed values still unknown into null, so that
// state saved on a failed apply holds no unknowns.
func (m *connectionModel) nullUnknowns() {
	for _, s := range []*types.String{&m.ID, &m.Token, &m.TokenID, &m.WebhookID, &m.CloneHTTPS, &m.CloneSSH} {
		if s.IsUnknown() {
			*s = types.StringNull()
		}
	}
	if m.VerifiedPermissions.IsUnknown() {
		m.VerifiedPermissions = types.SetNull(types.StringType)
	}
}

func (r *connectionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state := plan
	state.nullUnknowns()
	// Whatever was made is saved, also when a later step fails: the
	// connection is then tainted and the next apply replaces it.
	defer func() { resp.Diagnostics.Append(resp.State.Set(ctx, &state)...) }()

	if !plan.ManagedToken.IsNull() {
		tok := r.createToken(ctx, state, &resp.Diagnostics)
		if tok == nil {
			return
		}
		state.TokenID, state.Token = types.StringValue(tok.ID), types.StringValue(tok.Token)
	}
	if !plan.Webhook.IsNull() {
		if !r.createHook(ctx, &state, config, resp.Private, &resp.Diagnostics) {
			return
		}
	}
	r.verifyOnApply(ctx, &state, config, plan.VerifiedPermissions, resp.Private, &resp.Diagnostics)
}

func (r *connectionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state connectionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.data == nil {
		return
	}
	if state.Verify.IsNull() {
		// Just imported: only the ID's parts are known.
		r.readImported(ctx, &state, &resp.Diagnostics)
		if !resp.Diagnostics.HasError() {
			resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		}
		return
	}
	prior := state
	client := r.data.client

	// The repository: when it is gone, so are its token and webhook.
	if repository := state.Repository.ValueString(); repository != "" {
		repo, err := client.GetRepository(ctx, state.Workspace.ValueString(), repository)
		if errors.Is(err, bitbucket.ErrNotFound) {
			tflog.Info(ctx, "Repository of the connection no longer exists; removing the connection from state", map[string]any{"id": state.ID.ValueString()})
			resp.State.RemoveResource(ctx)
			return
		}
		if err != nil {
			clientErrorDiagnostic(&resp.Diagnostics, client, "read the repository of "+describeConnection(state), err)
			return
		}
		state.CloneHTTPS, state.CloneSSH = types.StringValue(repo.CloneHTTPS), types.StringValue(repo.CloneSSH)
	}

	managed := !state.ManagedToken.IsNull()
	if managed && state.TokenID.ValueString() != "" {
		tok, err := client.GetAccessToken(ctx, tokenScopeOf(ctx, state, &resp.Diagnostics), state.TokenID.ValueString())
		switch {
		case errors.Is(err, bitbucket.ErrNotFound):
			resp.Diagnostics.AddWarning("Connection token was revoked",
				fmt.Sprintf("The managed token %s of %s no longer exists in Bitbucket (revoked outside Terraform). The "+
					"next apply creates a new one; hand its value (token) to the service again.",
					state.TokenID.ValueString(), describeConnection(state)))
			state.TokenID, state.Token = types.StringNull(), types.StringNull()
			if state.Verify.ValueBool() {
				state.VerifiedPermissions = levelsSet(nil)
			}
		case err != nil:
			clientErrorDiagnostic(&resp.Diagnostics, client, "read the token of "+describeConnection(state), err)
			return
		default:
			state.ManagedToken = managedTokenWithPermissions(ctx, state.ManagedToken, tok.Permissions, &resp.Diagnostics)
		}
	}

	if id := state.WebhookID.ValueString(); id != "" {
		hook, err := client.GetWebhook(ctx, hookScopeOf(state), id)
		switch {
		case errors.Is(err, bitbucket.ErrNotFound):
			tflog.Info(ctx, "Webhook of the connection no longer exists; the plan creates it again", map[string]any{"id": id})
			state.WebhookID = types.StringNull()
		case err != nil:
			clientErrorDiagnostic(&resp.Diagnostics, client, "read the webhook of "+describeConnection(state), err)
			return
		default:
			fingerprint := readFingerprint(ctx, req.Private, &resp.Diagnostics)
			state.Webhook = r.fillHook(ctx, state.Webhook, hook, fingerprint, &resp.Diagnostics)
		}
	}

	// The check runs where the credential is in state; a write-only token
	// is checked only when it is sent.
	if state.Verify.ValueBool() {
		if cred, ok := credentialOf(state, types.StringNull()); ok {
			var expected []string
			if managed {
				expected = levelsForPermissions(stringsOf(ctx, objectAs[managedTokenModel](ctx, prior.ManagedToken, &resp.Diagnostics).Permissions, &resp.Diagnostics))
			} else if baseline, known := readBaseline(ctx, req.Private, &resp.Diagnostics); known {
				expected = baseline
			}
			res, err := r.check(ctx, state, cred, expected)
			if err != nil {
				clientErrorDiagnostic(&resp.Diagnostics, client, "check the credential of "+describeConnection(state), err)
				return
			}
			state.VerifiedPermissions = levelsSet(res.levels)
			if res.rejected && managed {
				// Expired or otherwise dead: the plan makes a new token.
				state.Token = types.StringNull()
			}
			addCheckDiagnostics(&resp.Diagnostics, state, res, false)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *connectionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state, config connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client := r.data.client
	next := plan
	next.nullUnknowns()
	next.TokenID, next.Token = plan.TokenID, plan.Token
	next.WebhookID = plan.WebhookID
	// What was changed is saved, also when a later step fails.
	defer func() {
		next.nullUnknowns()
		resp.Diagnostics.Append(resp.State.Set(ctx, &next)...)
	}()

	// The token.
	managed := !plan.ManagedToken.IsNull()
	hadToken := !state.ManagedToken.IsNull() && state.TokenID.ValueString() != ""
	switch {
	case managed && plan.TokenID.IsUnknown():
		if hadToken && !r.deleteToken(ctx, state, &resp.Diagnostics) {
			next.TokenID, next.Token, next.ManagedToken = state.TokenID, state.Token, state.ManagedToken
			return
		}
		next.TokenID, next.Token = types.StringNull(), types.StringNull()
		tok := r.createToken(ctx, next, &resp.Diagnostics)
		if tok == nil {
			return
		}
		next.TokenID, next.Token = types.StringValue(tok.ID), types.StringValue(tok.Token)
	case managed:
		if !plan.ManagedToken.Equal(state.ManagedToken) || !plan.Name.Equal(state.Name) {
			mt := objectAs[managedTokenModel](ctx, plan.ManagedToken, &resp.Diagnostics)
			in := bitbucket.AccessTokenInput{Name: plan.Name.ValueString(), Permissions: sortedCopy(stringsOf(ctx, mt.Permissions, &resp.Diagnostics))}
			_, err := client.UpdateAccessToken(ctx, tokenScopeOf(ctx, plan, &resp.Diagnostics), plan.TokenID.ValueString(), in)
			if err != nil {
				// Nothing was renamed: state keeps the old name, so the next
				// plan sends the rename again.
				next.ManagedToken, next.Name, next.ID = state.ManagedToken, state.Name, state.ID
				msg := "update the token of " + describeConnection(plan)
				if errors.Is(err, bitbucket.ErrNotFound) {
					err = fmt.Errorf("%w (the token was revoked during this apply: run terraform apply again to create a new one)", err)
				}
				clientErrorDiagnostic(&resp.Diagnostics, client, msg, err)
				return
			}
		}
	case hadToken:
		if !r.deleteToken(ctx, state, &resp.Diagnostics) {
			return
		}
	}

	// The webhook.
	hadHook := state.WebhookID.ValueString() != ""
	switch {
	case plan.Webhook.IsNull() && hadHook:
		if err := client.DeleteWebhook(ctx, hookScopeOf(state), state.WebhookID.ValueString()); err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
			next.WebhookID, next.Webhook = state.WebhookID, state.Webhook
			clientErrorDiagnostic(&resp.Diagnostics, client, "delete the webhook of "+describeConnection(state), err)
			return
		}
	case plan.Webhook.IsNull():
	case plan.WebhookID.IsUnknown():
		if !r.createHook(ctx, &next, config, resp.Private, &resp.Diagnostics) {
			return
		}
	case !plan.Webhook.Equal(state.Webhook) || !plan.Name.Equal(state.Name):
		if !r.updateHook(ctx, &next, state, config, resp.Private, &resp.Diagnostics) {
			// The hook keeps its old name and settings; so does state, and
			// the next plan renames (idempotently) and updates again.
			next.Webhook, next.Name, next.ID = state.Webhook, state.Name, state.ID
			return
		}
	}

	// A write-only token not sent again keeps its last check.
	if next.ManagedToken.IsNull() && next.Token.IsNull() && !plan.VerifiedPermissions.IsUnknown() {
		return
	}
	r.verifyOnApply(ctx, &next, config, plan.VerifiedPermissions, resp.Private, &resp.Diagnostics)
}

// verifyOnApply checks the credential after create or update (unless
// verify is off) and fills what the check reads: verified_permissions and
// the clone URLs. A failure is an error: the credential does not do what
// the connection needs.
func (r *connectionResource) verifyOnApply(ctx context.Context, m *connectionModel, config connectionModel, planned types.Set, private interface {
	SetKey(context.Context, string, []byte) diag.Diagnostics
}, diags *diag.Diagnostics) {
	client := r.data.client
	defer func() {
		// Clone URLs come from the provider's own read when the check did not give them.
		if repository := m.Repository.ValueString(); repository != "" && m.CloneHTTPS.IsNull() && !diags.HasError() {
			repo, err := client.GetRepository(ctx, m.Workspace.ValueString(), repository)
			if err != nil {
				clientErrorDiagnostic(diags, client, "read the repository of "+describeConnection(*m), err)
				return
			}
			m.CloneHTTPS, m.CloneSSH = types.StringValue(repo.CloneHTTPS), types.StringValue(repo.CloneSSH)
		}
	}()
	if !m.Verify.ValueBool() {
		m.VerifiedPermissions = types.SetNull(types.StringType)
		return
	}
	cred, ok := credentialOf(*m, config.TokenWO)
	if !ok {
		diags.AddAttributeError(pathToken, "No credential to check",
			"The connection has no token value to check (token_wo was not given in this run). Pass token_wo, or set verify = false.")
		return
	}
	var expected []string
	if !planned.IsUnknown() && !planned.IsNull() {
		expected = stringsOf(ctx, planned, diags)
	}
	res, err := r.check(ctx, *m, cred, expected)
	if err != nil {
		clientErrorDiagnostic(diags, client, "check the credential of "+describeConnection(*m), err)
		return
	}
	m.VerifiedPermissions = levelsSet(res.levels)
	if res.repository != nil {
		m.CloneHTTPS, m.CloneSSH = types.StringValue(res.repository.CloneHTTPS), types.StringValue(res.repository.CloneSSH)
	}
	addCheckDiagnostics(diags, *m, res, true)
	if res.failure == "" && m.ManagedToken.IsNull() {
		writeBaseline(ctx, private, res.levels, diags)
	}
}

var pathToken = path.Root("token_wo")

// stringsOf reads a set of strings (nil when null or unknown).
func stringsOf(ctx context.Context, set types.Set, diags *diag.Diagnostics) []string {
	if set.IsNull() || set.IsUnknown() {
		return nil
	}
	var out []string
	diags.Append(set.ElementsAs(ctx, &out, false)...)
	return out
}
