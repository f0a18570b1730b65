package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// The connection's managed token and webhook, made and changed with the
// provider's own credentials.

// createToken creates the managed token; createAccessToken revokes a token
// whose create answer was lost (nobody has its value) and creates again.
func (r *connectionResource) createToken(ctx context.Context, m connectionModel, diags *diag.Diagnostics) *bitbucket.AccessToken {
	client := r.data.client
	scope := tokenScopeOf(ctx, m, diags)
	mt := objectAs[managedTokenModel](ctx, m.ManagedToken, diags)
	if diags.HasError() {
		return nil
	}
	in := bitbucket.AccessTokenInput{
		Name:        m.Name.ValueString(),
		Permissions: sortedCopy(stringsOf(ctx, mt.Permissions, diags)),
		ExpiryDays:  int(mt.ExpiryDays.ValueInt64()),
	}
	action := fmt.Sprintf("create the %s token of %s", scope.Level, describeConnection(m))
	// The same lost-answer handling as bitbucket_*_access_token.
	tok, err := createAccessToken(ctx, client, scope, in)
	if err != nil {
		r.tokenError(diags, action, scope, err)
		return nil
	}
	return tok
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

// deleteToken revokes the managed token in state (gone already is fine).
func (r *connectionResource) deleteToken(ctx context.Context, m connectionModel, diags *diag.Diagnostics) bool {
	err := r.data.client.DeleteAccessToken(ctx, tokenScopeOf(ctx, m, diags), m.TokenID.ValueString())
	if err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
		clientErrorDiagnostic(diags, r.data.client, "revoke the token of "+describeConnection(m), err)
		return false
	}
	return true
}

// managedTokenWithPermissions is the block with the server's permissions,
// so a token changed outside Terraform shows as a diff.
func managedTokenWithPermissions(ctx context.Context, block types.Object, perms []string, diags *diag.Diagnostics) types.Object {
	mt := objectAs[managedTokenModel](ctx, block, diags)
	if setEqualsStrings(ctx, mt.Permissions, perms) {
		return block
	}
	mt.Permissions = stringSet(perms)
	obj, d := types.ObjectValueFrom(ctx, managedTokenAttrTypes, mt)
	diags.Append(d...)
	return obj
}

func stringSet(values []string) types.Set {
	elems := make([]attr.Value, 0, len(values))
	for _, v := range values {
		elems = append(elems, types.StringValue(v))
	}
	return types.SetValueMust(types.StringType, elems)
}

// connectionHookInput is the webhook request; the secret is the caller's.
func connectionHookInput(ctx context.Context, name string, wh connectionWebhookModel, diags *diag.Diagnostics) bitbucket.WebhookInput {
	events := sortedCopy(stringsOf(ctx, wh.Events, diags))
	return bitbucket.WebhookInput{
		Name:   name,
		URL:    wh.URL.ValueString(),
		Events: events,
		Active: wh.Active.IsNull() || wh.Active.ValueBool(),
	}
}

// createHook creates the webhook with the provider's credentials, adopting
// one whose create answer was lost, and records it in m.
func (r *connectionResource) createHook(ctx context.Context, m *connectionModel, config connectionModel, private interface {
	SetKey(context.Context, string, []byte) diag.Diagnostics
}, diags *diag.Diagnostics) bool {
	client := r.data.client
	scope := hookScopeOf(*m)
	wh := objectAs[connectionWebhookModel](ctx, m.Webhook, diags)
	secret := objectAs[connectionWebhookModel](ctx, config.Webhook, diags).SecretWO.ValueString()
	in := connectionHookInput(ctx, m.Name.ValueString(), wh, diags)
	if secret != "" {
		in.Secret = &secret
	}
	hook, err := client.CreateWebhook(ctx, scope, in)
	if bitbucket.IsUncertain(err) {
		tflog.Warn(ctx, "Webhook create answer lost; looking for the webhook before trying again", map[string]any{"error": err.Error()})
		hook, err = adoptOrCreateWebhook(ctx, client, scope, in, err)
	}
	if err != nil {
		clientErrorDiagnostic(diags, client, "create the webhook of "+describeConnection(*m), err)
		return false
	}
	writeFingerprint(ctx, private, secret, diags)
	m.WebhookID = types.StringValue(hook.ID)
	m.Webhook = r.fillHook(ctx, m.Webhook, hook, fingerprintOf(secret), diags)
	return true
}

