package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestAccInterruptedApply: `terraform apply` is interrupted (SIGINT, as
// Ctrl-C or a cancelled CI job sends it) while Bitbucket is creating a
// webhook, a repository and a project access key, a connection's managed
// access key and, on Data Center, a project token. The server has made them
// at once and answers late (FaultLateAnswer), so the provider's requests
// lose their answers. The next apply must leave no duplicate webhook or
// access key, every key in state, no connection refused as existing, no
// live token whose value nobody holds, and must never take over or revoke
// the hand-made webhook, token and key of the same name that were there
// before.
func TestAccInterruptedApply(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		t.Parallel()
		srv := startEmulator(t, product)
		ws := seededWorkspace(product)
		env := map[string]string{"BITBUCKET_BASE_URL": srv.BaseURL(), "BITBUCKET_WORKSPACE": ws}
		cfg := bitbucket.Config{BaseURL: srv.BaseURL(), RequestTimeout: 10 * time.Second}
		if product == emulator.Cloud {
			env["BITBUCKET_PRODUCT"], env["BITBUCKET_USERNAME"], env["BITBUCKET_TOKEN"] = "cloud", emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
			cfg.Product, cfg.Username, cfg.Token = bitbucket.ProductCloud, emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
		} else {
			env["BITBUCKET_USERNAME"], env["BITBUCKET_TOKEN"] = emulator.DCAdminUser, emulator.DCAdminPassword
			cfg.Product, cfg.Username, cfg.Token = bitbucket.ProductDataCenter, emulator.DCAdminUser, emulator.DCAdminPassword
		}
		h := newCLIHarness(t, env)
		ctx := context.Background()
		client, err := bitbucket.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}

		// Hand-made objects with the names, URL and events the configuration uses.
		events := []string{map[emulator.Product]string{emulator.Cloud: "repo:push", emulator.DataCenter: "repo:refs_changed"}[product]}
		scope := bitbucket.WebhookScope{Workspace: ws, Repository: "api-service"}
		handMadeHook, err := client.CreateWebhook(ctx, scope, bitbucket.WebhookInput{
			Name: "interrupted", URL: "https://ci.example.com/hook", Events: events, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		keyScope := bitbucket.AccessKeyScope{Workspace: ws, Repository: "api-service"}
		otherPublic, _, err := generateKeyPair("ED25519")
		if err != nil {
			t.Fatal(err)
		}
		handMadeKey, err := client.CreateAccessKey(ctx, keyScope, bitbucket.AccessKeyInput{PublicKey: otherPublic, Label: "interrupted"})
		if err != nil {
			t.Fatal(err)
		}
		projectKeyProject := map[emulator.Product]string{emulator.Cloud: `
  project = "API"`}[product]
		config := fmt.Sprintf(`
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}

resource "bitbucket_repository_webhook" "test" {
  repository = "api-service"
  name       = "interrupted"
  url        = "https://ci.example.com/hook"
  events     = %s
}

resource "bitbucket_repository_access_key" "test" {
  repository = "api-service"
  label      = "interrupted"
}

resource "bitbucket_project_access_key" "test" {
  label   = "interrupted"%s
}

resource "bitbucket_connection" "ssh" {
  name               = "interrupted-ssh"
  repository         = "api-service"
  managed_access_key = { level = "repository" }
}
`, pushEvents(product), projectKeyProject)
		hooksRoute := map[emulator.Product]string{
			emulator.Cloud:      "/2.0/repositories/{workspace}/{repo_slug}/hooks",
			emulator.DataCenter: "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/webhooks",
		}[product]
		srv.InjectFault(emulator.Fault{Method: "POST", Route: hooksRoute, Kind: emulator.FaultLateAnswer, Delay: 10 * time.Minute, Times: 1})
		keysRoutes := map[emulator.Product][2]string{
			emulator.Cloud:      {"/2.0/repositories/{workspace}/{repo_slug}/deploy-keys", "/2.0/workspaces/{workspace}/projects/{project_key}/deploy-keys"},
			emulator.DataCenter: {"/rest/keys/1.0/projects/{projectKey}/repos/{repositorySlug}/ssh", "/rest/keys/1.0/projects/{projectKey}/ssh"},
		}[product]
		// The repository's route serves the repository key and the connection's.
		srv.InjectFault(emulator.Fault{Method: "POST", Route: keysRoutes[0], Kind: emulator.FaultLateAnswer, Delay: 10 * time.Minute, Times: 2})
		srv.InjectFault(emulator.Fault{Method: "POST", Route: keysRoutes[1], Kind: emulator.FaultLateAnswer, Delay: 10 * time.Minute, Times: 1})
		wantObjects := 2 + 4 // the hand-made hook and ours; the hand-made key and three of ours
		var handMadeToken *bitbucket.AccessToken
		if product == emulator.DataCenter {
			tokenScope := bitbucket.TokenScope{Level: bitbucket.TokenLevelProject, Workspace: ws}
			handMadeToken, err = client.CreateAccessToken(ctx, tokenScope, bitbucket.AccessTokenInput{
				Name: "interrupted", Permissions: []string{"PROJECT_READ"}})
			if err != nil {
				t.Fatal(err)
			}
			// An ephemeral token signs the hook: opened before the create,
			// it must be revoked although the run is interrupted.
			config += `
resource "bitbucket_project_access_token" "test" {
  name        = "interrupted"
  permissions = ["PROJECT_READ"]
}

ephemeral "bitbucket_access_token" "signing" {
  repository  = "api-service" # a route without the fault
  name        = "interrupted-ephemeral"
  permissions = ["REPO_READ"]
}
`
			config = strings.Replace(config, `  events     = ["repo:refs_changed"]
`, `  events     = ["repo:refs_changed"]
  secret_wo         = ephemeral.bitbucket_access_token.signing.token
  secret_wo_version = 1
`, 1)
			srv.InjectFault(emulator.Fault{Method: "PUT", Route: projectTokensRoute, Kind: emulator.FaultLateAnswer, Delay: 10 * time.Minute, Times: 1})
			wantObjects += 2 // the hand-made token and ours
		}
		h.writeConfig(config) // dev_overrides: no terraform init

		// The first apply: interrupted once the server has made everything
		// and is holding back the answers.
		out := h.interruptWhen(t, func() bool {
			return len(srv.Webhooks())+len(tokensOfCreate(srv, "interrupted"))+len(srv.AccessKeys()) >= wantObjects
		}, "apply", "-auto-approve", "-input=false")
		t.Logf("interrupted apply:\n%s", out)
		srv.ClearFaults()
		if live := tokensOfCreate(srv, "interrupted-ephemeral"); len(live) != 0 {
			t.Errorf("the interrupted run left its ephemeral tokens live: %+v", live)
		}

		// The second apply finishes the job.
		if out, err := h.terraform(nil, "apply", "-auto-approve", "-input=false"); err != nil {
			t.Fatalf("the apply after the interrupted one failed: %v\n%s", err, out)
		}
		state := h.stateResources(t)

		hooks := srv.Webhooks()
		if len(hooks) != 2 {
			t.Fatalf("webhooks after the second apply: %+v, want the hand-made one and one managed", hooks)
		}
		hand, ok := srv.Webhook(handMadeHook.ID)
		if !ok || hand.Name != "interrupted" || hand.URL != "https://ci.example.com/hook" {
			t.Errorf("the hand-made webhook %s was changed or deleted: %+v", handMadeHook.ID, hand)
		}
		managedHook := state["bitbucket_repository_webhook.test"]["id"]
		if managedHook == "" || managedHook == handMadeHook.ID {
			t.Errorf("state tracks webhook %q; the hand-made one is %s", managedHook, handMadeHook.ID)
		}
		for _, hook := range hooks {
			if hook.ID != handMadeHook.ID && hook.ID != managedHook {
				t.Errorf("webhook %s is neither hand-made nor in state", hook.ID)
			}
		}

		// Each key once, in state; the hand-made one unchanged.
		if n := srv.FaultsFired("POST", keysRoutes[0]) + srv.FaultsFired("POST", keysRoutes[1]); n != 3 {
			t.Errorf("the late answers met %d key creates, want 3", n)
		}
		if conn := state["bitbucket_connection.ssh"]; conn["status"] != "" || conn["access_key_id"] == "" {
			t.Errorf("the connection after the second apply: %v", conn)
		}
		tracked := map[string]string{
			state["bitbucket_repository_access_key.test"]["id"]: "the repository key",
			state["bitbucket_project_access_key.test"]["id"]:    "the project key",
			state["bitbucket_connection.ssh"]["access_key_id"]:  "the connection's key",
			handMadeKey.ID: "the hand-made key",
		}
		keys := srv.AccessKeys()
		if len(keys) != 4 || len(tracked) != 4 {
			t.Errorf("access keys after the second apply: %+v; state tracks %v: want the hand-made one and three in state", keys, tracked)
		}
		for _, k := range keys {
			switch {
			case tracked[k.ID] == "":
				t.Errorf("access key %s (label %q) is registered but in no state", k.ID, k.Label)
			case k.ID == handMadeKey.ID && (k.Label != "interrupted" || k.Fingerprint != handMadeKey.Fingerprint):
				t.Errorf("the hand-made key was changed: %+v", k)
			}
		}

		if handMadeToken != nil {
			tokens := tokensOfCreate(srv, "interrupted")
			if len(tokens) != 2 {
				t.Fatalf("tokens after the second apply: %+v, want the hand-made one and one managed", tokens)
			}
			managed := state["bitbucket_project_access_token.test"]
			for _, tok := range tokens {
				switch {
				case tok.ID == handMadeToken.ID:
					if tok.Token != handMadeToken.Token {
						t.Errorf("the hand-made token was replaced")
					}
				case tok.ID != managed["id"]:
					t.Errorf("token %s is live, neither hand-made nor in state: nobody holds its value", tok.ID)
				case tok.Token != managed["token"]:
					t.Errorf("token %s is in state without its value", tok.ID)
				}
			}
		}
	})
}

