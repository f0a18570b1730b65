package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// newConnectionForTest is the resource configured with an admin client of srv.
func newConnectionForTest(t *testing.T, srv *emulator.Server) *connectionResource {
	t.Helper()
	cfg := bitbucket.Config{BaseURL: srv.BaseURL(), Username: emulator.DCAdminUser, Token: emulator.DCAdminPassword}
	if srv.Product() == emulator.Cloud {
		cfg = bitbucket.Config{BaseURL: srv.BaseURL(), Product: bitbucket.ProductCloud, Username: emulator.CloudOwnerEmail, Token: emulator.CloudOwnerAPIToken}
	}
	client, err := bitbucket.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &connectionResource{data: &providerData{client: client}}
}

// readConnection calls Read on a state holding m and returns the new state
// and the diagnostics.
func readConnection(t *testing.T, r *connectionResource, m connectionModel) (connectionModel, diag.Diagnostics) {
	t.Helper()
	ctx := context.Background()
	var schemaResp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	state := tfsdk.State{Schema: schemaResp.Schema, Raw: tftypes.NewValue(schemaResp.Schema.Type().TerraformType(ctx), nil)}
	if diags := state.Set(ctx, &m); diags.HasError() {
		t.Fatalf("state.Set: %v", diags)
	}
	resp := resource.ReadResponse{State: state}
	r.Read(ctx, resource.ReadRequest{State: state}, &resp)
	var out connectionModel
	if !resp.State.Raw.IsNull() {
		resp.State.Get(ctx, &out)
	}
	return out, resp.Diagnostics
}

// suppliedConnection is a state with a supplied repository token.
func suppliedConnection(workspace, token string) connectionModel {
	return connectionModel{
		ID: types.StringValue(workspace + "/api-service/ci"), Name: types.StringValue("ci"),
		Workspace: types.StringValue(workspace), Repository: types.StringValue("api-service"),
		ManagedToken: types.ObjectNull(managedTokenAttrTypes), Token: types.StringValue(token),
		TokenWO: types.StringNull(), TokenWOVersion: types.Int64Null(), Username: types.StringNull(),
		Webhook: types.ObjectNull(connectionWebhookAttrTypes), Verify: types.BoolValue(true),
		TokenID: types.StringNull(), WebhookID: types.StringNull(), VerifiedPermissions: stringSet([]string{"read"}),
		CloneHTTPS: types.StringNull(), CloneSSH: types.StringNull(),
		ManagedAccessKey: types.ObjectNull(managedAccessKeyAttrTypes), AccessKeyID: types.StringNull(),
		PublicKey: types.StringNull(), PrivateKey: types.StringNull(),
	}
}

func warningSummaries(diags diag.Diagnostics) []string {
	var out []string
	for _, d := range diags.Warnings() {
		out = append(out, d.Summary())
	}
	return out
}

// TestConnectionReadWarnsWhenTheCredentialFails: a refresh with a revoked
// token says what failed (a warning) and empties verified_permissions, which
// the plan then shows as a diff.
func TestConnectionReadWarnsWhenTheCredentialFails(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	tok, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "repository", Workspace: "PRJ", Repository: "api-service",
		Name: "ci", Permissions: []string{"REPO_READ"}})
	if err != nil {
		t.Fatal(err)
	}
	r := newConnectionForTest(t, srv)
	got, diags := readConnection(t, r, suppliedConnection("PRJ", tok.Token))
	if diags.HasError() || len(diags.Warnings()) != 0 {
		t.Fatalf("Read with a working token: %v", diags)
	}
	if !setEqualsStrings(context.Background(), got.VerifiedPermissions, []string{"read"}) {
		t.Errorf("verified_permissions = %s, want [read]", got.VerifiedPermissions)
	}

	if err := srv.RevokeAccessToken(tok.ID); err != nil {
		t.Fatal(err)
	}
	got, diags = readConnection(t, r, suppliedConnection("PRJ", tok.Token))
	if diags.HasError() {
		t.Fatalf("Read with a revoked token must warn, not fail: %v", diags)
	}
	if w := diags.Warnings(); len(w) != 1 || w[0].Summary() != "Connection credential no longer works" ||
		!strings.Contains(w[0].Detail(), "rejected the connection's credential (HTTP 401)") {
		t.Errorf("warnings = %v, want one saying the credential was rejected", diags)
	}
	if !setEqualsStrings(context.Background(), got.VerifiedPermissions, []string{}) {
		t.Errorf("verified_permissions = %s, want empty", got.VerifiedPermissions)
	}
}

