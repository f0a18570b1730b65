package provider

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"golang.org/x/crypto/ssh"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/catalog"
)

// accessKeyResource implements bitbucket_repository_access_key and
// bitbucket_project_access_key: an SSH public key registered on a repository
// or a project (Cloud "deploy keys", Data Center "access keys"). What each
// product allows comes from the client's AccessKeyRules.
type accessKeyResource struct {
	spec *accessKeyLevelSpec
	data *providerData
}

// accessKeyModel holds the attributes both levels share.
type accessKeyModel struct {
	ID           types.String `tfsdk:"id"`
	Workspace    types.String `tfsdk:"workspace"`
	PublicKey    types.String `tfsdk:"public_key"`
	KeyAlgorithm types.String `tfsdk:"key_algorithm"`
	PrivateKey   types.String `tfsdk:"private_key_openssh"`
	Label        types.String `tfsdk:"label"`
	Permission   types.String `tfsdk:"permission"`
	Fingerprint  types.String `tfsdk:"fingerprint"`
	CreatedAt    types.String `tfsdk:"created_at"`
	LastUsed     types.String `tfsdk:"last_used"`
}

type repositoryAccessKeyModel struct {
	accessKeyModel
	Repository types.String `tfsdk:"repository"`
}

type projectAccessKeyModel struct {
	accessKeyModel
	Project types.String `tfsdk:"project"`
}

// keyAlgorithms are the key pairs the provider generates, by the name
// key_algorithm takes; the first is the default.
var keyAlgorithms = []string{"ED25519", "ECDSA", "RSA"}

// algorithmOfType names an ssh key type the way key_algorithm does (Data
// Center's algorithmType, internal/catalog).
func algorithmOfType(sshType string) string {
	if a := catalog.SSHKeyAlgorithm(sshType); a != "" {
		return a
	}
	return strings.ToUpper(sshType)
}

// generateKeyPair makes a key pair: the public key in authorized_keys form
// and the private key PEM-encoded in OpenSSH format.
func generateKeyPair(algorithm string) (public, private string, err error) {
	var key crypto.Signer
	switch algorithm {
	case "ECDSA":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RSA":
		key, err = rsa.GenerateKey(rand.Reader, 4096)
	default:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		return "", "", err
	}
	pub, err := ssh.NewPublicKey(key.Public())
	if err != nil {
		return "", "", err
	}
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		return "", "", err
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))), string(pem.EncodeToMemory(block)), nil
}

// checkPublicKey reports why rules refuse a public key ("" = accepted).
func checkPublicKey(text string, rules bitbucket.AccessKeyRules) (key bitbucket.PublicKey, problem string) {
	key, err := bitbucket.ParsePublicKey(text)
	if err != nil {
		return key, "public_key: " + err.Error() + "."
	}
	return key, rules.Refuses(key)
}

// optionsProblem refuses authorized_keys options in front of a key the
// provider would send. Bitbucket's access-key pages ask for the public key
// as ssh-keygen writes it (the .pub line); options such as command= or
// no-pty restrict a key in OpenSSH's sshd, and Bitbucket documents no such
// thing, so a restriction written there cannot be relied on. A key already
// registered with them (imported) is left as it is.
func optionsProblem(key bitbucket.PublicKey) string {
	return fmt.Sprintf("public_key starts with authorized_keys options (%s), which restrict a key in OpenSSH's sshd; "+
		"Bitbucket takes the public key alone and documents no options, so the restriction would not hold: remove them "+
		"and start with the key type (%s AAAA…).", strings.Join(key.Options, ","), key.Type)
}

// sameKeyText reports whether two authorized_keys lines hold one key (type
// and data), whatever their comments.
func sameKeyText(a, b string) bool {
	ka, err := bitbucket.ParsePublicKey(a)
	if err != nil {
		return false
	}
	kb, err := bitbucket.ParsePublicKey(b)
	return err == nil && ka.SameKey(kb)
}

// keepSameKey plans the key in state when the configured public_key is the
// same key written differently (another comment, or none: Cloud returns keys
// without one), so an import or a comment edit is no change.
type keepSameKey struct{}

