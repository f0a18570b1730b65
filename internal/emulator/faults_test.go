package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

const (
	cloudHooksRoute = "/2.0/repositories/{workspace}/{repo_slug}/hooks"
	cloudHooksPath  = "/2.0/repositories/acme/api-service/hooks"
	dcHooksRoute    = "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/webhooks"
	dcHooksPath     = "/rest/api/1.0/projects/PRJ/repos/api-service/webhooks"
)

func TestFaultStatusInProductStyle(t *testing.T) {
	cloud, dc := cloudServer(t), dcServer(t)

	cloud.InjectFault(emulator.Fault{Route: "/2.0/repositories/{workspace}", Kind: emulator.FaultStatus, Status: 429, RetryAfter: 5 * time.Second, Times: 1})
	res := do(t, cloud, "GET", "/2.0/repositories/acme", alice, nil).expect(t, 429)
	if string(res.body) != "Rate limit for this resource has been exceeded" || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
		t.Errorf("Cloud 429: %q %s", res.body, res.header.Get("Content-Type"))
	}
	if _, ok := res.header["Retry-After"]; ok {
		t.Error("Cloud 429 carries Retry-After")
	}
	do(t, cloud, "GET", "/2.0/repositories/acme", alice, nil).expect(t, 200) // Times: 1 is spent

	cloud.InjectFault(emulator.Fault{Method: "POST", Kind: emulator.FaultStatus, Status: 503})
	do(t, cloud, "GET", "/2.0/repositories/acme", alice, nil).expect(t, 200) // other methods unaffected
	if msg := do(t, cloud, "POST", cloudHooksPath, alice, hookBody).expect(t, 503).cloudMessage(t); msg == "" {
		t.Error("empty Cloud error message")
	}
	cloud.ClearFaults()
	do(t, cloud, "POST", cloudHooksPath, alice, hookBody).expect(t, 201)

	dc.InjectFault(emulator.Fault{Kind: emulator.FaultStatus, Status: 429, RetryAfter: 2500 * time.Millisecond, Times: 2})
	for i := 0; i < 2; i++ {
		res = do(t, dc, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 429)
		if res.header.Get("Retry-After") != "3" {
			t.Errorf("DC Retry-After %q, want 3", res.header.Get("Retry-After"))
		}
		res.dcError(t)
	}
	do(t, dc, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 200)
	dc.InjectFault(emulator.Fault{Kind: emulator.FaultStatus, Status: 429, Times: 1})
	if res := do(t, dc, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 429); res.header.Get("Retry-After") != "" {
		t.Error("Retry-After without RetryAfter")
	}
	dc.InjectFault(emulator.Fault{Kind: emulator.FaultStatus, Status: 500, Times: 1})
	do(t, dc, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 500).dcError(t)
}

func TestFaultResetDoesNotApply(t *testing.T) {
	srv := dcServer(t)
	srv.InjectFault(emulator.Fault{Method: "POST", Route: dcHooksRoute, Kind: emulator.FaultReset, Times: 1})
	if _, err := try(srv, "POST", dcHooksPath, admin, dcHook("ci")); err == nil {
		t.Fatal("reset request got an answer")
	}
	if n := len(srv.Webhooks()); n != 0 {
		t.Errorf("reset applied the change: %d hooks", n)
	}
	if n := srv.RequestCount("POST", dcHooksRoute); n != 1 {
		t.Errorf("reset request counted %d times", n)
	}
	do(t, srv, "POST", dcHooksPath, admin, dcHook("ci")).expect(t, 200)
}

