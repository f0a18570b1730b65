package provider

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// The connection's objects in Bitbucket (its managed token and webhook),
// the one function that turns them into state, and the steps that make,
// change, find and remove them with the provider's own credentials.

// remoteConnection is what Bitbucket holds for a connection, as far as the
// provider knows it now: read from the server, taken from the answers of
// this apply, or (for what an update did not touch) from state.
type remoteConnection struct {
	repo  *bitbucket.Repository // nil: not read in this operation
	token *remoteToken          // nil: no managed token
	key   *remoteKey            // nil: no managed access key
	// keyConfig is the managed_access_key an import found (nil otherwise).
	keyConfig *managedAccessKeyModel
	hook      *remoteHook  // nil: no webhook
	check     *checkResult // nil: the credential was not checked
}

type remoteToken struct {
	level       bitbucket.TokenLevel
	id          string
	permissions []string
	expiryDays  int    // 0: never expires
	value       string // "" when unknown (after an import)
}

type remoteHook struct {
	id     string
	url    string
	events []string
	active bool
	// secretLost: the secret sent last is not there any more (removed, or
	// changed where the server returns it), so it must be sent again.
	secretLost bool
}

// buildState is the connection's state: the attributes the user sets come
// from base (the plan, or the state before), everything Bitbucket holds
// from remote. Create, Read (also of an import) and Update all end here.
func buildState(ctx context.Context, base connectionModel, remote remoteConnection, diags *diag.Diagnostics) connectionModel {
	s := base
	s.ID = types.StringValue(connectionID(s.Workspace.ValueString(), s.Repository.ValueString(), s.Name.ValueString()))
	s.TokenWO = types.StringNull()
	managed := remote.token != nil || !base.ManagedToken.IsNull() || remote.key != nil || !base.ManagedAccessKey.IsNull()
	keyState(&s, remote.key)
	if remote.keyConfig != nil && base.ManagedAccessKey.IsNull() {
		s.ManagedAccessKey = managedAccessKeyObject(ctx, *remote.keyConfig, diags)
	}
	s.TokenID, s.Token = types.StringNull(), base.Token
	if managed {
		s.Token = types.StringNull()
	}
	if t := remote.token; t != nil {
		s.ManagedToken = managedTokenObject(ctx, t, diags)
		s.TokenID = types.StringValue(t.id)
		if t.value != "" && (remote.check == nil || !remote.check.rejected) {
			s.Token = types.StringValue(t.value)
		}
	}
	s.WebhookID = types.StringNull()
	if h := remote.hook; h != nil {
		s.WebhookID = types.StringValue(h.id)
		s.Webhook = webhookObject(ctx, base.Webhook, h, diags)
	}
	s.CloneHTTPS, s.CloneSSH = knownOrNull(base.CloneHTTPS), knownOrNull(base.CloneSSH)
	if remote.repo != nil {
		s.CloneHTTPS, s.CloneSSH = types.StringValue(remote.repo.CloneHTTPS), types.StringValue(remote.repo.CloneSSH)
	}
	s.VerifiedPermissions = verifiedPermissions(base, remote, managed)
	return s
}

// verifiedPermissions: what the check found; nothing when the managed token
// is gone; otherwise what was found before.
func verifiedPermissions(base connectionModel, remote remoteConnection, managed bool) types.Set {
	switch {
	case !base.Verify.ValueBool():
		return types.SetNull(types.StringType)
	case remote.check != nil:
		return stringSet(remote.check.levels)
	case managed && remote.token == nil && remote.key == nil:
		return stringSet(nil)
	case base.VerifiedPermissions.IsUnknown():
		return types.SetNull(types.StringType)
	default:
		return base.VerifiedPermissions
	}
}

func knownOrNull(v types.String) types.String {
	if v.IsUnknown() {
		return types.StringNull()
	}
	return v
}

func managedTokenObject(ctx context.Context, t *remoteToken, diags *diag.Diagnostics) types.Object {
	expiry := types.Int64Null()
	if t.expiryDays > 0 {
		expiry = types.Int64Value(int64(t.expiryDays))
	}
	obj, d := types.ObjectValueFrom(ctx, managedTokenAttrTypes, managedTokenModel{
		Level: types.StringValue(string(t.level)), Permissions: stringSet(t.permissions), ExpiryDays: expiry,
	})
	diags.Append(d...)
	return obj
}

