package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
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
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var (
	_ resource.ResourceWithImportState      = &connectionResource{}
	_ resource.ResourceWithModifyPlan       = &connectionResource{}
	_ resource.ResourceWithConfigure        = &connectionResource{}
	_ resource.ResourceWithValidateConfig   = &connectionResource{}
	_ resource.ResourceWithConfigValidators = &connectionResource{}
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
	ID               types.String `tfsdk:"id"`
	Name             types.String `tfsdk:"name"`
	Workspace        types.String `tfsdk:"workspace"`
	Repository       types.String `tfsdk:"repository"`
	ManagedToken     types.Object `tfsdk:"managed_token"`
	ManagedAccessKey types.Object `tfsdk:"managed_access_key"`
	AccessKeyID      types.String `tfsdk:"access_key_id"`
	PublicKey        types.String `tfsdk:"public_key"`
	PrivateKey       types.String `tfsdk:"private_key_openssh"`
	Token            types.String `tfsdk:"token"`
	TokenWO          types.String `tfsdk:"token_wo"`
	TokenWOVersion   types.Int64  `tfsdk:"token_wo_version"`
	Username         types.String `tfsdk:"username"`
	Webhook          types.Object `tfsdk:"webhook"`
	Verify           types.Bool   `tfsdk:"verify"`
	// CheckWebhookDelivery: connection_delivery.go.
	CheckWebhookDelivery types.Bool   `tfsdk:"check_webhook_delivery"`
	TokenID              types.String `tfsdk:"token_id"`
	WebhookID            types.String `tfsdk:"webhook_id"`
	VerifiedPermissions  types.Set    `tfsdk:"verified_permissions"`
	CloneHTTPS           types.String `tfsdk:"clone_https"`
	CloneSSH             types.String `tfsdk:"clone_ssh"`
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

// nestedAs decodes a known, non-null nested attribute (nil otherwise).
func nestedAs[T any](ctx context.Context, o types.Object, diags *diag.Diagnostics) *T {
	if o.IsNull() || o.IsUnknown() {
		return nil
	}
	var m T
	diags.Append(o.As(ctx, &m, objectAsOptions)...)
	return &m
}

// codeList is values as a list of inline code for the docs.
func codeList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	return strings.Join(quoted, ", ")
}

func connectionID(workspace, repository, name string) string {
	if repository == "" {
		return workspace + "/" + name
	}
	return workspace + "/" + repository + "/" + name
}

// describeConnection names the connection in diagnostics.
func describeConnection(m connectionModel) string {
	return fmt.Sprintf("connection %q (%s)", m.Name.ValueString(),
		connectionID(m.Workspace.ValueString(), m.Repository.ValueString(), m.Name.ValueString()))
}

func hookScopeOf(m connectionModel) bitbucket.WebhookScope {
	return bitbucket.WebhookScope{Workspace: m.Workspace.ValueString(), Repository: m.Repository.ValueString()}
}

// tokenScope is where a token of level lives for the connection m.
func tokenScope(m connectionModel, level bitbucket.TokenLevel) bitbucket.TokenScope {
	scope := bitbucket.TokenScope{Level: level, Workspace: m.Workspace.ValueString()}
	if level == bitbucket.TokenLevelRepository {
		scope.Repository = m.Repository.ValueString()
	}
	return scope
}

func (r *connectionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_connection"
}

// connectionDescription is the resource's documentation.
const connectionDescription = "Connects an external service (a CI, build or scanning service such as Xcode Cloud, " +
	"Appcircle, Nx Cloud or BluBracket) to a repository or a whole workspace, as one unit: the service's " +
	"credential, its webhook, and a check that the credential can read what the service needs.\n\n" +
	"The credential is exactly one of: a token the provider creates with exactly the permissions given " +
	"(`managed_token`, Data Center only), an SSH access key the provider makes (`managed_access_key`, Cloud and " +
	"Data Center: nothing to make by hand), or a token you supply (`token`, or write-only `token_wo`). The " +
	"webhook is created with the provider's own credentials, so the service's credential never needs " +
	"admin rights: no connection needs an admin token. With `verify` (the default) the provider calls " +
	"Bitbucket *with the connection's credential* after every apply and on every refresh where the " +
	"credential is in state, and a credential that stopped working (revoked, expired, permissions lowered) " +
	"shows as a change in the plan, with a warning that says what failed."

