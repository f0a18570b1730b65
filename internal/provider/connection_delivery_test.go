package provider

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestAccConnectionDeliveryCheck: with check_webhook_delivery, a refresh
// after a failed delivery warns with the receiver's status and the time; after
// a successful one it is silent. On Cloud the setting is a plan-time error.
func TestAccConnectionDeliveryCheck(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	rcv := emulator.NewReceiver(t, http.StatusOK)
	h := newCLIHarness(t, guideEnv(srv))
	h.writeConfig(`
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}
variable "url" { type = string }
resource "bitbucket_connection" "ci" {
  name       = "ci-service"
  repository = "api-service"
  managed_token = {
    level       = "repository"
    permissions = ["REPO_READ"]
  }
  webhook = {
    url    = var.url
    events = ["repo:refs_changed"]
  }
  check_webhook_delivery = true
}
`)
	vars := []string{"-var", "url=" + rcv.URL}
	if out, err := h.terraform(nil, append([]string{"apply", "-auto-approve"}, vars...)...); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	const warning = "The webhook's last delivery failed"

	rcv.SetStatus(http.StatusBadGateway)
	invs, err := srv.TriggerWebhookEvent("PRJ", "api-service", "repo:refs_changed")
	if err != nil || len(invs) != 1 {
		t.Fatalf("trigger: %v %+v", err, invs)
	}
	out, err := h.terraform(nil, append([]string{"plan"}, vars...)...)
	wantTime := invs[0].Start.UTC().Format("2006-01-02T15:04:05Z")
	if err != nil || !strings.Contains(out, warning) || !strings.Contains(out, "HTTP 502") || !strings.Contains(out, wantTime) ||
		!strings.Contains(out, "No delivery has succeeded yet") {
		t.Errorf("plan after a failed delivery: err %v, want the warning naming HTTP 502 at %s\n%s", err, wantTime, out)
	}

	rcv.SetStatus(http.StatusOK)
	if _, err := srv.TriggerWebhookEvent("PRJ", "api-service", "repo:refs_changed"); err != nil {
		t.Fatal(err)
	}
	out, err = h.terraform(nil, append([]string{"plan", "-detailed-exitcode"}, vars...)...)
	if err != nil || strings.Contains(out, warning) {
		t.Errorf("plan after a successful delivery: exit %d, want 0 and no warning\n%s", exitCode(err), out)
	}
	if out, err := h.terraform(nil, append([]string{"destroy", "-auto-approve"}, vars...)...); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}

	cloud := startEmulator(t, emulator.Cloud)
	hc := newCLIHarness(t, map[string]string{"BITBUCKET_BASE_URL": cloud.BaseURL(), "BITBUCKET_PRODUCT": "cloud",
		"BITBUCKET_USERNAME": emulator.CloudOwnerEmail, "BITBUCKET_TOKEN": emulator.CloudOwnerAPIToken, "BITBUCKET_WORKSPACE": "acme"})
	hc.writeConfig(`
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}
resource "bitbucket_connection" "ci" {
  name       = "ci-service"
  repository = "` + emulator.CloudRepository + `"
  token      = "supplied"
  webhook = {
    url    = "https://ci.example.com/hook"
    events = ["repo:push"]
  }
  check_webhook_delivery = true
}
`)
	out, err = hc.terraform(nil, "plan")
	if err == nil || !strings.Contains(out, "No webhook delivery history on Bitbucket Cloud") {
		t.Errorf("Cloud: err %v\n%s", err, out)
	}
}

// TestAccConnectionCheckAction: the action checks the connection's
// credential and has Bitbucket test its webhook, on demand: it passes while
// both work, fails with the receiver's status when the service answers 5xx,
// and fails naming the credential once the token is revoked. On Cloud a
// webhook test is a plan-time error.
func TestAccConnectionCheckAction(t *testing.T) {
	bin := useTerraformAtLeast(t, terraformActions, "actions (bitbucket_connection_check)")
	srv := startEmulator(t, emulator.DataCenter)
	rcv := emulator.NewReceiver(t, http.StatusOK)
	h := newCLIHarness(t, guideEnv(srv))
	h.bin = bin
	h.writeConfig(`
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}
variable "url" { type = string }
resource "bitbucket_connection" "ci" {
  name       = "ci-service"
  repository = "api-service"
  managed_token = {
    level       = "repository"
    permissions = ["REPO_READ"]
  }
  webhook = {
    url    = var.url
    events = ["repo:refs_changed"]
  }
}
action "bitbucket_connection_check" "ci" {
  config {
    repository = "api-service"
    token      = bitbucket_connection.ci.token
    webhook_id = bitbucket_connection.ci.webhook_id
  }
}
`)
	vars := []string{"-var", "url=" + rcv.URL}
	run := func(args ...string) (string, error) { return h.terraform(nil, append(args, vars...)...) }
	if out, err := run("apply", "-auto-approve"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	invoke := []string{"apply", "-auto-approve", "-invoke=action.bitbucket_connection_check.ci"}
	out, err := run(invoke...)
	if err != nil || !strings.Contains(out, "The credential reads PRJ/api-service") {
		t.Fatalf("check of a working connection: %v\n%s", err, out)
	}
	for _, tok := range srv.AccessTokens() {
		if tok.Token != "" && strings.Contains(out, tok.Token) {
			t.Errorf("the token's value is in the output:\n%s", out)
		}
	}
	before := len(rcv.Received())
	rcv.SetStatus(http.StatusInternalServerError)
	if out, err := run(invoke...); err == nil || !strings.Contains(out, "answered HTTP 500") {
		t.Errorf("check with a failing service: err %v\n%s", err, out)
	}
	if len(rcv.Received()) != before+1 {
		t.Errorf("the service got %d test requests, want 1", len(rcv.Received())-before)
	}
	rcv.SetStatus(http.StatusOK)
	for _, tok := range srv.AccessTokens() {
		if err := srv.RevokeAccessToken(tok.ID); err != nil {
			t.Fatal(err)
		}
	}
	// Without a refresh the action checks the token recorded in state (a
	// refresh would find it revoked, warn, and leave no token to check).
	if out, err := run(append(invoke, "-refresh=false")...); err == nil || !strings.Contains(out, "does not reach PRJ/api-service") {
		t.Errorf("check with a revoked token: err %v\n%s", err, out)
	}

	cloud := startEmulator(t, emulator.Cloud)
	hc := newCLIHarness(t, map[string]string{"BITBUCKET_BASE_URL": cloud.BaseURL(), "BITBUCKET_PRODUCT": "cloud",
		"BITBUCKET_USERNAME": emulator.CloudOwnerEmail, "BITBUCKET_TOKEN": emulator.CloudOwnerAPIToken, "BITBUCKET_WORKSPACE": "acme"})
	hc.bin = bin
	hc.writeConfig(`
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}
action "bitbucket_connection_check" "ci" {
  config {
    repository = "` + emulator.CloudRepository + `"
    webhook_id = "{00000000-0000-4000-8000-000000000000}"
  }
}
`)
	if out, err := hc.terraform(nil, "plan", "-invoke=action.bitbucket_connection_check.ci"); err == nil || !strings.Contains(out, "Bitbucket Cloud cannot test a webhook") {
		t.Errorf("Cloud webhook check: err %v\n%s", err, out)
	}
}