func (keepSameKey) Description(context.Context) string {
	return "A public key that is the same key as the one in state (type and data) keeps the state's text."
}
func (k keepSameKey) MarkdownDescription(ctx context.Context) string { return k.Description(ctx) }
func (keepSameKey) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.StateValue.IsUnknown() || req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if sameKeyText(req.ConfigValue.ValueString(), req.StateValue.ValueString()) {
		resp.PlanValue = req.StateValue
	}
}

// keyAlgorithmMatchesKey checks key_algorithm: one the provider generates
// when public_key is unset, else the supplied key's own algorithm (what
// -generate-config-out writes next to public_key).
type keyAlgorithmMatchesKey struct{}

func (keyAlgorithmMatchesKey) Description(context.Context) string {
	return "key_algorithm is " + strings.Join(keyAlgorithms, ", ") + " without public_key, or public_key's algorithm."
}
func (v keyAlgorithmMatchesKey) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}
func (keyAlgorithmMatchesKey) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	algorithm := req.ConfigValue.ValueString()
	var public types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("public_key"), &public)...)
	switch {
	case public.IsUnknown():
	case public.IsNull():
		if !slices.Contains(keyAlgorithms, algorithm) {
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid key_algorithm",
				fmt.Sprintf("key_algorithm %q is not a key pair the provider generates: use one of %s.", algorithm, strings.Join(keyAlgorithms, ", ")))
		}
	default:
		key, err := bitbucket.ParsePublicKey(public.ValueString())
		if err == nil && algorithmOfType(key.Type) != algorithm {
			resp.Diagnostics.AddAttributeError(req.Path, "key_algorithm does not match public_key",
				fmt.Sprintf("key_algorithm is %q but public_key's algorithm is %s. key_algorithm only chooses the key pair the "+
					"provider generates: remove it, or set it to %q.", algorithm, algorithmOfType(key.Type), algorithmOfType(key.Type)))
		}
	}
}

func (r *accessKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + string(r.spec.level) + "_access_key"
}

func (r *accessKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "The key's id (a number, as a string), as Bitbucket reports it.",
			PlanModifiers:       keep,
		},
		"workspace": schema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: workspaceDescription + " Changing it replaces the key.",
			PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplaceIfConfigured(), stringplanmodifier.UseStateForUnknown()},
			Validators:          []validator.String{workspaceValidator},
		},
		"public_key": schema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: "The SSH public key in OpenSSH authorized_keys format (`ssh-ed25519 AAAA… comment`). " +
				"Leave it unset and the provider generates a key pair (see `key_algorithm`) and keeps the private " +
				"key in `private_key_openssh`. Key types and sizes are checked at plan time against what the product " +
				"accepts (Cloud: Ed25519, ECDSA, RSA of 2048 bits or more, DSA; Data Center: also the -SK types; a " +
				"Data Center administrator may narrow these), the type word must be the key's own, and authorized_keys " +
				"options (`command=…`, `no-pty`) are refused: Bitbucket documents none. Changing it replaces " +
				"the key; the same key with another comment (or none, as Cloud returns it) is no change.",
			PlanModifiers: []planmodifier.String{keepSameKey{}, stringplanmodifier.RequiresReplaceIfConfigured(), stringplanmodifier.UseStateForUnknown()},
		},
		"key_algorithm": schema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: "Algorithm of the key pair the provider generates when `public_key` is unset: " +
				"`ED25519` (default), `ECDSA` (P-256) or `RSA` (4096 bits). With `public_key` set it reports that " +
				"key's algorithm (`ED25519`, `ECDSA`, `RSA`, `DSA`, `ED25519_SK`, `ECDSA_SK`); set both only when they " +
				"agree, as generated configuration does. Changing it replaces the key.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIfConfigured(), stringplanmodifier.UseStateForUnknown()},
			Validators:    []validator.String{keyAlgorithmMatchesKey{}},
		},
		"private_key_openssh": schema.StringAttribute{
			Computed:  true,
			Sensitive: true,
			MarkdownDescription: "The generated private key, PEM-encoded in OpenSSH format (sensitive; kept in state, " +
				"so protect the state). Null when `public_key` is supplied, and after an import.",
			PlanModifiers: keep,
		},
		"label": schema.StringAttribute{
			Required: true,
			MarkdownDescription: "Label shown in Bitbucket. Changed in place where the product allows it (Cloud " +
				"repository keys); elsewhere a new label means a new key.",
			Validators: []validator.String{stringvalidator.LengthBetween(1, 255)},
		},
		"permission": schema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: r.spec.permissionMarkdown(),
		},
		"fingerprint": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "SHA256 fingerprint of the public key, as `ssh-keygen -lf` prints it (`SHA256:…`).",
			PlanModifiers:       keep,
		},
		"created_at": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "When the key was registered (RFC 3339, UTC).",
			PlanModifiers:       keep,
		},
		"last_used": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "When the key last authenticated (RFC 3339, UTC), where the product reports it; null until then.",
		},
	}
	attributes[r.spec.parent] = r.spec.parentSchema
	description := r.spec.description
	description += " The public key is supplied, or the provider generates a key pair (Ed25519 by default) and keeps " +
		"the private key in state. If the answer to a create is lost (a timeout, Ctrl-C), the provider adopts only " +
		"the key it can prove it registered: the key pair it generated, or a supplied key registered meanwhile with " +
		"the configured label and permission; another party's key is left as it is and named with its import ID. " +
		"A key deleted outside Terraform is created again; a permission changed outside Terraform shows as a diff."
	resp.Schema = schema.Schema{MarkdownDescription: description, Attributes: attributes}
}

