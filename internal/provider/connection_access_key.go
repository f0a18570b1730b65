package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"golang.org/x/crypto/ssh"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// A connection's SSH access key: the credential the provider makes for a
// service that clones over SSH (managed_access_key), on both products. The
// key pair is generated here; Bitbucket holds the public key, labelled with
// the connection's name, and the private key goes to the service. Its
// check (on apply and refresh) is that the key is still registered with its
// permission: a key cannot be tried over HTTP.

type managedAccessKeyModel struct {
	Level        types.String `tfsdk:"level"`
	Project      types.String `tfsdk:"project"`
	Permission   types.String `tfsdk:"permission"`
	KeyAlgorithm types.String `tfsdk:"key_algorithm"`
	CheckSSH     types.Bool   `tfsdk:"check_ssh"`
}

var managedAccessKeyAttrTypes = map[string]attr.Type{
	"level":         types.StringType,
	"project":       types.StringType,
	"permission":    types.StringType,
	"key_algorithm": types.StringType,
	"check_ssh":     types.BoolType,
}

// remoteKey is the connection's access key in Bitbucket.
type remoteKey struct {
	scope      bitbucket.AccessKeyScope
	id         string
	permission string // "" when not read in this operation
	publicKey  string
	privateKey string // "" when unknown (after an import)
}

func managedAccessKeySchema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "An SSH access key the provider makes as the service's credential, on Bitbucket Cloud " +
			"and Data Center: a key pair is generated, the public key registered on the repository (or project) " +
			"with the connection's name as its label, and the private key put in `private_key_openssh` (sensitive) " +
			"for the service. Services that clone over SSH (Appcircle's SSH connection, build farms, mirrors) need " +
			"nothing made by hand. The check on apply and refresh confirms the key is still registered with its " +
			"permission; a key deleted outside Terraform is made again on the next apply.",
		Attributes: map[string]schema.Attribute{
			"level": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "`repository` (a key of the connection's repository; needs `repository`) or " +
					"`project` (a key of a project: on Cloud the project named by `project` inside the workspace, on " +
					"Data Center the workspace itself). Changing it makes a new key.",
				Validators: []validator.String{stringvalidator.OneOf(madeCredentialLevels("managed_access_key")...)},
			},
			"project": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Bitbucket Cloud, `level = \"project\"`: the project key inside the workspace " +
					"(required there). Data Center: leave unset. Checked at plan time. Changing it makes a new key.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"permission": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "`REPO_READ` (default) or `REPO_WRITE` for a repository key, `PROJECT_READ` " +
					"(default) or `PROJECT_WRITE` for a project key. Cloud access keys are read-only, so on Cloud only " +
					"the read permission is valid. Checked at plan time; changed in place on Data Center.",
			},
			"key_algorithm": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "`ED25519` (default), `ECDSA` (P-256) or `RSA` (4096 bits). Changing it makes a new key.",
				Validators:          []validator.String{stringvalidator.OneOf(keyAlgorithms...)},
			},
			"check_ssh": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "After each apply that makes or changes the key, sign in over SSH at the " +
					"repository's `clone_ssh` URL with the private key and ask to fetch (`git-upload-pack`, fetching " +
					"nothing): the apply fails if the key does not really work. Off by default: the machine running " +
					"Terraform often cannot reach the SSH port. Proves the key, not the server's identity (no known " +
					"host key to compare with). Repository connections only.",
			},
		},
	}
}

// sshCheckTimeout bounds the SSH check.
const sshCheckTimeout = 20 * time.Second

// checkKeyOverSSH runs the optional SSH check of a key this apply made or
// changed.
func (r *connectionResource) checkKeyOverSSH(ctx context.Context, plan connectionModel, remote *remoteConnection, diags *diag.Diagnostics) {
	mk := nestedAs[managedAccessKeyModel](ctx, plan.ManagedAccessKey, diags)
	if mk == nil || !mk.CheckSSH.ValueBool() || remote.key == nil || diags.HasError() {
		return
	}
	if remote.key.privateKey == "" {
		diags.AddWarning("SSH check skipped", "The private key of the imported access key is not known, so it cannot be tried over SSH.")
		return
	}
	cloneSSH := plan.CloneSSH.ValueString()
	if remote.repo != nil {
		cloneSSH = remote.repo.CloneSSH
	}
	if err := bitbucket.CheckSSHAccess(ctx, cloneSSH, remote.key.privateKey, sshCheckTimeout); err != nil {
		diags.AddAttributeError(path.Root("managed_access_key").AtName("check_ssh"), "The access key does not work over SSH",
			fmt.Sprintf("The access key %s of %s is registered, but trying it over SSH failed: %s\n\nIf the machine running "+
				"Terraform cannot reach the SSH port, set check_ssh = false.", remote.key.id, describeConnection(plan), err))
	}
}

