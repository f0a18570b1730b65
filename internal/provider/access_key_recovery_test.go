package provider

import (
	"cmp"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// keyCreateSubjects are the resources that register an SSH access key: both
// levels of access key and the connection's managed key, on both products
// (the fault matrix's subjects, so the routes and configurations are one).
func keyCreateSubjects() []matrixSubject {
	return append(accessKeyMatrixSubjects(), connectionKeyMatrixSubjects()...)
}

// stateString is one string attribute of the harness's state ("" when
// not in state or null).
func (h *protocolHarness) stateString(name string) string {
	if h.state.IsNull() {
		return ""
	}
	attrs := map[string]tftypes.Value{}
	_ = h.state.As(&attrs)
	var s string
	if v, ok := attrs[name]; ok && !v.IsNull() {
		_ = v.As(&s)
	}
	return s
}

// keyIDInState is the access key the state tracks: the resource's id, or
// a connection's access_key_id.
func keyIDInState(h *protocolHarness) string {
	if h.typeName == "bitbucket_connection" {
		return h.stateString("access_key_id")
	}
	_, id := h.inState()
	return id
}

// TestInterruptedAccessKeyCreateIsRecovered: Terraform is interrupted
// (Ctrl-C cancels the create's context) while Bitbucket registers an access
// key; the server has registered it and answers late (FaultLateAnswer). The
// provider must still find the key it made, on a context of its own
// (recoveryContext), and record it: the next apply then leaves exactly one
// key, the one in state, and a connection is not refused as existing.
func TestInterruptedAccessKeyCreateIsRecovered(t *testing.T) {
	for _, subject := range keyCreateSubjects() {
		t.Run(subject.name+"/"+string(subject.product), func(t *testing.T) {
			t.Parallel()
			srv := emulator.NewTestServer(t, emulator.Options{Product: subject.product})
			providerConfig := matrixProviderConfig(srv)
			providerConfig["request_timeout"] = "1m" // the interrupt, not a timeout, ends the request
			h := newProtocolHarness(t, subject.typeName, providerConfig)
			config := subject.config(false)

			srv.InjectFault(emulator.Fault{Method: subject.createMethod, Route: subject.create, Kind: emulator.FaultLateAnswer, Delay: 10 * time.Minute, Times: 1})
			ctx, interrupt := context.WithCancel(context.Background())
			defer interrupt()
			go func() {
				for len(srv.AccessKeys()) == 0 && ctx.Err() == nil {
					time.Sleep(10 * time.Millisecond)
				}
				interrupt() // the key is registered; its answer is held back
			}()
			h.ctx = ctx
			err := h.apply(config)
			if n := srv.FaultsFired(subject.createMethod, subject.create); n != 1 {
				t.Fatalf("the late answer fired %d times, want 1", n)
			}
			keys := srv.AccessKeys()
			if len(keys) != 1 {
				t.Fatalf("keys after the interrupted apply: %+v, want 1", keys)
			}
			if got := keyIDInState(h); got != keys[0].ID {
				t.Errorf("after the interrupt, state tracks key %q (apply error: %v); the server registered %s", got, err, keys[0].ID)
			}

			h.ctx = context.Background()
			srv.ClearFaults()
			if err := h.apply(config); err != nil {
				t.Fatalf("the apply after the interrupted one: %v", err)
			}
			keys = srv.AccessKeys()
			if len(keys) != 1 || keyIDInState(h) != keys[0].ID {
				t.Errorf("after the next apply the server holds %+v and state tracks %q: want exactly the key in state", keys, keyIDInState(h))
			}
			if err != nil && !strings.Contains(err.Error(), "stopped") {
				t.Logf("the interrupted apply said: %v", err)
			}
		})
	}
}

// TestAccessKeyCreateRecoveryProof: a create whose answer is lost while
// another party registers a key on the same scope (the emulator's Twin).
// The provider adopts only the key it can prove it made (the fingerprint of
// a generated key; a supplied key registered since its listing with the
// label and permission sent), leaves every other key as it is, and names
// what it did not adopt.
func TestAccessKeyCreateRecoveryProof(t *testing.T) {
	otherKey, _, err := generateKeyPair("ED25519")
	if err != nil {
		t.Fatal(err)
	}
	for _, subject := range accessKeyMatrixSubjects() {
		if subject.name != "repository_access_key" {
			continue
		}
		twinBody := func(publicKey, label string) func(map[string]any) {
			return keyTwinBody(subject.product, publicKey, label)
		}
		for _, tc := range []keyProofCase{
			{name: "supplied key, answer lost", supplied: true, adopted: true},
			{name: "supplied key registered meanwhile by another party with another label", supplied: true,
				twin: twinBody("", "someone else"), want: regexp.MustCompile(`Access key already registered[\s\S]*already access key \d+ of repository [\s\S]*label "someone else"[\s\S]*cannot prove[\s\S]*left it as it is`)},
			{name: "generated key, another party's key with the same label", twin: twinBody(otherKey, ""), adopted: true},
			{name: "supplied key, another party's key with the same label", supplied: true, twin: twinBody(otherKey, ""), adopted: true, warns: true},
			{name: "supplied key registered meanwhile by another party as configured", supplied: true, twin: twinBody("", ""), adoptsTwin: true},
		} {
			t.Run(subject.name+"/"+string(subject.product)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				runKeyProofCase(t, subject, tc, otherKey)
			})
		}
	}
}

