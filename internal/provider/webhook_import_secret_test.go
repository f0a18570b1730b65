package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestAccWebhookImportWithSecretWarns: importing a webhook that has a
// secret with generated configuration (`terraform plan
// -generate-config-out`) writes no secret, so applying would remove it. The
// plan warns, naming the consequence. On Data Center, which returns the
// secret, it is imported into `secret`, so a configuration that sets the
// same secret plans no change.
func TestAccWebhookImportWithSecretWarns(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		t.Parallel()
		srv := startEmulator(t, product)
		ws := seededWorkspace(product)
		env := map[string]string{"BITBUCKET_BASE_URL": srv.BaseURL()}
		cfg := bitbucket.Config{BaseURL: srv.BaseURL(), RequestTimeout: 10 * time.Second}
		if product == emulator.Cloud {
			env["BITBUCKET_PRODUCT"], env["BITBUCKET_USERNAME"], env["BITBUCKET_TOKEN"] = "cloud", emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
			cfg.Product, cfg.Username, cfg.Token = bitbucket.ProductCloud, emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
		} else {
			env["BITBUCKET_USERNAME"], env["BITBUCKET_TOKEN"] = emulator.DCAdminUser, emulator.DCAdminPassword
			cfg.Product, cfg.Username, cfg.Token = bitbucket.ProductDataCenter, emulator.DCAdminUser, emulator.DCAdminPassword
		}
		client, err := bitbucket.New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		secret := "hand-made-secret"
		hook, err := client.CreateWebhook(context.Background(), bitbucket.WebhookScope{Workspace: ws, Repository: "api-service"},
			bitbucket.WebhookInput{Name: "imported", URL: "https://ci.example.com/hook", Active: true, Secret: &secret,
				Events: []string{strings.Trim(pushEvents(product), `["]`)}})
		if err != nil {
			t.Fatal(err)
		}
		h := newCLIHarness(t, env)
		h.writeConfig(fmt.Sprintf(`
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}

import {
  to = bitbucket_repository_webhook.imported
  id = "%s/api-service/%s"
}
`, ws, hook.ID))
		if out, err := h.terraform(nil, "plan", "-input=false", "-generate-config-out=generated.tf"); err != nil {
			t.Fatalf("plan -generate-config-out: %v\n%s", err, out)
		}
		generated, err := os.ReadFile(filepath.Join(h.dir, "generated.tf"))
		if err != nil {
			t.Fatal(err)
		}
		out, err := h.terraform(nil, "plan", "-input=false")
		if err != nil {
			t.Fatalf("plan with the generated configuration: %v\n%s", err, out)
		}
		if !errorText("Warning: Applying removes the webhook's secret", "deliveries are no longer signed").MatchString(out) {
			t.Errorf("the plan that removes the imported secret does not warn:\n%s\ngenerated configuration:\n%s", out, generated)
		}
		if strings.Contains(out, secret) {
			t.Errorf("the plan shows the secret:\n%s", out)
		}

		if product == emulator.DataCenter {
			// Set the secret in the configuration: nothing to change.
			text := strings.Replace(string(generated), "secret ", "#secret ", 1)
			text = strings.Replace(text, "}", fmt.Sprintf("  secret = %q\n}", secret), 1)
			if err := os.WriteFile(filepath.Join(h.dir, "generated.tf"), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := h.terraform(nil, "plan", "-input=false")
			if err != nil {
				t.Fatalf("plan with the secret set: %v\n%s", err, out)
			}
			if strings.Contains(out, "will be updated") || strings.Contains(out, "Applying removes") {
				t.Errorf("with the secret imported into `secret`, the same secret in the configuration plans a change:\n%s\n%s", out, text)
			}
		}
	})
}