func (r *connectionResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "`<workspace>/<name>`, or `<workspace>/<repository>/<name>` for a repository connection (the import ID).",
		},
		"name": schema.StringAttribute{
			Required: true,
			MarkdownDescription: "Name of the connection, usually the service's name. Used as the name of the " +
				"managed token and of the webhook, and to find both on import. Must not contain `/`. Create " +
				"fails when a webhook or token of this name already exists where the connection would make one.",
			Validators: []validator.String{
				stringvalidator.UTF8LengthBetween(1, 255), notBlankValidator{},
				stringvalidator.RegexMatches(regexp.MustCompile(`^[^/]+$`), "must not contain /"),
			},
		},
		"workspace": schema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: workspaceDescription + " Changing it replaces the connection.",
			PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplaceIfConfigured(), stringplanmodifier.UseStateForUnknown()},
			Validators:          []validator.String{workspaceValidator},
		},
		"repository": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Repository slug for a repository connection. Leave it out to connect the whole " +
				"workspace (the check then covers every repository in it). Changing it replaces the connection.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			Validators:    []validator.String{repositoryValidator},
		},
		"managed_token":      managedTokenSchema(),
		"managed_access_key": managedAccessKeySchema(),
		"webhook":            connectionWebhookSchema(),
		"verify": schema.BoolAttribute{
			Optional: true, Computed: true, Default: booldefault.StaticBool(true),
			MarkdownDescription: "Check the credential with Bitbucket after create and update, and on refresh " +
				"where the credential is in state. Defaults to `true`.",
		},
	}
	attributes["check_webhook_delivery"] = checkWebhookDeliveryAttribute()
	maps.Copy(attributes, suppliedTokenAttributes())
	maps.Copy(attributes, connectionComputedAttributes())
	maps.Copy(attributes, accessKeyComputedAttributes())
	resp.Schema = schema.Schema{MarkdownDescription: connectionDescription, Attributes: attributes}
}

// tokenWOTradeOff is what token_wo costs: Terraform keeps no copy, so the
// check on every refresh (verified_permissions) cannot run.
const tokenWOTradeOff = "The trade-off: Terraform keeps no copy of a write-only token, so the connection checks it " +
	"only on create and when token_wo_version changes, not on every refresh as it does a token in state; a token " +
	"revoked or narrowed outside Terraform goes unnoticed until then."

// suppliedTokenAttributes are the attributes of a token the user supplies
// (and token, which also holds a managed token's value).
func suppliedTokenAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"token": schema.StringAttribute{
			Optional: true, Computed: true, Sensitive: true,
			MarkdownDescription: "The connection's token. Either supplied (kept in state, sensitive) or, with " +
				"`managed_token`, the value of the token the provider created (computed, sensitive): hand it to " +
				"the service. Prefer `token_wo` for a supplied token that should not be in state; " + tokenWOTradeOff + " Exactly one " +
				"of `managed_token`, `managed_access_key`, `token` and `token_wo` is set.",
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
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
				"Center HTTP access token). Not with `managed_token`, which is sent as Bearer.",
			Validators: []validator.String{
				stringvalidator.LengthAtLeast(1),
				stringvalidator.ConflictsWith(path.MatchRoot("managed_token")),
			},
		},
	}
}

// connectionComputedAttributes are what the provider fills in.
func connectionComputedAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
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
	}
}

