package provider

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// protocolHarness plays Terraform core against the provider's protocol 6
// server in-process: refresh, plan, apply, import and destroy of one
// resource, with core's "inconsistent result after apply" check. Terraform
// CLI runs cost about a second a step; this costs milliseconds, which is
// what lets the fault matrix run hundreds of cells inside `make test`. The
// acceptance tests drive the real CLI for everything else.
type protocolHarness struct {
	t        testing.TB
	ctx      context.Context
	server   tfprotov6.ProviderServer
	typeName string
	schema   *tfprotov6.Schema
	objType  tftypes.Object

	state   tftypes.Value // null when the resource is not in state
	private []byte
	// warnings are the warning diagnostics of every apply, oldest first.
	warnings []string
}

// newProtocolHarness configures the provider with providerConfig (attribute
// name -> Go value) and prepares to manage one resource of typeName.
func newProtocolHarness(t testing.TB, typeName string, providerConfig map[string]any) *protocolHarness {
	t.Helper()
	server, err := providerserver.NewProtocol6WithError(New("test", WithRetryWait(time.Millisecond, 20*time.Millisecond))())()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || hasErrors(schemas.Diagnostics) {
		t.Fatalf("provider schema: %v %s", err, diagnosticsText(schemas.Diagnostics))
	}
	providerValue, err := objectValue(schemas.Provider, providerConfig)
	if err != nil {
		t.Fatal(err)
	}
	configure, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{
		TerraformVersion: "1.11.4", Config: dynamic(t, schemas.Provider, providerValue),
	})
	if err != nil || hasErrors(configure.Diagnostics) {
		t.Fatalf("configure: %v %s", err, diagnosticsText(configure.Diagnostics))
	}
	schema, ok := schemas.ResourceSchemas[typeName]
	if !ok {
		t.Fatalf("no resource %s", typeName)
	}
	objType, _ := schema.ValueType().(tftypes.Object)
	return &protocolHarness{t: t, ctx: ctx, server: server, typeName: typeName, schema: schema, objType: objType,
		state: tftypes.NewValue(objType, nil)}
}

// inState reports whether the resource is in state, and its id.
func (h *protocolHarness) inState() (bool, string) {
	if h.state.IsNull() {
		return false, ""
	}
	attrs := map[string]tftypes.Value{}
	_ = h.state.As(&attrs)
	var id string
	_ = attrs["id"].As(&id)
	return true, id
}

// refresh reads the resource, as every plan does first.
func (h *protocolHarness) refresh() error {
	if h.state.IsNull() {
		return nil
	}
	resp, err := h.server.ReadResource(h.ctx, &tfprotov6.ReadResourceRequest{
		TypeName: h.typeName, CurrentState: dynamic(h.t, h.schema, h.state), Private: h.private,
	})
	if err != nil {
		return err
	}
	if hasErrors(resp.Diagnostics) {
		return errors.New(diagnosticsText(resp.Diagnostics))
	}
	h.state, h.private = h.value(resp.NewState), resp.Private
	return nil
}

// apply is `terraform apply` of a configuration holding the resource with
// these arguments (config nil: the resource removed from the configuration).
func (h *protocolHarness) apply(config map[string]any) error {
	if err := h.refresh(); err != nil {
		return err
	}
	if config == nil {
		return h.destroy()
	}
	configValue, err := objectValue(h.schema, config)
	if err != nil {
		return err
	}
	plan, err := h.planResponse(configValue)
	if err != nil {
		return err
	}
	planned := h.value(plan.PlannedState)
	if planned.Equal(h.state) {
		return nil // no changes
	}
	if len(plan.RequiresReplace) > 0 && !h.state.IsNull() {
		if err := h.destroy(); err != nil {
			return err
		}
		return h.apply(config)
	}
	resp, err := h.server.ApplyResourceChange(h.ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: h.typeName, PriorState: dynamic(h.t, h.schema, h.state), PlannedState: plan.PlannedState,
		Config: dynamic(h.t, h.schema, configValue), PlannedPrivate: plan.PlannedPrivate,
	})
	if err != nil {
		return err
	}
	for _, d := range resp.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityWarning {
			h.warnings = append(h.warnings, d.Summary+": "+d.Detail)
		}
	}
	// Terraform keeps the state the provider returns, error or not; when an
	// update fails without one, it keeps the prior state.
	newState := h.value(resp.NewState)
	keepPrior := newState.IsNull() && hasErrors(resp.Diagnostics) && !h.state.IsNull()
	if !keepPrior {
		h.state, h.private = newState, resp.Private
	}
	if hasErrors(resp.Diagnostics) {
		return errors.New(diagnosticsText(resp.Diagnostics))
	}
	return inconsistentResult(planned, newState)
}