func TestFaultDropResponseApplies(t *testing.T) {
	for _, tc := range []struct {
		name        string
		srv         *emulator.Server
		route, path string
		a           auth
		body        any
	}{
		{"cloud", cloudServer(t), cloudHooksRoute, cloudHooksPath, alice, hookBody},
		{"datacenter", dcServer(t), dcHooksRoute, dcHooksPath, admin, dcHook("ci")},
	} {
		tc.srv.InjectFault(emulator.Fault{Method: "POST", Route: tc.route, Kind: emulator.FaultDropResponse, Times: 1})
		if _, err := try(tc.srv, "POST", tc.path, tc.a, tc.body); err == nil {
			t.Fatalf("%s: dropped response arrived", tc.name)
		}
		if n := len(tc.srv.Webhooks()); n != 1 {
			t.Errorf("%s: drop-response did not apply the change: %d hooks", tc.name, n)
		}
	}
}

// A proxy's 502 or 504 after the server applied the change: the object
// exists, the answer is the proxy's HTML page with that status.
func TestFaultAppliedStatus(t *testing.T) {
	for _, tc := range []struct {
		name        string
		srv         *emulator.Server
		route, path string
		a           auth
		body        any
	}{
		{"cloud", cloudServer(t), cloudHooksRoute, cloudHooksPath, alice, hookBody},
		{"datacenter", dcServer(t), dcHooksRoute, dcHooksPath, admin, dcHook("ci")},
	} {
		tc.srv.InjectFault(emulator.Fault{Method: "POST", Route: tc.route, Kind: emulator.FaultAppliedStatus, Status: http.StatusGatewayTimeout, Times: 1})
		res := do(t, tc.srv, "POST", tc.path, tc.a, tc.body).expect(t, http.StatusGatewayTimeout)
		if !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || !strings.Contains(string(res.body), "504 Gateway Timeout") {
			t.Errorf("%s: answer %s %q", tc.name, res.header.Get("Content-Type"), res.body)
		}
		if n := len(tc.srv.Webhooks()); n != 1 {
			t.Errorf("%s: the change was not applied: %d hooks", tc.name, n)
		}
	}
}

func TestFaultMalformedJSON(t *testing.T) {
	srv := cloudServer(t)
	srv.InjectFault(emulator.Fault{Route: cloudHooksRoute, Kind: emulator.FaultMalformedJSON, Times: 1})
	res := do(t, srv, "POST", cloudHooksPath, alice, hookBody).expect(t, 200)
	var v any
	if err := json.Unmarshal(res.body, &v); err == nil {
		t.Errorf("body is valid JSON: %s", res.body)
	}
	if n := len(srv.Webhooks()); n != 0 {
		t.Errorf("malformed-JSON fault applied the change: %d hooks", n)
	}
}

func TestFaultSlowAnswersAfterDelayAndStopsWhenClientGivesUp(t *testing.T) {
	srv := dcServer(t)
	srv.InjectFault(emulator.Fault{Kind: emulator.FaultSlow, Delay: 20 * time.Millisecond, Times: 1})
	do(t, srv, "POST", dcHooksPath, admin, dcHook("slow")).expect(t, 200)
	if n := len(srv.Webhooks()); n != 1 {
		t.Fatalf("slow request not applied: %d hooks", n)
	}

	srv.InjectFault(emulator.Fault{Kind: emulator.FaultSlow, Delay: time.Hour})
	impatient := &http.Client{Timeout: 50 * time.Millisecond}
	if _, err := tryWith(impatient, srv, "GET", "/rest/api/1.0/projects", admin, nil); err == nil {
		t.Fatal("an hour-long delay answered within the client timeout")
	}
	// The handler must stop waiting once the client is gone, so Close (which
	// waits for outstanding requests) returns long before the hour is up.
	closed := make(chan struct{})
	go func() { _ = srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("server still waiting on a request whose client gave up")
	}
}

