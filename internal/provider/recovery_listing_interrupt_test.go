package provider

import (
	"context"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestWebhookRecoveryListingInterrupted: the create's answer is lost (the
// hook made), and Ctrl-C arrives while the recovery lists the repository's
// hooks. The listing is done again on a context of its own, and the hook
// made is adopted, not left untracked (docs/dev/ownership.md).
func TestWebhookRecoveryListingInterrupted(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
	data := &providerData{client: testClient(t, srv)}
	route := webhookMatrixSubjects()[2].create
	scope := bitbucket.WebhookScope{Workspace: "PRJ", Repository: "api-service"}
	in := bitbucket.WebhookInput{Name: "x", URL: "https://ci.example.com/x", Events: []string{"repo:refs_changed"}, Active: true}
	if _, err := createWebhook(t.Context(), data, scope, bitbucket.WebhookInput{Name: "y", URL: "https://ci.example.com/y", Events: in.Events, Active: true}, nil, nil); err != nil {
		t.Fatal(err)
	}
	srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: emulator.FaultDropResponse, Times: 1})
	srv.InjectFault(emulator.Fault{Method: "GET", Route: route, Kind: emulator.FaultSlow, Delay: 2 * time.Second, Times: 1})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for srv.FaultsFired("GET", route) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	hook, err := createWebhook(ctx, data, scope, in, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if srv.FaultsFired("GET", route) != 1 || len(srv.Webhooks()) != 2 || hook.Name != "x" {
		t.Errorf("hook %+v; %d hooks on the server; list fault fired %d", hook, len(srv.Webhooks()), srv.FaultsFired("GET", route))
	}
}