func managedTokenSchema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "A token the provider creates for the service (Bitbucket Data Center only: " + cloudHasNoTokens +
			", so on Cloud this is a plan-time error; supply `token` or `token_wo`). " +
			"It gets exactly `permissions`, its value is in `token`, and it is revoked when the connection " +
			"is destroyed. A token revoked or changed outside Terraform is recreated or restored on the next " +
			"apply.",
		Attributes: map[string]schema.Attribute{
			"level": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "`repository` (a repository access token; needs `repository`), `project` " +
					"(a project access token of `workspace`) or `user` (a personal token of the provider's " +
					"user; token creation needs the provider configured with a password). Changing it makes a new token.",
				Validators: []validator.String{stringvalidator.OneOf(madeCredentialLevels("managed_token")...)},
			},
			"permissions": schema.SetAttribute{
				Required:    true,
				ElementType: types.StringType,
				MarkdownDescription: "The token's permissions, checked at plan time against `level` and changed in " +
					"place: any of " + codeList(validTokenPermissions(bitbucket.TokenLevelRepository)) + "; project and " +
					"user tokens may also carry " + codeList(projectPermissions) + ".",
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(stringvalidator.OneOf(validTokenPermissions(bitbucket.TokenLevelProject)...)),
				},
			},
			"expiry_days": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "Days until the token expires (1 to 36500); no expiry when unset. Changing it makes a new token.",
				Validators:          []validator.Int64{tokenExpiryDaysValidator()},
			},
		},
	}
}

func connectionWebhookSchema() schema.SingleNestedAttribute {
	parent := path.MatchRelative().AtParent()
	return schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "The service's webhook, on the repository (or on the workspace / project for a " +
			"workspace connection), named after the connection. It is created with the provider's own " +
			"credentials, so the connection's credential needs no admin permission.",
		Attributes: map[string]schema.Attribute{
			"url": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: webhookURLDescription,
				Validators:          []validator.String{httpURLValidator{}},
			},
			"events": schema.SetAttribute{
				Required:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Events in the product's own names (`repo:push`, `pullrequest:created` on " +
					"Cloud; `repo:refs_changed`, `pr:opened` on Data Center), checked at plan time.",
				Validators: []validator.Set{setvalidator.SizeAtLeast(1)},
			},
			"secret_wo":         secretWOAttribute(parent.AtName),
			"secret_wo_version": secretWOVersionAttribute(parent.AtName),
			"active": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Whether events are delivered. Unset means `true`.",
			},
		},
	}
}