// planResponse is core's PlanResourceChange of configValue against the
// current state; an error diagnostic is an error.
func (h *protocolHarness) planResponse(configValue tftypes.Value) (*tfprotov6.PlanResourceChangeResponse, error) {
	proposed := proposedNewState(h.schema, h.state, configValue)
	plan, err := h.server.PlanResourceChange(h.ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: h.typeName, PriorState: dynamic(h.t, h.schema, h.state),
		ProposedNewState: dynamic(h.t, h.schema, proposed), Config: dynamic(h.t, h.schema, configValue),
		PriorPrivate: h.private,
	})
	if err != nil {
		return nil, err
	}
	if hasErrors(plan.Diagnostics) {
		return nil, errors.New(diagnosticsText(plan.Diagnostics))
	}
	return plan, nil
}

// plan validates config and plans it against the current state, as
// `terraform plan` does (values may be unknown), without applying.
func (h *protocolHarness) plan(config map[string]any) (configValue, planned tftypes.Value, err error) {
	configValue, err = objectValue(h.schema, config)
	if err != nil {
		return configValue, planned, err
	}
	validate, err := h.server.ValidateResourceConfig(h.ctx, &tfprotov6.ValidateResourceConfigRequest{
		TypeName: h.typeName, Config: dynamic(h.t, h.schema, configValue),
		ClientCapabilities: &tfprotov6.ValidateResourceConfigClientCapabilities{WriteOnlyAttributesAllowed: true},
	})
	if err != nil {
		return configValue, planned, err
	}
	if hasErrors(validate.Diagnostics) {
		return configValue, planned, errors.New(diagnosticsText(validate.Diagnostics))
	}
	resp, err := h.planResponse(configValue)
	if err != nil {
		return configValue, planned, err
	}
	return configValue, h.value(resp.PlannedState), nil
}

// destroy is `terraform destroy` of the resource.
func (h *protocolHarness) destroy() error {
	if h.state.IsNull() {
		return nil
	}
	null := tftypes.NewValue(h.objType, nil)
	resp, err := h.server.ApplyResourceChange(h.ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: h.typeName, PriorState: dynamic(h.t, h.schema, h.state), PlannedState: dynamic(h.t, h.schema, null),
		Config: dynamic(h.t, h.schema, null), PlannedPrivate: h.private,
	})
	if err != nil {
		return err
	}
	if hasErrors(resp.Diagnostics) {
		return errors.New(diagnosticsText(resp.Diagnostics))
	}
	h.state, h.private = h.value(resp.NewState), resp.Private
	return nil
}

// importState is `terraform import`: import, then the read that follows.
// The result is not kept; the resource's own state is untouched.
func (h *protocolHarness) importState(id string) (tftypes.Value, error) {
	resp, err := h.server.ImportResourceState(h.ctx, &tfprotov6.ImportResourceStateRequest{TypeName: h.typeName, ID: id})
	if err != nil {
		return tftypes.Value{}, err
	}
	if hasErrors(resp.Diagnostics) {
		return tftypes.Value{}, errors.New(diagnosticsText(resp.Diagnostics))
	}
	if len(resp.ImportedResources) != 1 {
		return tftypes.Value{}, fmt.Errorf("import returned %d resources", len(resp.ImportedResources))
	}
	imported := resp.ImportedResources[0]
	read, err := h.server.ReadResource(h.ctx, &tfprotov6.ReadResourceRequest{
		TypeName: h.typeName, CurrentState: imported.State, Private: imported.Private,
	})
	if err != nil {
		return tftypes.Value{}, err
	}
	if hasErrors(read.Diagnostics) {
		return tftypes.Value{}, errors.New(diagnosticsText(read.Diagnostics))
	}
	value := h.value(read.NewState)
	if value.IsNull() {
		return value, errors.New("Cannot import non-existent remote object")
	}
	return value, nil
}

func (h *protocolHarness) value(dv *tfprotov6.DynamicValue) tftypes.Value {
	if dv == nil {
		return tftypes.NewValue(h.objType, nil)
	}
	v, err := dv.Unmarshal(h.objType)
	if err != nil {
		h.t.Fatalf("decoding a value from the provider: %v", err)
	}
	return v
}

