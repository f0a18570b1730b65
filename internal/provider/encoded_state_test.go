package provider

import (
	"bytes"
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// The provider's answer to a bitbucket_repositories read, with the list
// encoded by the provider (encoded_state.go), is byte for byte the
// framework's answer to the same read, on both products (Data Center
// leaves default_branch null), for a list, an empty list and every
// optional argument set.
func TestEncodedStateMatchesTheFramework(t *testing.T) {
	for _, product := range []emulator.Product{emulator.DataCenter, emulator.Cloud} {
		t.Run(string(product), func(t *testing.T) {
			setup := newBulkSetup(t, product, 25)
			providerConfig := map[string]any{"base_url": setup.srv.BaseURL(), "username": setup.username, "token": setup.token}
			if product == emulator.Cloud {
				providerConfig["product"] = "cloud"
			}
			ours, theirs := NewServer("test")(), providerserver.NewProtocol6(New("test")())()
			for _, config := range []map[string]any{
				{"workspace": setup.workspace},
				{"workspace": setup.workspace, "name_contains": "repo-0001", "name_regex": "[02468]$", "project_key": setup.workspace},
				{"workspace": setup.workspace, "name_contains": "no such repository"},
			} {
				if product == emulator.Cloud {
					delete(config, "project_key") // Cloud project keys are not the workspace
				}
				got := readRepositories(t, ours, providerConfig, config)
				want := readRepositories(t, theirs, providerConfig, config)
				if !bytes.Equal(got, want) {
					t.Errorf("config %v: the encoded state differs from the framework's:\n got %x\nwant %x", config, got, want)
				}
			}
		})
	}
}

// The data source's Read leaves its state encoded where the context has a
// slot for it, and the framework gets a state without the list.
func TestRepositoriesReadEncodesIntoTheSlot(t *testing.T) {
	setup := newBulkSetup(t, emulator.DataCenter, 3)
	slot := &encodedState{}
	ctx := context.WithValue(context.Background(), encodedStateKey{}, slot)
	state, diags := readDirect(ctx, NewRepositoriesDataSource(), setup.client(t), map[string]string{"workspace": setup.workspace})
	if diags.HasError() {
		t.Fatal(diags)
	}
	if len(slot.msgpack) == 0 {
		t.Fatal("the read left no encoded state")
	}
	var attrs map[string]tftypes.Value
	if err := state.Raw.As(&attrs); err != nil || !attrs["repositories"].IsNull() {
		t.Errorf("the framework's state holds the list too: %v %v", attrs["repositories"], err)
	}
	decoded, err := (&tfprotov6.DynamicValue{MsgPack: slot.msgpack}).Unmarshal(state.Raw.Type())
	if err != nil {
		t.Fatal(err)
	}
	_ = decoded.As(&attrs)
	var list []tftypes.Value
	if err := attrs["repositories"].As(&list); err != nil || len(list) != 3 {
		t.Errorf("encoded list: %d items (%v), want 3", len(list), err)
	}
}

func readRepositories(t *testing.T, server tfprotov6.ProviderServer, providerConfig, config map[string]any) []byte {
	t.Helper()
	ctx := context.Background()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	pv, err := objectValue(schemas.Provider, providerConfig)
	if err != nil {
		t.Fatal(err)
	}
	configured, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.11.4", Config: dynamic(t, schemas.Provider, pv)})
	if err != nil || hasErrors(configured.Diagnostics) {
		t.Fatalf("configure: %v %s", err, diagnosticsText(configured.Diagnostics))
	}
	schema := schemas.DataSourceSchemas["bitbucket_repositories"]
	cv, err := objectValue(schema, config)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "bitbucket_repositories", Config: dynamic(t, schema, cv)})
	if err != nil || hasErrors(resp.Diagnostics) || resp.State == nil {
		t.Fatalf("read: %v %s", err, diagnosticsText(resp.Diagnostics))
	}
	return resp.State.MsgPack
}
