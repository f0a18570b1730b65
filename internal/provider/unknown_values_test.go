package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// Unknown values: any argument may come from another resource
// (`workspace = terraform_data.ws.output`), so Terraform validates and plans
// with it unknown and applies with it known. For every resource, every
// configurable attribute (and every attribute inside a nested one) is made
// unknown in turn; the plan must succeed and keep it unknown (core's
// "planned value does not match config value" rule, checked here as core
// checks it), the plan at apply time must agree with every value the first
// plan knew, and the apply must succeed. The same is done for an update of
// an existing object. Data sources and the ephemeral resource are validated
// with each attribute unknown (Terraform reads them only once every value is
// known). Configurations are run with and without a provider default
// workspace, the two ways the planner can go wrong.

// unknownValuesCase is a full configuration of one resource on one product:
// together, a type's cases set every configurable attribute.
type unknownValuesCase struct {
	product  emulator.Product
	typeName string
	config   map[string]any
}

func unknownValuesCases() []unknownValuesCase {
	var cases []unknownValuesCase
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		ws := seededWorkspace(product)
		events := []string{strings.Trim(pushEvents(product), `["]`)}
		for _, typeName := range []string{"bitbucket_repository_webhook", "bitbucket_workspace_webhook"} {
			withWO := map[string]any{"workspace": ws, "name": "unknowns", "url": "https://ci.example.com/hook",
				"events": events, "active": true, "skip_cert_verification": false, "secret_wo": "s3cret-wo",
				"secret_wo_version": 1}
			withSecret := map[string]any{"workspace": ws, "name": "unknowns", "url": "https://ci.example.com/hook",
				"events": events, "secret": "s3cret"}
			if typeName == "bitbucket_repository_webhook" {
				withWO["repository"], withSecret["repository"] = "api-service", "api-service"
			}
			cases = append(cases, unknownValuesCase{product, typeName, withWO}, unknownValuesCase{product, typeName, withSecret})
		}
		connection := map[string]any{"name": "unknowns", "workspace": ws, "repository": "api-service", "verify": true,
			"webhook": map[string]any{"url": "https://service.example.com/hook", "events": events,
				"secret_wo": "hook-secret", "secret_wo_version": 1, "active": true}}
		if product == emulator.DataCenter {
			connection["managed_token"] = map[string]any{"level": "repository", "permissions": []string{"REPO_READ"}, "expiry_days": 30}
			supplied := map[string]any{"name": "unknowns-supplied", "workspace": ws, "repository": "api-service",
				"username": emulator.DCAdminUser, "token_wo": emulator.DCAdminPassword, "token_wo_version": 1, "check_webhook_delivery": false}
			withToken := map[string]any{"name": "unknowns-token", "workspace": ws, "repository": "api-service",
				"token": emulator.DCAdminToken}
			cases = append(cases, unknownValuesCase{product, "bitbucket_connection", supplied},
				unknownValuesCase{product, "bitbucket_connection", withToken})
		} else {
			connection["token"] = emulator.CloudAccessToken
		}
		cases = append(cases, unknownValuesCase{product, "bitbucket_connection", connection})
	}
	token := func(extra map[string]any) map[string]any {
		c := map[string]any{"name": "unknowns", "permissions": []string{"REPO_READ"}, "expiry_days": 30, "rotate_before_days": 7}
		maps.Copy(c, extra)
		return c
	}
	// Access keys: a generated key pair (key_algorithm, permission) and a
	// supplied public key; project only on Cloud.
	const publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF8LLyHClvJpUMKUnOH49Ps0YIM8zlK7zOOObLSjYSCp unknowns@example"
	cases = append(cases,
		unknownValuesCase{emulator.DataCenter, "bitbucket_connection", map[string]any{"name": "unknowns-key", "workspace": "PRJ",
			"repository": "api-service", "managed_access_key": map[string]any{"level": "repository", "permission": "REPO_WRITE", "check_ssh": false}}},
		unknownValuesCase{emulator.Cloud, "bitbucket_connection", map[string]any{"name": "unknowns-key", "workspace": "acme",
			"managed_access_key": map[string]any{"level": "project", "project": "API", "permission": "PROJECT_READ", "key_algorithm": "ECDSA"}}},
		unknownValuesCase{emulator.DataCenter, "bitbucket_repository_access_key", map[string]any{"workspace": "PRJ",
			"repository": "api-service", "label": "unknowns", "permission": "REPO_WRITE", "key_algorithm": "ECDSA"}},
		unknownValuesCase{emulator.Cloud, "bitbucket_repository_access_key", map[string]any{"workspace": "acme",
			"repository": "api-service", "label": "unknowns", "public_key": publicKey}},
		unknownValuesCase{emulator.DataCenter, "bitbucket_project_access_key", map[string]any{"workspace": "PRJ",
			"label": "unknowns", "permission": "PROJECT_WRITE", "public_key": publicKey}},
		unknownValuesCase{emulator.Cloud, "bitbucket_project_access_key", map[string]any{"workspace": "acme",
			"project": "API", "label": "unknowns", "permission": "PROJECT_READ", "key_algorithm": "ED25519"}},
	)
	return append(cases,
		unknownValuesCase{emulator.DataCenter, "bitbucket_project_access_token", token(map[string]any{"workspace": "PRJ"})},
		unknownValuesCase{emulator.DataCenter, "bitbucket_repository_access_token", token(map[string]any{"workspace": "PRJ", "repository": "api-service"})},
		unknownValuesCase{emulator.DataCenter, "bitbucket_user_access_token", token(map[string]any{"user": emulator.DCAdminUser})},
	)
}

