package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// Messages that must say what is true.

// TestAccProviderMessageWrongProduct: a product that does not match the
// server says so, not "check the network".
func TestAccProviderMessageWrongProduct(t *testing.T) {
	dc := startEmulator(t, emulator.DataCenter)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config: providerBlock(dc.URL(), `product = "cloud"`, "username = \"x@example.com\"", "token = \"t\"") +
				`data "bitbucket_workspace" "x" { workspace = "PRJ" }`,
			ExpectError: errorText("The server does not look like Bitbucket Cloud", "Check base_url, and product"),
		}},
	})
}

// TestAccProviderMessageUntrustedCertificate: a TLS failure names
// ca_cert_pem, whether or not product is set.
func TestAccProviderMessageUntrustedCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"version": "9.4.2"})
	}))
	t.Cleanup(srv.Close)
	var steps []resource.TestStep
	for _, product := range []string{`product = "cloud"`, `product = "datacenter"`, ""} {
		steps = append(steps, resource.TestStep{
			Config:      providerBlock(srv.URL, product, `username = "u"`, `token = "t"`) + `data "bitbucket_workspaces" "x" {}`,
			ExpectError: errorText("certificate is not trusted", "set ca_cert_pem"),
		})
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories(), Steps: steps})
}

// TestClientErrorDiagnosticHints: a rejected credential (401) gets the
// credential hint; Data Center's 401 AuthorisationException (a missing
// permission) says it is a 401 for a permission; a 403 gets the permission
// hint.
func TestClientErrorDiagnosticHints(t *testing.T) {
	answers := map[string]struct {
		status    int
		exception string
	}{
		"/rest/api/1.0/projects/BADPW":  {http.StatusUnauthorized, "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"},
		"/rest/api/1.0/projects/NOPERM": {http.StatusUnauthorized, "com.atlassian.bitbucket.AuthorisationException"},
		"/rest/api/1.0/projects/DENIED": {http.StatusForbidden, ""},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/rest/api/1.0/application-properties" {
			_ = json.NewEncoder(w).Encode(map[string]string{"version": "9.4.2"})
			return
		}
		a := answers[r.URL.Path]
		w.WriteHeader(a.status)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": "no", "exceptionName": a.exception}}})
	}))
	t.Cleanup(srv.Close)
	client, err := bitbucket.New(context.Background(), bitbucket.Config{BaseURL: srv.URL, Username: "u", Token: "t", MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	for key, tc := range map[string]struct{ want, notWant string }{
		"BADPW":  {"Bitbucket rejected the credentials", "lack the permission"},
		"NOPERM": {"answered 401 with an AuthorisationException: it accepted the credentials, but they lack the permission", "rejected the credentials"},
		"DENIED": {"The credentials are valid but lack the permission", "401"},
	} {
		_, err := client.GetWorkspace(context.Background(), key)
		var diags diag.Diagnostics
		clientErrorDiagnostic(&diags, client, "read project "+key, err)
		detail := diags[0].Detail()
		if !strings.Contains(detail, tc.want) || strings.Contains(detail, tc.notWant) {
			t.Errorf("%s: detail %q; want %q and not %q", key, detail, tc.want, tc.notWant)
		}
	}
}

// TestAccWorkspacesDataSourceAccessToken: a repository access token cannot
// list Cloud workspaces; the error says which credentials can.
func TestAccWorkspacesDataSourceAccessToken(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	if err := srv.AddCloudAccessToken("repo-token", emulator.CloudWorkspace, emulator.CloudRepository, []string{"repository"}); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      providerBlock(srv.BaseURL(), `product = "cloud"`, `access_token = "repo-token"`) + `data "bitbucket_workspaces" "x" {}`,
			ExpectError: errorText("HTTP 403", "read:workspace:bitbucket", "workspace access token with the account scope", "Repository and project access tokens can never list workspaces"),
		}},
	})
}

