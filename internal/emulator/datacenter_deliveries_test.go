package emulator_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestDCWebhookDeliveries: an event really reaches the receiver, and the
// latest/statistics routes report each outcome (2xx, 4xx, 5xx, a receiver
// that hangs, one nobody listens on, a URL off the loopback interface).
func TestDCWebhookDeliveries(t *testing.T) {
	srv := dcServer(t)
	srv.SetWebhookTimeout(300 * time.Millisecond)
	rcv := emulator.NewReceiver(t, http.StatusOK)
	for _, scope := range []struct{ base, repo string }{
		{"/rest/api/1.0/projects/PRJ/repos/api-service/webhooks", "api-service"},
		{"/rest/api/1.0/projects/PRJ/webhooks", ""},
	} {
		t.Run(scope.base, func(t *testing.T) {
			body := map[string]any{"name": "ci-" + scope.repo, "url": rcv.URL, "events": []string{"repo:refs_changed"},
				"configuration": map[string]any{"secret": "s3cret"}}
			id := strconv.Itoa(int(do(t, srv, "POST", scope.base, admin, body).expect(t, 200).object(t)["id"].(float64)))
			one := scope.base + "/" + id
			do(t, srv, "GET", one+"/latest", admin, nil).expect(t, 204)
			do(t, srv, "GET", one+"/statistics/summary", admin, nil).expect(t, 204)

			ok := checkFirstDeliverySucceeds(t, srv, rcv, one)
			checkEachFailingOutcome(t, srv, rcv, id, one)
			checkHistoryAfterOutcomes(t, srv, scope.base, one, ok["id"])
		})
	}
}

// checkFirstDeliverySucceeds: an event reaches the receiver, signed, and
// latest reports the 200; it returns that invocation.
func checkFirstDeliverySucceeds(t *testing.T, srv *emulator.Server, rcv *emulator.Receiver, one string) map[string]any {
	t.Helper()
	before := len(rcv.Received())
	rcv.SetStatus(http.StatusOK)
	invs, err := srv.TriggerWebhookEvent("PRJ", "api-service", "repo:refs_changed")
	if err != nil {
		t.Fatal(err)
	}
	got := rcv.Received()
	if len(got) <= before || got[len(got)-1].EventKey != "repo:refs_changed" || !strings.HasPrefix(got[len(got)-1].Signature, "sha256=") {
		t.Fatalf("receiver got %+v after %+v", got, invs)
	}
	ok := do(t, srv, "GET", one+"/latest", admin, nil).expect(t, 200).object(t)
	if res := ok["result"].(map[string]any); res["outcome"] != "SUCCESS" || res["statusCode"] != float64(200) || ok["event"] != "repo:refs_changed" {
		t.Errorf("latest after a 200: %v", ok)
	}
	return ok
}

// checkEachFailingOutcome: latest reports each failing receiver (4xx, 5xx,
// hanging, closed, off loopback) with its outcome and reason, then the
// webhook points at the receiver again.
func checkEachFailingOutcome(t *testing.T, srv *emulator.Server, rcv *emulator.Receiver, id, one string) {
	t.Helper()
	for _, c := range []struct {
		setup   func() string
		outcome string
		want    string
	}{
		{func() string { rcv.SetStatus(http.StatusNotFound); return rcv.URL }, "FAILURE", "404"},
		{func() string { rcv.SetStatus(http.StatusBadGateway); return rcv.URL }, "FAILURE", "502"},
		{func() string { rcv.Hang(); return rcv.URL }, "ERROR", "timed out"},
		{func() string { return emulator.ClosedURL(t) }, "ERROR", "refused"},
		{func() string { return "http://192.0.2.1/hook" }, "ERROR", "loopback"},
	} {
		target := c.setup()
		if err := srv.UpdateWebhook(id, func(h *emulator.Webhook) { h.URL = target }); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.TriggerWebhookEvent("PRJ", "api-service", "repo:refs_changed"); err != nil {
			t.Fatal(err)
		}
		latest := do(t, srv, "GET", one+"/latest", admin, nil).expect(t, 200).object(t)
		res := latest["result"].(map[string]any)
		if res["outcome"] != c.outcome || !strings.Contains(res["description"].(string), c.want) {
			t.Errorf("%s: latest %v, want %s %q", target, res, c.outcome, c.want)
		}
	}
	rcv.SetStatus(http.StatusOK)
	if err := srv.UpdateWebhook(id, func(h *emulator.Webhook) { h.URL = rcv.URL }); err != nil {
		t.Fatal(err)
	}
}