// webhookObject is the webhook attribute for hook: the server's values,
// with what only the configuration knows (the secret's version, an unset
// active) kept from base. A lost secret drops its version, so the plan
// sends it again.
func webhookObject(ctx context.Context, base types.Object, h *remoteHook, diags *diag.Diagnostics) types.Object {
	wh := connectionWebhookModel{SecretWOVersion: types.Int64Null(), Active: types.BoolNull()}
	if b := nestedAs[connectionWebhookModel](ctx, base, diags); b != nil {
		wh = *b
	}
	wh.URL, wh.Events, wh.SecretWO = types.StringValue(h.url), stringSet(h.events), types.StringNull()
	if !wh.Active.IsNull() || !h.active {
		wh.Active = types.BoolValue(h.active)
	}
	if h.secretLost {
		wh.SecretWOVersion = types.Int64Null()
	}
	obj, d := types.ObjectValueFrom(ctx, connectionWebhookAttrTypes, wh)
	diags.Append(d...)
	return obj
}

// remoteFromState is what state says Bitbucket holds.
func remoteFromState(ctx context.Context, m connectionModel, diags *diag.Diagnostics) remoteConnection {
	var remote remoteConnection
	if mt := nestedAs[managedTokenModel](ctx, m.ManagedToken, diags); mt != nil && m.TokenID.ValueString() != "" {
		remote.token = &remoteToken{level: bitbucket.TokenLevel(mt.Level.ValueString()), id: m.TokenID.ValueString(),
			permissions: knownStrings(ctx, mt.Permissions, diags), expiryDays: int(mt.ExpiryDays.ValueInt64()), value: m.Token.ValueString()}
	}
	if wh := nestedAs[connectionWebhookModel](ctx, m.Webhook, diags); wh != nil && m.WebhookID.ValueString() != "" {
		remote.hook = &remoteHook{id: m.WebhookID.ValueString(), url: wh.URL.ValueString(),
			events: knownStrings(ctx, wh.Events, diags), active: wh.Active.IsNull() || wh.Active.ValueBool()}
	}
	remote.key = keyFromState(ctx, m, diags)
	return remote
}

// hookFrom is the server's webhook. sent reports whether a secret the
// server returns is the one last sent (nil: no secret sent, or not known);
// where the server returns secrets, a changed one is lost too.
func hookFrom(hook *bitbucket.Webhook, sent func(returned string) bool) *remoteHook {
	changed := hook.SecretReturned && sent != nil && !sent(hook.Secret)
	return &remoteHook{id: hook.ID, url: hook.URL, events: hook.Events, active: hook.Active,
		secretLost: !hook.SecretSet || changed}
}

// sentSecret is hookFrom's test for the secret just sent.
func sentSecret(secret string) func(string) bool {
	if secret == "" {
		return nil
	}
	return func(returned string) bool { return returned == secret }
}

// readRemote reads what state says the connection holds. exists is false
// when the repository is gone (and with it the token and webhook).
func (r *connectionResource) readRemote(ctx context.Context, state connectionModel, private privateGetKey, diags *diag.Diagnostics) (remoteConnection, bool) {
	client := r.data.client
	remote := remoteFromState(ctx, state, diags)
	if repository := state.Repository.ValueString(); repository != "" {
		repo, err := client.GetRepository(ctx, state.Workspace.ValueString(), repository)
		if errors.Is(err, bitbucket.ErrNotFound) {
			return remote, false
		}
		if err != nil {
			clientErrorDiagnostic(diags, client, "read the repository of "+describeConnection(state), err)
			return remote, true
		}
		remote.repo = repo
	}
	if !r.readToken(ctx, state, &remote, diags) || !r.readKey(ctx, state, &remote, diags) || !r.readHook(ctx, state, private, &remote, diags) {
		return remote, true
	}
	r.checkOnRefresh(ctx, state, private, &remote, diags)
	return remote, true
}