// TestFaultLateAnswerAppliesAtOnce: the change is made before the answer
// is due, so a client that gives up loses only the answer; one that waits
// gets it.
func TestFaultLateAnswerAppliesAtOnce(t *testing.T) {
	srv := dcServer(t)
	srv.InjectFault(emulator.Fault{Method: "POST", Route: dcHooksRoute, Kind: emulator.FaultLateAnswer, Delay: time.Hour, Times: 1})
	impatient := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := tryWith(impatient, srv, "POST", dcHooksPath, admin, dcHook("late")); err == nil {
		t.Fatal("an hour-late answer arrived within the client timeout")
	}
	if n := len(srv.Webhooks()); n != 1 {
		t.Fatalf("the late-answer request was not applied at once: %d hooks", n)
	}
	closed := make(chan struct{})
	go func() { _ = srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("server still holding the answer of a client that gave up")
	}

	srv = dcServer(t)
	srv.InjectFault(emulator.Fault{Method: "POST", Route: dcHooksRoute, Kind: emulator.FaultLateAnswer, Delay: 20 * time.Millisecond, Times: 1})
	do(t, srv, "POST", dcHooksPath, admin, dcHook("patient")).expect(t, 200)
	if n := len(srv.Webhooks()); n != 1 {
		t.Fatalf("late answer: %d hooks", n)
	}
}

func TestLatencyRespectsClientTimeout(t *testing.T) {
	srv := dcServer(t)
	srv.SetLatency(time.Hour)
	impatient := &http.Client{Timeout: 50 * time.Millisecond}
	if _, err := tryWith(impatient, srv, "GET", "/rest/api/1.0/projects", admin, nil); err == nil {
		t.Fatal("an hour of latency answered within the client timeout")
	}
	srv.SetLatency(0)
	do(t, srv, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 200)
}

func TestRateLimitSlidingWindow(t *testing.T) {
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

	dc := dcServer(t)
	dc.SetNow(start)
	dc.SetRateLimit(2, time.Minute)
	do(t, dc, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 200)
	dc.Advance(20 * time.Second)
	do(t, dc, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 200)
	res := do(t, dc, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 429)
	if got := res.header.Get("Retry-After"); got != "40" {
		t.Errorf("Retry-After %q, want 40 (first request leaves the window in 40s)", got)
	}
	res.dcError(t)
	dc.Advance(41 * time.Second)
	do(t, dc, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 200)
	dc.SetRateLimit(0, 0)
	for i := 0; i < 5; i++ {
		do(t, dc, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 200)
	}

	cloud := cloudServer(t)
	cloud.SetNow(start)
	cloud.SetRateLimit(1, time.Hour)
	do(t, cloud, "GET", "/2.0/repositories/acme", alice, nil).expect(t, 200)
	res = do(t, cloud, "GET", "/2.0/repositories/acme", alice, nil).expect(t, 429)
	if string(res.body) != "Rate limit for this resource has been exceeded" || res.header.Get("Retry-After") != "" {
		t.Errorf("Cloud limit: %q Retry-After=%q", res.body, res.header.Get("Retry-After"))
	}
	cloud.Advance(time.Hour)
	do(t, cloud, "GET", "/2.0/repositories/acme", alice, nil).expect(t, 200)
}

func TestServerErrorRate(t *testing.T) {
	srv := dcServer(t)
	srv.SetServerErrorRate(1, 7)
	do(t, srv, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 500).dcError(t)
	srv.SetServerErrorRate(0.5, 7)
	failures := 0
	for i := 0; i < 100; i++ {
		if do(t, srv, "GET", "/rest/api/1.0/projects", admin, nil).status == 500 {
			failures++
		}
	}
	if failures < 20 || failures > 80 {
		t.Errorf("%d of 100 requests failed at rate 0.5", failures)
	}
	srv.SetServerErrorRate(0, 0)
	do(t, srv, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 200)
}