// accessKeyComputedAttributes are the managed key's computed attributes.
func accessKeyComputedAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"access_key_id": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "Id of the managed access key; null without `managed_access_key`.",
		},
		"public_key": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "The managed access key's public key (OpenSSH authorized_keys format).",
		},
		"private_key_openssh": schema.StringAttribute{
			Computed:  true,
			Sensitive: true,
			MarkdownDescription: "The managed access key's private key, PEM-encoded in OpenSSH format (sensitive): hand it " +
				"to the service. Null after an import (Bitbucket never had it).",
		},
	}
}

// keyPermission is the planned permission: the configured one, else the
// product's default for the level.
func keyPermission(mk managedAccessKeyModel, rules bitbucket.AccessKeyRules) string {
	if mk.Permission.ValueString() != "" {
		return mk.Permission.ValueString()
	}
	return rules.Permissions[0]
}

func (r *connectionResource) keyRules(mk managedAccessKeyModel) bitbucket.AccessKeyRules {
	return r.data.client.AccessKeyRules(bitbucket.AccessKeyLevel(mk.Level.ValueString()))
}

// keyScopeOf is where the connection m's key of mk lives.
func keyScopeOf(m connectionModel, mk managedAccessKeyModel) bitbucket.AccessKeyScope {
	scope := bitbucket.AccessKeyScope{Workspace: m.Workspace.ValueString(), Project: mk.Project.ValueString()}
	if mk.Level.ValueString() == string(bitbucket.AccessKeyLevelRepository) {
		scope.Repository, scope.Project = m.Repository.ValueString(), ""
	}
	return scope
}

// validateAccessKeyConfig: a repository key needs a repository.
func validateAccessKeyConfig(ctx context.Context, config connectionModel, diags *diag.Diagnostics) {
	mk := nestedAs[managedAccessKeyModel](ctx, config.ManagedAccessKey, diags)
	if mk == nil || mk.Level.IsUnknown() {
		return
	}
	if mk.CheckSSH.ValueBool() && config.Repository.IsNull() {
		diags.AddAttributeError(path.Root("managed_access_key").AtName("check_ssh"), "The SSH check needs a repository",
			"check_ssh clones from the repository's ssh URL: set repository, or remove check_ssh.")
	}
}

// checkAccessKeySupported adds the plan-time errors of the product's rules:
// a Cloud project key names its project, a Data Center one does not, and
// the permission is one the product and level allow.
func (r *connectionResource) checkAccessKeySupported(ctx context.Context, config connectionModel, diags *diag.Diagnostics) {
	mk := nestedAs[managedAccessKeyModel](ctx, config.ManagedAccessKey, diags)
	if mk == nil || mk.Level.IsUnknown() {
		return
	}
	at := path.Root("managed_access_key")
	rules := r.keyRules(*mk)
	product := productName(r.data.client.Product())
	if mk.Level.ValueString() == string(bitbucket.AccessKeyLevelProject) && !mk.Project.IsUnknown() {
		switch {
		case rules.ProjectInWorkspace && mk.Project.IsNull():
			diags.AddAttributeError(at.AtName("project"), "Missing project",
				fmt.Sprintf("On %s a project lives inside a workspace: set project to the project's key.", product))
		case !rules.ProjectInWorkspace && !mk.Project.IsNull():
			diags.AddAttributeError(at.AtName("project"), "project is not used on "+product,
				fmt.Sprintf("On %s the project is the workspace: remove project.", product))
		}
	}
	if p := mk.Permission; !p.IsNull() && !p.IsUnknown() && !slices.Contains(rules.Permissions, p.ValueString()) {
		detail := fmt.Sprintf("%q is not a valid permission for a %s access key on %s. Valid values: %s.",
			p.ValueString(), mk.Level.ValueString(), product, codeList(rules.Permissions))
		if rules.ReadOnlyReason != "" {
			detail += " " + rules.ReadOnlyReason
		}
		diags.AddAttributeError(at.AtName("permission"), "Invalid access key permission", detail)
	}
}

