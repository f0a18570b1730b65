package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// ephemeralHarness opens and closes bitbucket_access_token through the
// provider's protocol server, as Terraform core does.
type ephemeralHarness struct {
	t      *testing.T
	srv    *emulator.Server
	server tfprotov6.ProviderServer
	schema *tfprotov6.Schema
}

func newEphemeralHarness(t *testing.T) *ephemeralHarness {
	t.Helper()
	srv := startEmulator(t, emulator.DataCenter)
	h := newProtocolHarness(t, "bitbucket_repository_webhook", matrixProviderConfig(srv))
	schemas, err := h.server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return &ephemeralHarness{t: t, srv: srv, server: h.server, schema: schemas.EphemeralResourceSchemas["bitbucket_access_token"]}
}

// open opens a project token named name; it returns the private data
// Terraform would hand to Close, and the error diagnostics.
func (e *ephemeralHarness) open(ctx context.Context, name string) ([]byte, string) {
	e.t.Helper()
	config, err := objectValue(e.schema, map[string]any{"workspace": "PRJ", "name": name, "permissions": []string{"REPO_READ"}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := e.server.OpenEphemeralResource(ctx, &tfprotov6.OpenEphemeralResourceRequest{
		TypeName: "bitbucket_access_token", Config: dynamic(e.t, e.schema, config)})
	if err != nil {
		e.t.Fatal(err)
	}
	if hasErrors(resp.Diagnostics) {
		return resp.Private, diagnosticsText(resp.Diagnostics)
	}
	return resp.Private, ""
}

// closeWith closes through server with private; it returns the error
// diagnostics.
func closeWith(ctx context.Context, t *testing.T, server tfprotov6.ProviderServer, private []byte) string {
	t.Helper()
	resp, err := server.CloseEphemeralResource(ctx, &tfprotov6.CloseEphemeralResourceRequest{TypeName: "bitbucket_access_token", Private: private})
	if err != nil {
		t.Fatal(err)
	}
	if hasErrors(resp.Diagnostics) {
		return diagnosticsText(resp.Diagnostics)
	}
	return ""
}

// TestEphemeralTokenClose covers Close's paths: a failed revoke (the token
// is named with its expiry, and a later Close still revokes it), a Close
// whose context Terraform has already cancelled (Ctrl-C: the revoke gets a
// budget of its own), an unreadable record, and an unconfigured provider.
func TestEphemeralTokenClose(t *testing.T) {
	t.Run("revoke fails, then succeeds", func(t *testing.T) {
		e := newEphemeralHarness(t)
		private, failed := e.open(context.Background(), "close-fails")
		if failed != "" {
			t.Fatal(failed)
		}
		token := onlyTokenNamed(t, e.srv, "close-fails")
		e.srv.InjectFault(emulator.Fault{Method: "DELETE", Route: projectTokenRoute, Kind: emulator.FaultStatus, Status: http.StatusForbidden})
		got := closeWith(context.Background(), t, e.server, private)
		if !errorText("Ephemeral access token left live", "access token "+token.ID, "stays valid until it expires (at").MatchString(got) {
			t.Errorf("a failed revoke does not name the live token and its expiry:\n%s", got)
		}
		e.srv.ClearFaults()
		onlyTokenNamed(t, e.srv, "close-fails") // still there: the diagnostic was true
		if got := closeWith(context.Background(), t, e.server, private); got != "" {
			t.Fatal(got)
		}
		if n := len(tokensNamed(e.srv, "close-fails")); n != 0 {
			t.Errorf("%d tokens left after a successful Close", n)
		}
	})
	t.Run("close fails, revoked at shutdown", func(t *testing.T) {
		e := newEphemeralHarness(t)
		private, failed := e.open(context.Background(), "close-fails-shutdown")
		if failed != "" {
			t.Fatal(failed)
		}
		e.srv.InjectFault(emulator.Fault{Method: "DELETE", Route: projectTokenRoute, Kind: emulator.FaultStatus, Status: http.StatusForbidden, Times: 1})
		if got := closeWith(context.Background(), t, e.server, private); got == "" {
			t.Fatal("the failed revoke reported no error")
		}
		if errs := RevokeUnclosedEphemeralTokens(context.Background()); len(errs) != 0 {
			t.Fatal(errs)
		}
		if n := len(tokensNamed(e.srv, "close-fails-shutdown")); n != 0 {
			t.Errorf("%d tokens left after the provider shut down", n)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		e := newEphemeralHarness(t)
		private, failed := e.open(context.Background(), "close-interrupted")
		if failed != "" {
			t.Fatal(failed)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if got := closeWith(ctx, t, e.server, private); got != "" {
			t.Errorf("Close after the interrupt: %s", got)
		}
		if n := len(tokensNamed(e.srv, "close-interrupted")); n != 0 {
			t.Errorf("Close with Terraform's context already cancelled left %d tokens live", n)
		}
	})
	t.Run("unreadable record", func(t *testing.T) {
		e := newEphemeralHarness(t)
		private, failed := e.open(context.Background(), "close-unreadable")
		if failed != "" {
			t.Fatal(failed)
		}
		values := privateValues(t, private)
		values[privateEphemeralToken] = []byte(`"garbage"`)
		broken, err := json.Marshal(values)
		if err != nil {
			t.Fatal(err)
		}
		got := closeWith(context.Background(), t, e.server, broken)
		if !errorText("Cannot revoke the ephemeral token", "unreadable", "was not revoked").MatchString(got) {
			t.Errorf("an unreadable record: %q", got)
		}
	})
	t.Run("provider not configured", func(t *testing.T) {
		e := newEphemeralHarness(t)
		private, failed := e.open(context.Background(), "close-unconfigured")
		if failed != "" {
			t.Fatal(failed)
		}
		token := onlyTokenNamed(t, e.srv, "close-unconfigured")
		unconfigured, err := providerserver.NewProtocol6WithError(New("test")())()
		if err != nil {
			t.Fatal(err)
		}
		got := closeWith(context.Background(), t, unconfigured, private)
		if !errorText("Provider not configured", "token "+token.ID, "was not revoked", "stays valid until it expires (at").MatchString(got) {
			t.Errorf("closing on an unconfigured provider: %q", got)
		}
	})
}

// TestEphemeralTokenOpenInterrupted: Terraform is interrupted while the
// token is being made, and the server makes it but answers late. Terraform
// will never close what it never received, so Open revokes it itself.
func TestEphemeralTokenOpenInterrupted(t *testing.T) {
	e := newEphemeralHarness(t)
	e.srv.InjectFault(emulator.Fault{Method: "PUT", Route: projectTokensRoute, Kind: emulator.FaultLateAnswer, Delay: time.Hour, Times: 1})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(tokensOfCreate(e.srv, "open-interrupted")) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	_, failed := e.open(ctx, "open-interrupted")
	if !strings.Contains(failed, "interrupted") {
		t.Errorf("Open's diagnostics do not say it was interrupted: %q", failed)
	}
	if n := len(tokensOfCreate(e.srv, "open-interrupted")); n != 0 {
		t.Errorf("%d tokens live after an interrupted Open: nobody will close them", n)
	}
}
