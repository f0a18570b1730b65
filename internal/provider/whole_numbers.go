package provider

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// NewServer is the provider as Terraform talks to it: the framework's
// server behind releasingServer, stateEncoder and wholeNumberGuard.
func NewServer(version string, opts ...Option) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		inner := providerserver.NewProtocol6(New(version, opts...)())()
		// The guard must pass on every optional protocol interface the
		// framework implements (list resources, actions, state stores):
		// terraform-plugin-go finds them by type assertion.
		full, ok := inner.(fullProviderServer)
		if !ok {
			return inner
		}
		return &wholeNumberGuard{fullProviderServer: stateEncoder{&releasingServer{inner: full}}}
	}
}

// fullProviderServer is every protocol interface the framework's server
// implements.
type fullProviderServer interface {
	tfprotov6.ProviderServerWithListResource //nolint:staticcheck // deprecated only until the methods move into ProviderServer
	tfprotov6.ProviderServerWithActions      //nolint:staticcheck // deprecated only until the methods move into ProviderServer
	tfprotov6.ProviderServerWithStateStores  //nolint:staticcheck // deprecated only until the methods move into ProviderServer
}

// wholeNumberGuard answers a configuration that gives a fractional number
// (expiry_days = 1.5) with an error naming the attribute. The framework
// would report "This is always an error in the provider" from its Int64
// conversion before any validator runs. Every number attribute of this
// provider is a whole number, so any fraction is the user's mistake.
type wholeNumberGuard struct {
	fullProviderServer

	once    sync.Once
	schemas *tfprotov6.GetProviderSchemaResponse
}

func (g *wholeNumberGuard) schema(ctx context.Context) *tfprotov6.GetProviderSchemaResponse {
	g.once.Do(func() {
		g.schemas, _ = g.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	})
	return g.schemas
}

func (g *wholeNumberGuard) ValidateProviderConfig(ctx context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	if s := g.schema(ctx); s != nil {
		if diags := fractionalNumbers(s.Provider, req.Config); len(diags) > 0 {
			return &tfprotov6.ValidateProviderConfigResponse{Diagnostics: diags}, nil
		}
	}
	return g.fullProviderServer.ValidateProviderConfig(ctx, req)
}

func (g *wholeNumberGuard) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	if s := g.schema(ctx); s != nil {
		if diags := fractionalNumbers(s.ResourceSchemas[req.TypeName], req.Config); len(diags) > 0 {
			return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: diags}, nil
		}
	}
	return g.fullProviderServer.ValidateResourceConfig(ctx, req)
}

func (g *wholeNumberGuard) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	if s := g.schema(ctx); s != nil {
		if diags := fractionalNumbers(s.DataSourceSchemas[req.TypeName], req.Config); len(diags) > 0 {
			return &tfprotov6.ValidateDataResourceConfigResponse{Diagnostics: diags}, nil
		}
	}
	return g.fullProviderServer.ValidateDataResourceConfig(ctx, req)
}

func (g *wholeNumberGuard) ValidateEphemeralResourceConfig(ctx context.Context, req *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	if s := g.schema(ctx); s != nil {
		if diags := fractionalNumbers(s.EphemeralResourceSchemas[req.TypeName], req.Config); len(diags) > 0 {
			return &tfprotov6.ValidateEphemeralResourceConfigResponse{Diagnostics: diags}, nil
		}
	}
	return g.fullProviderServer.ValidateEphemeralResourceConfig(ctx, req)
}

// fractionalNumbers reports every known number in config that is not whole.
func fractionalNumbers(schema *tfprotov6.Schema, config *tfprotov6.DynamicValue) []*tfprotov6.Diagnostic {
	if schema == nil || config == nil {
		return nil
	}
	value, err := config.Unmarshal(schema.ValueType())
	if err != nil {
		return nil // the framework reports it
	}
	var diags []*tfprotov6.Diagnostic
	_ = tftypes.Walk(value, func(p *tftypes.AttributePath, v tftypes.Value) (bool, error) {
		if !v.Type().Is(tftypes.Number) || !v.IsKnown() || v.IsNull() {
			return true, nil
		}
		var f *big.Float
		if err := v.As(&f); err != nil {
			return false, err
		}
		if f == nil || f.IsInt() {
			return true, nil
		}
		name := attributePathString(p)
		diags = append(diags, &tfprotov6.Diagnostic{
			Severity: tfprotov6.DiagnosticSeverityError, Attribute: p,
			Summary: "Invalid " + name,
			Detail:  fmt.Sprintf("%s is %s; it must be a whole number.", name, f.Text('g', -1)),
		})
		return true, nil
	})
	return diags
}

// attributePathString writes a path as HCL does: managed_token.expiry_days.
func attributePathString(p *tftypes.AttributePath) string {
	var parts []string
	for _, step := range p.Steps() {
		switch s := step.(type) {
		case tftypes.AttributeName:
			parts = append(parts, string(s))
		case tftypes.ElementKeyInt:
			parts = append(parts, fmt.Sprintf("[%d]", int64(s)))
		case tftypes.ElementKeyString:
			parts = append(parts, fmt.Sprintf("[%q]", string(s)))
		}
	}
	return strings.ReplaceAll(strings.Join(parts, "."), ".[", "[")
}

var _ fullProviderServer = &wholeNumberGuard{}