// planAccessKey keeps the key in state when it still serves the plan (same
// place, algorithm and, where the product cannot change it, permission);
// otherwise the key is new, and its attributes known after apply.
func (r *connectionResource) planAccessKey(ctx context.Context, plan *connectionModel, state *connectionModel, diags *diag.Diagnostics) {
	mk := nestedAs[managedAccessKeyModel](ctx, plan.ManagedAccessKey, diags)
	switch {
	case plan.ManagedAccessKey.IsNull():
		plan.AccessKeyID, plan.PublicKey, plan.PrivateKey = types.StringNull(), types.StringNull(), types.StringNull()
	case mk != nil && state != nil && r.keyReusable(ctx, *plan, *mk, *state, diags):
		plan.AccessKeyID, plan.PublicKey, plan.PrivateKey = state.AccessKeyID, state.PublicKey, state.PrivateKey
	default:
		plan.AccessKeyID, plan.PublicKey, plan.PrivateKey = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
	}
}

func (r *connectionResource) keyReusable(ctx context.Context, plan connectionModel, mk managedAccessKeyModel, state connectionModel, diags *diag.Diagnostics) bool {
	s := nestedAs[managedAccessKeyModel](ctx, state.ManagedAccessKey, diags)
	if s == nil || state.AccessKeyID.ValueString() == "" || mk.Level.IsUnknown() || mk.Project.IsUnknown() ||
		mk.KeyAlgorithm.IsUnknown() || mk.Permission.IsUnknown() {
		return false
	}
	// The label is the connection's name: a new name is a new key.
	if !mk.Level.Equal(s.Level) || !mk.Project.Equal(s.Project) || !plan.Repository.Equal(state.Repository) || !plan.Name.Equal(state.Name) ||
		keyAlgorithmOf(mk) != keyAlgorithmOf(*s) {
		return false
	}
	rules := r.keyRules(mk)
	return rules.PermissionUpdatable || keyPermission(mk, rules) == keyPermission(*s, rules)
}

func keyAlgorithmOf(mk managedAccessKeyModel) string {
	if mk.KeyAlgorithm.ValueString() == "" {
		return keyAlgorithms[0]
	}
	return mk.KeyAlgorithm.ValueString()
}

// plannedKeyLevels is what a managed key should be able to do (nil, false
// when there is no managed key or its permission is not known yet).
func (r *connectionResource) plannedKeyLevels(ctx context.Context, plan connectionModel, diags *diag.Diagnostics) ([]string, bool) {
	mk := nestedAs[managedAccessKeyModel](ctx, plan.ManagedAccessKey, diags)
	if mk == nil || mk.Permission.IsUnknown() || mk.Level.IsUnknown() {
		return nil, false
	}
	return levelsForPermissions([]string{keyPermission(*mk, r.keyRules(*mk))}), true
}

// keyCheck is the check of a key: registered, with this permission.
func keyCheck(k *remoteKey) *checkResult {
	return &checkResult{levels: levelsForPermissions([]string{k.permission})}
}

// createKey generates a key pair and registers its public half; a lost
// create answer is resolved by createAccessKey (the key with this
// fingerprint is the one made: nobody else holds the pair).
func (r *connectionResource) createKey(ctx context.Context, m connectionModel, mk managedAccessKeyModel, diags *diag.Diagnostics) *remoteKey {
	scope := keyScopeOf(m, mk)
	public, private, err := generateKeyPair(keyAlgorithmOf(mk))
	if err != nil {
		diags.AddError("Failed to generate a key pair", fmt.Sprintf("Generating the access key of %s: %s", describeConnection(m), err))
		return nil
	}
	in := bitbucket.AccessKeyInput{PublicKey: public, Label: m.Name.ValueString(), Permission: keyPermission(mk, r.keyRules(mk))}
	key, err := createAccessKey(ctx, r.data, scope, in, true, diags)
	if err != nil {
		clientErrorDiagnostic(diags, r.data.client, "create the access key of "+describeConnection(m), err)
		return nil
	}
	return &remoteKey{scope: scope, id: key.ID, permission: key.Permission, publicKey: public, privateKey: private}
}