// recordingTB is a testing.TB whose failures are recorded instead of
// failing the test, so a test can assert that something fails a test.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// TestInjectFaultOnUnknownRouteFails: a fault on a route template the server
// does not serve (a misspelling, or a method the route lacks) fails the
// test that injects it and is not added; FaultsFired counts the faults that
// met a request, per route.
func TestInjectFaultOnUnknownRouteFails(t *testing.T) {
	rec := &recordingTB{TB: t}
	srv := emulator.NewTestServer(rec, emulator.Options{Product: emulator.Cloud})
	for _, f := range []emulator.Fault{
		{Method: "POST", Route: "/2.0/repositories/{workspace}/{repo_slug}/hook", Kind: emulator.FaultStatus, Status: 500},
		{Method: "PATCH", Route: cloudHooksRoute, Kind: emulator.FaultStatus, Status: 500},
	} {
		before := len(rec.failures())
		srv.InjectFault(f)
		if got := rec.failures(); len(got) != before+1 || !strings.Contains(got[len(got)-1], "would never fire") {
			t.Errorf("InjectFault(%s %s) failures = %q, want one saying the fault would never fire", f.Method, f.Route, got[before:])
		}
	}
	do(t, srv, "POST", cloudHooksPath, alice, hookBody).expect(t, 201) // nothing was added

	for _, f := range []emulator.Fault{{}, {Method: "POST"}, {Route: cloudHooksRoute}, {Method: "post", Route: cloudHooksRoute}} {
		if err := srv.CheckFault(f); err != nil {
			t.Errorf("CheckFault(%+v) = %v, want nil", f, err)
		}
	}
	if len(rec.failures()) != 2 {
		t.Errorf("failures = %q", rec.failures())
	}

	srv.InjectFault(emulator.Fault{Method: "POST", Route: cloudHooksRoute, Kind: emulator.FaultStatus, Status: 500, Times: 1})
	if n := srv.FaultsFired("POST", cloudHooksRoute); n != 0 {
		t.Errorf("FaultsFired before any request = %d", n)
	}
	do(t, srv, "GET", cloudHooksPath, alice, nil).expect(t, 200)
	do(t, srv, "POST", cloudHooksPath, alice, hookBody).expect(t, 500)
	do(t, srv, "POST", cloudHooksPath, alice, hookBody).expect(t, 201)
	if n, other := srv.FaultsFired("POST", cloudHooksRoute), srv.FaultsFired("GET", cloudHooksRoute); n != 1 || other != 0 {
		t.Errorf("FaultsFired POST = %d, GET = %d; want 1, 0", n, other)
	}
	srv.ResetCounts()
	if n := srv.FaultsFired("POST", cloudHooksRoute); n != 0 {
		t.Errorf("FaultsFired after ResetCounts = %d", n)
	}
}

// Another party creates an object of the same name while the provider's
// create is handled (Fault.Twin): with the answer lost, both exist.
func TestFaultTwinCreatesAnotherPartysObject(t *testing.T) {
	t.Run("datacenter webhook, twin first, answer dropped", twinFirstDroppedDCWebhook)
	t.Run("cloud webhook, twin after, request reset", twinAfterResetCloudWebhook)
	t.Run("datacenter token, configured name, late answer", twinLateAnswerDCToken)
	t.Run("datacenter access key, another public key with the same label", twinSameLabelDCAccessKey)
}

// twinFirstDroppedDCWebhook: a Data Center webhook twin made before the
// request, whose answer is dropped: both exist, the twin first and as the
// fault shaped it.
func twinFirstDroppedDCWebhook(t *testing.T) {
	srv := dcServer(t)
	srv.InjectFault(emulator.Fault{Method: "POST", Route: dcHooksRoute, Kind: emulator.FaultDropResponse, Times: 1,
		Twin: func(b map[string]any) { b["active"] = false; b["configuration"] = map[string]any{"secret": "theirs"} }})
	if _, err := try(srv, "POST", dcHooksPath, admin, dcHook("ci")); err == nil {
		t.Fatal("dropped answer arrived")
	}
	twins := srv.Twins()
	if len(twins) != 1 || twins[0].ID == "" || twins[0].Route != dcHooksRoute || twins[0].Method != "POST" {
		t.Fatalf("twins %+v", twins)
	}
	hooks := srv.Webhooks()
	if len(hooks) != 2 {
		t.Fatalf("%d hooks, want the twin and the request's", len(hooks))
	}
	twin, _ := srv.Webhook(twins[0].ID)
	if twin.Active || twin.Secret != "theirs" || twin.Name != "ci" || hooks[0].ID != twin.ID {
		t.Errorf("twin %+v (first id %s)", twin, hooks[0].ID)
	}
	if srv.RequestCount("POST", dcHooksRoute) != 1 || srv.FaultsFired("POST", dcHooksRoute) != 1 {
		t.Error("the twin counted as a request of the client")
	}
	srv.ResetCounts()
	if len(srv.Twins()) != 0 {
		t.Error("ResetCounts kept the twins")
	}
}