// readToken refreshes the managed token's permissions; a revoked one is
// gone from remote, with a warning.
func (r *connectionResource) readToken(ctx context.Context, state connectionModel, remote *remoteConnection, diags *diag.Diagnostics) bool {
	t := remote.token
	if t == nil {
		return true
	}
	tok, err := r.data.client.GetAccessToken(ctx, tokenScope(state, t.level), t.id)
	switch {
	case errors.Is(err, bitbucket.ErrNotFound):
		diags.AddWarning("Connection token was revoked",
			fmt.Sprintf("The managed token %s of %s no longer exists in Bitbucket (revoked outside Terraform). The "+
				"next apply creates a new one; hand its value (token) to the service again.", t.id, describeConnection(state)))
		remote.token = nil
	case err != nil:
		clientErrorDiagnostic(diags, r.data.client, "read the token of "+describeConnection(state), err)
		return false
	default:
		t.permissions = tok.Permissions
	}
	return true
}

// readHook refreshes the webhook; one deleted outside Terraform is gone
// from remote, and the plan creates it again.
func (r *connectionResource) readHook(ctx context.Context, state connectionModel, private privateGetKey, remote *remoteConnection, diags *diag.Diagnostics) bool {
	if remote.hook == nil {
		return true
	}
	client := r.data.client
	hook, err := client.GetWebhook(ctx, hookScopeOf(state), remote.hook.id)
	switch {
	case errors.Is(err, bitbucket.ErrNotFound):
		tflog.Info(ctx, "Webhook of the connection no longer exists; the plan creates it again", map[string]any{"id": remote.hook.id})
		remote.hook = nil
	case err != nil:
		clientErrorDiagnostic(diags, client, "read the webhook of "+describeConnection(state), err)
		return false
	default:
		remote.hook = hookFrom(hook, recordedSecret(ctx, private, diags))
	}
	return true
}

// createToken creates the managed token; createAccessToken revokes a token
// whose create answer was lost (nobody has its value) and creates again.
//
// A live token whose value is lost and which could not be revoked is
// returned with an error when record is set (a create: the connection is
// then tainted, and the next apply revokes the token); otherwise (an update,
// which Terraform does not taint) the error says to revoke it.
func (r *connectionResource) createToken(ctx context.Context, m connectionModel, mt managedTokenModel, record bool, diags *diag.Diagnostics) *remoteToken {
	level := bitbucket.TokenLevel(mt.Level.ValueString())
	scope := tokenScope(m, level)
	in := bitbucket.AccessTokenInput{
		Name:        m.Name.ValueString(),
		Permissions: knownStrings(ctx, mt.Permissions, diags),
		ExpiryDays:  int(mt.ExpiryDays.ValueInt64()),
	}
	tok, err := createAccessToken(ctx, r.data.client, scope, in)
	if err != nil && tok != nil && !record {
		r.tokenError(diags, fmt.Sprintf("create the %s token of %s", level, describeConnection(m)), scope, err)
		diags.AddError("Connection token left to revoke",
			fmt.Sprintf("The %s token %s exists, but its value was lost and revoking it failed: revoke it in Bitbucket "+
				"(its name ends in -tf and 8 hex digits), then apply again.", level, tok.ID))
		return nil
	}
	if err != nil && tok != nil {
		// A live token whose value is lost, which the provider could not
		// revoke: recorded, so that the connection is tainted and the next
		// apply revokes it (docs/dev/ownership.md: nothing of its own is
		// left untracked).
		r.tokenError(diags, fmt.Sprintf("create the %s token of %s", level, describeConnection(m)), scope, err)
		diags.AddError("Connection token recorded for revocation",
			fmt.Sprintf("The %s token %s exists, but its value was lost. It is recorded in state with the connection, "+
				"which is tainted: the next terraform apply revokes it and creates a new one.", level, tok.ID))
		return &remoteToken{level: level, id: tok.ID, permissions: tok.Permissions, expiryDays: in.ExpiryDays}
	}
	if err != nil {
		r.tokenError(diags, fmt.Sprintf("create the %s token of %s", level, describeConnection(m)), scope, err)
		return nil
	}
	return &remoteToken{level: level, id: tok.ID, permissions: tok.Permissions, expiryDays: in.ExpiryDays, value: tok.Token}
}

