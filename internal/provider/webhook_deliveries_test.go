package provider

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// deliveriesConfig has a repository and a project webhook pointing at url,
// check blocks over their deliveries, and the test actions: on the webhooks,
// on a URL alone, and after create/update of the repository webhook.
const deliveriesConfig = `
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}

variable "url" { type = string }

resource "bitbucket_repository_webhook" "ci" {
  repository = "api-service"
  name       = "ci"
  url        = var.url
  events     = ["repo:refs_changed"]
  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.bitbucket_webhook_test.url]
    }
  }
}

resource "bitbucket_workspace_webhook" "ci" {
  name   = "ci-project"
  url    = var.url
  events = ["repo:refs_changed"]
}

check "repository_webhook_delivers" {
  data "bitbucket_webhook_deliveries" "repo" {
    repository = "api-service"
    webhook_id = bitbucket_repository_webhook.ci.id
  }
  assert {
    condition     = data.bitbucket_webhook_deliveries.repo.healthy
    error_message = "repository webhook: last delivery ${jsonencode(data.bitbucket_webhook_deliveries.repo.last_delivery)}"
  }
  assert {
    condition     = data.bitbucket_webhook_deliveries.repo.last_success != null
    error_message = "repository webhook: no successful delivery"
  }
}

check "project_webhook_delivers" {
  data "bitbucket_webhook_deliveries" "project" {
    webhook_id = bitbucket_workspace_webhook.ci.id
  }
  assert {
    condition     = data.bitbucket_webhook_deliveries.project.healthy
    error_message = "project webhook: last delivery ${jsonencode(data.bitbucket_webhook_deliveries.project.last_delivery)}"
  }
}

action "bitbucket_webhook_test" "repo" {
  config {
    repository = "api-service"
    webhook_id = bitbucket_repository_webhook.ci.id
  }
}

action "bitbucket_webhook_test" "project" {
  config {
    webhook_id = bitbucket_workspace_webhook.ci.id
  }
}

action "bitbucket_webhook_test" "url" {
  config {
    repository = "api-service"
    url        = var.url
  }
}
`

