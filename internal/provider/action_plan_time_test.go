package provider

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// planAction plays Terraform core's PlanAction only and returns its diagnostics.
func planActionOnly(t *testing.T, h *protocolHarness, actionType string, config map[string]any) (string, bool) {
	t.Helper()
	schemas, err := h.server.GetProviderSchema(h.ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	schema := schemas.ActionSchemas[actionType].Schema
	//nolint:staticcheck // the optional protocol interfaces are deprecated only until they merge into ProviderServer
	server := h.server.(tfprotov6.ProviderServerWithActions)
	v, err := objectValue(schema, config)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := server.PlanAction(h.ctx, &tfprotov6.PlanActionRequest{ActionType: actionType, Config: dynamic(t, schema, v)})
	if err != nil {
		t.Fatal(err)
	}
	return diagnosticsText(plan.Diagnostics), hasErrors(plan.Diagnostics)
}

// TestActionsMissingWorkspaceAtPlanTime: without a workspace in the action
// or the provider block, both actions fail at plan time naming workspace,
// not halfway through an apply.
func TestActionsMissingWorkspaceAtPlanTime(t *testing.T) {
	for _, product := range []emulator.Product{emulator.DataCenter, emulator.Cloud} {
		srv := startEmulator(t, product)
		h := newProtocolHarness(t, "bitbucket_repository_webhook", matrixProviderConfig(srv))
		cases := map[string]map[string]any{
			"bitbucket_connection_check": {"repository": "api-service", "token": "a-token"},
		}
		if product == emulator.DataCenter {
			cases["bitbucket_webhook_test"] = map[string]any{"repository": "api-service", "url": "http://127.0.0.1:1/hook"}
		}
		for action, config := range cases {
			diags, failed := planActionOnly(t, h, action, config)
			if !failed || !strings.Contains(diags, "Missing workspace") {
				t.Errorf("%v %s without a workspace: plan failed=%v, want a plan-time 'Missing workspace' error:\n%s", product, action, failed, diags)
			}
		}
	}
}

// TestConnectionCheckNullToken: a token that is null (as
// bitbucket_connection.<name>.token is once the refresh found the managed
// token revoked) is never a silent pass: with webhook_id the action warns
// that the credential was not checked; alone, the plan error says why it
// may be null.
func TestConnectionCheckNullToken(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	h := newProtocolHarness(t, "bitbucket_repository_webhook", matrixProviderConfig(srv))
	rcv := emulator.NewReceiver(t, http.StatusOK)
	if err := h.apply(map[string]any{"workspace": "PRJ", "repository": "api-service", "name": "ci", "url": rcv.URL, "events": []string{"repo:refs_changed"}}); err != nil {
		t.Fatal(err)
	}
	hooks := srv.Webhooks()
	if len(hooks) != 1 {
		t.Fatalf("webhooks: %+v", hooks)
	}
	id := hooks[0].ID
	_, diags, failed := invokeAction(t, h, "bitbucket_connection_check", map[string]any{"workspace": "PRJ", "repository": "api-service", "webhook_id": id})
	if failed || !strings.Contains(diags, "warning") || !strings.Contains(diags, "credential was not checked") {
		t.Errorf("webhook_id without token: failed=%v, want a warning that the credential was not checked:\n%s", failed, diags)
	}
	diags, failed = planActionOnly(t, h, "bitbucket_connection_check", map[string]any{"workspace": "PRJ", "repository": "api-service"})
	if !failed || !strings.Contains(diags, "revoked outside Terraform") {
		t.Errorf("neither token nor webhook_id: failed=%v, want the error to say a revoked managed token leaves token null:\n%s", failed, diags)
	}
}

// TestWebhookTestActionDeletedWebhook: a webhook deleted outside Terraform
// before the action runs is named as such, with what to do.
func TestWebhookTestActionDeletedWebhook(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	h := newProtocolHarness(t, "bitbucket_repository_webhook", matrixProviderConfig(srv))
	_, diags, failed := invokeAction(t, h, "bitbucket_webhook_test", map[string]any{"workspace": "PRJ", "repository": "api-service", "webhook_id": "999"})
	if !failed || !strings.Contains(diags, "Webhook 999 not found") || !strings.Contains(diags, "deleted outside Terraform") {
		t.Errorf("a deleted webhook: failed=%v, want it named with what to do:\n%s", failed, diags)
	}
}

// TestWebhookTestActionKeepsWebhookCertSetting: a webhook that skips
// certificate verification is tested the way Bitbucket delivers to it. The
// test route verifies unless told otherwise (sslVerificationRequired,
// "Default value is true", 9.4 OpenAPI testWebhook), so the action passes the
// webhook's own setting.
func TestWebhookTestActionKeepsWebhookCertSetting(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	tlsRcv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(tlsRcv.Close)
	h := newProtocolHarness(t, "bitbucket_repository_webhook", matrixProviderConfig(srv))
	if err := h.apply(map[string]any{"workspace": "PRJ", "repository": "api-service", "name": "ci", "url": tlsRcv.URL,
		"events": []string{"repo:refs_changed"}, "skip_cert_verification": true}); err != nil {
		t.Fatal(err)
	}
	invs, err := srv.TriggerWebhookEvent("PRJ", "api-service", "repo:refs_changed")
	if err != nil || len(invs) != 1 || invs[0].Outcome != emulator.OutcomeSuccess {
		t.Fatalf("a delivery to the self-signed receiver: %+v %v", invs, err)
	}
	id := srv.Webhooks()[0].ID
	if _, diags, failed := invokeAction(t, h, "bitbucket_webhook_test", map[string]any{"workspace": "PRJ", "repository": "api-service", "webhook_id": id}); failed {
		t.Errorf("test of a webhook that skips certificate verification failed, although its deliveries succeed:\n%s", diags)
	}
	if _, diags, failed := invokeAction(t, h, "bitbucket_webhook_test", map[string]any{"workspace": "PRJ", "repository": "api-service", "url": tlsRcv.URL}); !failed || !strings.Contains(diags, "certificate") {
		t.Errorf("test of a URL alone with a self-signed certificate: failed=%v, want a certificate error:\n%s", failed, diags)
	}
}

// TestWebhookTestActionCutsAnswerOnRune: the start of a receiver's answer is
// cut on a character boundary, never inside a UTF-8 sequence.
func TestWebhookTestActionCutsAnswerOnRune(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(strings.Repeat("x", 299) + strings.Repeat("é", 50)))
	}))
	t.Cleanup(rcv.Close)
	h := newProtocolHarness(t, "bitbucket_repository_webhook", matrixProviderConfig(srv))
	_, diags, failed := invokeAction(t, h, "bitbucket_webhook_test", map[string]any{"workspace": "PRJ", "repository": "api-service", "url": rcv.URL})
	if !failed || !strings.Contains(diags, "answered HTTP 503") || !utf8.ValidString(diags) {
		t.Errorf("a 503 with a long UTF-8 answer: failed=%v valid UTF-8=%v:\n%q", failed, utf8.ValidString(diags), diags)
	}
}