// refuseExistingKey fails a create where a key labelled with the
// connection's name is already registered where the connection would put
// its own (the connection is found by that label on import).
func (r *connectionResource) refuseExistingKey(ctx context.Context, plan connectionModel, diags *diag.Diagnostics) bool {
	mk := nestedAs[managedAccessKeyModel](ctx, plan.ManagedAccessKey, diags)
	if mk == nil {
		return true
	}
	scope := keyScopeOf(plan, *mk)
	keys, err := r.data.client.ListAccessKeys(ctx, scope)
	if err != nil {
		clientErrorDiagnostic(diags, r.data.client, "list the access keys for "+describeConnection(plan), err)
		return false
	}
	for _, k := range keys {
		if k.Label == plan.Name.ValueString() {
			diags.AddError("Connection already exists",
				fmt.Sprintf("An access key labelled %q (id %s) is already registered on %s: import the connection as %s, "+
					"or delete or relabel that key in Bitbucket. A connection is found by its name, so the provider does "+
					"not make a second one.", k.Label, k.ID, scope, plan.ID.ValueString()))
			return false
		}
	}
	return true
}

// readKey refreshes the key: its permission (the check), or gone, with a
// warning, so the next apply makes a new one.
func (r *connectionResource) readKey(ctx context.Context, state connectionModel, remote *remoteConnection, diags *diag.Diagnostics) bool {
	k := remote.key
	if k == nil {
		return true
	}
	key, err := r.data.client.GetAccessKey(ctx, k.scope, k.id)
	switch {
	case errors.Is(err, bitbucket.ErrNotFound):
		diags.AddWarning("Connection access key was deleted",
			fmt.Sprintf("The access key %s of %s is no longer registered in Bitbucket (deleted outside Terraform). The next "+
				"apply makes a new key pair; hand its private key (private_key_openssh) to the service again.", k.id, describeConnection(state)))
		remote.key = nil
	case err != nil:
		clientErrorDiagnostic(diags, r.data.client, "read the access key of "+describeConnection(state), err)
		return false
	default:
		k.permission = key.Permission
		if state.Verify.ValueBool() {
			remote.check = keyCheck(k)
		}
	}
	return true
}

// applyKey makes the key what the plan says: a new one where the plan has
// no key id (the old one deleted first), the permission set in place
// otherwise, deleted when the plan has none.
func (r *connectionResource) applyKey(ctx context.Context, plan, state connectionModel, remote *remoteConnection, diags *diag.Diagnostics) bool {
	client := r.data.client
	mk := nestedAs[managedAccessKeyModel](ctx, plan.ManagedAccessKey, diags)
	if old := remote.key; old != nil && (mk == nil || plan.AccessKeyID.IsUnknown()) {
		if err := client.DeleteAccessKey(ctx, old.scope, old.id); err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
			clientErrorDiagnostic(diags, client, "delete the access key of "+describeConnection(state), err)
			return false
		}
		remote.key = nil
	}
	switch {
	case mk == nil:
		return true
	case remote.key == nil:
		remote.key = r.createKey(ctx, plan, *mk, diags)
		return remote.key != nil
	}
	want := keyPermission(*mk, r.keyRules(*mk))
	current, err := client.GetAccessKey(ctx, remote.key.scope, remote.key.id)
	if err == nil && current.Permission != want {
		current, err = client.UpdateAccessKey(ctx, remote.key.scope, remote.key.id,
			bitbucket.AccessKeyInput{PublicKey: current.PublicKey, Label: current.Label, Permission: want})
	}
	if err != nil {
		if errors.Is(err, bitbucket.ErrNotFound) {
			err = fmt.Errorf("%w: %s", err, goneSinceRefresh("access key of "+describeConnection(plan), "deleted", "make a new one"))
		}
		clientErrorDiagnostic(diags, client, "update the access key of "+describeConnection(plan), err)
		return false
	}
	remote.key.permission = current.Permission
	return true
}

// deleteKey removes the key (gone already is fine).
func (r *connectionResource) deleteKey(ctx context.Context, state connectionModel, k *remoteKey, diags *diag.Diagnostics) bool {
	if k == nil {
		return true
	}
	if err := r.data.client.DeleteAccessKey(ctx, k.scope, k.id); err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
		clientErrorDiagnostic(diags, r.data.client, "delete the access key of "+describeConnection(state), err)
		return false
	}
	return true
}

// keyFromState is the key state says Bitbucket holds (nil: none).
func keyFromState(ctx context.Context, m connectionModel, diags *diag.Diagnostics) *remoteKey {
	mk := nestedAs[managedAccessKeyModel](ctx, m.ManagedAccessKey, diags)
	if mk == nil || m.AccessKeyID.ValueString() == "" {
		return nil
	}
	return &remoteKey{scope: keyScopeOf(m, *mk), id: m.AccessKeyID.ValueString(),
		publicKey: m.PublicKey.ValueString(), privateKey: m.PrivateKey.ValueString()}
}

