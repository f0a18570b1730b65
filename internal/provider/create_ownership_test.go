package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// The ownership rule of create recovery (docs/dev/ownership.md): while the
// answer to the provider's create is lost, another party creates an object
// of the same name in the same scope (emulator Fault.Twin). The provider
// acts only on an object it can prove it made: the other party's object is
// left as it is (or changed only where the user is warned), the provider
// holds exactly one object of its own, in state, and nothing of its own is
// left untracked.

// ownershipCase is one row: a fault that loses the create's answer (the
// create applied or not), and how the other party's object differs.
type ownershipCase struct {
	name string
	kind emulator.FaultKind // FaultDropResponse: the create applied; FaultReset: not
	twin func(map[string]any)
}

func TestWebhookLostCreateLeavesOtherPartysHookAlone(t *testing.T) {
	inactive := func(b map[string]any) { b["active"] = false }
	otherSecret := func(product emulator.Product) func(map[string]any) {
		return func(b map[string]any) {
			if product == emulator.Cloud {
				b["secret"] = "theirs"
			} else {
				b["configuration"] = map[string]any{"secret": "theirs"}
			}
		}
	}
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		cases := []ownershipCase{
			{"inactive twin, own create applied", emulator.FaultDropResponse, inactive},
			{"inactive twin, own create not applied", emulator.FaultReset, inactive},
		}
		if product == emulator.DataCenter {
			// Data Center returns the secret: a hook with another one is not ours.
			cases = append(cases,
				ownershipCase{"twin with another secret, own create applied", emulator.FaultDropResponse, otherSecret(product)},
				ownershipCase{"twin with another secret, own create not applied", emulator.FaultReset, otherSecret(product)})
		}
		for _, tc := range cases {
			t.Run(string(product)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				runWebhookOwnershipCase(t, product, tc)
			})
		}
	}
}

// runWebhookOwnershipCase applies a repository webhook whose create meets
// tc's fault and twin, then checks both hooks and that a second apply
// changes nothing.
func runWebhookOwnershipCase(t *testing.T, product emulator.Product, tc ownershipCase) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: product})
	subject := webhookMatrixSubjects()[map[emulator.Product]int{emulator.Cloud: 0, emulator.DataCenter: 2}[product]]
	if subject.product != product || subject.name != "repository_webhook" {
		t.Fatalf("subject %s/%s", subject.name, subject.product)
	}
	h := newProtocolHarness(t, subject.typeName, matrixProviderConfig(srv))
	config := subject.config(false)
	config["secret"] = "ours"
	srv.InjectFault(emulator.Fault{Method: "POST", Route: subject.create, Kind: tc.kind, Times: 1, Twin: tc.twin})
	if err := h.apply(config); err != nil {
		t.Fatalf("apply: %v", err)
	}
	twin := checkOtherPartysHookUnchanged(t, srv, product, tc, config)
	_, stateID := h.inState()
	hooks := srv.Webhooks()
	if stateID == twin || stateID == "" || len(hooks) != 2 {
		t.Fatalf("state tracks %q (the other party's is %s); the server holds %d hooks, want theirs and one of ours", stateID, twin, len(hooks))
	}
	own, _ := srv.Webhook(stateID)
	if !own.Active || own.Secret != "ours" {
		t.Errorf("own hook %+v", own)
	}
	if tc.kind == emulator.FaultDropResponse && !strings.Contains(strings.Join(h.warnings, "\n"), twin) {
		t.Errorf("no warning names the other party's hook %s: %q", twin, h.warnings)
	}
	// A second apply changes nothing.
	if err := h.apply(config); err != nil {
		t.Fatalf("second apply: %v", err)
	}
	if n := len(srv.Webhooks()); n != 2 {
		t.Errorf("%d hooks after the second apply", n)
	}
}

