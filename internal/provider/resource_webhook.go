package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
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
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// webhookResource implements both bitbucket_repository_webhook and
// bitbucket_workspace_webhook; the only difference is the scope.
type webhookResource struct {
	repositoryLevel bool
	data            *providerData
}

// webhookModel is the state of either webhook resource; Repository is
// always null on the workspace webhook (its schema has no such attribute,
// so the two models differ only by that field).
type webhookModel struct {
	ID                   types.String `tfsdk:"id"`
	Workspace            types.String `tfsdk:"workspace"`
	Name                 types.String `tfsdk:"name"`
	URL                  types.String `tfsdk:"url"`
	Events               types.Set    `tfsdk:"events"`
	Active               types.Bool   `tfsdk:"active"`
	SkipCertVerification types.Bool   `tfsdk:"skip_cert_verification"`
	Secret               types.String `tfsdk:"secret"`
	SecretWO             types.String `tfsdk:"secret_wo"`
	SecretWOVersion      types.Int64  `tfsdk:"secret_wo_version"`
	SecretSet            types.Bool   `tfsdk:"secret_set"`
}

type repositoryWebhookModel struct {
	webhookModel
	Repository types.String `tfsdk:"repository"`
}

func (r *webhookResource) typeSuffix() string {
	if r.repositoryLevel {
		return "_repository_webhook"
	}
	return "_workspace_webhook"
}

func (r *webhookResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + r.typeSuffix()
}

func (r *webhookResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "The webhook's id: a UUID in braces on Cloud, a number on Data Center.",
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"workspace": schema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: workspaceDescription + " Changing it replaces the webhook.",
			PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplaceIfConfigured(), stringplanmodifier.UseStateForUnknown()},
			Validators:          []validator.String{workspaceValidator},
		},
		"name": schema.StringAttribute{
			Required: true,
			MarkdownDescription: "A name for the webhook: sent as the `description` on Cloud and as the `name` on " +
				"Data Center.",
			Validators: nameValidators(255),
		},
		"url": schema.StringAttribute{
			Required:            true,
			MarkdownDescription: webhookURLDescription,
			Validators:          []validator.String{httpURLValidator{}},
		},
		"events": schema.SetAttribute{
			Required:    true,
			ElementType: types.StringType,
			MarkdownDescription: "Events that trigger the webhook, in the product's own names: e.g. `repo:push`, " +
				"`pullrequest:created` on Cloud; `repo:refs_changed`, `pr:opened` on Data Center. Checked at plan " +
				"time against the configured product's catalogue; the error lists the valid keys.",
			Validators: []validator.Set{setvalidator.SizeAtLeast(1)},
		},
		"active": schema.BoolAttribute{
			Optional: true, Computed: true, Default: booldefault.StaticBool(true),
			MarkdownDescription: "Whether events are delivered. Defaults to `true`.",
		},
		"skip_cert_verification": schema.BoolAttribute{
			Optional: true, Computed: true, Default: booldefault.StaticBool(false),
			MarkdownDescription: "Deliver even when the receiver's TLS certificate does not verify. Defaults to " +
				"`false` (Data Center: `sslVerificationRequired = true`).",
		},
		"secret": schema.StringAttribute{
			Optional: true, Sensitive: true,
			MarkdownDescription: "Secret that signs each delivery (`X-Hub-Signature`). Kept in state (sensitive). " +
				"Prefer `secret_wo`. Conflicts with `secret_wo`. Cloud never returns a secret, so a secret changed " +
				"out of band on Cloud is noticed only when it was removed (`secret_set`).",
			Validators: []validator.String{
				webhookSecretLength,
				stringvalidator.ConflictsWith(path.MatchRoot("secret_wo")),
			},
		},
		"secret_wo":         secretWOAttribute(path.MatchRoot, stringvalidator.ConflictsWith(path.MatchRoot("secret"))),
		"secret_wo_version": secretWOVersionAttribute(path.MatchRoot),
		"secret_set": schema.BoolAttribute{
			Computed: true,
			MarkdownDescription: "Whether Bitbucket holds the secret this configuration sets. When a secret is " +
				"removed (or, on Data Center, changed) outside Terraform this turns false, and the next plan " +
				"shows `secret_set = false -> true` with a warning that says which happened: applying sends the " +
				"configured secret again (nothing is removed).",
		},
	}
	description := "Manages a webhook of a Cloud workspace or a Data Center project (a project hook is inherited " +
		"by every repository in the project). On Cloud only workspace owners may manage workspace webhooks."
	if r.repositoryLevel {
		attributes["repository"] = schema.StringAttribute{
			Required:            true,
			MarkdownDescription: "Repository slug. Changing it replaces the webhook.",
			PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			Validators:          []validator.String{repositoryValidator},
		}
		description = "Manages a repository webhook on Bitbucket Cloud or Bitbucket Data Center."
	}
	description += " A create is never repeated blindly: the provider lists the hooks first, and if the answer to " +
		"the create is lost or the run is interrupted (Ctrl-C), it records the hook that request made, never one " +
		"that was there before (such as a hand-made hook of the same name)."
	resp.Schema = schema.Schema{MarkdownDescription: description, Attributes: attributes}
}