func (r *accessKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// keyParent is the level-specific part of a model.
type keyParent struct {
	Repository types.String
	Project    types.String
}

func (r *accessKeyResource) getModel(ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (accessKeyModel, keyParent) {
	return r.spec.get(ctx, get, diags)
}

func (r *accessKeyResource) setModel(ctx context.Context, set func(context.Context, any) diag.Diagnostics, m accessKeyModel, p keyParent, diags *diag.Diagnostics) {
	r.spec.set(ctx, set, m, p, diags)
}

func keyScope(m accessKeyModel, p keyParent) bitbucket.AccessKeyScope {
	return bitbucket.AccessKeyScope{Workspace: m.Workspace.ValueString(), Project: p.Project.ValueString(), Repository: p.Repository.ValueString()}
}

func describeKey(scope bitbucket.AccessKeyScope, id string) string {
	if id == "" {
		return "access key of " + scope.String()
	}
	return fmt.Sprintf("access key %s of %s", id, scope)
}

func (r *accessKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or provider not configured yet
	}
	plan, _ := r.getModel(ctx, req.Plan.Get, &resp.Diagnostics)
	config, _ := r.getModel(ctx, req.Config.Get, &resp.Diagnostics)
	var configParent types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(r.spec.parent), &configParent)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !planDefaultWorkspace(ctx, r.data, plan.Workspace, req, resp) {
		return
	}
	rules := r.data.client.AccessKeyRules(r.spec.level)
	product := productName(r.data.client.Product())
	if summary, detail := r.spec.parentProblem(configParent, rules, product); summary != "" {
		resp.Diagnostics.AddAttributeError(path.Root(r.spec.parent), summary, detail)
	}
	plan.Permission = r.planPermission(ctx, config.Permission, plan.Permission, rules, product, resp)
	var registered types.String
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("public_key"), &registered)...)
	}
	if !planPublicKey(ctx, config, plan, registered, rules, product, resp) || req.State.Raw.IsNull() {
		return
	}
	state, _ := r.getModel(ctx, req.State.Get, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	planKeyReplacement(plan, state, rules, resp)
	warnWidening(req.State, resp.Plan, &resp.Diagnostics, accessKeyWidening)
	keepStateWhenUnchanged(ctx, r, req, resp)
}

