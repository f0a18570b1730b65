package provider

import (
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestConnectionTokenLeftLiveIsRecorded: a connection's managed token is
// created, the rename to the connection's name is refused, and so is the
// revoke: a live token nobody holds. Like bitbucket_*_access_token, the
// connection records it (tainted), so that the next apply revokes it; it
// never leaves its own token untracked (docs/dev/ownership.md).
func TestConnectionTokenLeftLiveIsRecorded(t *testing.T) {
	subject := connectionMatrixSubjects()[0]
	if subject.product != emulator.DataCenter {
		t.Fatalf("subject %s", subject.product)
	}
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
	h := newProtocolHarness(t, subject.typeName, matrixProviderConfig(srv))
	srv.InjectFault(emulator.Fault{Method: "POST", Route: subject.item, Kind: emulator.FaultStatus, Status: 403})
	srv.InjectFault(emulator.Fault{Method: "DELETE", Route: subject.item, Kind: emulator.FaultStatus, Status: 403})
	config := subject.config(false)
	if err := h.apply(config); err == nil {
		t.Fatal("the apply succeeded")
	}
	if srv.FaultsFired("POST", subject.item) == 0 || srv.FaultsFired("DELETE", subject.item) == 0 {
		t.Fatal("the rename or the revoke was never sent")
	}
	live := tokensNamed(srv, "matrix")
	if len(live) != 1 {
		t.Fatalf("tokens %+v", live)
	}
	if got := h.stateString("token_id"); got != live[0].ID {
		t.Fatalf("token %s (%q) is live and untracked: state token_id %q", live[0].ID, live[0].Name, got)
	}
	// Terraform replaces the tainted connection: destroy, then create.
	srv.ClearFaults()
	if err := h.destroy(); err != nil {
		t.Fatal(err)
	}
	if err := h.apply(config); err != nil {
		t.Fatal(err)
	}
	if live := tokensNamed(srv, "matrix"); len(live) != 1 || live[0].Name != "matrix" || h.stateString("token_id") != live[0].ID {
		t.Errorf("tokens after the replacement %+v, state %q", live, h.stateString("token_id"))
	}
}