func (r *webhookResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// getModel reads plan, state or config (their Raw value) into the shared
// model plus the repository (empty on the workspace webhook); see
// resource_webhook_raw.go.
func (r *webhookResource) getModel(ctx context.Context, raw tftypes.Value, diags *diag.Diagnostics) (webhookModel, string) {
	return r.webhookModelFromRaw(ctx, raw, diags)
}

func (r *webhookResource) setModel(ctx context.Context, state *tfsdk.State, m webhookModel, repository string, diags *diag.Diagnostics) {
	r.setWebhookState(ctx, state, m, repository, diags)
}

// setModelReflect writes m through the framework's reflection (list
// results, which are not a tfsdk.State).
func (r *webhookResource) setModelReflect(ctx context.Context, set func(context.Context, any) diag.Diagnostics, m webhookModel, repository string, diags *diag.Diagnostics) {
	if r.repositoryLevel {
		diags.Append(set(ctx, repositoryWebhookModel{webhookModel: m, Repository: types.StringValue(repository)})...)
		return
	}
	diags.Append(set(ctx, m)...)
}

func (r *webhookResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or provider not configured yet
	}
	plan, _ := r.getModel(ctx, req.Plan.Raw, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if !planDefaultWorkspace(ctx, r.data, plan.Workspace, req, resp) {
		return
	}

	// Events are checked against the configured product's catalogue.
	checkWebhookEvents(ctx, r.data.client, r.repositoryLevel, plan.Events, path.Root("events"), &resp.Diagnostics)

	// secret_set says whether Bitbucket should hold a secret: planned from
	// the configuration, refreshed from the server, so a secret removed out
	// of band becomes a diff.
	var config webhookModel
	config, _ = r.getModel(ctx, req.Config.Raw, &resp.Diagnostics)
	wantSecret := !config.Secret.IsNull() || !config.SecretWOVersion.IsNull()
	secretSet := types.BoolValue(wantSecret)
	if config.Secret.IsUnknown() {
		secretSet = types.BoolUnknown()
	}
	resp.Plan.Raw = withRawAttribute(ctx, resp.Plan.Raw, "secret_set", secretSet, &resp.Diagnostics)
	if !wantSecret && !req.State.Raw.IsNull() {
		state, _ := r.getModel(ctx, req.State.Raw, &resp.Diagnostics)
		warnSecretRemoval(ctx, state, req.Private, &resp.Diagnostics)
	}
	if wantSecret && !req.State.Raw.IsNull() {
		if state, _ := r.getModel(ctx, req.State.Raw, &resp.Diagnostics); !state.SecretSet.ValueBool() {
			warnSecretDrift(ctx, req.Private, &resp.Diagnostics)
		}
	}
	warnWidening(req.State, resp.Plan, &resp.Diagnostics, webhookWidening)
}

// warnSecretRemoval (privateImported: set by ImportState, cleared by the
// first apply) warns when applying a configuration without a secret
// would remove one that Bitbucket holds and that the configuration never
// set: an imported webhook's (`terraform plan -generate-config-out` writes
// no secret), or one added outside Terraform. The only other sign in the
// plan is `secret_set = true -> false`.
func warnSecretRemoval(ctx context.Context, state webhookModel, private privateGetKey, diags *diag.Diagnostics) {
	imported, d := private.GetKey(ctx, privateImported)
	diags.Append(d...)
	fromConfiguration := len(imported) == 0 && (!state.Secret.IsNull() || !state.SecretWOVersion.IsNull())
	if !state.SecretSet.ValueBool() || fromConfiguration {
		return
	}
	diags.AddAttributeWarning(path.Root("secret"), "Applying removes the webhook's secret",
		"The webhook has a secret in Bitbucket that this configuration does not set (it was imported, or added outside "+
			"Terraform), so applying removes it and deliveries are no longer signed. To keep it, set secret_wo (with "+
			"secret_wo_version) or secret to the secret the receiver expects.")
}

// privateSecretDrift records what the last refresh found of a secret the
// configuration sets but Bitbucket no longer holds: secretChanged (Data
// Center returns the secret, and it is another one) or secretRemoved.
const (
	privateSecretDrift = "secret_drift"
	secretChanged      = `"changed"` // private state holds JSON values
	secretRemoved      = `"removed"`
)

// warnSecretDrift explains `secret_set = false -> true`, which alone reads
// as if the secret were being taken away: the plan sends the configured
// secret again because it was changed or removed outside Terraform.
func warnSecretDrift(ctx context.Context, private privateGetKey, diags *diag.Diagnostics) {
	drift, d := private.GetKey(ctx, privateSecretDrift)
	diags.Append(d...)
	switch string(drift) {
	case secretChanged:
		diags.AddAttributeWarning(path.Root("secret_set"), "Webhook secret changed outside Terraform",
			"Bitbucket holds a different secret from the one this configuration sets (it was changed outside "+
				"Terraform), so applying sends the configured secret again and deliveries are signed with it. "+
				secretSetReading)
	case secretRemoved:
		diags.AddAttributeWarning(path.Root("secret_set"), "Webhook secret removed outside Terraform",
			"Bitbucket holds no secret for this webhook, although this configuration sets one (it was removed outside "+
				"Terraform), so applying sends the configured secret again and deliveries are signed with it. "+
				secretSetReading)
	}
}

// secretSetReading says how to read the attribute in the plan.
const secretSetReading = "The plan shows this as secret_set = false -> true: false means Bitbucket does not hold " +
	"the secret this configuration sets; true, that it will after the apply. Nothing is removed."

// checkWebhookEvents adds an error at attribute for events that are not in
// the product's catalogue of repository (or workspace/project) hook events.
// Unknown or null sets are left for apply.
func checkWebhookEvents(ctx context.Context, client bitbucket.Client, repositoryLevel bool, set types.Set, attribute path.Path, diags *diag.Diagnostics) {
	if set.IsUnknown() || set.IsNull() {
		return
	}
	events := knownStrings(ctx, set, diags)
	valid := client.WebhookEvents(repositoryLevel)
	var unknown []string
	for _, e := range events {
		if !slices.Contains(valid, e) {
			unknown = append(unknown, fmt.Sprintf("%q", e))
		}
	}
	if len(unknown) > 0 {
		diags.AddAttributeError(attribute, "Unknown webhook event",
			fmt.Sprintf("%s %s %s %s webhook event%s. Valid events: %s.", strings.Join(unknown, ", "),
				map[bool]string{true: "is not a", false: "are not"}[len(unknown) == 1], productName(client.Product()),
				map[bool]string{true: "repository", false: workspaceNoun(client)}[repositoryLevel],
				map[bool]string{true: "", false: "s"}[len(unknown) == 1], strings.Join(valid, ", ")))
	}
}

func productName(p bitbucket.Product) string {
	if p == bitbucket.ProductCloud {
		return "Bitbucket Cloud"
	}
	return "Bitbucket Data Center"
}

// scopeOf is the client scope of a model.
func scopeOf(m webhookModel, repository string) bitbucket.WebhookScope {
	return bitbucket.WebhookScope{Workspace: m.Workspace.ValueString(), Repository: repository}
}

// describeHook names a webhook in diagnostics.
func describeHook(scope bitbucket.WebhookScope, id string) string {
	where := scope.Workspace
	if scope.IsRepository() {
		where += "/" + scope.Repository
	}
	if id == "" {
		return "webhook in " + where
	}
	return fmt.Sprintf("webhook %s in %s", id, where)
}

// inputFrom builds the request body; secret is decided by the caller.
func inputFrom(ctx context.Context, m webhookModel, diags *diag.Diagnostics) bitbucket.WebhookInput {
	events := knownStrings(ctx, m.Events, diags)
	return bitbucket.WebhookInput{
		Name:                 m.Name.ValueString(),
		URL:                  m.URL.ValueString(),
		Events:               events,
		Active:               m.Active.ValueBool(),
		SkipCertVerification: m.SkipCertVerification.ValueBool(),
	}
}

// fill copies what the server reports into the model. The secret is only
// reflected where the server returns it (Data Center) and the model keeps
// it in state (`secret`); a write-only secret is compared with the record
// of the one last sent (sent; nil: none recorded).
func (r *webhookResource) fill(m *webhookModel, hook *bitbucket.Webhook, sent func(string) bool) {
	m.ID = types.StringValue(hook.ID)
	m.Name = types.StringValue(hook.Name)
	m.URL = types.StringValue(hook.URL)
	m.Events = stringSet(hook.Events)
	m.Active = types.BoolValue(hook.Active)
	m.SkipCertVerification = types.BoolValue(hook.SkipCertVerification)
	m.SecretWO = types.StringNull()

	serverReturnsSecret := hook.SecretReturned
	switch {
	case !m.Secret.IsNull() && serverReturnsSecret:
		if hook.Secret == "" {
			m.Secret = types.StringNull()
		} else {
			m.Secret = types.StringValue(hook.Secret)
		}
		m.SecretSet = types.BoolValue(hook.SecretSet)
	case !m.SecretWOVersion.IsNull() && serverReturnsSecret && sent != nil:
		m.SecretSet = types.BoolValue(hook.SecretSet && sent(hook.Secret))
	case !m.Secret.IsNull() && !hook.SecretSet:
		// Cloud: the secret was removed; drop it so the plan sends it again.
		m.Secret = types.StringNull()
		m.SecretSet = types.BoolValue(false)
	default:
		m.SecretSet = types.BoolValue(hook.SecretSet)
	}
}

func (r *webhookResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	plan, repository := r.getModel(ctx, req.Plan.Raw, &resp.Diagnostics)
	config, _ := r.getModel(ctx, req.Config.Raw, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	scope := scopeOf(plan, repository)
	in := inputFrom(ctx, plan, &resp.Diagnostics)
	secret := configuredSecret(plan, config)
	if secret != "" {
		in.Secret = &secret
	}

	hook, err := createWebhook(ctx, r.data, scope, in, nil, &resp.Diagnostics)
	if err != nil {
		r.webhookError(&resp.Diagnostics, "create", scope, "", err)
		return
	}
	r.fill(&plan, hook, nil)
	if !config.SecretWO.IsNull() {
		writeSecretRecord(ctx, resp.Private, secret, &resp.Diagnostics)
	}
	r.setModel(ctx, &resp.State, plan, repository, &resp.Diagnostics)
	syncIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

// configuredSecret is the secret the configuration sets ("" for none).
func configuredSecret(plan, config webhookModel) string {
	if !config.SecretWO.IsNull() {
		return config.SecretWO.ValueString()
	}
	return plan.Secret.ValueString()
}

func (r *webhookResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	state, repository := r.getModel(ctx, req.State.Raw, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || r.data == nil {
		return
	}
	// The identity names the object whether or not it still exists.
	syncIdentity(ctx, req.State, resp.Identity, &resp.Diagnostics)
	scope := scopeOf(state, repository)
	hook, err := r.data.client.GetWebhook(ctx, scope, state.ID.ValueString())
	if errors.Is(err, bitbucket.ErrNotFound) {
		tflog.Info(ctx, "Webhook no longer exists; removing it from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		r.webhookError(&resp.Diagnostics, "read", scope, state.ID.ValueString(), err)
		return
	}
	if imported, d := req.Private.GetKey(ctx, privateImported); len(imported) > 0 && hook.SecretReturned && hook.Secret != "" &&
		state.Secret.IsNull() && state.SecretWOVersion.IsNull() {
		// Data Center returns the secret: import it, so a configuration
		// that sets the same secret plans no change.
		state.Secret = types.StringValue(hook.Secret)
	} else {
		resp.Diagnostics.Append(d...)
	}
	wanted := !state.Secret.IsNull() || !state.SecretWOVersion.IsNull()
	r.fill(&state, hook, recordedSecret(ctx, req.Private, &resp.Diagnostics))
	var drift []byte // nil: no drift
	switch {
	case !wanted || state.SecretSet.ValueBool():
	case hook.SecretSet:
		drift = []byte(secretChanged)
	default:
		drift = []byte(secretRemoved)
	}
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateSecretDrift, drift)...)
	r.setModel(ctx, &resp.State, state, repository, &resp.Diagnostics)
}

func (r *webhookResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	plan, repository := r.getModel(ctx, req.Plan.Raw, &resp.Diagnostics)
	state, _ := r.getModel(ctx, req.State.Raw, &resp.Diagnostics)
	config, _ := r.getModel(ctx, req.Config.Raw, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	scope := scopeOf(plan, repository)
	id := state.ID.ValueString()
	in := inputFrom(ctx, plan, &resp.Diagnostics)

	// Send the secret only when it changes; otherwise the server keeps it.
	secret := configuredSecret(plan, config)
	secretChanged := !plan.Secret.Equal(state.Secret) || !plan.SecretWOVersion.Equal(state.SecretWOVersion) ||
		!state.SecretSet.ValueBool() && secret != ""
	switch {
	case secret == "" && (state.SecretSet.ValueBool() || !state.Secret.IsNull()):
		empty := ""
		in.Secret = &empty // remove it
	case secret != "" && secretChanged:
		in.Secret = &secret
	}

	hook, err := r.data.client.UpdateWebhook(ctx, scope, id, in)
	if errors.Is(err, bitbucket.ErrNotFound) {
		resp.Diagnostics.AddError("Webhook was deleted",
			goneSinceRefresh(describeHook(scope, id), "deleted", "create it"))
		return
	}
	if err != nil {
		r.webhookError(&resp.Diagnostics, "update", scope, id, err)
		return
	}
	sent := recordedSecret(ctx, req.Private, &resp.Diagnostics)
	if !config.SecretWO.IsNull() && in.Secret != nil {
		sent = writeSecretRecord(ctx, resp.Private, secret, &resp.Diagnostics)
	} else if config.SecretWO.IsNull() {
		sent = writeSecretRecord(ctx, resp.Private, "", &resp.Diagnostics)
	}
	r.fill(&plan, hook, sent)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, nil)...) // the configuration decides now
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateSecretDrift, nil)...)
	r.setModel(ctx, &resp.State, plan, repository, &resp.Diagnostics)
	syncIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

func (r *webhookResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	state, repository := r.getModel(ctx, req.State.Raw, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	scope := scopeOf(state, repository)
	err := r.data.client.DeleteWebhook(ctx, scope, state.ID.ValueString())
	if err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
		r.webhookError(&resp.Diagnostics, "delete", scope, state.ID.ValueString(), err)
	}
}

func (r *webhookResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if importByIdentity(ctx, r.data, req, resp, map[string]func(string) string{"id": normaliseHookID}) {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, []byte("true"))...)
		return
	}
	hookID := importPart{"id", "the webhook's UUID on Cloud or number on Data Center", func(v string) error {
		if r.data == nil {
			return nil
		}
		return bitbucket.CheckWebhookID(r.data.client, v)
	}}
	parts := []importPart{importWorkspace, hookID}
	if r.repositoryLevel {
		parts = []importPart{importWorkspace, importRepository, hookID}
	}
	values := importIntoState(ctx, r.data, req.ID, resp, parts...)
	if values == nil {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), normaliseHookID(values[len(values)-1]))...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, []byte("true"))...)
}