// keyProofCase is one row of TestAccessKeyCreateRecoveryProof.
type keyProofCase struct {
	name     string
	supplied bool
	twin     func(map[string]any) // nil: no other party
	// want: the apply error (nil: none); adopted: state tracks a
	// key the provider made (not the twin).
	want    *regexp.Regexp
	adopted bool
	// adoptsTwin: the other party registered the supplied key
	// exactly as configured; the server keeps that one registration
	// and refused this request's, so it is the configured object.
	adoptsTwin bool
	// warns: a warning names the other party's key.
	warns bool
}

// keyTwinBody changes the create's body as the other party's request
// (empty arguments keep what the provider sent).
func keyTwinBody(product emulator.Product, publicKey, label string) func(map[string]any) {
	return func(b map[string]any) {
		if product == emulator.Cloud {
			b["key"] = cmp.Or(publicKey, b["key"].(string))
			b["label"] = cmp.Or(label, b["label"].(string))
			return
		}
		key := b["key"].(map[string]any)
		key["text"] = cmp.Or(publicKey, key["text"].(string))
		key["label"] = cmp.Or(label, key["label"].(string))
	}
}

// runKeyProofCase applies the key with the create's answer dropped (and
// the case's twin), then checks the error, the keys and the state.
func runKeyProofCase(t *testing.T, subject matrixSubject, tc keyProofCase, otherKey string) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: subject.product})
	h := newProtocolHarness(t, subject.typeName, matrixProviderConfig(srv))
	config := subject.config(false)
	if tc.supplied {
		public, _, err := generateKeyPair("ED25519")
		if err != nil {
			t.Fatal(err)
		}
		config["public_key"] = public
	}
	srv.InjectFault(emulator.Fault{Method: subject.createMethod, Route: subject.create, Kind: emulator.FaultDropResponse, Times: 1, Twin: tc.twin})
	err := h.apply(config)
	if n := srv.FaultsFired(subject.createMethod, subject.create); n != 1 {
		t.Fatalf("the fault fired %d times, want 1", n)
	}
	switch {
	case tc.want == nil && err != nil:
		t.Fatalf("apply: %v", err)
	case tc.want != nil && (err == nil || !tc.want.MatchString(err.Error())):
		t.Fatalf("apply: %v, want an error matching %s", err, tc.want)
	}
	twin := twinKey(t, srv, tc, err)
	checkOwnKeyAdopted(t, srv, h, tc, twin)
	checkTwinNamedAndUnchanged(t, h, tc, twin, otherKey)
}

// checkTwinNamedAndUnchanged: a warning names the other party's key when
// the case says so, and that key keeps its label and public key.
func checkTwinNamedAndUnchanged(t *testing.T, h *protocolHarness, tc keyProofCase, twin emulator.AccessKey, otherKey string) {
	t.Helper()
	if named := strings.Contains(strings.Join(h.warnings, "\n"), "access key "+twin.ID+" in "); named != tc.warns {
		t.Errorf("a warning names the other party's key: %v, want %v (warnings %q)", named, tc.warns, h.warnings)
	}
	wantLabel := map[bool]string{true: "someone else", false: "matrix"}[tc.supplied && !tc.adoptsTwin && !tc.warns]
	if twin.ID != "" && (twin.Label != wantLabel ||
		((!tc.supplied || tc.warns) && twin.Fingerprint != mustFingerprint(t, otherKey))) {
		t.Errorf("the other party's key was changed: %+v", twin)
	}
}