// checkOtherPartysHookUnchanged: the twin still exists as the other party
// sent it (the request, changed by tc.twin); it returns its id.
func checkOtherPartysHookUnchanged(t *testing.T, srv *emulator.Server, product emulator.Product, tc ownershipCase, config map[string]any) string {
	t.Helper()
	twin := onlyTwin(t, srv)
	other, ok := srv.Webhook(twin)
	if !ok {
		t.Fatalf("the other party's hook %s is gone", twin)
	}
	wantActive, wantSecret := !strings.Contains(tc.name, "inactive"), "ours"
	if strings.Contains(tc.name, "another secret") {
		wantSecret = "theirs"
	}
	if other.Active != wantActive || (product == emulator.DataCenter && other.Secret != wantSecret) ||
		other.Name != config["name"] || other.URL != config["url"] {
		t.Errorf("the other party's hook changed: %+v", other)
	}
	return twin
}

// TestCloudWebhookLostCreateAdoptsActiveTwinWithWarning: Cloud never
// returns a secret, so a hook equal to the request in everything it reports
// cannot be told from the provider's own. It is adopted, the configured
// secret is sent to it again, and the user is told.
func TestCloudWebhookLostCreateAdoptsActiveTwinWithWarning(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.Cloud})
	subject := webhookMatrixSubjects()[0]
	h := newProtocolHarness(t, subject.typeName, matrixProviderConfig(srv))
	config := subject.config(false)
	config["secret"] = "ours"
	srv.InjectFault(emulator.Fault{Method: "POST", Route: subject.create, Kind: emulator.FaultReset, Times: 1,
		Twin: func(b map[string]any) { b["secret"] = "theirs" }})
	if err := h.apply(config); err != nil {
		t.Fatalf("apply: %v", err)
	}
	twin := onlyTwin(t, srv)
	_, stateID := h.inState()
	hooks := srv.Webhooks()
	if stateID != twin || len(hooks) != 1 {
		t.Fatalf("state tracks %q, the twin is %s, %d hooks", stateID, twin, len(hooks))
	}
	if hooks[0].Secret != "ours" {
		t.Errorf("the adopted hook's secret was not sent again: %q", hooks[0].Secret)
	}
	if w := strings.Join(h.warnings, "\n"); !strings.Contains(w, "Webhook secret sent again") || !strings.Contains(w, twin) {
		t.Errorf("warnings %q", h.warnings)
	}
}

// TestAccessTokenLostCreateNeverRevokesOtherPartysToken: the other party's
// token has the configured name and permissions; the provider's own was
// created under a name of its own (the proof) and is the only one it
// revokes.
func TestAccessTokenLostCreateNeverRevokesOtherPartysToken(t *testing.T) {
	for _, subject := range accessTokenMatrixSubjects() {
		for _, kind := range []emulator.FaultKind{emulator.FaultDropResponse, emulator.FaultReset} {
			t.Run(subject.name+map[emulator.FaultKind]string{emulator.FaultDropResponse: "/own create applied", emulator.FaultReset: "/own create not applied"}[kind], func(t *testing.T) {
				t.Parallel()
				srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
				h := newProtocolHarness(t, subject.typeName, matrixProviderConfig(srv))
				config := subject.config(false)
				srv.InjectFault(emulator.Fault{Method: "PUT", Route: subject.create, Kind: kind, Times: 1,
					Twin: func(b map[string]any) { b["name"] = config["name"] }})
				if err := h.apply(config); err != nil {
					t.Fatalf("apply: %v", err)
				}
				twin := onlyTwin(t, srv)
				_, stateID := h.inState()
				var theirs, own int
				for _, tok := range srv.AccessTokens() {
					switch tok.ID {
					case twin:
						theirs++
					case stateID:
						own++
						if tok.Name != config["name"] {
							t.Errorf("own token named %q", tok.Name)
						}
					default:
						if strings.HasPrefix(tok.Name, "matrix") {
							t.Errorf("untracked token %s %q", tok.ID, tok.Name)
						}
					}
				}
				if theirs != 1 || own != 1 || stateID == twin {
					t.Errorf("the other party's token %s: %d, own %q: %d", twin, theirs, stateID, own)
				}
			})
		}
	}
}