// tokenError adds what to do for the usual reasons a token cannot be made.
func (r *connectionResource) tokenError(diags *diag.Diagnostics, action string, scope bitbucket.TokenScope, err error) {
	switch {
	case errors.Is(err, bitbucket.ErrTokenAuthRefused):
		err = fmt.Errorf("%w\n\nData Center lets only a user signed in with a password create tokens: configure "+
			"the provider with username and the user's password (token), not with an access token", err)
	case errors.Is(err, bitbucket.ErrForbidden) || errors.Is(err, bitbucket.ErrUnauthorized):
		err = fmt.Errorf("%w\n\nCreating a %s token needs %s", err, scope.Level, map[bitbucket.TokenLevel]string{
			bitbucket.TokenLevelRepository: "REPO_ADMIN on the repository",
			bitbucket.TokenLevelProject:    "PROJECT_ADMIN on the project",
			bitbucket.TokenLevelUser:       "a personal token of the provider's own user",
		}[scope.Level])
	}
	clientErrorDiagnostic(diags, r.data.client, action, err)
}

// revokeToken revokes a managed token (gone already is fine).
func (r *connectionResource) revokeToken(ctx context.Context, m connectionModel, level bitbucket.TokenLevel, id string, diags *diag.Diagnostics) bool {
	err := r.data.client.DeleteAccessToken(ctx, tokenScope(m, level), id)
	if err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
		clientErrorDiagnostic(diags, r.data.client, "revoke the token of "+describeConnection(m), err)
		return false
	}
	return true
}

// applyToken makes the managed token what the plan says: a new one where
// the plan has no token id, renamed or re-permissioned in place otherwise,
// revoked when the plan has none. After an import only a token of the
// planned level is revoked: others were never this connection's.
func (r *connectionResource) applyToken(ctx context.Context, plan, state connectionModel, imported *importMarker, remote *remoteConnection, diags *diag.Diagnostics) bool {
	mt := nestedAs[managedTokenModel](ctx, plan.ManagedToken, diags)
	if old := remote.token; old != nil && (mt == nil || plan.TokenID.IsUnknown()) {
		if imported != nil {
			old = importedToken(imported, mt)
		}
		if old != nil && !r.revokeToken(ctx, state, old.level, old.id, diags) {
			return false
		}
		remote.token = nil
	}
	switch {
	case mt == nil:
		return true
	case remote.token == nil:
		remote.token = r.createToken(ctx, plan, *mt, false, diags)
		return remote.token != nil
	case !plan.ManagedToken.Equal(state.ManagedToken) || !plan.Name.Equal(state.Name):
		return r.updateToken(ctx, plan, *mt, remote.token, diags)
	}
	return true
}

// importedToken is the token found at import with the planned level, the
// one this connection would have made (nil when none).
func importedToken(imported *importMarker, mt *managedTokenModel) *remoteToken {
	if mt == nil {
		return nil
	}
	level := bitbucket.TokenLevel(mt.Level.ValueString())
	if id := imported.Tokens[level]; id != "" {
		return &remoteToken{level: level, id: id}
	}
	return nil
}

func (r *connectionResource) updateToken(ctx context.Context, plan connectionModel, mt managedTokenModel, t *remoteToken, diags *diag.Diagnostics) bool {
	in := bitbucket.AccessTokenInput{Name: plan.Name.ValueString(), Permissions: knownStrings(ctx, mt.Permissions, diags)}
	tok, err := r.data.client.UpdateAccessToken(ctx, tokenScope(plan, t.level), t.id, in)
	if err != nil {
		if errors.Is(err, bitbucket.ErrNotFound) {
			err = fmt.Errorf("%w: %s", err, goneSinceRefresh("token of "+describeConnection(plan), "revoked", "create a new one"))
		}
		clientErrorDiagnostic(diags, r.data.client, "update the token of "+describeConnection(plan), err)
		return false
	}
	t.permissions = tok.Permissions
	return true
}

// connectionHookInput is the webhook request; the secret is the caller's.
func connectionHookInput(ctx context.Context, name string, wh connectionWebhookModel, diags *diag.Diagnostics) bitbucket.WebhookInput {
	return bitbucket.WebhookInput{
		Name:   name,
		URL:    wh.URL.ValueString(),
		Events: knownStrings(ctx, wh.Events, diags),
		Active: wh.Active.IsNull() || wh.Active.ValueBool(),
	}
}

