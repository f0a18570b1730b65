package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestIdenticalWebhooksOfOneRunNamedTwoWaysNeverShareAnObject: Cloud takes
// a workspace or repository by its UUID in braces wherever it takes the
// slug, so two resources of one run may name one repository two ways. The
// run's ledger must still see them as one scope: B's identical hook, applied
// and its answer on the way, is never adopted by A, whose create is lost
// (docs/dev/ownership.md, "The listing before the create is one per scope
// per run").
func TestIdenticalWebhooksOfOneRunNamedTwoWaysNeverShareAnObject(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.Cloud})
	client := testClient(t, srv)
	data := &providerData{client: client}
	route := webhookMatrixSubjects()[0].create
	ws, repo := seededWorkspace(emulator.Cloud), "api-service"
	r, err := client.GetRepository(t.Context(), ws, repo)
	if err != nil {
		t.Fatal(err)
	}
	w, err := client.GetWorkspace(t.Context(), ws)
	if err != nil {
		t.Fatal(err)
	}
	bySlug := bitbucket.WebhookScope{Workspace: ws, Repository: repo}
	byUUID := bitbucket.WebhookScope{Workspace: w.ID, Repository: r.ID}
	if !strings.HasPrefix(byUUID.Workspace, "{") || !strings.HasPrefix(byUUID.Repository, "{") {
		t.Fatalf("UUIDs %q %q", byUUID.Workspace, byUUID.Repository)
	}
	in := bitbucket.WebhookInput{Name: "twin", URL: "https://ci.example.com/hook", Events: []string{"repo:push"}, Active: true}
	// A third create of the run, in A's naming, takes the run's listing of
	// the repository first.
	other := in
	other.Name, other.URL = "first", "https://ci.example.com/first"
	if _, err := createWebhook(t.Context(), data, byUUID, other, nil, nil); err != nil {
		t.Fatal(err)
	}

	srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: emulator.FaultLateAnswer, Delay: 1500 * time.Millisecond, Times: 1})
	type result struct {
		hook *bitbucket.Webhook
		err  error
	}
	b := make(chan result, 1)
	go func() {
		hook, err := createWebhook(t.Context(), data, bySlug, in, nil, nil)
		b <- result{hook, err}
	}()
	for srv.FaultsFired("POST", route) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: emulator.FaultReset, Times: 1})
	a, aerr := createWebhook(t.Context(), data, byUUID, in, nil, nil)
	rb := <-b
	if rb.err != nil {
		t.Fatalf("B: %v", rb.err)
	}
	if srv.FaultsFired("POST", route) != 2 {
		t.Fatalf("faults fired %d", srv.FaultsFired("POST", route))
	}
	if aerr == nil && a.ID == rb.hook.ID {
		t.Fatalf("A (repository named by UUID) adopted B's hook %s (B named it by slug): two resources now hold one hook", a.ID)
	}
	if aerr != nil {
		t.Fatalf("A: %v", aerr)
	}
	if n := len(srv.Webhooks()); n != 3 {
		t.Errorf("the server holds %d hooks, want 3 (first, A's, B's)", n)
	}
}

