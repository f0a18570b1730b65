package provider

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// secretsAuditRun collects everything a user, a CI log or a support bundle
// would see: the output of every command and the TF_LOG=trace files.
type secretsAuditRun struct {
	h       *cliHarness
	logDir  string
	outputs []string
	step    int
}

func (r *secretsAuditRun) run(t *testing.T, wantErr bool, args ...string) string {
	t.Helper()
	r.step++
	logFile := filepath.Join(r.logDir, fmt.Sprintf("%02d-%s.log", r.step, args[0]))
	out, err := r.h.terraform([]string{"TF_LOG=trace", "TF_LOG_PATH=" + logFile}, args...)
	if (err != nil) != wantErr {
		t.Fatalf("terraform %s: err = %v (want error: %v)\n%s", strings.Join(args, " "), err, wantErr, out)
	}
	r.outputs = append(r.outputs, out)
	return out
}

// check fails the test for every secret found in any captured text, and
// proves the capture is not empty: the logs hold the provider's own trace
// lines (requests it sent), so a secret there would have been seen.
func (r *secretsAuditRun) check(t *testing.T, secrets map[string]string) {
	t.Helper()
	texts := map[string]string{}
	for i, out := range r.outputs {
		texts[fmt.Sprintf("output of command %d", i+1)] = out
	}
	logs, _ := filepath.Glob(filepath.Join(r.logDir, "*.log"))
	providerLines := 0
	for _, f := range logs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts["log "+filepath.Base(f)] = string(b)
		providerLines += strings.Count(string(b), "Sending Bitbucket API request")
	}
	if providerLines == 0 {
		t.Fatalf("the TF_LOG=trace files hold no line of the provider's HTTP logging: the audit would prove nothing")
	}
	for where, text := range texts {
		for what, secret := range secrets {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("%s (%q) appears in the %s", what, secret, where)
			}
		}
	}
	t.Logf("audited %d outputs and %d log files (%d provider log lines) for %d secrets", len(r.outputs), len(logs), providerLines, len(secrets))
}

// TestSecretsAudit applies, refreshes, plans and destroys every resource
// kind with TF_LOG=trace and fails if a configured credential, a webhook
// secret or a token value shows up in any output, diagnostic or log.
func TestSecretsAudit(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		ws := seededWorkspace(product)
		env := map[string]string{"BITBUCKET_BASE_URL": srv.BaseURL(), "BITBUCKET_WORKSPACE": ws}
		secrets := map[string]string{"webhook secret": "audit-webhook-secret-5c1e", "write-only webhook secret": "audit-write-only-secret-9a7d"}
		if product == emulator.Cloud {
			env["BITBUCKET_PRODUCT"], env["BITBUCKET_USERNAME"], env["BITBUCKET_TOKEN"] = "cloud", emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
			secrets["provider API token"] = emulator.CloudOwnerAPIToken
		} else {
			env["BITBUCKET_USERNAME"], env["BITBUCKET_TOKEN"] = emulator.DCAdminUser, emulator.DCAdminPassword
			secrets["provider password"] = emulator.DCAdminPassword
		}
		// Through the environment: terraform's own trace log repeats its
		// command line, which is not the provider's to protect.
		env["TF_VAR_wo_secret"] = secrets["write-only webhook secret"]
		h := newCLIHarness(t, env)
		run := &secretsAuditRun{h: h, logDir: t.TempDir()}
		h.writeConfig(secretsAuditConfig(product, secrets))

		run.run(t, false, "apply", "-auto-approve", "-input=false")
		// Token values exist only once the server made them.
		for _, tok := range srv.AccessTokens() {
			secrets["token "+tok.Name] = tok.Token
		}
		// Generated private keys exist only in state: each one, and each
		// line of its PEM body (a log may escape the newlines).
		maps.Copy(secrets, generatedPrivateKeys(t, h.dir))
		run.run(t, false, "plan", "-input=false")
		run.run(t, false, "apply", "-refresh-only", "-auto-approve", "-input=false")
		run.run(t, false, "show")
		// A failing run: every resource's diagnostics with the server refusing.
		srv.InjectFault(emulator.Fault{Kind: emulator.FaultStatus, Status: 403, Times: 1000})
		run.run(t, true, "plan", "-input=false")
		srv.ClearFaults()
		run.run(t, false, "destroy", "-auto-approve", "-input=false")
		// Wrong credentials: the diagnostic names the server, not the secret.
		wrong := "audit-wrong-credential-77f0"
		secrets["wrong credential"] = wrong
		h.env = append(h.env, "BITBUCKET_TOKEN="+wrong)
		out := run.run(t, true, "plan", "-input=false")
		if !strings.Contains(out, "Bitbucket rejected the credentials") {
			t.Errorf("the wrong-credentials run did not fail on the credentials:\n%s", out)
		}
		// Data Center's session cookies log their bearer in too.
		for i, id := range srv.SessionCookies() {
			secrets[fmt.Sprintf("session cookie %d", i)] = id
		}
		run.check(t, secrets)
	})
}