// createHook creates the webhook with the provider's credentials, adopting
// one whose create answer was lost. before is the scope's listing taken
// just now (ids), or nil for the run's shared listing of the scope.
func (r *connectionResource) createHook(ctx context.Context, m connectionModel, wh connectionWebhookModel, secret string, before map[string]bool, private privateSetKey, diags *diag.Diagnostics) *remoteHook {
	client := r.data.client
	scope := hookScopeOf(m)
	in := connectionHookInput(ctx, m.Name.ValueString(), wh, diags)
	if secret != "" {
		in.Secret = &secret
	}
	hook, err := createWebhook(ctx, r.data, scope, in, before, diags)
	if err != nil {
		clientErrorDiagnostic(diags, client, "create the webhook of "+describeConnection(m), err)
		return nil
	}
	writeSecretRecord(ctx, private, secret, diags)
	return hookFrom(hook, sentSecret(secret))
}

// applyHook makes the webhook what the plan says: created, deleted, or sent
// whole (the secret only when its version changed: an unset secret_wo then
// removes it).
func (r *connectionResource) applyHook(ctx context.Context, plan, state, config connectionModel, private privateSetKey, remote *remoteConnection, diags *diag.Diagnostics) bool {
	client := r.data.client
	wh := nestedAs[connectionWebhookModel](ctx, plan.Webhook, diags)
	secret := ""
	if c := nestedAs[connectionWebhookModel](ctx, config.Webhook, diags); c != nil {
		secret = c.SecretWO.ValueString()
	}
	switch {
	case wh == nil && remote.hook != nil:
		if err := client.DeleteWebhook(ctx, hookScopeOf(state), remote.hook.id); err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
			clientErrorDiagnostic(diags, client, "delete the webhook of "+describeConnection(state), err)
			return false
		}
		remote.hook = nil
	case wh == nil:
	case remote.hook == nil:
		remote.hook = r.createHook(ctx, plan, *wh, secret, nil, private, diags)
		return remote.hook != nil
	case !plan.Webhook.Equal(state.Webhook) || !plan.Name.Equal(state.Name):
		prior := nestedAs[connectionWebhookModel](ctx, state.Webhook, diags)
		return r.updateHook(ctx, plan, *wh, prior == nil || !wh.SecretWOVersion.Equal(prior.SecretWOVersion), secret, private, remote, diags)
	}
	return true
}

func (r *connectionResource) updateHook(ctx context.Context, plan connectionModel, wh connectionWebhookModel, sendSecret bool, secret string, private privateSetKey, remote *remoteConnection, diags *diag.Diagnostics) bool {
	client := r.data.client
	in := connectionHookInput(ctx, plan.Name.ValueString(), wh, diags)
	if sendSecret {
		in.Secret = &secret
	}
	hook, err := client.UpdateWebhook(ctx, hookScopeOf(plan), remote.hook.id, in)
	if errors.Is(err, bitbucket.ErrNotFound) {
		diags.AddError("Webhook was deleted",
			goneSinceRefresh(fmt.Sprintf("webhook %s of %s", remote.hook.id, describeConnection(plan)), "deleted", "create it"))
		return false
	}
	if err != nil {
		clientErrorDiagnostic(diags, client, "update the webhook of "+describeConnection(plan), err)
		return false
	}
	if sendSecret {
		writeSecretRecord(ctx, private, secret, diags)
	}
	remote.hook = hookFrom(hook, sentSecret(secret))
	return true
}