// planPermission plans the product's default permission when none is
// configured and refuses one the product and level do not allow; it
// returns the planned permission.
func (r *accessKeyResource) planPermission(ctx context.Context, configured, planned types.String, rules bitbucket.AccessKeyRules, product string, resp *resource.ModifyPlanResponse) types.String {
	switch {
	case configured.IsUnknown():
	case configured.IsNull():
		planned = types.StringValue(rules.Permissions[0])
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("permission"), planned)...)
	case !slices.Contains(rules.Permissions, configured.ValueString()):
		detail := fmt.Sprintf("%q is not a valid permission for a %s access key on %s. Valid values: %s.",
			configured.ValueString(), r.spec.level, product, strings.Join(rules.Permissions, ", "))
		if rules.ReadOnlyReason != "" {
			detail += " " + rules.ReadOnlyReason
		}
		resp.Diagnostics.AddAttributeError(path.Root("permission"), "Invalid access key permission", detail)
	}
	return planned
}

// planPublicKey checks a supplied key and plans what follows from it
// (fingerprint, algorithm, no private key); for a generated key it plans
// the default algorithm. It reports false when the key is refused.
// registered is the key text in state (null when there is none).
func planPublicKey(ctx context.Context, config, plan accessKeyModel, registered types.String, rules bitbucket.AccessKeyRules, product string, resp *resource.ModifyPlanResponse) bool {
	switch {
	case config.PublicKey.IsUnknown():
	case !config.PublicKey.IsNull():
		key, problem := checkPublicKey(config.PublicKey.ValueString(), rules)
		if problem == "" && len(key.Options) > 0 && !registered.Equal(config.PublicKey) {
			problem = optionsProblem(key)
		}
		if problem != "" {
			resp.Diagnostics.AddAttributeError(path.Root("public_key"), "Invalid public key", problem+" ("+product+")")
			return false
		}
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("fingerprint"), key.Fingerprint)...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("key_algorithm"), algorithmOfType(key.Type))...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("private_key_openssh"), types.StringNull())...)
	case config.KeyAlgorithm.IsNull() && plan.KeyAlgorithm.IsUnknown():
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("key_algorithm"), keyAlgorithms[0])...)
	}
	return true
}

// planKeyReplacement: what the product cannot change in place needs a new key.
func planKeyReplacement(plan, state accessKeyModel, rules bitbucket.AccessKeyRules, resp *resource.ModifyPlanResponse) {
	if !plan.Label.Equal(state.Label) && !rules.LabelUpdatable {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("label"))
	}
	if !plan.Permission.IsUnknown() && !plan.Permission.Equal(state.Permission) && !rules.PermissionUpdatable {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("permission"))
	}
}