// proposedNewState is core's proposal: configured values, and for computed
// attributes the configuration leaves null, the prior value. Write-only
// attributes are never proposed.
func proposedNewState(schema *tfprotov6.Schema, prior, config tftypes.Value) tftypes.Value {
	configAttrs, priorAttrs := map[string]tftypes.Value{}, map[string]tftypes.Value{}
	_ = config.As(&configAttrs)
	if !prior.IsNull() {
		_ = prior.As(&priorAttrs)
	}
	out := map[string]tftypes.Value{}
	for _, a := range schema.Block.Attributes {
		v := configAttrs[a.Name]
		switch {
		case a.WriteOnly:
			v = tftypes.NewValue(v.Type(), nil)
		case v.IsNull() && a.Computed && !prior.IsNull():
			v = priorAttrs[a.Name]
		}
		out[a.Name] = v
	}
	// Nested blocks are proposed as configured (the harness's resources
	// keep no computed values inside blocks).
	for _, block := range schema.Block.BlockTypes {
		out[block.TypeName] = configAttrs[block.TypeName]
	}
	return tftypes.NewValue(config.Type(), out)
}

// inconsistentResult is core's check: every value known in the plan must be
// the value applied.
func inconsistentResult(planned, applied tftypes.Value) error {
	if planned.IsNull() {
		return nil
	}
	if applied.IsNull() {
		return errors.New("Provider produced inconsistent result after apply: the object was planned but none was returned")
	}
	plannedAttrs, appliedAttrs := map[string]tftypes.Value{}, map[string]tftypes.Value{}
	_ = planned.As(&plannedAttrs)
	_ = applied.As(&appliedAttrs)
	for name, p := range plannedAttrs {
		if p.IsFullyKnown() && !p.Equal(appliedAttrs[name]) {
			return fmt.Errorf("Provider produced inconsistent result after apply: %s was planned as %s but is now %s", name, p, appliedAttrs[name])
		}
	}
	return nil
}

// objectValue builds a value of the schema's object type from Go values
// (string, bool, int, []string, map[string]any for an object and
// []map[string]any for a list or set of objects); absent attributes are null.
func objectValue(schema *tfprotov6.Schema, values map[string]any) (tftypes.Value, error) {
	return goValue(schema.ValueType(), values)
}

// unknownValue in a configuration map is a value not known until apply
// (e.g. another resource's attribute).
type unknownValue struct{}

func goValue(typ tftypes.Type, raw any) (tftypes.Value, error) {
	switch v := raw.(type) {
	case nil:
		return tftypes.NewValue(typ, nil), nil
	case unknownValue:
		return tftypes.NewValue(typ, tftypes.UnknownValue), nil
	case string, bool:
		return tftypes.NewValue(typ, v), nil
	case int:
		return tftypes.NewValue(typ, big.NewFloat(float64(v))), nil
	case map[string]any:
		obj, ok := typ.(tftypes.Object)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("%s is not an object", typ)
		}
		attrs := map[string]tftypes.Value{}
		for name, attrType := range obj.AttributeTypes {
			value, err := goValue(attrType, v[name])
			if err != nil {
				return tftypes.Value{}, fmt.Errorf("%s: %w", name, err)
			}
			attrs[name] = value
		}
		return tftypes.NewValue(obj, attrs), nil
	case []string:
		items := make([]any, len(v))
		for i := range v {
			items[i] = v[i]
		}
		return collectionValue(typ, items)
	case []map[string]any:
		items := make([]any, len(v))
		for i := range v {
			items[i] = v[i]
		}
		return collectionValue(typ, items)
	}
	return tftypes.Value{}, fmt.Errorf("unsupported Go value %T", raw)
}

func collectionValue(typ tftypes.Type, items []any) (tftypes.Value, error) {
	var elem tftypes.Type
	switch c := typ.(type) {
	case tftypes.Set:
		elem = c.ElementType
	case tftypes.List:
		elem = c.ElementType
	default:
		return tftypes.Value{}, fmt.Errorf("%s is not a collection", typ)
	}
	values := make([]tftypes.Value, 0, len(items))
	for _, item := range items {
		v, err := goValue(elem, item)
		if err != nil {
			return tftypes.Value{}, err
		}
		values = append(values, v)
	}
	return tftypes.NewValue(typ, values), nil
}

func dynamic(t testing.TB, schema *tfprotov6.Schema, v tftypes.Value) *tfprotov6.DynamicValue {
	dv, err := tfprotov6.NewDynamicValue(schema.ValueType(), v)
	if err != nil {
		t.Fatalf("encoding a value for the provider: %v", err)
	}
	return &dv
}

func hasErrors(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

func diagnosticsText(diags []*tfprotov6.Diagnostic) string {
	var parts []string
	for _, d := range diags {
		parts = append(parts, fmt.Sprintf("%s: %s: %s", d.Severity, d.Summary, d.Detail))
	}
	return strings.Join(parts, "\n")
}