// TestSuppliedKeyCreatesOfOneRunNamedTwoWaysNeverShareAKey: as above for a
// supplied access key named twice in one configuration, once on the
// repository by slug and once by UUID. The scope keeps one registration (B's,
// whose answer is on its way); A, whose create is lost, must not adopt it.
func TestSuppliedKeyCreatesOfOneRunNamedTwoWaysNeverShareAKey(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.Cloud})
	client := testClient(t, srv)
	data := &providerData{client: client}
	route := accessKeyMatrixSubjects()[0].create
	ws, repo := seededWorkspace(emulator.Cloud), "api-service"
	r, err := client.GetRepository(t.Context(), ws, repo)
	if err != nil {
		t.Fatal(err)
	}
	w, err := client.GetWorkspace(t.Context(), ws)
	if err != nil {
		t.Fatal(err)
	}
	bySlug := bitbucket.AccessKeyScope{Workspace: ws, Repository: repo}
	byUUID := bitbucket.AccessKeyScope{Workspace: w.ID, Repository: r.ID}
	key := func() string {
		public, _, err := generateKeyPair("ED25519")
		if err != nil {
			t.Fatal(err)
		}
		return public
	}
	// A third create of the run, in A's naming, takes the run's listing first.
	if _, err := createAccessKey(t.Context(), data, byUUID, bitbucket.AccessKeyInput{PublicKey: key(), Label: "first"}, false, nil); err != nil {
		t.Fatal(err)
	}
	in := bitbucket.AccessKeyInput{PublicKey: key(), Label: "twice"}
	srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: emulator.FaultLateAnswer, Delay: 1500 * time.Millisecond, Times: 1})
	type result struct {
		key *bitbucket.AccessKey
		err error
	}
	b := make(chan result, 1)
	go func() {
		k, err := createAccessKey(t.Context(), data, bySlug, in, false, nil)
		b <- result{k, err}
	}()
	for srv.FaultsFired("POST", route) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: emulator.FaultReset, Times: 1})
	a, aerr := createKeyWithin(t, data, byUUID, in)
	rb := <-b
	if rb.err != nil {
		t.Fatalf("B: %v", rb.err)
	}
	if srv.FaultsFired("POST", route) != 2 {
		t.Fatalf("faults fired %d", srv.FaultsFired("POST", route))
	}
	if aerr == nil {
		t.Fatalf("A (repository named by UUID) adopted key %s, which B (named by slug) holds as %s", a.ID, rb.key.ID)
	}
	if !strings.Contains(aerr.Error(), rb.key.ID) {
		t.Errorf("A's error does not name B's key %s: %v", rb.key.ID, aerr)
	}
}

// createKeyWithin is createAccessKey of a supplied key, failing the test
// instead of hanging when the create does not return.
func createKeyWithin(t *testing.T, data *providerData, scope bitbucket.AccessKeyScope, in bitbucket.AccessKeyInput) (*bitbucket.AccessKey, error) {
	t.Helper()
	type result struct {
		key *bitbucket.AccessKey
		err error
	}
	done := make(chan result, 1)
	go func() {
		k, err := createAccessKey(t.Context(), data, scope, in, false, nil)
		done <- result{k, err}
	}()
	select {
	case r := <-done:
		return r.key, r.err
	case <-time.After(30 * time.Second):
		t.Fatal("the create has not returned after 30 s: it hangs")
		return nil, nil
	}
}

// TestSuppliedKeyRecoveryWhileTheSameKeyIsInFlight: a configuration names
// one supplied key twice on one repository. B's create is applied and its
// answer on the way when A's create is lost: A's recovery finds B's
// registration, asks whether another create of the run may have made it,
// and must answer, not hang; it leaves B's registration to B and names it.
func TestSuppliedKeyRecoveryWhileTheSameKeyIsInFlight(t *testing.T) {
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		t.Run(string(product), func(t *testing.T) {
			t.Parallel()
			srv := emulator.NewTestServer(t, emulator.Options{Product: product})
			data := &providerData{client: testClient(t, srv)}
			route := accessKeyMatrixSubjects()[map[emulator.Product]int{emulator.Cloud: 0, emulator.DataCenter: 2}[product]].create
			scope := bitbucket.AccessKeyScope{Workspace: seededWorkspace(product), Repository: "api-service"}
			public, _, err := generateKeyPair("ED25519")
			if err != nil {
				t.Fatal(err)
			}
			in := bitbucket.AccessKeyInput{PublicKey: public, Label: "twice", Permission: "REPO_READ"}
			srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: emulator.FaultLateAnswer, Delay: 1500 * time.Millisecond, Times: 1})
			b := make(chan *bitbucket.AccessKey, 1)
			go func() {
				k, err := createAccessKey(t.Context(), data, scope, in, false, nil)
				if err != nil {
					t.Errorf("B: %v", err)
				}
				b <- k
			}()
			for srv.FaultsFired("POST", route) == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: emulator.FaultReset, Times: 1})
			a, aerr := createKeyWithin(t, data, scope, in)
			kb := <-b
			if kb == nil {
				t.FailNow()
			}
			if aerr == nil {
				t.Fatalf("A adopted key %s, which B holds as %s", a.ID, kb.ID)
			}
			if !strings.Contains(aerr.Error(), kb.ID) {
				t.Errorf("A's error does not name B's key %s: %v", kb.ID, aerr)
			}
			if keys := srv.AccessKeys(); len(keys) != 1 || keys[0].ID != kb.ID {
				t.Errorf("keys %+v, want B's only", keys)
			}
		})
	}
}
