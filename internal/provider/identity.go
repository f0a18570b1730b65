package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// Resource identity (Terraform 1.12+): the attributes that name an object on
// its product. Every identity attribute is also a state attribute of the
// same name, so the identity is copied from state (syncIdentity) and an
// import by identity is a copy the other way (importByIdentity). None of
// them changes without a replacement, so the identity is stable across
// refresh, update and import. Terraform 1.11 ignores identities.

// identityAttribute describes one identity attribute.
type identityAttribute struct {
	name        string
	description string
	optional    bool // may be null (an import by identity may leave it out)
}

var (
	identityWorkspace = identityAttribute{"workspace", "Cloud workspace slug or Data Center project key.", false}
	identityDCProject = identityAttribute{"workspace", "Data Center project key.", false}
	identityRepo      = identityAttribute{"repository", "Repository slug.", false}
	identityUser      = identityAttribute{"user", "Slug of the user who owns the token.", false}
	identityHookID    = identityAttribute{"id", "The webhook's id: a UUID in braces on Cloud, a number on Data Center.", false}
	identityTokenID   = identityAttribute{"id", "The token's id (a number, as a string).", false}
)

// identitySchemaOf builds an identity schema; every attribute is required
// for an import by identity.
func identitySchemaOf(attrs ...identityAttribute) identityschema.Schema {
	out := identityschema.Schema{Attributes: map[string]identityschema.Attribute{}}
	for _, a := range attrs {
		out.Attributes[a.name] = identityschema.StringAttribute{
			RequiredForImport: !a.optional, OptionalForImport: a.optional, Description: a.description,
		}
	}
	return out
}

// attributeGetter is state, plan or config.
type attributeGetter interface {
	GetAttribute(context.Context, path.Path, any) diag.Diagnostics
}

// identityNames are the attribute names of an identity, sorted.
func identityNames(identity *tfsdk.ResourceIdentity) []string {
	var names []string
	for name := range identity.Schema.GetAttributes() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// syncIdentity sets the identity from the state attributes of the same
// names. A nil identity (no identity support) is left alone.
func syncIdentity(ctx context.Context, from attributeGetter, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	if identity == nil {
		return
	}
	if st, ok := from.(tfsdk.State); ok && st.Raw.IsNull() {
		return // nothing was created, or it is gone
	}
	if syncIdentityRaw(from, identity) {
		return
	}
	for _, name := range identityNames(identity) {
		var v types.String
		diags.Append(from.GetAttribute(ctx, path.Root(name), &v)...)
		diags.Append(identity.SetAttribute(ctx, path.Root(name), v)...)
	}
}

// importIdentityAttribute copies one identity attribute into state and
// identity: checked, normalised, and the workspace as Bitbucket spells it.
// It reports false for a required attribute with no value.
func importIdentityAttribute(ctx context.Context, pd *providerData, name string, req resource.ImportStateRequest, resp *resource.ImportStateResponse, normalise func(string) string) bool {
	var v types.String
	resp.Diagnostics.Append(req.Identity.GetAttribute(ctx, path.Root(name), &v)...)
	value := strings.TrimSpace(v.ValueString())
	if value == "" {
		a, ok := req.Identity.Schema.GetAttributes()[name].(identityschema.StringAttribute)
		return ok && a.OptionalForImport
	}
	if kind, ok := identifierKinds[name]; ok {
		if err := bitbucket.CheckIdentifier(kind, value); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Invalid import identity", fmt.Sprintf("%s %s.", name, err))
			return true
		}
	}
	if normalise != nil {
		value = normalise(value)
	}
	if name == "workspace" {
		value = canonicalWorkspace(ctx, pd, value, &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(name), value)...)
	if resp.Identity != nil {
		resp.Diagnostics.Append(resp.Identity.SetAttribute(ctx, path.Root(name), value)...)
	}
	return true
}

// importByIdentity handles `import { identity = {...} }`: it copies the
// identity into state (through normalise, when given, per attribute; the
// workspace as Bitbucket spells it, canonicalWorkspace) and
// reports true. An import by ID reports false and changes nothing.
func importByIdentity(ctx context.Context, pd *providerData, req resource.ImportStateRequest, resp *resource.ImportStateResponse, normalise map[string]func(string) string) bool {
	if req.ID != "" || req.Identity == nil {
		return false
	}
	var missing []string
	for _, name := range identityNames(req.Identity) {
		if !importIdentityAttribute(ctx, pd, name, req, resp, normalise[name]) {
			missing = append(missing, name)
		}
	}
	// The repository as Bitbucket spells it, once the workspace is known
	// (the loop above takes the names in alphabetical order).
	if _, ok := req.Identity.Schema.GetAttributes()["repository"]; ok && !resp.Diagnostics.HasError() {
		var workspace, repository types.String
		resp.Diagnostics.Append(resp.State.GetAttribute(ctx, path.Root("workspace"), &workspace)...)
		resp.Diagnostics.Append(resp.State.GetAttribute(ctx, path.Root("repository"), &repository)...)
		if workspace.ValueString() != "" && repository.ValueString() != "" {
			canonical := canonicalRepository(ctx, pd, workspace.ValueString(), repository.ValueString(), &resp.Diagnostics)
			resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("repository"), canonical)...)
			if resp.Identity != nil {
				resp.Diagnostics.Append(resp.Identity.SetAttribute(ctx, path.Root("repository"), canonical)...)
			}
		}
	}
	if len(missing) > 0 {
		resp.Diagnostics.AddError("Incomplete import identity",
			fmt.Sprintf("The import block's identity has no value for %s.", strings.Join(missing, ", ")))
	}
	return true
}

// syncIdentityRaw is syncIdentity on Terraform's values directly, for a
// state: the path-based GetAttribute/SetAttribute rebuild the schema's
// attribute map at every step, a large part of a big refresh's CPU
// (docs/guides/performance.md). It reports false when it cannot, and
// syncIdentity then takes the path-based way.
func syncIdentityRaw(from attributeGetter, identity *tfsdk.ResourceIdentity) bool {
	state, ok := from.(tfsdk.State)
	if !ok {
		return false
	}
	typ, ok := identity.Raw.Type().(tftypes.Object)
	if !ok || state.Raw.IsNull() || !state.Raw.IsKnown() {
		return false
	}
	var attrs map[string]tftypes.Value
	if err := state.Raw.As(&attrs); err != nil {
		return false
	}
	out := make(map[string]tftypes.Value, len(typ.AttributeTypes))
	for name, t := range typ.AttributeTypes {
		v, ok := attrs[name]
		if !ok || !v.Type().Equal(t) {
			return false
		}
		out[name] = v
	}
	if tftypes.ValidateValue(typ, out) != nil {
		return false
	}
	identity.Raw = tftypes.NewValue(typ, out)
	return true
}