// unknownPaths are the attributes of config to make unknown one at a time:
// each top-level one, and each one inside a nested object.
func unknownPaths(config map[string]any) [][]string {
	var out [][]string
	for _, name := range slices.Sorted(maps.Keys(config)) {
		if inner, ok := config[name].(map[string]any); ok {
			for _, innerName := range slices.Sorted(maps.Keys(inner)) {
				out = append(out, []string{name, innerName})
			}
			continue
		}
		out = append(out, []string{name})
	}
	return out
}

// withUnknown is a copy of config with the attribute at p unknown.
func withUnknown(config map[string]any, p []string) map[string]any {
	out := maps.Clone(config)
	if len(p) == 2 {
		inner := maps.Clone(config[p[0]].(map[string]any))
		inner[p[1]] = unknownValue{}
		out[p[0]] = inner
		return out
	}
	out[p[0]] = unknownValue{}
	return out
}

// configurablePaths are the attributes a configuration may set, as paths.
func configurablePaths(block *tfprotov6.SchemaBlock) map[string]bool {
	out := map[string]bool{}
	for _, a := range block.Attributes {
		if a.NestedType != nil {
			for _, inner := range a.NestedType.Attributes {
				if inner.Optional || inner.Required {
					out[a.Name+"."+inner.Name] = true
				}
			}
			continue
		}
		if a.Optional || a.Required {
			out[a.Name] = true
		}
	}
	for _, b := range block.BlockTypes {
		for _, inner := range b.Block.Attributes {
			if inner.Optional || inner.Required {
				out[b.TypeName+"."+inner.Name] = true
			}
		}
	}
	return out
}

func TestUnknownValuesEveryResourceAttribute(t *testing.T) {
	cases := unknownValuesCases()
	covered := map[string]map[string]bool{}
	for _, tc := range cases {
		if covered[tc.typeName] == nil {
			covered[tc.typeName] = map[string]bool{}
		}
		for _, p := range unknownPaths(tc.config) {
			covered[tc.typeName][strings.Join(p, ".")] = true
		}
	}
	// Every resource, and every attribute it has, is in the matrix.
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for typeName, schema := range schemas.ResourceSchemas {
		for p := range configurablePaths(schema.Block) {
			if !covered[typeName][p] {
				t.Errorf("%s.%s is never made unknown: add it to unknownValuesCases", typeName, p)
			}
		}
	}

	for i, tc := range cases {
		for _, defaultWorkspace := range []bool{false, true} {
			for _, p := range unknownPaths(tc.config) {
				label := fmt.Sprintf("%s/%s/%d/default_workspace=%v/%s", tc.typeName, tc.product, i, defaultWorkspace, strings.Join(p, "."))
				t.Run(label, func(t *testing.T) {
					t.Parallel()
					runUnknownValueCase(t, tc, defaultWorkspace, p)
				})
			}
		}
	}
}