// twinKey is the other party's key (zero without a twin): it must still
// exist, and an apply error must name it.
func twinKey(t *testing.T, srv *emulator.Server, tc keyProofCase, err error) emulator.AccessKey {
	t.Helper()
	twins := srv.Twins()
	if (tc.twin != nil) != (len(twins) == 1) {
		t.Fatalf("twins: %+v", twins)
	}
	var twin emulator.AccessKey
	if len(twins) == 1 {
		for _, k := range srv.AccessKeys() {
			if k.ID == twins[0].ID {
				twin = k
			}
		}
		if twin.ID == "" {
			t.Fatalf("the other party's key %s is gone: %+v", twins[0].ID, srv.AccessKeys())
		}
		if tc.want != nil && !strings.Contains(err.Error(), "access key "+twin.ID+" ") {
			t.Errorf("the error does not name the other party's key %s: %v", twin.ID, err)
		}
	}
	return twin
}

// checkOwnKeyAdopted: the keys other than the twin, and what state tracks,
// are what the case expects.
func checkOwnKeyAdopted(t *testing.T, srv *emulator.Server, h *protocolHarness, tc keyProofCase, twin emulator.AccessKey) {
	t.Helper()
	var own []emulator.AccessKey
	for _, k := range srv.AccessKeys() {
		if k.ID != twin.ID {
			own = append(own, k)
		}
	}
	stateID := keyIDInState(h)
	switch {
	case tc.adoptsTwin && (len(own) != 0 || stateID != twin.ID):
		t.Errorf("own keys %+v, state tracks %q: want the registration as configured, %s", own, stateID, twin.ID)
	case tc.adoptsTwin:
	case tc.adopted && (len(own) != 1 || stateID != own[0].ID):
		t.Errorf("own keys %+v, state tracks %q: want exactly one, in state", own, stateID)
	case !tc.adopted && (len(own) != 0 || stateID != ""):
		t.Errorf("own keys %+v, state tracks %q: want none", own, stateID)
	}
}

func mustFingerprint(t *testing.T, publicKey string) string {
	t.Helper()
	fp, err := bitbucket.KeyFingerprint(publicKey)
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

// TestInterruptedAccessKeyCreateNamesWhatItCannotSettle: after Ctrl-C the
// provider looks for the key on a bounded context of its own; what it
// cannot find out (the listing fails), or did not make (another party's key
// with the same label), it names, and it touches nothing.
func TestInterruptedAccessKeyCreateNamesWhatItCannotSettle(t *testing.T) {
	otherKey, _, err := generateKeyPair("ED25519")
	if err != nil {
		t.Fatal(err)
	}
	for _, subject := range keyCreateSubjects() {
		for _, tc := range []struct {
			name string
			// listFails: every listing of the scope answers 503; else the
			// create is never applied (the client left a slow request)
			// while another party registers its own key with the label.
			listFails bool
			want      string
		}{
			{name: "listing fails", listFails: true, want: `Look in Bitbucket for an access key labelled "matrix" with fingerprint SHA256:`},
			{name: "nothing registered, another party's key", want: "Bitbucket holds no access key with this public key"},
		} {
			t.Run(subject.name+"/"+string(subject.product)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				srv := emulator.NewTestServer(t, emulator.Options{Product: subject.product})
				providerConfig := matrixProviderConfig(srv)
				providerConfig["request_timeout"] = "1m"
				h := newProtocolHarness(t, subject.typeName, providerConfig)
				fault := emulator.Fault{Method: subject.createMethod, Route: subject.create, Kind: emulator.FaultLateAnswer, Delay: 10 * time.Minute, Times: 1}
				if !tc.listFails {
					fault.Kind = emulator.FaultSlow
					fault.Twin = func(b map[string]any) {
						if key, ok := b["key"].(map[string]any); ok {
							key["text"] = otherKey
						} else {
							b["key"] = otherKey
						}
					}
				}
				srv.InjectFault(fault)
				ctx, interrupt := context.WithCancel(context.Background())
				defer interrupt()
				go func() {
					for len(srv.AccessKeys()) == 0 && ctx.Err() == nil {
						time.Sleep(10 * time.Millisecond)
					}
					if tc.listFails {
						srv.InjectFault(emulator.Fault{Method: "GET", Route: subject.readRoute, Kind: emulator.FaultStatus, Status: http.StatusServiceUnavailable})
					}
					interrupt()
				}()
				h.ctx = ctx
				err := h.apply(subject.config(false))
				if n := srv.FaultsFired(subject.createMethod, subject.create); n != 1 {
					t.Fatalf("the create's fault fired %d times, want 1", n)
				}
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("interrupted apply: %v, want an error containing %q", err, tc.want)
				}
				keys := srv.AccessKeys()
				if len(keys) != 1 {
					t.Fatalf("keys: %+v, want 1", keys)
				}
				if !tc.listFails {
					if keys[0].Fingerprint != mustFingerprint(t, otherKey) {
						t.Errorf("the other party's key was changed: %+v", keys[0])
					}
					if !strings.Contains(err.Error(), "access key "+keys[0].ID+" in ") {
						t.Errorf("the error does not name the other party's key %s: %v", keys[0].ID, err)
					}
				}
				if got := keyIDInState(h); got != "" {
					t.Errorf("state tracks %q", got)
				}
			})
		}
	}
}