func (r *connectionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ConfigValidators: exactly one credential. Unknown values (a credential
// chosen by a variable not known yet) are checked once they are known.
func (r *connectionResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.ExactlyOneOf(connectionCredentials...),
		// Terraform 1.11+ warns that token_wo keeps the token out of state.
		preferWriteOnly{attribute: "token", writeOnly: "token_wo", tradeOff: tokenWOTradeOff},
	}
}

// ValidateConfig checks what the schema cannot: a managed token's
// permissions against its level, and a repository for a repository token.
func (r *connectionResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var config connectionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	checkCredentialScope(config, &resp.Diagnostics)
	validateAccessKeyConfig(ctx, config, &resp.Diagnostics)
	mt := nestedAs[managedTokenModel](ctx, config.ManagedToken, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || mt == nil || mt.Level.IsUnknown() {
		return
	}
	level := bitbucket.TokenLevel(mt.Level.ValueString())
	if !mt.Permissions.IsUnknown() {
		checkTokenPermissions(level, knownStrings(ctx, mt.Permissions, &resp.Diagnostics),
			path.Root("managed_token").AtName("permissions"), &resp.Diagnostics)
	}
}

// ModifyPlan plans what only the provider knows: the default workspace,
// what the product supports, and the computed attributes.
func (r *connectionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or provider not configured yet
	}
	var plan, config connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !planDefaultWorkspace(ctx, r.data, plan.Workspace, req, resp) {
		return
	}
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	state := priorConnection(ctx, req.State, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	r.checkProductSupports(ctx, plan, config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	imported := readImportMarker(ctx, req.Private, &resp.Diagnostics)
	planIdentity(&plan)
	planToken(ctx, &plan, config, state, &resp.Diagnostics)
	r.planAccessKey(ctx, &plan, state, &resp.Diagnostics)
	warnImportedTokens(ctx, plan, imported, &resp.Diagnostics)
	warnImportedKeyHasNoPrivateKey(plan, state, imported, &resp.Diagnostics)
	planWebhookAndClone(&plan, state)
	planVerifiedPermissions(ctx, &plan, config, state, req.Private, &resp.Diagnostics)
	if levels, ok := r.plannedKeyLevels(ctx, plan, &resp.Diagnostics); ok && plan.Verify.ValueBool() {
		plan.VerifiedPermissions = stringSet(levels) // a key is checked against its permission
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	warnWidening(req.State, resp.Plan, &resp.Diagnostics, connectionWidening)
}

// priorConnection is the state before the plan (nil when creating).
func priorConnection(ctx context.Context, state tfsdk.State, diags *diag.Diagnostics) *connectionModel {
	if state.Raw.IsNull() {
		return nil
	}
	var m connectionModel
	diags.Append(state.Get(ctx, &m)...)
	return &m
}

// checkProductSupports adds plan-time errors for what the product (or the
// server's version) cannot do: managed tokens, and webhook events that are
// not in its catalogue. Whatever the credential, the webhook is checked.
func (r *connectionResource) checkProductSupports(ctx context.Context, plan, config connectionModel, diags *diag.Diagnostics) {
	client := r.data.client
	// An unknown managed_token (chosen by a value not known yet) is checked
	// when it is known.
	managed := !config.ManagedToken.IsNull() && !config.ManagedToken.IsUnknown()
	if caps := client.Capabilities(); managed && !caps.AccessTokens {
		diags.AddAttributeError(path.Root("managed_token"), "Managed tokens need Bitbucket Data Center",
			caps.AccessTokensUnsupported+"\n\nFor this connection, create the token there (or use an API token, "+
				"with username), supply it in this connection's token_wo (+ token_wo_version) or token, and remove "+
				"managed_token.")
		return
	}
	if mt := nestedAs[managedTokenModel](ctx, config.ManagedToken, diags); mt != nil {
		if level := bitbucket.TokenLevel(mt.Level.ValueString()); minimumTokenVersion[level] != "" {
			requireServerVersion(diags, client, minimumTokenVersion[level], "a managed "+string(level)+" token")
		}
	}
	r.checkAccessKeySupported(ctx, config, diags)
	checkDeliveryPlan(client, config, diags)
	if wh := nestedAs[connectionWebhookModel](ctx, plan.Webhook, diags); wh != nil {
		checkWebhookEvents(ctx, client, !plan.Repository.IsNull(), wh.Events, path.Root("webhook").AtName("events"), diags)
	}
}

// planIdentity plans the id from the attributes that name the connection.
func planIdentity(plan *connectionModel) {
	if plan.Workspace.IsUnknown() || plan.Name.IsUnknown() || plan.Repository.IsUnknown() {
		plan.ID = types.StringUnknown()
		return
	}
	plan.ID = types.StringValue(connectionID(plan.Workspace.ValueString(), plan.Repository.ValueString(), plan.Name.ValueString()))
}

// planToken: a new managed token whenever there is none usable in state.
func planToken(ctx context.Context, plan *connectionModel, config connectionModel, state *connectionModel, diags *diag.Diagnostics) {
	switch {
	case !config.ManagedToken.IsNull():
		if state != nil && tokenReusable(ctx, *plan, *state, diags) {
			plan.TokenID, plan.Token = state.TokenID, state.Token
		} else {
			plan.TokenID, plan.Token = types.StringUnknown(), types.StringUnknown()
		}
	case !config.Token.IsNull():
		plan.TokenID = types.StringNull()
	default:
		plan.TokenID, plan.Token = types.StringNull(), types.StringNull()
	}
}

// tokenReusable reports whether the managed token in state serves the plan:
// it exists, its value is known (not after an import) and its level and
// expiry are the planned ones.
func tokenReusable(ctx context.Context, plan, state connectionModel, diags *diag.Diagnostics) bool {
	p := nestedAs[managedTokenModel](ctx, plan.ManagedToken, diags)
	s := nestedAs[managedTokenModel](ctx, state.ManagedToken, diags)
	if p == nil || s == nil || state.TokenID.ValueString() == "" || state.Token.ValueString() == "" {
		return false
	}
	return p.Level.Equal(s.Level) && p.ExpiryDays.Equal(s.ExpiryDays)
}

// planWebhookAndClone keeps the webhook id and clone URLs known where state
// has them.
func planWebhookAndClone(plan *connectionModel, state *connectionModel) {
	switch {
	case plan.Webhook.IsNull():
		plan.WebhookID = types.StringNull()
	case state != nil && !state.Webhook.IsNull() && state.WebhookID.ValueString() != "":
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
}

// planVerifiedPermissions plans what the credential should be able to do;
// a refresh that found otherwise makes this a diff.
func planVerifiedPermissions(ctx context.Context, plan *connectionModel, config connectionModel, state *connectionModel, private privateGetKey, diags *diag.Diagnostics) {
	mt := nestedAs[managedTokenModel](ctx, plan.ManagedToken, diags)
	switch {
	case !plan.Verify.IsUnknown() && !plan.Verify.ValueBool():
		plan.VerifiedPermissions = types.SetNull(types.StringType)
	case plan.ManagedToken.IsUnknown() || (mt != nil && mt.Permissions.IsUnknown()):
		plan.VerifiedPermissions = types.SetUnknown(types.StringType)
	case mt != nil:
		plan.VerifiedPermissions = stringSet(levelsForPermissions(knownStrings(ctx, mt.Permissions, diags)))
	case state == nil || suppliedCredentialChanged(*plan, config, *state) || state.VerifiedPermissions.IsNull():
		plan.VerifiedPermissions = types.SetUnknown(types.StringType)
	default:
		baseline, known := readBaseline(ctx, private, diags)
		if known && !setEqualsStrings(ctx, state.VerifiedPermissions, baseline) {
			// What the refresh found differs from what was verified at apply.
			plan.VerifiedPermissions = types.SetUnknown(types.StringType)
			return
		}
		plan.VerifiedPermissions = state.VerifiedPermissions
	}
}

// suppliedCredentialChanged reports whether a supplied credential differs
// from the one last verified, so it must be checked again.
func suppliedCredentialChanged(plan, config, state connectionModel) bool {
	return !config.Token.Equal(state.Token) || !plan.Username.Equal(state.Username) ||
		!plan.TokenWOVersion.Equal(state.TokenWOVersion) || !state.ManagedToken.IsNull() ||
		!state.Verify.ValueBool()
}

// ImportState takes the ID's parts; the Read that follows finds the
// webhook and tokens named after the connection (the import marker tells
// it to).
func (r *connectionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := req.ID
	if id == "" {
		if id = connectionIDFromIdentity(ctx, req, &resp.Diagnostics); id == "" {
			return
		}
	}
	parts := strings.Split(id, "/")
	if (len(parts) != 2 && len(parts) != 3) || slices.Contains(parts, "") {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("Expected <workspace>/<name> for a workspace connection or <workspace>/<repository>/<name> for a "+
				"repository connection (workspace = Cloud workspace slug or Data Center project key), got %q.", id))
		return
	}
	shape := []importPart{importWorkspace, importConnectionName}
	if len(parts) == 3 {
		shape = []importPart{importWorkspace, importRepository, importConnectionName}
	}
	if parseImportID(&resp.Diagnostics, id, shape...) == nil {
		return
	}
	// The workspace as Bitbucket spells it, as for every import (importIntoState).
	if parts[0] = canonicalWorkspace(ctx, r.data, parts[0], &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	if len(parts) == 3 {
		if parts[1] = canonicalRepository(ctx, r.data, parts[0], parts[1], &resp.Diagnostics); resp.Diagnostics.HasError() {
			return
		}
	}
	id = strings.Join(parts, "/")
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("workspace"), parts[0])...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), parts[len(parts)-1])...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("verify"), true)...)
	if len(parts) == 3 {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("repository"), parts[1])...)
	}
	writeImportMarker(ctx, resp.Private, &importMarker{Pending: true}, &resp.Diagnostics)
}