// runUnknownValueCase plans a create with the attribute unknown, applies
// it known, then plans an update with it unknown.
func runUnknownValueCase(t *testing.T, tc unknownValuesCase, defaultWorkspace bool, p []string) {
	srv := startEmulator(t, tc.product)
	providerConfig := matrixProviderConfig(srv)
	providerConfig["request_timeout"] = "30s"
	if defaultWorkspace {
		providerConfig["workspace"] = seededWorkspace(tc.product)
	}
	h := newProtocolHarness(t, tc.typeName, providerConfig)
	unknownConfig := withUnknown(tc.config, p)

	checkPlan := func(step string) tftypes.Value {
		t.Helper()
		configValue, planned, err := h.plan(unknownConfig)
		if err != nil {
			t.Fatalf("%s plan with %s unknown: %v", step, strings.Join(p, "."), err)
		}
		for _, problem := range invalidPlan(h.schema.Block, h.state, configValue, planned, "") {
			t.Errorf("%s plan with %s unknown: Provider produced invalid plan: %s", step, strings.Join(p, "."), problem)
		}
		_, final, err := h.plan(tc.config)
		if err != nil {
			t.Fatalf("%s plan at apply time (all known): %v", step, err)
		}
		for _, problem := range incompatibleFinalPlan(planned, final, "") {
			t.Errorf("%s: Provider produced inconsistent final plan: %s", step, problem)
		}
		return planned
	}

	checkPlan("create")
	if err := h.apply(tc.config); err != nil {
		t.Fatalf("apply with every value known: %v", err)
	}
	checkPlan("update")
	if err := h.apply(nil); err != nil {
		t.Fatalf("destroy: %v", err)
	}
}

// invalidPlan is core's check of a planned object against its
// configuration (plans/objchange.AssertPlanValid): a configured value is
// planned as configured (an unknown one stays unknown) or, on an update,
// as the prior value; write-only values are never planned; the provider may choose only values the
// configuration leaves null on computed attributes.
func invalidPlan(block *tfprotov6.SchemaBlock, prior, config, planned tftypes.Value, prefix string) []string {
	priorAttrs, configAttrs, plannedAttrs := objectAttrs(prior), objectAttrs(config), objectAttrs(planned)
	var problems []string
	for _, a := range block.Attributes {
		c, p, pr := configAttrs[a.Name], plannedAttrs[a.Name], priorAttrs[a.Name]
		name := prefix + a.Name
		switch {
		case a.WriteOnly:
			if !p.IsNull() {
				problems = append(problems, fmt.Sprintf("%s: write-only attribute planned as %s, not null", name, p))
			}
		case p.Equal(c):
		case pr.Type() != nil && !pr.IsNull() && !c.IsNull() && p.Equal(pr):
		case a.Computed && !a.Optional:
		case c.IsNull() && a.Computed:
		case a.NestedType != nil && !c.IsNull() && c.IsKnown() && p.IsKnown() && !p.IsNull():
			nested := &tfprotov6.SchemaBlock{Attributes: a.NestedType.Attributes}
			problems = append(problems, invalidPlan(nested, pr, c, p, name+".")...)
		default:
			problems = append(problems, fmt.Sprintf("%s: planned %s does not match config %s", name, p, c))
		}
	}
	for _, b := range block.BlockTypes {
		c, p := configAttrs[b.TypeName], plannedAttrs[b.TypeName]
		if c.IsNull() || !c.IsKnown() || p.IsNull() || !p.IsKnown() {
			continue
		}
		problems = append(problems, invalidPlan(b.Block, priorAttrs[b.TypeName], c, p, prefix+b.TypeName+".")...)
	}
	return problems
}