// keepStateWhenUnchanged plans the state as it is when no attribute a user
// sets changes: a configuration that differs from state only in how it
// writes the same key (keepSameKey) would otherwise plan an update of the
// computed attributes Terraform marks unknown for any difference.
func keepStateWhenUnchanged(ctx context.Context, r *accessKeyResource, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	plan, planParent := r.getModel(ctx, resp.Plan.Get, &resp.Diagnostics)
	state, stateParent := r.getModel(ctx, req.State.Get, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	same := plan.Workspace.Equal(state.Workspace) && plan.PublicKey.Equal(state.PublicKey) &&
		plan.KeyAlgorithm.Equal(state.KeyAlgorithm) && plan.Label.Equal(state.Label) &&
		plan.Permission.Equal(state.Permission) && planParent == stateParent
	if same {
		resp.Plan.Raw = req.State.Raw.Copy()
	}
}

// fillKey copies what the server reports into the model. A public key the
// configuration wrote differently (another comment) but with the same
// fingerprint keeps the configuration's text.
func fillKey(m *accessKeyModel, k *bitbucket.AccessKey) {
	m.ID = types.StringValue(k.ID)
	if m.PublicKey.IsNull() || m.PublicKey.IsUnknown() || !sameKeyText(m.PublicKey.ValueString(), k.PublicKey) {
		m.PublicKey = types.StringValue(k.PublicKey)
		if m.PrivateKey.IsUnknown() {
			m.PrivateKey = types.StringNull()
		}
	}
	if key, err := bitbucket.ParsePublicKey(m.PublicKey.ValueString()); err == nil {
		m.KeyAlgorithm = types.StringValue(algorithmOfType(key.Type))
	}
	if m.PrivateKey.IsUnknown() {
		m.PrivateKey = types.StringNull()
	}
	m.Fingerprint = types.StringValue(k.Fingerprint)
	m.Label = types.StringValue(k.Label)
	m.Permission = types.StringValue(k.Permission)
	m.CreatedAt = rfc3339(k.CreatedAt)
	m.LastUsed = rfc3339(k.LastUsed)
}

func (r *accessKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	plan, parent := r.getModel(ctx, req.Plan.Get, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	scope := keyScope(plan, parent)
	generated := plan.PublicKey.IsUnknown() || plan.PublicKey.IsNull()
	if generated {
		public, private, err := generateKeyPair(plan.KeyAlgorithm.ValueString())
		if err != nil {
			resp.Diagnostics.AddError("Failed to generate a key pair", fmt.Sprintf("Generating a %s key pair: %s", plan.KeyAlgorithm.ValueString(), err))
			return
		}
		plan.PublicKey, plan.PrivateKey = types.StringValue(public), types.StringValue(private)
	} else {
		plan.PrivateKey = types.StringNull()
	}
	in := bitbucket.AccessKeyInput{PublicKey: plan.PublicKey.ValueString(), Label: plan.Label.ValueString(), Permission: plan.Permission.ValueString()}
	key, err := createAccessKey(ctx, r.data, scope, in, generated, &resp.Diagnostics)
	if err != nil {
		r.keyError(&resp.Diagnostics, "create", scope, "", err)
		return
	}
	if key.Label != in.Label {
		r.withdrawRelabelled(ctx, scope, in, key, &resp.Diagnostics)
		return
	}
	fillKey(&plan, key)
	r.setModel(ctx, resp.State.Set, plan, parent, &resp.Diagnostics)
	syncIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

// withdrawRelabelled handles a create answered with another label than the
// one sent: Data Center keeps one label per key, so a supplied key already
// registered on another scope keeps that label here too
// (internal/emulator/README.md, access keys). State cannot hold a label the
// configuration does not have (Terraform calls it an inconsistent result and
// replaces the key on every apply), so the registration this request made is
// withdrawn and the error says which label to write.
func (r *accessKeyResource) withdrawRelabelled(ctx context.Context, scope bitbucket.AccessKeyScope, in bitbucket.AccessKeyInput, key *bitbucket.AccessKey, diags *diag.Diagnostics) {
	detail := fmt.Sprintf("On %s this public key already has access elsewhere as access key %s with label %q: "+
		"Data Center keeps one label per key, and gave the registration on %s that label instead of %q. ",
		serverURL(r.data.client), key.ID, key.Label, scope, in.Label)
	if err := r.data.client.DeleteAccessKey(ctx, scope, key.ID); err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
		detail += fmt.Sprintf("The provider could not withdraw that registration (%s): import it with the ID %s, or delete it in Bitbucket. ",
			err, r.importIDOf(scope, key.ID))
	} else {
		detail += "The provider withdrew that registration, so nothing was added. "
	}
	diags.AddAttributeError(path.Root("label"), "Label differs from the key's label on Data Center",
		detail+fmt.Sprintf("Set label = %q (the key's label everywhere), or use another key (remove public_key to have "+
			"one generated).", key.Label))
}

// keyError turns a client error into a diagnostic; a key that is already
// registered gets its own, which says how to import it.
func (r *accessKeyResource) keyError(diags *diag.Diagnostics, action string, scope bitbucket.AccessKeyScope, id string, err error) {
	var exists *accessKeyExistsError
	if errors.As(err, &exists) {
		diags.AddError("Access key already registered",
			fmt.Sprintf("On %s: %s. If the key is yours to manage, import it instead of creating it: terraform import "+
				"<address> %s; otherwise remove public_key from the configuration (a key pair is then generated).",
				serverURL(r.data.client), exists, r.importIDOf(scope, exists.key.ID)))
		return
	}
	clientErrorDiagnostic(diags, r.data.client, action+" "+describeKey(scope, id), err)
}

func (r *accessKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	state, parent := r.getModel(ctx, req.State.Get, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || r.data == nil {
		return
	}
	// The identity names the object whether or not it still exists.
	syncIdentity(ctx, req.State, resp.Identity, &resp.Diagnostics)
	scope := keyScope(state, parent)
	id := state.ID.ValueString()
	key, err := r.data.client.GetAccessKey(ctx, scope, id)
	if errors.Is(err, bitbucket.ErrNotFound) {
		tflog.Info(ctx, "Access key no longer exists; removing it from state", map[string]any{"id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		r.keyError(&resp.Diagnostics, "read", scope, id, err)
		return
	}
	fillKey(&state, key)
	r.setModel(ctx, resp.State.Set, state, parent, &resp.Diagnostics)
}

func (r *accessKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	plan, parent := r.getModel(ctx, req.Plan.Get, &resp.Diagnostics)
	state, _ := r.getModel(ctx, req.State.Get, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	scope := keyScope(state, parent)
	id := state.ID.ValueString()
	plan.PublicKey, plan.PrivateKey = state.PublicKey, state.PrivateKey
	if !plan.Label.Equal(state.Label) || !plan.Permission.Equal(state.Permission) {
		in := bitbucket.AccessKeyInput{PublicKey: state.PublicKey.ValueString(), Label: plan.Label.ValueString(), Permission: plan.Permission.ValueString()}
		key, err := r.data.client.UpdateAccessKey(ctx, scope, id, in)
		if errors.Is(err, bitbucket.ErrNotFound) {
			resp.Diagnostics.AddError("Access key was deleted",
				goneSinceRefresh(describeKey(scope, id), "deleted", "create it again"))
			return
		}
		if err != nil {
			r.keyError(&resp.Diagnostics, "update", scope, id, err)
			return
		}
		fillKey(&plan, key)
	} else {
		plan.Fingerprint, plan.CreatedAt, plan.LastUsed = state.Fingerprint, state.CreatedAt, state.LastUsed
	}
	r.setModel(ctx, resp.State.Set, plan, parent, &resp.Diagnostics)
	syncIdentity(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

func (r *accessKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	state, parent := r.getModel(ctx, req.State.Get, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	scope := keyScope(state, parent)
	err := r.data.client.DeleteAccessKey(ctx, scope, state.ID.ValueString())
	if err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
		r.keyError(&resp.Diagnostics, "delete", scope, state.ID.ValueString(), err)
	}
}

// importIDOf is the import ID of a key of scope.
func (r *accessKeyResource) importIDOf(scope bitbucket.AccessKeyScope, id string) string {
	return accessKeyImportID(scope, id)
}

func (r *accessKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if importByIdentity(ctx, r.data, req, resp, nil) {
		return
	}
	importIntoState(ctx, r.data, req.ID, resp, r.spec.importParts(req.ID)...)
}

var (
	_ resource.ResourceWithImportState = &accessKeyResource{}
	_ resource.ResourceWithModifyPlan  = &accessKeyResource{}
	_ resource.ResourceWithConfigure   = &accessKeyResource{}
	_ resource.ResourceWithIdentity    = &accessKeyResource{}
)

// IdentitySchema: workspace, then the level's parent (Cloud project, or
// repository) and the key's id; see identity.go for how identities work.
func (r *accessKeyResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identitySchemaOf(append([]identityAttribute{identityWorkspace}, r.spec.identity...)...)
}

// NewRepositoryAccessKeyResource returns bitbucket_repository_access_key
// (Cloud /repositories/{ws}/{repo}/deploy-keys, Data Center
// /rest/keys/1.0/projects/{key}/repos/{slug}/ssh).
func NewRepositoryAccessKeyResource() resource.Resource {
	return &accessKeyResource{spec: accessKeyLevel(bitbucket.AccessKeyLevelRepository)}
}

// NewProjectAccessKeyResource returns bitbucket_project_access_key (Cloud
// /workspaces/{ws}/projects/{project}/deploy-keys, Data Center
// /rest/keys/1.0/projects/{key}/ssh).
func NewProjectAccessKeyResource() resource.Resource {
	return &accessKeyResource{spec: accessKeyLevel(bitbucket.AccessKeyLevelProject)}
}