// TestAccMessageRefreshFalseAfterOutOfBandDelete: a webhook deleted outside
// Terraform before a run with -refresh=false is not said to have been
// deleted "during this apply". Through the CLI: only it
// has -refresh=false.
func TestAccMessageRefreshFalseAfterOutOfBandDelete(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	h := newCLIHarness(t, map[string]string{
		"BITBUCKET_BASE_URL": srv.BaseURL(), "BITBUCKET_USERNAME": emulator.DCAdminUser, "BITBUCKET_TOKEN": emulator.DCAdminPassword,
	})
	config := func(url string) string {
		return `
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}

resource "bitbucket_repository_webhook" "hook" {
  workspace  = "PRJ"
  repository = "api-service"
  name       = "refresh-false"
  url        = "` + url + `"
  events     = ["repo:refs_changed"]
}
`
	}
	h.writeConfig(config("https://ci.example.com/one"))
	if out, err := h.terraform(nil, "apply", "-auto-approve", "-input=false"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	hooks := srv.Webhooks()
	if len(hooks) != 1 {
		t.Fatalf("%d webhooks", len(hooks))
	}
	if err := srv.DeleteWebhook(hooks[0].ID); err != nil {
		t.Fatal(err)
	}
	h.writeConfig(config("https://ci.example.com/two"))
	out, err := h.terraform(nil, "apply", "-refresh=false", "-auto-approve", "-input=false")
	if err == nil {
		t.Fatalf("apply -refresh=false updated a deleted webhook:\n%s", out)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"no longer exists", "deleted outside Terraform after the state was last refreshed", "-refresh=false"} {
		if !strings.Contains(flat, want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(flat, "during this apply") {
		t.Errorf("output still says \"during this apply\":\n%s", out)
	}
}

// TestAccessKeyCloudAccessTokenMessage: Cloud refuses an access token that
// adds a deploy key with "This API is not accessible by this authentication
// mechanism"; the diagnostic quotes it and says which credentials can,
// instead of asking for a permission no access token can hold.
func TestAccessKeyCloudAccessTokenMessage(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	h := newProtocolHarness(t, "bitbucket_repository_access_key", map[string]any{
		"base_url": srv.BaseURL(), "product": "cloud", "access_token": emulator.CloudAccessToken, "request_timeout": "10s"})
	err := h.apply(map[string]any{"workspace": emulator.CloudWorkspace, "repository": emulator.CloudRepository, "label": "ci"})
	if err == nil {
		t.Fatal("an access token added a Cloud deploy key")
	}
	for _, want := range []string{"not accessible by this authentication mechanism", "whatever its permissions",
		"API token (username + token) or OAuth client credentials"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%s", want, err)
		}
	}
	if strings.Contains(err.Error(), "lack the permission") {
		t.Errorf("error asks for a permission no access token can hold:\n%s", err)
	}
}

// TestCloudTokenMessagesSayWhatToDoWhereTheUserIs: on Cloud, a
// connection's managed_token says to supply the token in this connection
// (not "pass it to bitbucket_connection", the resource the user is in), and
// a token resource says where to create it and where to pass it.
func TestCloudTokenMessagesSayWhatToDoWhereTheUserIs(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	connection := newProtocolHarness(t, "bitbucket_connection", matrixProviderConfig(srv))
	_, _, err := connection.plan(map[string]any{"name": "ci", "workspace": "acme", "repository": "api-service",
		"managed_token": map[string]any{"level": "repository", "permissions": []string{"REPO_READ"}}})
	if err == nil || !strings.Contains(err.Error(), "supply it in this connection's token_wo") || strings.Contains(err.Error(), "bitbucket_connection") {
		t.Errorf("managed_token on Cloud: %v\nwant advice for this connection that names no other resource", err)
	}
	token := newProtocolHarness(t, "bitbucket_repository_access_token", matrixProviderConfig(srv))
	_, _, err = token.plan(map[string]any{"workspace": "acme", "repository": "api-service", "name": "ci", "permissions": []string{"REPO_READ"}})
	if err == nil || !strings.Contains(err.Error(), "Create the token there") || !strings.Contains(err.Error(), "bitbucket_connection's token_wo") ||
		strings.Contains(err.Error(), "no API to create") {
		t.Errorf("a token resource on Cloud: %v", err)
	}
}

// TestConnectionPreferTokenWOSaysTheTradeOff: the advice to use token_wo
// says what it costs (no check on refresh), so it is not one-sided.
func TestConnectionPreferTokenWOSaysTheTradeOff(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	h := newProtocolHarness(t, "bitbucket_connection", matrixProviderConfig(srv))
	config, err := objectValue(h.schema, map[string]any{"name": "ci", "workspace": "PRJ", "repository": "api-service", "token": "supplied"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.server.ValidateResourceConfig(h.ctx, &tfprotov6.ValidateResourceConfigRequest{
		TypeName: h.typeName, Config: dynamic(t, h.schema, config),
		ClientCapabilities: &tfprotov6.ValidateResourceConfigClientCapabilities{WriteOnlyAttributesAllowed: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := diagnosticsText(resp.Diagnostics)
	for _, want := range []string{"Prefer the write-only token_wo", "The trade-off", "not on every refresh"} {
		if !strings.Contains(text, want) {
			t.Errorf("the advice does not say %q:\n%s", want, text)
		}
	}
}

// TestImportedConnectionKeyWarnsItHasNoPrivateKey: a connection imported
// with its managed access key has no private key (Bitbucket keeps only the
// public half); the plan says so and how to get one, and doing what it says
// (deleting the key in Bitbucket) gives a key pair with its private key.
func TestImportedConnectionKeyWarnsItHasNoPrivateKey(t *testing.T) {
	for _, product := range []emulator.Product{emulator.DataCenter, emulator.Cloud} {
		t.Run(string(product), func(t *testing.T) {
			t.Parallel()
			srv := startEmulator(t, product)
			ws := seededWorkspace(product)
			config := map[string]any{"name": "svc", "workspace": ws, "repository": "api-service",
				"managed_access_key": map[string]any{"level": "repository"}}
			made := newProtocolHarness(t, "bitbucket_connection", matrixProviderConfig(srv))
			if err := made.apply(config); err != nil {
				t.Fatal(err)
			}
			if w := planWarnings(t, made, config); len(w) != 0 {
				t.Errorf("the connection that made the key warns: %q", w)
			}

			h := newProtocolHarness(t, "bitbucket_connection", matrixProviderConfig(srv))
			imported, err := h.server.ImportResourceState(h.ctx, &tfprotov6.ImportResourceStateRequest{TypeName: h.typeName, ID: ws + "/api-service/svc"})
			if err != nil || hasErrors(imported.Diagnostics) || len(imported.ImportedResources) != 1 {
				t.Fatalf("import: %v %s", err, diagnosticsText(imported.Diagnostics))
			}
			h.state, h.private = h.value(imported.ImportedResources[0].State), imported.ImportedResources[0].Private
			w := planWarnings(t, h, config)
			if len(w) != 1 || !strings.HasPrefix(w[0], "Imported access key has no private key: ") || !strings.Contains(w[0], "delete this key in Bitbucket") {
				t.Fatalf("plan after the import: warnings %q, want one saying the key has no private key", w)
			}

			// Doing what it says: a new key pair, with its private key.
			for _, k := range srv.AccessKeys() {
				if k.Label == "svc" {
					if err := srv.DeleteAccessKey(k); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := h.apply(config); err != nil {
				t.Fatal(err)
			}
			attrs := map[string]tftypes.Value{}
			_ = h.state.As(&attrs)
			var private string
			if err := attrs["private_key_openssh"].As(&private); err != nil || !strings.Contains(private, "OPENSSH PRIVATE KEY") {
				t.Errorf("after deleting the key and applying, private_key_openssh = %q (%v)", private, err)
			}
			if w := planWarnings(t, h, config); len(w) != 0 {
				t.Errorf("after the new key pair the plan still warns: %q", w)
			}
		})
	}
}

// TestAccessKeyWithAnotherLabelElsewhere: Data Center keeps one label per
// key, so a supplied public key that already has access on another
// repository under another label comes back with that label. The apply
// says so and which label to set (not "inconsistent result"); with that
// label the key is managed and the plan is clean.
func TestAccessKeyWithAnotherLabelElsewhere(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	public, _, err := generateKeyPair("ED25519")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testClient(t, srv).CreateAccessKey(t.Context(), bitbucket.AccessKeyScope{Workspace: "PRJ", Repository: "web-app"},
		bitbucket.AccessKeyInput{PublicKey: public, Label: "first", Permission: "REPO_READ"}); err != nil {
		t.Fatal(err)
	}
	h := newProtocolHarness(t, "bitbucket_repository_access_key", matrixProviderConfig(srv))
	config := map[string]any{"workspace": "PRJ", "repository": "api-service", "label": "second", "public_key": public}
	err = h.apply(config)
	if err == nil || !strings.Contains(err.Error(), `already has access elsewhere`) || !strings.Contains(err.Error(), `Set label = "first"`) {
		t.Fatalf("apply with another label: %v\nwant an error that says which label to set", err)
	}
	for _, k := range srv.AccessKeys() {
		if k.Repository == "api-service" {
			t.Fatalf("the relabelled registration was left behind: %+v", k)
		}
	}
	config["label"] = "first"
	if err := h.apply(config); err != nil {
		t.Fatal(err)
	}
	if _, planned, err := h.plan(config); err != nil || !planned.Equal(h.state) {
		t.Errorf("with the key's label the plan is not empty (%v)", err)
	}
}