// TestAccWebhookDeliveriesAndTestAction: against a receiver that fails, the
// check blocks warn with the receiver's status and the test action fails
// saying what came back; once it answers 2xx both are quiet. The action also
// runs from action_trigger after the webhook is created.
func TestAccWebhookDeliveriesAndTestAction(t *testing.T) {
	bin := useTerraformAtLeast(t, terraformActions, "actions (bitbucket_webhook_test)")
	srv := startEmulator(t, emulator.DataCenter)
	srv.SetWebhookTimeout(2 * time.Second)
	rcv := emulator.NewReceiver(t, http.StatusOK)
	h := newCLIHarness(t, guideEnv(srv))
	h.bin = bin
	h.writeConfig(deliveriesConfig)
	vars := []string{"-var", "url=" + rcv.URL}
	run := func(args ...string) (string, error) {
		t.Helper()
		return h.terraform(nil, append(args, vars...)...)
	}
	if out, err := h.terraform(nil, "init"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	out, err := run("apply", "-auto-approve")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	checkActionTriggerPinged(t, rcv, out)
	checkFailingReceiverReported(t, h, srv, rcv, run)
	checkHealthyReceiverQuiet(t, h, srv, rcv, run)
	if out, err := run("destroy", "-auto-approve"); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
}

// deliveriesRun runs terraform with the test's variables.
type deliveriesRun func(args ...string) (string, error)

// checkActionTriggerPinged: the action ran once from action_trigger after
// the create (out is that apply's output).
func checkActionTriggerPinged(t *testing.T, rcv *emulator.Receiver, out string) {
	t.Helper()
	pings := 0
	for _, r := range rcv.Received() {
		if r.EventKey == emulator.PingEvent {
			pings++
		}
	}
	if pings != 1 {
		t.Errorf("action_trigger after create: the receiver got %d test requests, want 1\n%s", pings, out)
	}
}

// checkFailingReceiverReported: with the receiver answering 503 (then
// hanging), the checks fail in the saved plan and every action invocation
// fails saying what came back.
func checkFailingReceiverReported(t *testing.T, h *cliHarness, srv *emulator.Server, rcv *emulator.Receiver, run deliveriesRun) {
	t.Helper()
	// The receiver fails: deliveries are recorded as failures.
	rcv.SetStatus(http.StatusServiceUnavailable)
	if _, err := srv.TriggerWebhookEvent("PRJ", "api-service", "repo:refs_changed"); err != nil {
		t.Fatal(err)
	}
	out, err := run("plan", "-detailed-exitcode", "-out=tfplan")
	if exitCode(err) == 1 {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	if failed := failedChecks(t, h); len(failed) != 2 {
		t.Errorf("the saved plan reports failed checks %v, want both (the guide's job reads them)", failed)
	}
	for _, want := range []string{`Check block assertion failed`, `repository webhook: last delivery`, `project webhook: last delivery`, `"status_code":503`} {
		if !strings.Contains(out, want) {
			t.Errorf("plan after failed deliveries lacks %q:\n%s", want, out)
		}
	}
	for _, name := range []string{"repo", "project", "url"} {
		out, err = run("apply", "-auto-approve", "-invoke=action.bitbucket_webhook_test."+name)
		if err == nil || !strings.Contains(out, "answered HTTP 503") || !strings.Contains(out, rcv.URL) {
			t.Errorf("invoke %s against a 503 receiver: err %v\n%s", name, err, out)
		}
	}
	rcv.Hang()
	out, err = run("apply", "-auto-approve", "-invoke=action.bitbucket_webhook_test.url")
	if err == nil || !strings.Contains(out, "did not answer") || !strings.Contains(out, "timed out") {
		t.Errorf("invoke against a receiver that does not answer: err %v\n%s", err, out)
	}
}

// checkHealthyReceiverQuiet: once the receiver answers 2xx, the checks and
// every action invocation pass.
func checkHealthyReceiverQuiet(t *testing.T, h *cliHarness, srv *emulator.Server, rcv *emulator.Receiver, run deliveriesRun) {
	t.Helper()
	// Healthy again.
	rcv.SetStatus(http.StatusOK)
	if _, err := srv.TriggerWebhookEvent("PRJ", "api-service", "repo:refs_changed"); err != nil {
		t.Fatal(err)
	}
	// Exit code 2 is allowed: Terraform plans a check block's data source to
	// be read again during apply (hashicorp/terraform#36536), so the guide's
	// job reads the check results from the plan instead.
	out, err := run("plan", "-detailed-exitcode", "-out=tfplan")
	if exitCode(err) == 1 || strings.Contains(out, "Check block assertion failed") {
		t.Errorf("plan after a successful delivery: exit %d\n%s", exitCode(err), out)
	}
	if failed := failedChecks(t, h); len(failed) != 0 {
		t.Errorf("the saved plan reports failed checks %v after a successful delivery", failed)
	}
	for _, name := range []string{"repo", "project", "url"} {
		if out, err = run("apply", "-auto-approve", "-invoke=action.bitbucket_webhook_test."+name); err != nil {
			t.Errorf("invoke %s against a 200 receiver: %v\n%s", name, err, out)
		}
	}
}

// failedChecks reads the saved plan tfplan as the guide's job does
// (terraform show -json; checks[].status == "fail") and names the failed checks.
func failedChecks(t *testing.T, h *cliHarness) []string {
	t.Helper()
	out, err := h.terraform(nil, "show", "-json", "tfplan")
	if err != nil {
		t.Fatalf("show -json: %v\n%s", err, out)
	}
	var plan struct {
		Checks []struct {
			Address struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"address"`
			Status string `json:"status"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &plan); err != nil {
		t.Fatalf("show -json: %v\n%s", err, out)
	}
	var failed []string
	for _, c := range plan.Checks {
		if c.Address.Kind == "check" && c.Status == "fail" {
			failed = append(failed, c.Address.Name)
		}
	}
	return failed
}

// TestAccWebhookDeliveriesCloud: Bitbucket Cloud has neither a delivery
// history nor a test request; the data source and the action say so at plan
// time, and nothing is sent.
func TestAccWebhookDeliveriesCloud(t *testing.T) {
	bin := useTerraformAtLeast(t, terraformActions, "actions (bitbucket_webhook_test)")
	srv := startEmulator(t, emulator.Cloud)
	h := newCLIHarness(t, map[string]string{"BITBUCKET_BASE_URL": srv.BaseURL(), "BITBUCKET_PRODUCT": "cloud",
		"BITBUCKET_USERNAME": emulator.CloudOwnerEmail, "BITBUCKET_TOKEN": emulator.CloudOwnerAPIToken, "BITBUCKET_WORKSPACE": "acme"})
	h.bin = bin
	head := "terraform {\n  required_providers {\n    bitbucket = { source = \"bitbucket-iac/bitbucket\" }\n  }\n}\n"
	h.writeConfig(head + `
data "bitbucket_webhook_deliveries" "x" {
  repository = "` + emulator.CloudRepository + `"
  webhook_id = "{00000000-0000-4000-8000-000000000000}"
}
`)
	out, err := h.terraform(nil, "plan")
	if err == nil || !strings.Contains(out, "No webhook delivery history on Bitbucket Cloud") || !strings.Contains(out, "no webhook delivery history") {
		t.Errorf("Cloud data source: err %v\n%s", err, out)
	}
	h.writeConfig(head + `
action "bitbucket_webhook_test" "x" {
  config {
    repository = "` + emulator.CloudRepository + `"
    url        = "https://ci.example.com/hook"
  }
}
`)
	out, err = h.terraform(nil, "plan", "-invoke=action.bitbucket_webhook_test.x")
	if err == nil || !strings.Contains(out, "Bitbucket Cloud cannot test a webhook") {
		t.Errorf("Cloud action: err %v\n%s", err, out)
	}
	for route := range srv.RequestCounts() {
		if strings.Contains(route, "hooks") {
			t.Errorf("a Cloud webhook route was called: %s", route)
		}
	}
}