// TestAccessKeyProof is the proof as a table: which listed key a create
// may adopt. A generated key is proven by its fingerprint; a supplied key
// must also be new since the listing before the create and carry the label
// and permission sent. (On Data Center a key registered on another scope
// first keeps that scope's label here: such a registration, even this
// request's, is left alone and named, the safe side of the rule.)
func TestAccessKeyProof(t *testing.T) {
	mine, _, _ := generateKeyPair("ED25519")
	other, _, _ := generateKeyPair("ED25519")
	fp, otherFP := mustFingerprint(t, mine), mustFingerprint(t, other)
	in := bitbucket.AccessKeyInput{PublicKey: mine, Label: "ci", Permission: "REPO_READ"}
	for _, tc := range []struct {
		name      string
		generated bool
		key       bitbucket.AccessKey
		before    bool // the key was listed before the create
		want      string
	}{
		{"generated, same key", true, bitbucket.AccessKey{Fingerprint: fp, Label: "other", Permission: "REPO_WRITE"}, false, "own"},
		{"generated, another key with the label", true, bitbucket.AccessKey{Fingerprint: otherFP, Label: "ci", Permission: "REPO_READ"}, false, "other"},
		{"generated, another key, another label", true, bitbucket.AccessKey{Fingerprint: otherFP, Label: "x", Permission: "REPO_READ"}, false, ""},
		{"supplied, new, as sent", false, bitbucket.AccessKey{Fingerprint: fp, Label: "ci", Permission: "REPO_READ"}, false, "own"},
		{"supplied, there before", false, bitbucket.AccessKey{Fingerprint: fp, Label: "ci", Permission: "REPO_READ"}, true, "foreign"},
		{"supplied, new, another label", false, bitbucket.AccessKey{Fingerprint: fp, Label: "x", Permission: "REPO_READ"}, false, "foreign"},
		{"supplied, new, another permission", false, bitbucket.AccessKey{Fingerprint: fp, Label: "ci", Permission: "REPO_WRITE"}, false, "foreign"},
		{"supplied, another key with the label", false, bitbucket.AccessKey{Fingerprint: otherFP, Label: "ci", Permission: "REPO_READ"}, false, "other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.key.ID = "7"
			kc := &keyCreate{in: in, generated: tc.generated, fingerprint: fp, ledger: ledgerFor[bitbucket.AccessKey](&createLedger{}, "test")}
			if !tc.generated {
				kc.before = map[string]bool{"7": tc.before}
			}
			kc.p = kc.proof()
			kc.p.list = func(context.Context) ([]bitbucket.AccessKey, error) { return []bitbucket.AccessKey{tc.key}, nil }
			f, err := kc.p.look(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			switch {
			case len(f.proven) == 1:
				got = "own"
			case kc.registered(f.unproven) != nil:
				got = "foreign"
			case len(f.unproven) == 1:
				got = "other"
			}
			if got != tc.want {
				t.Errorf("sorted as %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAccessKeyLostAnswerLeavesKeyRegisteredBefore: a supplied key that
// was registered by hand, with the configured label and permission, before
// the create; the create is refused and its answer lost. The provider must
// not adopt the hand-made registration: it names it.
func TestAccessKeyLostAnswerLeavesKeyRegisteredBefore(t *testing.T) {
	for _, subject := range accessKeyMatrixSubjects() {
		if subject.name != "repository_access_key" {
			continue
		}
		t.Run(string(subject.product), func(t *testing.T) {
			t.Parallel()
			srv := emulator.NewTestServer(t, emulator.Options{Product: subject.product})
			h := newProtocolHarness(t, subject.typeName, matrixProviderConfig(srv))
			config := subject.config(false)
			public, _, err := generateKeyPair("ED25519")
			if err != nil {
				t.Fatal(err)
			}
			config["public_key"] = public
			handMade, err := testClient(t, srv).CreateAccessKey(t.Context(), bitbucket.AccessKeyScope{Workspace: config["workspace"].(string), Repository: "api-service"},
				bitbucket.AccessKeyInput{PublicKey: public, Label: "matrix", Permission: "REPO_READ"})
			if err != nil {
				t.Fatal(err)
			}
			srv.InjectFault(emulator.Fault{Method: subject.createMethod, Route: subject.create, Kind: emulator.FaultDropResponse, Times: 1})
			err = h.apply(config)
			if n := srv.FaultsFired(subject.createMethod, subject.create); n != 1 {
				t.Fatalf("the fault fired %d times, want 1", n)
			}
			if err == nil || !strings.Contains(err.Error(), "Access key already registered") || !strings.Contains(err.Error(), "access key "+handMade.ID+" in ") {
				t.Fatalf("apply: %v, want an error naming the hand-made key %s", err, handMade.ID)
			}
			if keys := srv.AccessKeys(); len(keys) != 1 || keys[0].ID != handMade.ID || keys[0].Label != "matrix" {
				t.Errorf("keys: %+v, want the hand-made one unchanged", keys)
			}
			if got := keyIDInState(h); got != "" {
				t.Errorf("state tracks %q", got)
			}
		})
	}
}

// TestAccessKeyCreateRequestCost measures what docs/dev/ownership.md says a
// key create costs: a generated key pair one create and no listing; a
// supplied key one create and one listing of the scope (shared by the
// run's creates of that scope).
func TestAccessKeyCreateRequestCost(t *testing.T) {
	for _, subject := range keyCreateSubjects() {
		for _, supplied := range []bool{false, true} {
			if supplied && subject.typeName == "bitbucket_connection" {
				continue // a connection's key is always generated
			}
			t.Run(subject.name+"/"+string(subject.product)+map[bool]string{true: "/supplied", false: "/generated"}[supplied], func(t *testing.T) {
				t.Parallel()
				srv := emulator.NewTestServer(t, emulator.Options{Product: subject.product})
				h := newProtocolHarness(t, subject.typeName, matrixProviderConfig(srv))
				config := subject.config(false)
				if supplied {
					public, _, err := generateKeyPair("ED25519")
					if err != nil {
						t.Fatal(err)
					}
					config["public_key"] = public
				}
				srv.ResetCounts()
				if err := h.apply(config); err != nil {
					t.Fatal(err)
				}
				posts, lists := srv.RequestCount("POST", subject.create), srv.RequestCount("GET", subject.create)
				wantLists := 0
				switch {
				case supplied:
					wantLists = 1
				case subject.typeName == "bitbucket_connection":
					wantLists = 1 // the connection's own check for a key labelled with its name
				}
				if posts != 1 || lists != wantLists {
					t.Errorf("%d creates and %d listings, want 1 and %d", posts, lists, wantLists)
				}
			})
		}
	}
}

// TestAccessKeyCreatesOfOneRunNeverShareAKey: two creates of one run
// register the same supplied key with the same label and permission on one
// scope (a configuration that names the key twice), each losing its answer.
// The scope keeps one registration; the first create adopts it, and the
// second must not adopt it too (the ledger's claim), or two resources would
// track, and later delete, one key.
func TestAccessKeyCreatesOfOneRunNeverShareAKey(t *testing.T) {
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		t.Run(string(product), func(t *testing.T) {
			t.Parallel()
			srv := emulator.NewTestServer(t, emulator.Options{Product: product})
			data := &providerData{client: testClient(t, srv)}
			subject := accessKeyMatrixSubjects()[map[emulator.Product]int{emulator.Cloud: 0, emulator.DataCenter: 2}[product]]
			scope := bitbucket.AccessKeyScope{Workspace: seededWorkspace(product), Repository: "api-service"}
			public, _, err := generateKeyPair("ED25519")
			if err != nil {
				t.Fatal(err)
			}
			in := bitbucket.AccessKeyInput{PublicKey: public, Label: "twice", Permission: "REPO_READ"}
			srv.InjectFault(emulator.Fault{Method: "POST", Route: subject.create, Kind: emulator.FaultDropResponse, Times: 2})
			first, err := createAccessKey(t.Context(), data, scope, in, false, nil)
			if err != nil {
				t.Fatalf("the first create: %v", err)
			}
			second, err := createAccessKey(t.Context(), data, scope, in, false, nil)
			if err == nil {
				t.Fatalf("the second create adopted key %s, which the first (%s) already tracks", second.ID, first.ID)
			}
			if !strings.Contains(err.Error(), "already access key "+first.ID+" of") || !strings.Contains(err.Error(), "taken by another resource of this run") {
				t.Errorf("the second create's error does not name key %s as the first's: %v", first.ID, err)
			}
			if n := srv.FaultsFired("POST", subject.create); n != 2 {
				t.Errorf("the fault fired %d times, want 2", n)
			}
			if keys := srv.AccessKeys(); len(keys) != 1 || keys[0].ID != first.ID {
				t.Errorf("keys %+v, want the first create's only", keys)
			}
		})
	}
}