// onlyTwin is the id of the one object the other party made.
func onlyTwin(t *testing.T, srv *emulator.Server) string {
	t.Helper()
	twins := srv.Twins()
	if len(twins) != 1 || twins[0].ID == "" {
		t.Fatalf("the fault made %+v, want one object of another party", twins)
	}
	return twins[0].ID
}

// TestAccCreateRequestCost: creating N webhooks of one repository in one
// apply sends one listing of the repository's hooks (the "before" view all
// its creates share) and N creates; creating N Data Center tokens sends N
// creates and N renames and no listing (docs/dev/ownership.md).
func TestAccCreateRequestCost(t *testing.T) {
	const n = 8
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		hooks := map[emulator.Product]string{
			emulator.Cloud:      "/2.0/repositories/{workspace}/{repo_slug}/hooks",
			emulator.DataCenter: "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/webhooks",
		}[product]
		config := providerConfig(srv) + fmt.Sprintf(`
resource "bitbucket_repository_webhook" "many" {
  count      = %d
  workspace  = %q
  repository = "api-service"
  name       = "hook-${count.index}"
  url        = "https://ci.example.com/${count.index}"
  events     = %s
}
`, n, seededWorkspace(product), pushEvents(product))
		const tokens = "/rest/access-tokens/1.0/projects/{projectKey}"
		if product == emulator.DataCenter {
			config += fmt.Sprintf(`
resource "bitbucket_project_access_token" "many" {
  count       = %d
  workspace   = "PRJ"
  name        = "token-${count.index}"
  permissions = ["PROJECT_READ"]
}
`, n)
		}
		tfresource.ParallelTest(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []tfresource.TestStep{{
				PreConfig: srv.ResetCounts,
				Config:    config,
				Check: func(*terraform.State) error {
					got := map[string]int{
						"hook lists": srv.RequestCount("GET", hooks), "hook creates": srv.RequestCount("POST", hooks),
						"token lists": srv.RequestCount("GET", tokens), "token creates": srv.RequestCount("PUT", tokens),
						"token renames": srv.RequestCount("POST", tokens+"/{tokenId}"),
					}
					want := map[string]int{"hook lists": 1, "hook creates": n}
					if product == emulator.DataCenter {
						want["token creates"], want["token renames"] = n, n
					}
					for k := range got {
						if got[k] != want[k] {
							return fmt.Errorf("%s = %d, want %d (all: %v)", k, got[k], want[k], got)
						}
					}
					t.Logf("%s: %d webhooks of one repository cost %v requests", product, n, got)
					return nil
				},
			}},
		})
	})
}

// TestIdenticalWebhooksOfOneRunNeverShareAnObject: two resources of one run
// create identical hooks in one repository, sharing the run's listing of it.
// B's create is applied and its answer is on its way when A's create is lost
// (applied or not): A's recovery finds B's hook, equal to its request and
// new since the listing, and must not take it. It waits for B to claim its
// hook, then adopts its own or creates it.
func TestIdenticalWebhooksOfOneRunNeverShareAnObject(t *testing.T) {
	for _, kind := range []emulator.FaultKind{emulator.FaultReset, emulator.FaultDropResponse} {
		t.Run(map[emulator.FaultKind]string{emulator.FaultReset: "A not applied", emulator.FaultDropResponse: "A applied"}[kind], func(t *testing.T) {
			identicalWebhooksOfOneRun(t, kind)
		})
	}
}