// checkHistoryAfterOutcomes: the filters, summary counts and statistics
// after one success, two failures and three errors; bad requests refused.
func checkHistoryAfterOutcomes(t *testing.T, srv *emulator.Server, base, one string, firstID any) {
	t.Helper()
	// The outcome filter still finds the older success.
	succ := do(t, srv, "GET", one+"/latest?outcome=SUCCESS", admin, nil).expect(t, 200).object(t)
	if succ["result"].(map[string]any)["outcome"] != "SUCCESS" || succ["id"] != firstID {
		t.Errorf("latest success %v, want the first invocation %v", succ, firstID)
	}
	do(t, srv, "GET", one+"/latest?event=pr:opened", admin, nil).expect(t, 204)
	summary := do(t, srv, "GET", one+"/statistics/summary", admin, nil).expect(t, 200).object(t)
	counts := summary["repo:refs_changed"].(map[string]any)["counts"].(map[string]any)
	if counts["successes"] != float64(1) || counts["failures"] != float64(2) || counts["errors"] != float64(3) {
		t.Errorf("summary counts %v", counts)
	}
	stats := do(t, srv, "GET", one+"?statistics=true", admin, nil).expect(t, 200).object(t)["statistics"].(map[string]any)
	if stats["lastSuccess"] == nil || stats["lastFailure"] == nil || stats["lastError"] == nil {
		t.Errorf("?statistics=true: %v", stats)
	}
	do(t, srv, "GET", one+"/latest?outcome=MAYBE", admin, nil).expect(t, 400)
	do(t, srv, "GET", base+"/987654/latest", admin, nil).expect(t, 404)
	do(t, srv, "GET", one+"/latest", dev, nil).expect(t, 401)
}

// TestDCWebhookTestRoute: POST …/webhooks/test sends a ping and answers the
// receiver's status, or the error when nothing answered; it leaves the
// webhook's history alone.
func TestDCWebhookTestRoute(t *testing.T) {
	srv := dcServer(t)
	srv.SetWebhookTimeout(300 * time.Millisecond)
	rcv := emulator.NewReceiver(t, http.StatusInternalServerError)
	base := "/rest/api/1.0/projects/PRJ/repos/api-service/webhooks"
	res := do(t, srv, "POST", base+"/test?url="+url.QueryEscape(rcv.URL), admin, nil).expect(t, 200).object(t)
	if resp, _ := res["response"].(map[string]any); resp["status"] != float64(500) {
		t.Errorf("test of a 500 receiver: %v", res)
	}
	if got := rcv.Received(); len(got) != 1 || got[0].EventKey != emulator.PingEvent {
		t.Errorf("receiver got %+v", got)
	}
	res = do(t, srv, "POST", base+"/test?url="+url.QueryEscape(emulator.ClosedURL(t)), admin, nil).expect(t, 200).object(t)
	if e, _ := res["error"].(map[string]any); e == nil || !strings.Contains(e["message"].(string), "refused") || res["response"] != nil {
		t.Errorf("test of a closed port: %v", res)
	}
	id := strconv.Itoa(int(do(t, srv, "POST", base, admin, map[string]any{"name": "ci", "url": rcv.URL, "events": []string{"repo:refs_changed"}}).expect(t, 200).object(t)["id"].(float64)))
	rcv.SetStatus(http.StatusNoContent)
	res = do(t, srv, "POST", base+"/test?webhookId="+id, admin, nil).expect(t, 200).object(t)
	if resp, _ := res["response"].(map[string]any); resp["status"] != float64(204) {
		t.Errorf("test of webhook %s: %v", id, res)
	}
	do(t, srv, "GET", base+"/"+id+"/latest", admin, nil).expect(t, 204)
	do(t, srv, "POST", base+"/test?webhookId=987654", admin, nil).expect(t, 404)
	do(t, srv, "POST", "/rest/api/1.0/projects/NOPE/webhooks/test?url="+url.QueryEscape(rcv.URL), admin, nil).expect(t, 404)
	do(t, srv, "POST", base+"/test?url="+url.QueryEscape(rcv.URL), dev, nil).expect(t, 401)
	if n := len(srv.Deliveries()); n != 3 {
		t.Errorf("%d deliveries recorded, want 3", n)
	}
}