// normaliseHookID accepts a Cloud UUID with or without braces.
func normaliseHookID(id string) string {
	if len(id) == 36 && strings.Count(id, "-") == 4 {
		return "{" + id + "}"
	}
	return id
}

// webhookError turns a client error into a diagnostic that names the hook
// and, for the cases a user can act on, says what to do.
func (r *webhookResource) webhookError(diags *diag.Diagnostics, action string, scope bitbucket.WebhookScope, id string, err error) {
	if errors.Is(err, bitbucket.ErrForbidden) && !scope.IsRepository() && r.data.client.Capabilities().WorkspaceWebhooksOwnerOnly {
		diags.AddError("Workspace webhooks need a workspace owner",
			fmt.Sprintf("Bitbucket refused to %s the %s: %s\n\nOn Bitbucket Cloud only owners of workspace %q may "+
				"manage workspace webhooks. Use credentials of a workspace owner, or a repository webhook "+
				"(bitbucket_repository_webhook) instead.", action, describeHook(scope, id), err, scope.Workspace))
		return
	}
	clientErrorDiagnostic(diags, r.data.client, action+" "+describeHook(scope, id), err)
}

// ConfigValidators: on Terraform 1.11+, a warning that secret_wo keeps the
// secret out of state (the docs say "prefer secret_wo").
func (r *webhookResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{preferWriteOnly{attribute: "secret", writeOnly: "secret_wo"}}
}

