package provider

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// invokeAction plays Terraform core's InvokeAction against the configured
// provider of h and returns the progress messages and the diagnostics of the
// completed event.
func invokeAction(t *testing.T, h *protocolHarness, actionType string, config map[string]any) (progress []string, diags string, failed bool) {
	t.Helper()
	schemas, err := h.server.GetProviderSchema(h.ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	schema := schemas.ActionSchemas[actionType].Schema
	//nolint:staticcheck // the optional protocol interfaces are deprecated only until they merge into ProviderServer
	server, ok := h.server.(tfprotov6.ProviderServerWithActions)
	if !ok {
		t.Fatal("the provider server serves no actions")
	}
	v, err := objectValue(schema, config)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := server.PlanAction(h.ctx, &tfprotov6.PlanActionRequest{ActionType: actionType, Config: dynamic(t, schema, v)})
	if err != nil {
		t.Fatal(err)
	}
	if hasErrors(plan.Diagnostics) {
		return nil, diagnosticsText(plan.Diagnostics), true
	}
	stream, err := server.InvokeAction(h.ctx, &tfprotov6.InvokeActionRequest{ActionType: actionType, Config: dynamic(t, schema, v)})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range stream.Events {
		switch e := ev.Type.(type) {
		case tfprotov6.ProgressInvokeActionEventType:
			progress = append(progress, e.Message)
		case tfprotov6.CompletedInvokeActionEventType:
			diags, failed = diagnosticsText(e.Diagnostics), hasErrors(e.Diagnostics)
		}
	}
	return progress, diags, failed
}

// TestWebhookTestActionReceivers runs bitbucket_webhook_test in-process (any
// Terraform version) against a receiver that answers 2xx, 4xx, 5xx, times out
// or is not listening, on a repository and on a project.
func TestWebhookTestActionReceivers(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	srv.SetWebhookTimeout(200 * time.Millisecond)
	// The provider waits longer for Bitbucket than Bitbucket waits for the
	// receiver, as with the defaults (request_timeout 30s).
	config := matrixProviderConfig(srv)
	config["request_timeout"] = "10s"
	h := newProtocolHarness(t, "bitbucket_repository_webhook", config)
	rcv := emulator.NewReceiver(t, http.StatusOK)
	cases := []struct {
		name   string
		setup  func() string
		ok     bool
		expect []string
	}{
		{"2xx", func() string { rcv.SetStatus(http.StatusNoContent); return rcv.URL }, true, []string{"answered HTTP 204"}},
		{"4xx", func() string { rcv.SetStatus(http.StatusForbidden); return rcv.URL }, false, []string{"answered HTTP 403", "Forbidden"}},
		{"5xx", func() string { rcv.SetStatus(http.StatusBadGateway); return rcv.URL }, false, []string{"answered HTTP 502"}},
		{"times out", func() string { rcv.Hang(); return rcv.URL }, false, []string{"did not answer", "timed out"}},
		{"not listening", func() string { return emulator.ClosedURL(t) }, false, []string{"did not answer", "refused"}},
	}
	for _, scope := range []map[string]any{{"workspace": "PRJ", "repository": "api-service"}, {"workspace": "PRJ"}} {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				url := c.setup()
				config := map[string]any{"url": url}
				for k, v := range scope {
					config[k] = v
				}
				progress, diags, failed := invokeAction(t, h, "bitbucket_webhook_test", config)
				text := strings.Join(progress, "\n") + diags
				if failed == c.ok {
					t.Fatalf("failed = %v, want %v: %s", failed, !c.ok, text)
				}
				for _, want := range c.expect {
					if !strings.Contains(text, want) {
						t.Errorf("%q missing from %s", want, text)
					}
				}
				if !strings.Contains(text, url) {
					t.Errorf("the message does not name the URL %s: %s", url, text)
				}
			})
		}
	}
	if _, diags, failed := invokeAction(t, h, "bitbucket_webhook_test", map[string]any{"workspace": "PRJ"}); !failed || !strings.Contains(diags, "Missing url or webhook_id") {
		t.Errorf("neither url nor webhook_id: %s", diags)
	}
}

// TestWebhookDeliveriesProjectScope reads a project webhook's deliveries
// in-process: the latest failure, with the receiver's status.
func TestWebhookDeliveriesProjectScope(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	rcv := emulator.NewReceiver(t, http.StatusTooManyRequests)
	h := newProtocolHarness(t, "bitbucket_workspace_webhook", matrixProviderConfig(srv))
	if err := h.apply(map[string]any{"workspace": "PRJ", "name": "ci", "url": rcv.URL, "events": []string{"repo:refs_changed"}}); err != nil {
		t.Fatal(err)
	}
	hooks := srv.Webhooks()
	if len(hooks) != 1 {
		t.Fatalf("webhooks: %+v", hooks)
	}
	if _, err := srv.TriggerWebhookEvent("PRJ", "api-service", "repo:refs_changed"); err != nil {
		t.Fatal(err)
	}
	schemas, err := h.server.GetProviderSchema(h.ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	schema := schemas.DataSourceSchemas["bitbucket_webhook_deliveries"]
	v, err := objectValue(schema, map[string]any{"workspace": "PRJ", "webhook_id": hooks[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.server.ReadDataSource(h.ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "bitbucket_webhook_deliveries", Config: dynamic(t, schema, v)})
	if err != nil || hasErrors(resp.Diagnostics) {
		t.Fatalf("read: %v %s", err, diagnosticsText(resp.Diagnostics))
	}
	val, err := resp.State.Unmarshal(schema.ValueType())
	if err != nil {
		t.Fatal(err)
	}
	state := val.String()
	for _, want := range []string{`"healthy":tftypes.Bool<"false">`, `"status_code":tftypes.Number<"429">`, `"failures":tftypes.Number<"1">`} {
		if !strings.Contains(state, want) {
			t.Errorf("%s missing from %s", want, state)
		}
	}
}