// updateHook sends the whole webhook; the secret only when its version
// changed (an unset secret_wo then removes it).
func (r *connectionResource) updateHook(ctx context.Context, m *connectionModel, state, config connectionModel, private interface {
	SetKey(context.Context, string, []byte) diag.Diagnostics
}, diags *diag.Diagnostics) bool {
	client := r.data.client
	scope := hookScopeOf(*m)
	wh := objectAs[connectionWebhookModel](ctx, m.Webhook, diags)
	prior := objectAs[connectionWebhookModel](ctx, state.Webhook, diags)
	in := connectionHookInput(ctx, m.Name.ValueString(), wh, diags)
	secretChanged := state.Webhook.IsNull() || !wh.SecretWOVersion.Equal(prior.SecretWOVersion)
	secret := objectAs[connectionWebhookModel](ctx, config.Webhook, diags).SecretWO.ValueString()
	if secretChanged {
		in.Secret = &secret
	}
	hook, err := client.UpdateWebhook(ctx, scope, m.WebhookID.ValueString(), in)
	if errors.Is(err, bitbucket.ErrNotFound) {
		diags.AddError("Webhook was deleted",
			fmt.Sprintf("The webhook %s of %s was deleted outside Terraform during this apply. Run terraform apply "+
				"again to create it.", m.WebhookID.ValueString(), describeConnection(*m)))
		return false
	}
	if err != nil {
		clientErrorDiagnostic(diags, client, "update the webhook of "+describeConnection(*m), err)
		return false
	}
	if secretChanged {
		writeFingerprint(ctx, private, secret, diags)
	}
	fingerprint := fingerprintOf(secret)
	m.Webhook = r.fillHook(ctx, m.Webhook, hook, fingerprint, diags)
	return true
}

func fingerprintOf(secret string) string {
	if secret == "" {
		return ""
	}
	return sha256Hex(secret)
}

// fillHook copies the server's webhook into the block. active stays unset
// while the hook is active; a secret removed (or, on Data Center, which
// returns it, changed) outside Terraform drops secret_wo_version, so the
// plan sends the secret again.
func (r *connectionResource) fillHook(ctx context.Context, block types.Object, hook *bitbucket.Webhook, fingerprint string, diags *diag.Diagnostics) types.Object {
	wh := objectAs[connectionWebhookModel](ctx, block, diags)
	wh.URL = types.StringValue(hook.URL)
	wh.Events = stringSet(hook.Events)
	if !wh.Active.IsNull() || !hook.Active {
		wh.Active = types.BoolValue(hook.Active)
	}
	wh.SecretWO = types.StringNull()
	if !wh.SecretWOVersion.IsNull() {
		changed := r.data.client.Product() != bitbucket.ProductCloud && fingerprint != "" && sha256Hex(hook.Secret) != fingerprint
		if !hook.SecretSet || changed {
			wh.SecretWOVersion = types.Int64Null()
		}
	}
	obj, d := types.ObjectValueFrom(ctx, connectionWebhookAttrTypes, wh)
	diags.Append(d...)
	return obj
}