// generatedPrivateKeys reads the access keys' private keys from the state
// file (not through terraform, whose output is audited).
func generatedPrivateKeys(t *testing.T, dir string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Resources []struct {
			Type      string `json:"type"`
			Name      string `json:"name"`
			Instances []struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range st.Resources {
		connection := r.Type == "bitbucket_connection"
		if !strings.HasSuffix(r.Type, "_access_key") && !connection {
			continue
		}
		for _, inst := range r.Instances {
			pem, _ := inst.Attributes["private_key_openssh"].(string)
			if connection && pem == "" {
				continue // a connection with another credential
			}
			if !strings.Contains(pem, "OPENSSH PRIVATE KEY") {
				t.Fatalf("%s.%s has no generated private key in state", r.Type, r.Name)
			}
			out["private key of "+r.Type+"."+r.Name] = pem
			for i, line := range strings.Split(pem, "\n") {
				if len(line) > 20 && !strings.HasPrefix(line, "-----") {
					out[fmt.Sprintf("private key of %s.%s, line %d", r.Type, r.Name, i)] = line
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the state holds no generated private key: the audit would prove nothing for access keys")
	}
	return out
}

// secretsAuditConfig holds every resource kind the product supports.
func secretsAuditConfig(product emulator.Product, secrets map[string]string) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}

variable "wo_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "bitbucket_repository_webhook" "sensitive" {
  repository = "api-service"
  name       = "audit"
  url        = "https://ci.example.com/audit"
  events     = %[1]s
  secret     = %[2]q
}

resource "bitbucket_workspace_webhook" "write_only" {
  name              = "audit"
  url               = "https://ci.example.com/audit"
  events            = %[1]s
  secret_wo         = var.wo_secret
  secret_wo_version = 1
}

resource "bitbucket_repository_access_key" "generated" {
  repository = "api-service"
  label      = "audit"
}

resource "bitbucket_connection" "ssh" {
  name       = "audit-ssh" # the key's label
  repository = "api-service"
  managed_access_key = {
    level = "repository"
  }
}

resource "bitbucket_project_access_key" "generated" {
  %[3]s
  label         = "audit"
  key_algorithm = "RSA"
}

output "private_keys" {
  value     = [bitbucket_repository_access_key.generated.private_key_openssh, bitbucket_project_access_key.generated.private_key_openssh]
  sensitive = true
}
`, pushEvents(product), secrets["webhook secret"], map[emulator.Product]string{emulator.Cloud: `project = "API"`}[product]) +
		secretsAuditProductConfig(product, secrets)
}

// secretsAuditProductConfig adds the resources that differ per product.
func secretsAuditProductConfig(product emulator.Product, secrets map[string]string) string {
	if product == emulator.Cloud {
		// Cloud tokens are supplied, so the supplied credential is audited.
		secrets["connection's supplied token"] = emulator.CloudAccessToken
		return fmt.Sprintf(`
resource "bitbucket_connection" "supplied" {
  name       = "audit-connection" # not the webhooks' name: a connection is found by its name
  repository = "api-service"
  token      = %q
  webhook = {
    url               = "https://service.example.com/hook"
    events            = %s
    secret_wo         = var.wo_secret
    secret_wo_version = 1
  }
}
`, emulator.CloudAccessToken, pushEvents(product))
	}
	return fmt.Sprintf(`
resource "bitbucket_project_access_token" "audit" {
  name        = "audit-project"
  permissions = ["PROJECT_READ"]
}

resource "bitbucket_repository_access_token" "audit" {
  repository  = "api-service"
  name        = "audit-repository"
  permissions = ["REPO_READ"]
}

resource "bitbucket_user_access_token" "audit" {
  name        = "audit-user"
  permissions = ["REPO_READ"]
}

output "tokens" {
  value     = [bitbucket_project_access_token.audit.token, bitbucket_repository_access_token.audit.token]
  sensitive = true
}

resource "bitbucket_connection" "managed" {
  name       = "audit-connection" # not the webhooks' name: a connection is found by its name
  repository = "api-service"
  managed_token = {
    level       = "repository"
    permissions = ["REPO_READ"]
  }
  webhook = {
    url               = "https://service.example.com/hook"
    events            = %s
    secret_wo         = var.wo_secret
    secret_wo_version = 1
  }
}
`, pushEvents(product))
}

// TestSecretsAuditOAuth is the audit for a Cloud provider signed in with an
// OAuth consumer: the client secret, the client_id:secret pair as HTTP
// Basic sends it, and every access and refresh token the server gave out
// (the client logs the token endpoint's answer at trace) must stay out of
// every output and log.
func TestSecretsAuditOAuth(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	env := map[string]string{
		"BITBUCKET_PRODUCT": "cloud", "BITBUCKET_BASE_URL": srv.BaseURL(), "BITBUCKET_WORKSPACE": seededWorkspace(emulator.Cloud),
		"BITBUCKET_OAUTH_CLIENT_ID": emulator.CloudOAuthClientID, "BITBUCKET_OAUTH_CLIENT_SECRET": emulator.CloudOAuthClientSecret,
		"BITBUCKET_OAUTH_TOKEN_URL": srv.OAuthTokenURL(),
	}
	secrets := map[string]string{
		"OAuth client secret": emulator.CloudOAuthClientSecret,
		"OAuth client_id:secret (HTTP Basic)": base64.StdEncoding.EncodeToString(
			[]byte(emulator.CloudOAuthClientID + ":" + emulator.CloudOAuthClientSecret)),
		"webhook secret": "audit-oauth-webhook-secret-3b8e",
	}
	h := newCLIHarness(t, env)
	run := &secretsAuditRun{h: h, logDir: t.TempDir()}
	h.writeConfig(fmt.Sprintf(`
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}

resource "bitbucket_repository_webhook" "oauth" {
  repository = "api-service"
  name       = "audit-oauth"
  url        = "https://ci.example.com/audit-oauth"
  events     = %s
  secret     = %q
}
`, pushEvents(emulator.Cloud), secrets["webhook secret"]))
	run.run(t, false, "apply", "-auto-approve", "-input=false")
	run.run(t, false, "plan", "-input=false")
	run.run(t, false, "destroy", "-auto-approve", "-input=false")
	issued := srv.OAuthTokens()
	if len(issued) == 0 {
		t.Fatal("the server gave out no OAuth token: the provider did not sign in with the consumer, the audit would prove nothing")
	}
	for i, tok := range issued {
		secrets[fmt.Sprintf("OAuth token %d", i)] = tok
	}
	run.check(t, secrets)
}

// TestSecretsAuditEphemeralToken is the audit for an ephemeral access token
// (Data Center): its value travels in the create's answer and, used as a
// webhook's write-only secret, in the webhook's request and answers; it
// must stay out of every output and log. The hook's secret, read from the
// emulator, is the apply's token value.
func TestSecretsAuditEphemeralToken(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	env := map[string]string{
		"BITBUCKET_BASE_URL": srv.BaseURL(), "BITBUCKET_WORKSPACE": seededWorkspace(emulator.DataCenter),
		"BITBUCKET_USERNAME": emulator.DCAdminUser, "BITBUCKET_TOKEN": emulator.DCAdminPassword,
	}
	secrets := map[string]string{"provider password": emulator.DCAdminPassword}
	h := newCLIHarness(t, env)
	run := &secretsAuditRun{h: h, logDir: t.TempDir()}
	h.writeConfig(fmt.Sprintf(`
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}

ephemeral "bitbucket_access_token" "audit" {
  repository  = "api-service"
  name        = "audit-ephemeral"
  permissions = ["REPO_READ"]
}

resource "bitbucket_repository_webhook" "audit" {
  repository        = "api-service"
  name              = "audit-ephemeral"
  url               = "https://ci.example.com/audit-ephemeral"
  events            = %s
  secret_wo         = ephemeral.bitbucket_access_token.audit.token
  secret_wo_version = 1
}
`, pushEvents(emulator.DataCenter)))
	run.run(t, false, "apply", "-auto-approve", "-input=false")
	var value string
	for _, hook := range srv.Webhooks() {
		if hook.Name == "audit-ephemeral" {
			value = hook.Secret
		}
	}
	if value == "" {
		t.Fatal("the webhook holds no secret: the ephemeral token's value is unknown, the audit would prove nothing")
	}
	secrets["ephemeral token (the apply's)"] = value
	run.run(t, false, "plan", "-input=false")
	run.run(t, false, "destroy", "-auto-approve", "-input=false")
	run.check(t, secrets)
}