// refuseExisting fails a create where Bitbucket already holds a webhook or
// token of the connection's name in the place this connection would make
// its own: a connection is found by its name, so a second one could never
// be imported. The existing one is never taken over (a person may have
// made it); importing it is the user's decision. hooksListed is the listing of
// the webhook scope (ids; nil without a webhook), which the
// webhook's create reuses instead of listing the scope again.
func (r *connectionResource) refuseExisting(ctx context.Context, plan connectionModel, mt *managedTokenModel, wh *connectionWebhookModel, diags *diag.Diagnostics) (hooksListed map[string]bool, ok bool) {
	client := r.data.client
	name := plan.Name.ValueString()
	var found string
	if wh != nil {
		hooks, err := client.ListWebhooks(ctx, hookScopeOf(plan))
		if err != nil {
			clientErrorDiagnostic(diags, client, "list the webhooks for "+describeConnection(plan), err)
			return nil, false
		}
		hooksListed = make(map[string]bool, len(hooks))
		for _, h := range hooks {
			hooksListed[h.ID] = true
			if h.Name == name {
				found = fmt.Sprintf("A webhook named %q (id %s)", name, h.ID)
			}
		}
	}
	if mt != nil && found == "" {
		level := bitbucket.TokenLevel(mt.Level.ValueString())
		tokens, err := client.ListAccessTokens(ctx, tokenScope(plan, level))
		if err != nil {
			r.tokenError(diags, fmt.Sprintf("list the %s tokens for %s", level, describeConnection(plan)), tokenScope(plan, level), err)
			return nil, false
		}
		for _, t := range tokens {
			if t.Name == name {
				found = fmt.Sprintf("A %s token named %q (id %s)", level, name, t.ID)
			}
		}
	}
	if found != "" {
		diags.AddError("Connection already exists",
			fmt.Sprintf("%s already exists: import it as %s (terraform import, or an import block with that id), or "+
				"rename or delete it in Bitbucket. A connection is found by its name, so the provider does not make a "+
				"second one.", found, plan.ID.ValueString()))
		return nil, false
	}
	return hooksListed, true
}

// lookUp finds an imported connection by its name: the repository, the
// webhook named after it, and the tokens of that name at every level (the
// first of repository, project, user goes into state; the plan decides
// which one, if any, the configuration adopts). exists is false when
// Bitbucket holds neither a webhook nor a token of the name.
func (r *connectionResource) lookUp(ctx context.Context, m connectionModel, diags *diag.Diagnostics) (remoteConnection, map[bitbucket.TokenLevel]string, bool) {
	client := r.data.client
	var remote remoteConnection
	if repository := m.Repository.ValueString(); repository != "" {
		repo, err := client.GetRepository(ctx, m.Workspace.ValueString(), repository)
		if errors.Is(err, bitbucket.ErrNotFound) {
			return remote, nil, false
		}
		if err != nil {
			clientErrorDiagnostic(diags, client, "read the repository of "+describeConnection(m), err)
			return remote, nil, false
		}
		remote.repo = repo
	}
	remote.hook = r.lookUpHook(ctx, m, diags)
	remote.key, remote.keyConfig = r.lookUpKey(ctx, m, diags)
	tokens := r.lookUpTokens(ctx, m, diags)
	ids := map[bitbucket.TokenLevel]string{}
	for _, t := range tokens {
		ids[t.level] = t.id
	}
	if len(tokens) > 0 {
		remote.token = tokens[0]
	}
	return remote, ids, remote.hook != nil || remote.key != nil || len(tokens) > 0
}

func (r *connectionResource) lookUpHook(ctx context.Context, m connectionModel, diags *diag.Diagnostics) *remoteHook {
	client := r.data.client
	hooks, err := client.ListWebhooks(ctx, hookScopeOf(m))
	if err != nil {
		clientErrorDiagnostic(diags, client, "list the webhooks for "+describeConnection(m), err)
		return nil
	}
	var named []bitbucket.Webhook
	for _, h := range hooks {
		if h.Name == m.Name.ValueString() {
			named = append(named, h)
		}
	}
	if len(named) > 1 {
		diags.AddError("Cannot import the connection",
			fmt.Sprintf("%d webhooks named %q exist in %s, so the provider cannot tell which one is the connection's. "+
				"Rename or delete the extra ones and import again.", len(named), m.Name.ValueString(),
				connectionID(m.Workspace.ValueString(), m.Repository.ValueString(), "")))
	}
	if len(named) != 1 {
		return nil
	}
	return hookFrom(&named[0], nil)
}