var (
	_ resource.ResourceWithConfigValidators = &webhookResource{}
	_ resource.ResourceWithImportState      = &webhookResource{}
	_ resource.ResourceWithModifyPlan       = &webhookResource{}
	_ resource.ResourceWithConfigure        = &webhookResource{}
)

// NewRepositoryWebhookResource returns bitbucket_repository_webhook: a hook
// on one repository (Cloud /repositories/{ws}/{repo}/hooks, Data Center
// /projects/{key}/repos/{slug}/webhooks). Both share webhookResource.
func NewRepositoryWebhookResource() resource.Resource {
	return &webhookResource{repositoryLevel: true}
}

// NewWorkspaceWebhookResource returns bitbucket_workspace_webhook: a Cloud
// workspace hook (/workspaces/{ws}/hooks, owners only) or a Data Center
// project hook (/projects/{key}/webhooks). Both share webhookResource.
func NewWorkspaceWebhookResource() resource.Resource {
	return &webhookResource{repositoryLevel: false}
}

var _ resource.ResourceWithIdentity = &webhookResource{}

func (r *webhookResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	if r.repositoryLevel {
		resp.IdentitySchema = identitySchemaOf(identityWorkspace, identityRepo, identityHookID)
		return
	}
	resp.IdentitySchema = identitySchemaOf(identityWorkspace, identityHookID)
}
