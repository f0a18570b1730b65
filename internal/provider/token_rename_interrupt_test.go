package provider

import (
	"context"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestTokenRenameInterrupted: Ctrl-C arrives while the rename of a token
// just created under its creation name is on its way; the server applies the
// rename. The create's answer (and the token's value) is already in hand, so
// the provider finishes on a context of its own (recoveryContext): the token
// is kept under the configured name with its value, not revoked or left
// under its creation name.
func TestTokenRenameInterrupted(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
	client := testClient(t, srv)
	subject := accessTokenMatrixSubjects()[0]
	srv.InjectFault(emulator.Fault{Method: "POST", Route: subject.item, Kind: emulator.FaultLateAnswer, Delay: 2 * time.Second, Times: 1})
	if subject.name != "project_access_token" {
		t.Fatalf("subject %s", subject.name)
	}
	scope := bitbucket.TokenScope{Level: bitbucket.TokenLevelProject, Workspace: "PRJ"}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for srv.FaultsFired("POST", subject.item) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	tok, err := createAccessToken(ctx, client, scope, bitbucket.AccessTokenInput{Name: "renamed", Permissions: []string{"PROJECT_READ"}})
	if srv.FaultsFired("POST", subject.item) != 1 {
		t.Fatalf("the rename fault fired %d times", srv.FaultsFired("POST", subject.item))
	}
	live := tokensNamed(srv, "renamed")
	if err != nil || tok == nil || tok.Token == "" || tok.Name != "renamed" {
		t.Fatalf("create: %+v, %v (tokens %+v)", tok, err, live)
	}
	if len(live) != 1 || live[0].ID != tok.ID || live[0].Name != "renamed" {
		t.Errorf("tokens %+v", live)
	}
}