// keyState writes the key's attributes into s.
func keyState(s *connectionModel, k *remoteKey) {
	s.AccessKeyID, s.PublicKey, s.PrivateKey = types.StringNull(), types.StringNull(), types.StringNull()
	if k == nil {
		return
	}
	s.AccessKeyID, s.PublicKey = types.StringValue(k.id), types.StringValue(k.publicKey)
	if k.privateKey != "" {
		s.PrivateKey = types.StringValue(k.privateKey)
	}
}

// lookUpKey finds, on import, the key labelled with the connection's name
// on its repository (or, on Data Center, its project). Its private key
// stays unknown: Bitbucket never had it.
func (r *connectionResource) lookUpKey(ctx context.Context, m connectionModel, diags *diag.Diagnostics) (*remoteKey, *managedAccessKeyModel) {
	client := r.data.client
	scopes := []bitbucket.AccessKeyScope{}
	if repository := m.Repository.ValueString(); repository != "" {
		scopes = append(scopes, bitbucket.AccessKeyScope{Workspace: m.Workspace.ValueString(), Repository: repository})
	}
	if !client.AccessKeyRules(bitbucket.AccessKeyLevelProject).ProjectInWorkspace {
		scopes = append(scopes, bitbucket.AccessKeyScope{Workspace: m.Workspace.ValueString()})
	}
	var refused error
	for _, scope := range scopes {
		keys, err := client.ListAccessKeys(ctx, scope)
		if errors.Is(err, bitbucket.ErrForbidden) || errors.Is(err, bitbucket.ErrUnauthorized) {
			refused = cmp.Or(refused, err) // perhaps the next scope
			continue
		}
		if err != nil {
			clientErrorDiagnostic(diags, client, "list the access keys for "+describeConnection(m), err)
			return nil, nil
		}
		for _, k := range keys {
			if k.Label == m.Name.ValueString() {
				tflog.Info(ctx, "Found the connection's access key", map[string]any{"id": k.ID})
				mk := managedAccessKeyModel{Level: types.StringValue(string(scope.Level())), Project: types.StringNull(),
					Permission: types.StringValue(k.Permission), KeyAlgorithm: types.StringNull(), CheckSSH: types.BoolNull()}
				if k.Permission == client.AccessKeyRules(scope.Level()).Permissions[0] {
					mk.Permission = types.StringNull() // the default: as a configuration that omits it
				}
				if pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k.PublicKey)); err == nil && algorithmOfType(pk.Type()) != keyAlgorithms[0] {
					mk.KeyAlgorithm = types.StringValue(algorithmOfType(pk.Type()))
				}
				return &remoteKey{scope: scope, id: k.ID, permission: k.Permission, publicKey: k.PublicKey}, &mk
			}
		}
	}
	if refused != nil {
		// A key that could not be looked for may exist: importing without it
		// would leave it untracked.
		clientErrorDiagnostic(diags, client, "look for the access key of "+describeConnection(m), refused)
	}
	return nil, nil
}

func managedAccessKeyObject(ctx context.Context, mk managedAccessKeyModel, diags *diag.Diagnostics) types.Object {
	obj, d := types.ObjectValueFrom(ctx, managedAccessKeyAttrTypes, mk)
	diags.Append(d...)
	return obj
}

// warnImportedKeyHasNoPrivateKey: an imported connection keeps the access
// key it found, but Bitbucket holds only the public half, so
// private_key_openssh stays null; say so while the import is fresh, and how
// to get a key pair whose private key Terraform has.
func warnImportedKeyHasNoPrivateKey(plan connectionModel, state *connectionModel, imported *importMarker, diags *diag.Diagnostics) {
	if imported == nil || state == nil || plan.ManagedAccessKey.IsNull() || plan.AccessKeyID.IsUnknown() ||
		plan.AccessKeyID.ValueString() == "" || !plan.PrivateKey.IsNull() {
		return
	}
	diags.AddAttributeWarning(path.Root("private_key_openssh"), "Imported access key has no private key",
		fmt.Sprintf("The access key %s of %s was imported: Bitbucket keeps only its public half, so "+
			"private_key_openssh is null and Terraform cannot hand the private key to the service. If the service "+
			"already holds it, nothing needs to change. Otherwise delete this key in Bitbucket (the repository's or "+
			"project's access keys): the next apply makes a new key pair and puts its private key in "+
			"private_key_openssh.", plan.AccessKeyID.ValueString(), describeConnection(plan)))
}