// incompatibleFinalPlan is core's check that the plan made at apply time
// keeps every value the first plan knew (objchange.AssertObjectCompatible).
func incompatibleFinalPlan(planned, final tftypes.Value, prefix string) []string {
	plannedAttrs, finalAttrs := objectAttrs(planned), objectAttrs(final)
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(plannedAttrs)) {
		p, f := plannedAttrs[name], finalAttrs[name]
		if !p.IsKnown() {
			continue
		}
		if _, isObject := p.Type().(tftypes.Object); isObject && !p.IsNull() && !f.IsNull() {
			problems = append(problems, incompatibleFinalPlan(p, f, prefix+name+".")...)
			continue
		}
		if p.IsFullyKnown() && !p.Equal(f) {
			problems = append(problems, fmt.Sprintf("%s%s was planned as %s but is now %s", prefix, name, p, f))
		}
	}
	return problems
}

// objectAttrs are the attributes of an object value (none when it is null
// or unknown).
func objectAttrs(v tftypes.Value) map[string]tftypes.Value {
	attrs := map[string]tftypes.Value{}
	if v.Type() == nil || v.IsNull() || !v.IsKnown() {
		return attrs
	}
	_ = v.As(&attrs)
	return attrs
}

// TestUnknownValuesDataSourcesAndEphemeral: Terraform validates data
// sources and ephemeral resources with unknown values and reads them only
// when every value is known; validation must accept every attribute
// unknown.
func TestUnknownValuesDataSourcesAndEphemeral(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	validate := func(kind, typeName string, schema *tfprotov6.Schema, validate func(*tfprotov6.DynamicValue) ([]*tfprotov6.Diagnostic, error)) {
		paths := configurablePaths(schema.Block)
		names := make([]string, 0, len(paths))
		for p := range paths {
			names = append(names, p)
		}
		sort.Strings(names)
		for _, p := range names {
			if strings.Contains(p, ".") {
				t.Errorf("%s %s: nested attribute %s is not covered by this test", kind, typeName, p)
				continue
			}
			// Required attributes must be set: unknown too.
			config := map[string]any{p: unknownValue{}}
			for _, a := range schema.Block.Attributes {
				if a.Required {
					config[a.Name] = unknownValue{}
				}
			}
			value, err := objectValue(schema, config)
			if err != nil {
				t.Fatal(err)
			}
			diags, err := validate(dynamic(t, schema, value))
			if err != nil || hasErrors(diags) {
				t.Errorf("%s %s with %s unknown: %v %s", kind, typeName, p, err, diagnosticsText(diags))
			}
		}
	}
	for typeName, schema := range schemas.DataSourceSchemas {
		validate("data source", typeName, schema, func(config *tfprotov6.DynamicValue) ([]*tfprotov6.Diagnostic, error) {
			resp, err := server.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: typeName, Config: config})
			if err != nil {
				return nil, err
			}
			return resp.Diagnostics, nil
		})
	}
	for typeName, schema := range schemas.EphemeralResourceSchemas {
		validate("ephemeral resource", typeName, schema, func(config *tfprotov6.DynamicValue) ([]*tfprotov6.Diagnostic, error) {
			resp, err := server.ValidateEphemeralResourceConfig(ctx, &tfprotov6.ValidateEphemeralResourceConfigRequest{TypeName: typeName, Config: config})
			if err != nil {
				return nil, err
			}
			return resp.Diagnostics, nil
		})
	}
	if len(schemas.DataSourceSchemas) == 0 || len(schemas.EphemeralResourceSchemas) == 0 {
		t.Fatal("the provider serves no data sources or no ephemeral resources")
	}
}