// interruptWhen runs terraform with args and sends it SIGINT once ready
// reports true, as Ctrl-C does; it returns what terraform printed.
func (h *cliHarness) interruptWhen(t *testing.T, ready func() bool, args ...string) string {
	t.Helper()
	cmd := exec.Command("terraform", append(args, "-no-color")...)
	cmd.Dir = h.dir
	cmd.Env = h.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(2 * time.Minute)
	for !ready() {
		select {
		case err := <-done:
			t.Fatalf("terraform %v ended before it could be interrupted (%v):\n%s", args, err, out.String())
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("terraform %v never reached the point to interrupt:\n%s", args, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Logf("terraform %v after the interrupt: %v", args, err)
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("terraform %v did not stop after the interrupt:\n%s", args, out.String())
	}
	return out.String()
}

// stateResources reads terraform.tfstate: resource address -> attribute ->
// value (strings only).
func (h *cliHarness) stateResources(t *testing.T) map[string]map[string]string {
	t.Helper()
	raw, err := os.ReadFile(h.dir + "/terraform.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Resources []struct {
			Type, Name string
			Instances  []struct {
				Attributes map[string]any `json:"attributes"`
				Status     string         `json:"status"`
			}
		}
	}
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, r := range state.Resources {
		for _, inst := range r.Instances {
			attrs := map[string]string{"status": inst.Status}
			for k, v := range inst.Attributes {
				if s, ok := v.(string); ok {
					attrs[k] = s
				}
			}
			out[r.Type+"."+r.Name] = attrs
		}
	}
	return out
}

// TestLostCreateAnswerLeavesHandMadeObjects: a create whose answer is lost
// (the server made the object and dropped the connection) is resolved by
// adopting the webhook, or revoking the token, that this create made; the
// hand-made webhook and token of the same name that were there before are
// never adopted, changed or revoked.
func TestLostCreateAnswerLeavesHandMadeObjects(t *testing.T) {
	for _, tc := range []struct {
		product          emulator.Product
		typeName, method string
		route            string
		config           map[string]any
	}{
		{emulator.Cloud, "bitbucket_repository_webhook", "POST", "/2.0/repositories/{workspace}/{repo_slug}/hooks",
			map[string]any{"workspace": "acme", "repository": "api-service", "name": "lost", "url": "https://ci.example.com/hook", "events": []string{"repo:push"}}},
		{emulator.DataCenter, "bitbucket_repository_webhook", "POST", "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/webhooks",
			map[string]any{"workspace": "PRJ", "repository": "api-service", "name": "lost", "url": "https://ci.example.com/hook", "events": []string{"repo:refs_changed"}}},
		{emulator.DataCenter, "bitbucket_project_access_token", "PUT", projectTokensRoute,
			map[string]any{"workspace": "PRJ", "name": "lost", "permissions": []string{"PROJECT_READ"}}},
	} {
		t.Run(tc.typeName+"/"+string(tc.product), func(t *testing.T) {
			t.Parallel()
			srv := startEmulator(t, tc.product)
			h := newProtocolHarness(t, tc.typeName, matrixProviderConfig(srv))
			// The hand-made twin, made through the provider itself, then
			// forgotten by it.
			if err := h.apply(tc.config); err != nil {
				t.Fatal(err)
			}
			_, handMade := h.inState()
			h.state = tftypes.NewValue(h.objType, nil)
			srv.InjectFault(emulator.Fault{Method: tc.method, Route: tc.route, Kind: emulator.FaultDropResponse, Times: 1})
			err := h.apply(tc.config)
			if err != nil {
				t.Fatalf("the apply whose create answer was lost: %v", err)
			}
			_, managed := h.inState()
			var ids []string
			if tc.typeName == "bitbucket_project_access_token" {
				for _, tok := range tokensOfCreate(srv, "lost") {
					ids = append(ids, tok.ID)
				}
			} else {
				for _, hook := range srv.Webhooks() {
					ids = append(ids, hook.ID)
				}
			}
			if len(ids) != 2 || !slices.Contains(ids, handMade) || !slices.Contains(ids, managed) || managed == handMade {
				t.Errorf("server holds %v; want the hand-made %s and the managed %s", ids, handMade, managed)
			}
		})
	}
}
