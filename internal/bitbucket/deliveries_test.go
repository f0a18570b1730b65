package bitbucket

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestDataCenterWebhookDeliveries reads the history the emulator records
// for real deliveries: none yet, then a success, a failure and an error.
func TestDataCenterWebhookDeliveries(t *testing.T) {
	c, srv := emulatorClient(t, emulator.DataCenter)
	srv.SetWebhookTimeout(300 * time.Millisecond)
	rcv := emulator.NewReceiver(t, http.StatusOK)
	for _, scope := range []WebhookScope{{Workspace: emulator.DCProject, Repository: emulator.DCRepository}, {Workspace: emulator.DCProject}} {
		checkScopeDeliveries(t, c, srv, rcv, scope)
	}
}

// checkScopeDeliveries: one scope's webhook has no history, then one
// delivery of each outcome, and an unknown webhook is not found.
func checkScopeDeliveries(t *testing.T, c Client, srv *emulator.Server, rcv *emulator.Receiver, scope WebhookScope) {
	t.Helper()
	ctx := context.Background()
	h, err := c.CreateWebhook(ctx, scope, WebhookInput{Name: "ci-" + scope.Repository, URL: rcv.URL, Events: []string{"repo:refs_changed"}, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.WebhookDeliveries(ctx, scope, h.ID)
	if err != nil || d.LastSuccess != nil || d.LastFailure != nil || d.LastError != nil || d.Successes+d.Failures+d.Errors != 0 {
		t.Fatalf("before any delivery: %+v, %v", d, err)
	}
	rcv.SetStatus(http.StatusOK)
	trigger(t, srv)
	rcv.SetStatus(http.StatusServiceUnavailable)
	trigger(t, srv)
	if err := srv.UpdateWebhook(h.ID, func(w *emulator.Webhook) { w.URL = emulator.ClosedURL(t) }); err != nil {
		t.Fatal(err)
	}
	trigger(t, srv)
	d, err = c.WebhookDeliveries(ctx, scope, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkOneOfEachOutcome(t, d)
	if _, err := c.WebhookDeliveries(ctx, scope, "987654"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown webhook: %v", err)
	}
}

// checkOneOfEachOutcome: the history after one success (200), one failure
// (503) and one error (nothing answered).
func checkOneOfEachOutcome(t *testing.T, d *WebhookDeliveries) {
	t.Helper()
	if d.LastSuccess == nil || d.LastSuccess.StatusCode != 200 || d.LastSuccess.Event != "repo:refs_changed" {
		t.Errorf("last success %+v", d.LastSuccess)
	}
	if d.LastFailure == nil || d.LastFailure.StatusCode != 503 || d.LastFailure.Outcome != DeliveryFailure {
		t.Errorf("last failure %+v", d.LastFailure)
	}
	if d.LastError == nil || d.LastError.StatusCode != 0 || d.LastError.Description == "" {
		t.Errorf("last error %+v", d.LastError)
	}
	if d.Successes != 1 || d.Failures != 1 || d.Errors != 1 || d.WindowStart.IsZero() {
		t.Errorf("counts %+v", d)
	}
}

func trigger(t *testing.T, srv *emulator.Server) {
	t.Helper()
	if _, err := srv.TriggerWebhookEvent(emulator.DCProject, emulator.DCRepository, "repo:refs_changed"); err != nil {
		t.Fatal(err)
	}
}

// TestDataCenterTestWebhook: the receiver's status, or why nothing answered.
func TestDataCenterTestWebhook(t *testing.T) {
	c, srv := emulatorClient(t, emulator.DataCenter)
	srv.SetWebhookTimeout(300 * time.Millisecond)
	rcv := emulator.NewReceiver(t, http.StatusTeapot)
	scope := WebhookScope{Workspace: emulator.DCProject, Repository: emulator.DCRepository}
	res, err := c.TestWebhook(context.Background(), scope, WebhookTestInput{URL: rcv.URL})
	if err != nil || res.StatusCode != http.StatusTeapot || res.OK() {
		t.Fatalf("418 receiver: %+v, %v", res, err)
	}
	rcv.Hang()
	res, err = c.TestWebhook(context.Background(), scope, WebhookTestInput{URL: rcv.URL})
	if err != nil || res.StatusCode != 0 || res.Error == "" {
		t.Fatalf("hanging receiver: %+v, %v", res, err)
	}
	rcv.SetStatus(http.StatusAccepted)
	h, err := c.CreateWebhook(context.Background(), WebhookScope{Workspace: emulator.DCProject}, WebhookInput{Name: "p", URL: rcv.URL, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err = c.TestWebhook(context.Background(), WebhookScope{Workspace: emulator.DCProject}, WebhookTestInput{WebhookID: h.ID})
	if err != nil || !res.OK() {
		t.Fatalf("project webhook test: %+v, %v", res, err)
	}
}

// TestCloudHasNoWebhookDeliveries: the capability says so and no request
// is sent.
func TestCloudHasNoWebhookDeliveries(t *testing.T) {
	c, srv := emulatorClient(t, emulator.Cloud)
	if caps := c.Capabilities(); caps.WebhookDeliveries || caps.WebhookDeliveriesUnsupported == "" {
		t.Fatalf("capabilities %+v", caps)
	}
	srv.ResetCounts()
	scope := WebhookScope{Workspace: emulator.CloudWorkspace, Repository: emulator.CloudRepository}
	if _, err := c.WebhookDeliveries(context.Background(), scope, "{x}"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("deliveries: %v", err)
	}
	if _, err := c.TestWebhook(context.Background(), scope, WebhookTestInput{URL: "http://127.0.0.1:1/"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("test: %v", err)
	}
	if n := len(srv.RequestCounts()); n != 0 {
		t.Errorf("%d routes called", n)
	}
}