// lookUpTokens lists the tokens named after the connection, most specific
// level first. A product without access tokens has none.
func (r *connectionResource) lookUpTokens(ctx context.Context, m connectionModel, diags *diag.Diagnostics) []*remoteToken {
	client := r.data.client
	levels := []bitbucket.TokenLevel{bitbucket.TokenLevelProject, bitbucket.TokenLevelUser}
	if m.Repository.ValueString() != "" {
		levels = append([]bitbucket.TokenLevel{bitbucket.TokenLevelRepository}, levels...)
	}
	if !client.Capabilities().AccessTokens {
		return nil
	}
	var found []*remoteToken
	var refused error
	for _, level := range levels {
		tokens, err := client.ListAccessTokens(ctx, tokenScope(m, level))
		switch {
		case errors.Is(err, bitbucket.ErrForbidden) || errors.Is(err, bitbucket.ErrUnauthorized):
			refused = cmp.Or(refused, err) // not this provider user's to see; maybe the next level
			continue
		case err != nil:
			clientErrorDiagnostic(diags, client, fmt.Sprintf("list the %s tokens for %s", level, describeConnection(m)), err)
			return nil
		}
		named := namedTokens(tokens, m.Name.ValueString(), level)
		if len(named) > 1 {
			diags.AddError("Cannot import the connection",
				fmt.Sprintf("%d %s tokens named %q exist, so the provider cannot tell which one is the connection's. "+
					"Revoke or rename the extra ones and import again.", len(named), level, m.Name.ValueString()))
			return nil
		}
		found = append(found, named...)
	}
	if refused != nil && len(found) == 0 {
		// A token that could not be looked for may exist: importing without
		// it would leave it untracked and the next apply would make a second.
		clientErrorDiagnostic(diags, client, "look for the token of "+describeConnection(m), refused)
	}
	return found
}

func namedTokens(tokens []bitbucket.AccessToken, name string, level bitbucket.TokenLevel) []*remoteToken {
	var out []*remoteToken
	for _, t := range tokens {
		if t.Name == name {
			out = append(out, &remoteToken{level: level, id: t.ID, permissions: t.Permissions, expiryDays: t.ExpiryDays})
		}
	}
	return out
}

// privateImported is the private-state key of the import marker: set by
// ImportState, filled by the Read that follows, cleared by the first apply.
const privateImported = "imported"

// importMarker says the connection was just imported. Pending: Read must
// look it up by name. Tokens: the tokens of its name found then, by level;
// the plan adopts only the one of the level the configuration makes.
type importMarker struct {
	Pending bool                            `json:"pending,omitempty"`
	Tokens  map[bitbucket.TokenLevel]string `json:"tokens,omitempty"`
}

// readImportMarker is the marker, nil when the connection was not just
// imported.
func readImportMarker(ctx context.Context, private privateGetKey, diags *diag.Diagnostics) *importMarker {
	if private == nil {
		return nil
	}
	raw, d := private.GetKey(ctx, privateImported)
	diags.Append(d...)
	var marker importMarker
	if len(raw) == 0 || json.Unmarshal(raw, &marker) != nil {
		return nil
	}
	return &marker
}

// writeImportMarker stores marker (nil removes it).
func writeImportMarker(ctx context.Context, private privateSetKey, marker *importMarker, diags *diag.Diagnostics) {
	var raw []byte
	if marker != nil {
		raw, _ = json.Marshal(marker)
	}
	diags.Append(private.SetKey(ctx, privateImported, raw)...)
}

// warnImportedTokens says at plan time what the first apply after an
// import does with the tokens found then: the one of the planned level is
// revoked and replaced (its value cannot be read back); others are left
// alone.
func warnImportedTokens(ctx context.Context, plan connectionModel, imported *importMarker, diags *diag.Diagnostics) {
	if imported == nil || plan.ManagedToken.IsUnknown() {
		return
	}
	planned := bitbucket.TokenLevel("")
	if mt := nestedAs[managedTokenModel](ctx, plan.ManagedToken, diags); mt != nil {
		planned = bitbucket.TokenLevel(mt.Level.ValueString())
	}
	for level, id := range imported.Tokens {
		if level == planned {
			diags.AddWarning("Imported token is replaced",
				fmt.Sprintf("Applying revokes the %s token %s named %q, found when %s was imported, and creates a new "+
					"one: Bitbucket never shows a token's value again. Hand the new token to the service.", level, id,
					plan.Name.ValueString(), describeConnection(plan)))
			continue
		}
		diags.AddWarning("Imported token is left alone",
			fmt.Sprintf("The %s token %s named %q was found when %s was imported, but the configuration makes no %s "+
				"token: it is not this connection's, and applying leaves it as it is.", level, id,
				plan.Name.ValueString(), describeConnection(plan), level))
	}
}
