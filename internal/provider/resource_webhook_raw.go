package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The webhook model is read from and written to Terraform's values
// directly, attribute by attribute, instead of through the framework's
// reflection (tfsdk.State.Get/Set), which compiles a regular expression for
// every struct field on every call: in a refresh of 1,000 webhooks that
// was a large part of the provider's own CPU (docs/guides/performance.md).
// Measured with terraform-plugin-framework v1.19.0: after a framework
// upgrade, re-run `make bench` (CLIRefresh1000Webhooks) with Get/Set in place
// of these two functions, and delete this file if the cost is gone.
// TestWebhookRawPathMatchesTheFramework ties both to the framework's reading
// of every model attribute.

// webhookModelFromRaw reads a plan, state or config value.
func (r *webhookResource) webhookModelFromRaw(ctx context.Context, raw tftypes.Value, diags *diag.Diagnostics) (webhookModel, string) {
	var m webhookModel
	var attrs map[string]tftypes.Value
	if err := raw.As(&attrs); err != nil {
		diags.AddError("Unexpected webhook value", fmt.Sprintf("Terraform sent a webhook value the provider cannot read: %s", err))
		return m, ""
	}
	str := func(name string) types.String {
		v, err := types.StringType.ValueFromTerraform(ctx, attrs[name])
		if err != nil {
			diags.AddError("Unexpected webhook value", fmt.Sprintf("%s: %s", name, err))
			return types.StringNull()
		}
		s, ok := v.(types.String)
		if !ok {
			diags.AddError("Unexpected webhook value", name+" is not a string")
			return types.StringNull()
		}
		return s
	}
	boolean := func(name string) types.Bool {
		v, err := types.BoolType.ValueFromTerraform(ctx, attrs[name])
		if err != nil {
			diags.AddError("Unexpected webhook value", fmt.Sprintf("%s: %s", name, err))
			return types.BoolNull()
		}
		b, ok := v.(types.Bool)
		if !ok {
			diags.AddError("Unexpected webhook value", name+" is not a bool")
			return types.BoolNull()
		}
		return b
	}
	m.ID, m.Workspace, m.Name, m.URL = str("id"), str("workspace"), str("name"), str("url")
	m.Secret, m.SecretWO = str("secret"), str("secret_wo")
	m.Active, m.SkipCertVerification, m.SecretSet = boolean("active"), boolean("skip_cert_verification"), boolean("secret_set")
	if v, err := types.Int64Type.ValueFromTerraform(ctx, attrs["secret_wo_version"]); err != nil {
		diags.AddError("Unexpected webhook value", fmt.Sprintf("secret_wo_version: %s", err))
	} else {
		m.SecretWOVersion, _ = v.(types.Int64)
	}
	if v, err := (types.SetType{ElemType: types.StringType}).ValueFromTerraform(ctx, attrs["events"]); err != nil {
		diags.AddError("Unexpected webhook value", fmt.Sprintf("events: %s", err))
	} else {
		m.Events, _ = v.(types.Set)
	}
	repository := ""
	if r.repositoryLevel {
		repository = str("repository").ValueString()
	}
	return m, repository
}

// setWebhookState writes m as the state.
func (r *webhookResource) setWebhookState(ctx context.Context, state *tfsdk.State, m webhookModel, repository string, diags *diag.Diagnostics) {
	values := map[string]attr.Value{
		"id": m.ID, "workspace": m.Workspace, "name": m.Name, "url": m.URL, "events": m.Events,
		"active": m.Active, "skip_cert_verification": m.SkipCertVerification, "secret": m.Secret,
		"secret_wo": m.SecretWO, "secret_wo_version": m.SecretWOVersion, "secret_set": m.SecretSet,
	}
	if r.repositoryLevel {
		values["repository"] = types.StringValue(repository)
	}
	raw := make(map[string]tftypes.Value, len(values))
	for name, v := range values {
		tv, err := v.ToTerraformValue(ctx)
		if err != nil {
			diags.AddError("Cannot write the webhook's state", fmt.Sprintf("%s: %s", name, err))
			return
		}
		raw[name] = tv
	}
	typ := state.Raw.Type()
	if typ == nil {
		typ = state.Schema.Type().TerraformType(ctx)
	}
	if err := tftypes.ValidateValue(typ, raw); err != nil {
		diags.AddError("Cannot write the webhook's state", err.Error())
		return
	}
	state.Raw = tftypes.NewValue(typ, raw)
}
