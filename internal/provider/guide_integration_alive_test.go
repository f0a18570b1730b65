package provider

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// integrationAliveJob is the scheduled job of docs/guides/integration-alive.md.
const integrationAliveJob = "../../examples/guides/integration-alive/bitbucket-pipelines.yml"

// jobScript reads the script lines of a Bitbucket Pipelines file, in order,
// as the shell runs them (a double-quoted YAML line unquoted).
func jobScript(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var lines []string
	inScript := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "script:":
			inScript = true
		case inScript && strings.HasPrefix(line, "- "):
			cmd := strings.TrimPrefix(line, "- ")
			if strings.HasPrefix(cmd, `"`) {
				if cmd, err = strconv.Unquote(cmd); err != nil {
					t.Fatalf("%s: %q: %v", file, line, err)
				}
			}
			lines = append(lines, cmd)
		case inScript && line != "" && !strings.HasPrefix(line, "#"):
			inScript = false
		}
	}
	if len(lines) == 0 {
		t.Fatalf("%s has no script lines", file)
	}
	return lines
}

// TestAccGuideIntegrationAliveJob runs the guide's scheduled job, line by
// line as the CI runs it (a failing line fails the job), against the
// emulator: it passes when the service is healthy and nothing drifted, and
// fails when the last delivery failed, or when the webhook was changed
// outside Terraform (drift: every plan with a check block exits 2, so the
// exit code alone cannot tell).
func TestAccGuideIntegrationAliveJob(t *testing.T) {
	bin := useTerraformAtLeast(t, terraformActions, "the guide's job (-invoke of an action)")
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("the guide's job reads the saved plan with jq, which is not installed")
	}
	srv := startEmulator(t, emulator.DataCenter)
	srv.SetWebhookTimeout(2 * time.Second)
	rcv := emulator.NewReceiver(t, http.StatusOK)
	moved := emulator.NewReceiver(t, http.StatusOK)
	h := newCLIHarness(t, guideEnv(srv))
	h.bin = bin
	// The job's terraform is the one with actions.
	for i, kv := range h.env {
		if strings.HasPrefix(kv, "PATH=") {
			h.env[i] = "PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + strings.TrimPrefix(kv, "PATH=")
		}
	}
	h.writeConfig(`
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}

resource "bitbucket_repository_webhook" "ci" {
  repository = "api-service"
  name       = "ci"
  url        = "` + rcv.URL + `"
  events     = ["repo:refs_changed"]
}

action "bitbucket_webhook_test" "ci" {
  config {
    repository = "api-service"
    webhook_id = bitbucket_repository_webhook.ci.id
  }
}

check "ci_webhook_delivers" {
  data "bitbucket_webhook_deliveries" "ci" {
    repository = "api-service"
    webhook_id = bitbucket_repository_webhook.ci.id
  }
  assert {
    condition     = data.bitbucket_webhook_deliveries.ci.healthy
    error_message = "The CI webhook's last delivery failed"
  }
}
`)
	if out, err := h.terraform(nil, "apply", "-auto-approve"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	script := jobScript(t, integrationAliveJob)
	// job runs every line; it returns the first failing line and the output.
	job := func() (string, string) {
		t.Helper()
		var all strings.Builder
		for _, line := range script {
			if strings.HasPrefix(line, "terraform init") {
				// dev_overrides stand for the installed provider: no init
				// (docs/guides/local-build.md).
				continue
			}
			cmd := exec.Command("bash", "-c", line)
			cmd.Dir, cmd.Env = h.dir, h.env
			out, err := cmd.CombinedOutput()
			all.WriteString("$ " + line + "\n" + string(out))
			if err != nil {
				return line, all.String()
			}
		}
		return "", all.String()
	}
	trigger := func() {
		t.Helper()
		if _, err := srv.TriggerWebhookEvent("PRJ", "api-service", "repo:refs_changed"); err != nil {
			t.Fatal(err)
		}
	}

	trigger()
	if failed, out := job(); failed != "" {
		t.Fatalf("healthy, nothing drifted: the job failed at %q\n%s", failed, out)
	}

	// The last delivery failed; the service answers again by the time the
	// job runs (its test request passes): the check fails the job.
	rcv.SetStatus(http.StatusBadGateway)
	trigger()
	rcv.SetStatus(http.StatusOK)
	if failed, out := job(); !strings.Contains(failed, ".checks[]") || !strings.Contains(out, "check.ci_webhook_delivers") {
		t.Errorf("the last delivery failed: the job failed at %q, want the check line naming the check\n%s", failed, out)
	}
	trigger()
	if failed, out := job(); failed != "" {
		t.Fatalf("delivered again: the job failed at %q\n%s", failed, out)
	}

	// Someone points the webhook at another (answering) URL: drift.
	hooks := srv.Webhooks()
	if len(hooks) != 1 {
		t.Fatalf("want 1 webhook, have %d", len(hooks))
	}
	if err := srv.UpdateWebhook(hooks[0].ID, func(w *emulator.Webhook) { w.URL = moved.URL }); err != nil {
		t.Fatal(err)
	}
	if failed, out := job(); !strings.Contains(failed, ".resource_changes[]") || !strings.Contains(out, "bitbucket_repository_webhook.ci") {
		t.Errorf("the webhook's URL was changed outside Terraform: the job failed at %q, want the drift line naming the webhook\n%s", failed, out)
	}
}
