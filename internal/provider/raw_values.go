package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Reading and writing one top-level attribute of a plan, state or config
// value directly: the framework's GetAttribute/SetAttribute walk the
// schema by path and rebuild its attribute map at every step, which in a
// plan of 1,000 objects costs more than the provider's own work
// (docs/guides/performance.md).

// rawStringAttribute reads the top-level string attribute name of raw.
func rawStringAttribute(ctx context.Context, raw tftypes.Value, name string, diags *diag.Diagnostics) types.String {
	var attrs map[string]tftypes.Value
	if err := raw.As(&attrs); err != nil {
		diags.AddAttributeError(path.Root(name), "Unexpected value", fmt.Sprintf("Terraform sent a value the provider cannot read: %s", err))
		return types.StringNull()
	}
	v, err := types.StringType.ValueFromTerraform(ctx, attrs[name])
	if err != nil {
		diags.AddAttributeError(path.Root(name), "Unexpected value", err.Error())
		return types.StringNull()
	}
	s, ok := v.(types.String)
	if !ok {
		diags.AddAttributeError(path.Root(name), "Unexpected value", fmt.Sprintf("%s is not a string", name))
		return types.StringNull()
	}
	return s
}

// withRawAttribute returns raw with its top-level attribute name set to v.
func withRawAttribute(ctx context.Context, raw tftypes.Value, name string, v interface {
	ToTerraformValue(context.Context) (tftypes.Value, error)
}, diags *diag.Diagnostics) tftypes.Value {
	var attrs map[string]tftypes.Value
	if err := raw.As(&attrs); err != nil {
		diags.AddAttributeError(path.Root(name), "Unexpected value", err.Error())
		return raw
	}
	tv, err := v.ToTerraformValue(ctx)
	if err != nil {
		diags.AddAttributeError(path.Root(name), "Unexpected value", err.Error())
		return raw
	}
	out := make(map[string]tftypes.Value, len(attrs))
	for k, a := range attrs {
		out[k] = a
	}
	out[name] = tv
	if err := tftypes.ValidateValue(raw.Type(), out); err != nil {
		diags.AddAttributeError(path.Root(name), "Unexpected value", err.Error())
		return raw
	}
	return tftypes.NewValue(raw.Type(), out)
}