func (r *connectionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	mt := nestedAs[managedTokenModel](ctx, plan.ManagedToken, &resp.Diagnostics)
	wh := nestedAs[connectionWebhookModel](ctx, plan.Webhook, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	hooksListed, ok := r.refuseExisting(ctx, plan, mt, wh, &resp.Diagnostics)
	if !ok || !r.refuseExistingKey(ctx, plan, &resp.Diagnostics) {
		return
	}
	var remote remoteConnection
	// Runs after the saveState below (deferred calls run last first).
	defer func() { syncIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics) }()
	// Whatever was made is saved, also when a later step fails: the
	// connection is then tainted and the next apply replaces it.
	defer func() { r.saveState(ctx, &resp.State, plan, remote, &resp.Diagnostics) }()
	if mt != nil {
		if remote.token = r.createToken(ctx, plan, *mt, true, &resp.Diagnostics); remote.token == nil || resp.Diagnostics.HasError() {
			return
		}
	}
	if mk := nestedAs[managedAccessKeyModel](ctx, plan.ManagedAccessKey, &resp.Diagnostics); mk != nil {
		if remote.key = r.createKey(ctx, plan, *mk, &resp.Diagnostics); remote.key == nil {
			return
		}
	}
	if wh != nil {
		secret := nestedAs[connectionWebhookModel](ctx, config.Webhook, &resp.Diagnostics).SecretWO.ValueString()
		if remote.hook = r.createHook(ctx, plan, *wh, secret, hooksListed, resp.Private, &resp.Diagnostics); remote.hook == nil {
			return
		}
	}
	r.checkOnApply(ctx, plan, config, &remote, resp.Private, &resp.Diagnostics)
	r.checkKeyOverSSH(ctx, plan, &remote, &resp.Diagnostics)
}