// twinAfterResetCloudWebhook: a Cloud webhook twin made after the request,
// which is reset (not applied): only the twin exists.
func twinAfterResetCloudWebhook(t *testing.T) {
	srv := cloudServer(t)
	srv.InjectFault(emulator.Fault{Method: "POST", Route: cloudHooksRoute, Kind: emulator.FaultReset, Times: 1, TwinAfter: true,
		Twin: func(map[string]any) {}})
	if _, err := try(srv, "POST", cloudHooksPath, alice, json.RawMessage(hookBody)); err == nil {
		t.Fatal("reset answer arrived")
	}
	twins, hooks := srv.Twins(), srv.Webhooks()
	if len(twins) != 1 || len(hooks) != 1 || hooks[0].ID != twins[0].ID || !strings.HasPrefix(twins[0].ID, "{") {
		t.Errorf("twins %+v hooks %+v: want only the twin", twins, hooks)
	}
}

// twinLateAnswerDCToken: a Data Center token twin under the configured name
// while the creation name's answer is late: both exist.
func twinLateAnswerDCToken(t *testing.T) {
	srv := dcServer(t)
	route := "/rest/access-tokens/1.0/projects/{projectKey}"
	srv.InjectFault(emulator.Fault{Method: "PUT", Route: route, Kind: emulator.FaultLateAnswer, Delay: time.Hour, Times: 1,
		Twin: func(b map[string]any) { b["name"] = "ci" }})
	client := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := tryWith(client, srv, "PUT", projectTokens, admin, map[string]any{"name": "ci-x7k2", "permissions": []string{"PROJECT_READ"}}); err == nil {
		t.Fatal("late answer arrived")
	}
	names := map[string]string{}
	for _, tok := range srv.AccessTokens() {
		names[tok.Name] = tok.ID
	}
	if twins := srv.Twins(); len(twins) != 1 || names["ci"] != twins[0].ID || names["ci-x7k2"] == "" {
		t.Errorf("twins %+v tokens %v", twins, names)
	}
}

// twinSameLabelDCAccessKey: a Data Center access key twin with another
// public key and the same label: both exist.
func twinSameLabelDCAccessKey(t *testing.T) {
	srv := dcServer(t)
	route := "/rest/keys/1.0/projects/{projectKey}/repos/{repositorySlug}/ssh"
	theirs := newPublicKey(t, "theirs@example")
	srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: emulator.FaultDropResponse, Times: 1,
		Twin: func(b map[string]any) { b["key"].(map[string]any)["text"] = theirs }})
	body := map[string]any{"key": map[string]string{"text": newPublicKey(t, "ci@example"), "label": "ci"}, "permission": "REPO_READ"}
	if _, err := try(srv, "POST", "/rest/keys/1.0/projects/PRJ/repos/api-service/ssh", admin, body); err == nil {
		t.Fatal("dropped answer arrived")
	}
	twins, keys := srv.Twins(), srv.AccessKeys()
	if len(twins) != 1 || twins[0].ID == "" || len(keys) != 2 {
		t.Fatalf("twins %+v keys %+v", twins, keys)
	}
	for _, k := range keys {
		if k.ID == twins[0].ID && (k.PublicKey != theirs || k.Label != "ci") {
			t.Errorf("twin key %+v", k)
		}
	}
}