// readImported fills an imported connection from what Bitbucket has: the
// webhook named after the connection and, on Data Center, a token of that
// name (repository, then project, then the provider user's). A token's
// value cannot be read back, so an imported managed token is replaced on
// the next apply; a supplied token is not imported at all.
func (r *connectionResource) readImported(ctx context.Context, m *connectionModel, diags *diag.Diagnostics) {
	client := r.data.client
	m.Verify = types.BoolValue(true)
	m.VerifiedPermissions = types.SetNull(types.StringType)
	name := m.Name.ValueString()
	m.ID = types.StringValue(connectionID(m.Workspace.ValueString(), m.Repository.ValueString(), name))

	if repository := m.Repository.ValueString(); repository != "" {
		repo, err := client.GetRepository(ctx, m.Workspace.ValueString(), repository)
		if err != nil {
			clientErrorDiagnostic(diags, client, "read the repository of "+describeConnection(*m), err)
			return
		}
		m.CloneHTTPS, m.CloneSSH = types.StringValue(repo.CloneHTTPS), types.StringValue(repo.CloneSSH)
	}

	hooks, err := client.ListWebhooks(ctx, hookScopeOf(*m))
	if err != nil {
		clientErrorDiagnostic(diags, client, "list the webhooks for "+describeConnection(*m), err)
		return
	}
	var named []bitbucket.Webhook
	for _, h := range hooks {
		if h.Name == name {
			named = append(named, h)
		}
	}
	switch len(named) {
	case 0:
	case 1:
		m.WebhookID = types.StringValue(named[0].ID)
		empty, d := types.ObjectValueFrom(ctx, connectionWebhookAttrTypes, connectionWebhookModel{
			URL: types.StringNull(), Events: types.SetNull(types.StringType), SecretWO: types.StringNull(),
			SecretWOVersion: types.Int64Null(), Active: types.BoolNull(),
		})
		diags.Append(d...)
		m.Webhook = r.fillHook(ctx, empty, &named[0], "", diags)
	default:
		diags.AddError("Cannot import the connection",
			fmt.Sprintf("%d webhooks named %q exist in %s, so the provider cannot tell which one is the connection's. "+
				"Rename or delete the extra ones and import again.", len(named), name, connectionID(m.Workspace.ValueString(), m.Repository.ValueString(), "")))
		return
	}

	if client.Product() == bitbucket.ProductCloud {
		return
	}
	var scopes []bitbucket.TokenScope
	if m.Repository.ValueString() != "" {
		scopes = append(scopes, bitbucket.TokenScope{Level: bitbucket.TokenLevelRepository, Workspace: m.Workspace.ValueString(), Repository: m.Repository.ValueString()})
	}
	scopes = append(scopes, bitbucket.TokenScope{Level: bitbucket.TokenLevelProject, Workspace: m.Workspace.ValueString()},
		bitbucket.TokenScope{Level: bitbucket.TokenLevelUser})
	var refused error
	defer func() {
		// A token that could not be looked for may exist: importing without
		// it would leave it untracked and the next apply would make a second.
		if refused != nil && m.TokenID.IsNull() && !diags.HasError() {
			clientErrorDiagnostic(diags, client, "look for the token of "+describeConnection(*m), refused)
		}
	}()
	for _, scope := range scopes {
		tokens, err := client.ListAccessTokens(ctx, scope)
		if errors.Is(err, bitbucket.ErrForbidden) || errors.Is(err, bitbucket.ErrUnauthorized) {
			refused = cmp.Or(refused, err) // not this provider user's to see; maybe the next level
			continue
		}
		if err != nil {
			clientErrorDiagnostic(diags, client, fmt.Sprintf("list the %s tokens for %s", scope.Level, describeConnection(*m)), err)
			return
		}
		for _, t := range tokens {
			if t.Name != name {
				continue
			}
			expiry := types.Int64Null()
			if t.ExpiryDays > 0 {
				expiry = types.Int64Value(int64(t.ExpiryDays))
			}
			obj, d := types.ObjectValueFrom(ctx, managedTokenAttrTypes, managedTokenModel{
				Level: types.StringValue(string(scope.Level)), Permissions: stringSet(t.Permissions), ExpiryDays: expiry,
			})
			diags.Append(d...)
			m.ManagedToken, m.TokenID, m.Token = obj, types.StringValue(t.ID), types.StringNull()
			return
		}
	}
}