func identicalWebhooksOfOneRun(t *testing.T, kind emulator.FaultKind) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := emulator.NewTestServer(t, emulator.Options{Product: product})
		data := &providerData{client: testClient(t, srv)}
		route := webhookMatrixSubjects()[map[emulator.Product]int{emulator.Cloud: 0, emulator.DataCenter: 2}[product]].create
		scope := bitbucket.WebhookScope{Workspace: seededWorkspace(product), Repository: "api-service"}
		in := bitbucket.WebhookInput{Name: "twin", URL: "https://ci.example.com/hook", Events: []string{strings.Trim(pushEvents(product), `["]`)}, Active: true}

		srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: emulator.FaultLateAnswer, Delay: 500 * time.Millisecond, Times: 1})
		type result struct {
			hook *bitbucket.Webhook
			err  error
		}
		b := make(chan result, 1)
		go func() {
			hook, err := createWebhook(t.Context(), data, scope, in, nil, nil)
			b <- result{hook, err}
		}()
		for srv.FaultsFired("POST", route) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: kind, Times: 1})
		var diags diag.Diagnostics
		a, err := createWebhook(t.Context(), data, scope, in, nil, &diags)
		if err != nil {
			t.Fatalf("A: %v", err)
		}
		rb := <-b
		if rb.err != nil {
			t.Fatalf("B: %v", rb.err)
		}
		if a.ID == rb.hook.ID || len(srv.Webhooks()) != 2 || srv.FaultsFired("POST", route) != 2 {
			t.Errorf("A holds %s, B holds %s; the server holds %d hooks; faults fired %d", a.ID, rb.hook.ID, len(srv.Webhooks()), srv.FaultsFired("POST", route))
		}
	})
}

// TestAccessTokenRenameFailureLeavesNothing: the create answers, but the
// rename to the configured name keeps failing. Nobody holds the token yet,
// so it is revoked and the create fails saying so: no token is left under
// its creation name, and a later apply makes one.
func TestAccessTokenRenameFailureLeavesNothing(t *testing.T) {
	subject := accessTokenMatrixSubjects()[0]
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
	h := newProtocolHarness(t, subject.typeName, matrixProviderConfig(srv))
	config := subject.config(false)
	srv.InjectFault(emulator.Fault{Method: "POST", Route: subject.item, Kind: emulator.FaultStatus, Status: 403})
	err := h.apply(config)
	if err == nil || !strings.Contains(err.Error(), "so it was revoked and nothing was created") {
		t.Fatalf("apply: %v", err)
	}
	if srv.FaultsFired("POST", subject.item) == 0 {
		t.Fatal("the rename was never sent")
	}
	if left := tokensNamed(srv, "matrix"); len(left) != 0 {
		t.Errorf("tokens left: %+v", left)
	}
	srv.ClearFaults()
	if err := h.apply(config); err != nil {
		t.Fatal(err)
	}
	if left := tokensNamed(srv, "matrix"); len(left) != 1 || left[0].Name != "matrix" {
		t.Errorf("tokens after the second apply: %+v", left)
	}
}

// TestAccessTokenRenameAnswerLost: the rename is applied and its answer
// lost; the provider reads the token, sees the configured name, and keeps
// the token with the value the create answered.
func TestAccessTokenRenameAnswerLost(t *testing.T) {
	subject := accessTokenMatrixSubjects()[0]
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
	h := newProtocolHarness(t, subject.typeName, matrixProviderConfig(srv))
	srv.InjectFault(emulator.Fault{Method: "POST", Route: subject.item, Kind: emulator.FaultDropResponse, Times: 1})
	if err := h.apply(subject.config(false)); err != nil {
		t.Fatal(err)
	}
	left := tokensNamed(srv, "matrix")
	_, stateID := h.inState()
	if srv.FaultsFired("POST", subject.item) != 1 || len(left) != 1 || left[0].Name != "matrix" || left[0].ID != stateID {
		t.Fatalf("tokens %+v, state %q", left, stateID)
	}
	value, err := h.state.ApplyTerraform5AttributePathStep(tftypes.AttributeName("token"))
	if v, ok := value.(tftypes.Value); err != nil || !ok || v.IsNull() {
		t.Errorf("token value in state: %v %v", value, err)
	}
}