// TestConnectionReadWarnsAboutLocalhostBaseURL: a server whose links point
// to localhost gets a warning telling the admin to set the base URL.
func TestConnectionReadWarnsAboutLocalhostBaseURL(t *testing.T) {
	for publicURL, wantWarning := range map[string]bool{"http://localhost:7990": true, "": false} {
		srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter, PublicURL: publicURL})
		tok, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "repository", Workspace: "PRJ", Repository: "api-service",
			Name: "ci", Permissions: []string{"REPO_READ"}})
		if err != nil {
			t.Fatal(err)
		}
		got, diags := readConnection(t, newConnectionForTest(t, srv), suppliedConnection("PRJ", tok.Token))
		if diags.HasError() {
			t.Fatalf("Read: %v", diags)
		}
		warned := slices.Contains(warningSummaries(diags), "Bitbucket's base URL is on localhost")
		if warned != wantWarning {
			t.Errorf("public URL %q: warnings %v, want the localhost warning: %v", publicURL, diags, wantWarning)
		}
		if wantWarning && !strings.Contains(diags.Warnings()[0].Detail(), "http://localhost:7990") {
			t.Errorf("warning does not name the base URL: %s", diags.Warnings()[0].Detail())
		}
		if wantWarning && got.CloneHTTPS.ValueString() != "http://localhost:7990/scm/prj/api-service.git" {
			t.Errorf("clone_https = %s", got.CloneHTTPS)
		}
	}
}

func TestLevelsForPermissions(t *testing.T) {
	for _, tc := range []struct {
		perms []string
		want  []string
	}{
		{[]string{"REPO_READ"}, []string{"read"}},
		{[]string{"PROJECT_READ", "REPO_ADMIN"}, []string{"read", "write", "admin"}},
		{[]string{"PROJECT_WRITE"}, []string{"read", "write"}},
		{nil, []string{}},
	} {
		if got := levelsForPermissions(tc.perms); !slices.Equal(got, tc.want) {
			t.Errorf("levelsForPermissions(%v) = %v, want %v", tc.perms, got, tc.want)
		}
	}
}

// TestAccConnectionSuppliedTokenDowngraded: a supplied token that loses
// write shows as a diff; applying checks it again and records what it can
// still do.
func TestAccConnectionSuppliedTokenDowngraded(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	tok, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "repository", Workspace: "PRJ", Repository: "api-service",
		Name: "made-in-ui", Permissions: []string{"REPO_WRITE"}})
	if err != nil {
		t.Fatal(err)
	}
	config := connectionConfig(srv, `name = "ci"`, `workspace = "PRJ"`, `repository = "api-service"`, fmt.Sprintf(`token = %q`, tok.Token))
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read", "write")),
				},
			},
			{
				PreConfig: func() {
					if err := srv.UpdateAccessToken(tok.ID, func(a *emulator.AccessToken) { a.Permissions = []string{"REPO_READ"} }); err != nil {
						t.Fatal(err)
					}
				},
				Config: config, ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connectionName, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(connectionName, tfjsonpath.New("verified_permissions")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read")),
				},
			},
		},
	})
}

// TestAccConnectionVerifyFalse: with verify = false the
// credential is never used: a token Bitbucket would reject is applied,
// verified_permissions is null and the clone URLs come from the provider's
// own read. Turning verify on checks it, and the apply fails.
func TestAccConnectionVerifyFalse(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	config := func(verify bool) string {
		return connectionConfig(srv, `name = "ci"`, `workspace = "PRJ"`, `repository = "api-service"`,
			`token = "not-a-token"`, fmt.Sprintf(`verify = %t`, verify))
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config: config(false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), knownvalue.Null()),
					statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("clone_https"), knownvalue.StringExact(srv.URL()+"/scm/prj/api-service.git")),
				},
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				Config:      config(true),
				ExpectError: errorText("Connection credential check failed", "rejected the connection's credential"),
			},
		},
	})
}