// saveState writes the state built from base and remote; nothing when
// nothing exists in Bitbucket and the apply failed (a refused create).
func (r *connectionResource) saveState(ctx context.Context, state *tfsdk.State, base connectionModel, remote remoteConnection, diags *diag.Diagnostics) {
	if diags.HasError() && remote.token == nil && remote.key == nil && remote.hook == nil && remote.check == nil && state.Raw.IsNull() {
		return
	}
	built := buildState(ctx, base, remote, diags)
	diags.Append(state.Set(ctx, &built)...)
}

func (r *connectionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state connectionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	marker := readImportMarker(ctx, req.Private, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || r.data == nil {
		return
	}
	// The identity names the connection whether or not it still exists.
	syncIdentity(ctx, req.State, resp.Identity, &resp.Diagnostics)
	var remote remoteConnection
	var exists bool
	if marker != nil && marker.Pending {
		// Just imported: only the ID's parts are known.
		var tokens map[bitbucket.TokenLevel]string
		remote, tokens, exists = r.lookUp(ctx, state, &resp.Diagnostics)
		writeImportMarker(ctx, resp.Private, &importMarker{Tokens: tokens}, &resp.Diagnostics)
	} else {
		remote, exists = r.readRemote(ctx, state, req.Private, &resp.Diagnostics)
		if exists && !resp.Diagnostics.HasError() {
			r.warnDeliveryHealth(ctx, state, remote, &resp.Diagnostics)
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if !exists && marker != nil && marker.Pending {
		// Terraform's own "non-existent remote object" would not say what an
		// import of a connection looks for, nor that some cannot be imported.
		resp.Diagnostics.AddError("Nothing to import for this connection",
			fmt.Sprintf("Bitbucket holds no webhook, token or access key named %q in %s, so there is nothing to import "+
				"as connection %s. An import finds what Bitbucket keeps for a connection by its name. A connection "+
				"with only a supplied credential (token or token_wo) keeps nothing in Bitbucket: it needs no import. "+
				"Add it to the configuration and apply; that creates nothing in Bitbucket, it checks the credential.",
				state.Name.ValueString(), connectionWhere(state), state.ID.ValueString()))
		return
	}
	if !exists {
		tflog.Info(ctx, "Connection no longer exists in Bitbucket; removing it from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	r.saveState(ctx, &resp.State, state, remote, &resp.Diagnostics)
}

// connectionWhere names a connection's place: workspace or workspace/repository.
func connectionWhere(state connectionModel) string {
	if state.Repository.ValueString() != "" {
		return state.Workspace.ValueString() + "/" + state.Repository.ValueString()
	}
	return state.Workspace.ValueString()
}

func (r *connectionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state, config connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	imported := readImportMarker(ctx, req.Private, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	remote := remoteFromState(ctx, state, &resp.Diagnostics)
	applied := false
	// Runs after the saveState below (deferred calls run last first).
	defer func() { syncIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics) }()
	// What Bitbucket holds is saved, also when a step fails; the attributes
	// the user sets are the plan's only when every change was made, so the
	// next plan repeats what failed.
	defer func() {
		base := state
		if applied {
			base = plan
		}
		r.saveState(ctx, &resp.State, base, remote, &resp.Diagnostics)
	}()
	if !r.applyToken(ctx, plan, state, imported, &remote, &resp.Diagnostics) ||
		!r.applyKey(ctx, plan, state, &remote, &resp.Diagnostics) ||
		!r.applyHook(ctx, plan, state, config, resp.Private, &remote, &resp.Diagnostics) {
		return
	}
	applied = true
	writeImportMarker(ctx, resp.Private, nil, &resp.Diagnostics)
	if !plan.AccessKeyID.Equal(state.AccessKeyID) || !plan.ManagedAccessKey.Equal(state.ManagedAccessKey) {
		r.checkKeyOverSSH(ctx, plan, &remote, &resp.Diagnostics)
	}
	// A write-only token not sent again keeps its last check.
	if plan.ManagedToken.IsNull() && plan.Token.IsNull() && !plan.VerifiedPermissions.IsUnknown() {
		return
	}
	r.checkOnApply(ctx, plan, config, &remote, resp.Private, &resp.Diagnostics)
}

func (r *connectionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state connectionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	remote := remoteFromState(ctx, state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	client := r.data.client
	if remote.hook != nil {
		if err := client.DeleteWebhook(ctx, hookScopeOf(state), remote.hook.id); err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
			clientErrorDiagnostic(&resp.Diagnostics, client, "delete the webhook of "+describeConnection(state), err)
			return
		}
	}
	if remote.token != nil && !r.revokeToken(ctx, state, remote.token.level, remote.token.id, &resp.Diagnostics) {
		return
	}
	if !r.deleteKey(ctx, state, remote.key, &resp.Diagnostics) {
		return
	}
	tflog.Info(ctx, "Connection deleted", map[string]any{"id": state.ID.ValueString()})
}

var _ resource.ResourceWithIdentity = &connectionResource{}

// The connection is named by where it is and its name, as its import ID.
func (r *connectionResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identitySchemaOf(identityWorkspace,
		identityAttribute{"repository", "Repository slug of a repository connection; null for a workspace connection.", true},
		identityAttribute{"name", "The connection's name.", false})
}

// connectionIDFromIdentity is the import ID an import by identity stands for.
func connectionIDFromIdentity(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) string {
	if req.Identity == nil {
		diags.AddError("Missing import ID", "Import a connection by <workspace>/<name> or <workspace>/<repository>/<name>, or by identity.")
		return ""
	}
	var workspace, repository, name types.String
	diags.Append(req.Identity.GetAttribute(ctx, path.Root("workspace"), &workspace)...)
	diags.Append(req.Identity.GetAttribute(ctx, path.Root("repository"), &repository)...)
	diags.Append(req.Identity.GetAttribute(ctx, path.Root("name"), &name)...)
	if workspace.ValueString() == "" || name.ValueString() == "" {
		diags.AddError("Incomplete import identity", "A connection's identity needs workspace and name (and repository for a repository connection).")
		return ""
	}
	if repository.ValueString() != "" {
		return workspace.ValueString() + "/" + repository.ValueString() + "/" + name.ValueString()
	}
	return workspace.ValueString() + "/" + name.ValueString()
}
