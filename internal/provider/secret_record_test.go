package provider

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// privateValues decodes the private state the provider hands Terraform
// (a JSON object of base64 values) into its keys and raw values.
func privateValues(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	values := map[string][]byte{}
	if len(raw) == 0 {
		return values
	}
	if err := json.Unmarshal(raw, &values); err != nil {
		t.Fatalf("private state is not a JSON object of base64 values: %v: %s", err, raw)
	}
	return values
}

// TestWriteOnlySecretLeavesNoHashInState: a weak write-only secret must not
// be recoverable from state with a precomputed table: the private state
// holds no unsalted SHA-256 of it (nor the secret), the record of two
// webhooks with the same secret differs, and a secret changed outside
// Terraform on Data Center (which returns it) is still noticed and sent
// again.
func TestWriteOnlySecretLeavesNoHashInState(t *testing.T) {
	const secret = "password1"
	sum := sha256.Sum256([]byte(secret))
	forbidden := map[string][]byte{"the secret": []byte(secret), "its SHA-256 (hex)": []byte(hex.EncodeToString(sum[:])), "its SHA-256": sum[:]}

	srv := startEmulator(t, emulator.DataCenter)
	config := map[string]any{"workspace": "PRJ", "repository": "api-service", "name": "weak", "url": "https://ci.example.com/hook",
		"events": []string{"repo:refs_changed"}, "secret_wo": secret, "secret_wo_version": 1}
	var records [][]byte
	for _, name := range []string{"weak-one", "weak-two"} {
		h := newProtocolHarness(t, "bitbucket_repository_webhook", matrixProviderConfig(srv))
		config["name"] = name
		if err := h.apply(config); err != nil {
			t.Fatal(err)
		}
		if err := h.refresh(); err != nil {
			t.Fatal(err)
		}
		for label, value := range forbidden {
			if bytes.Contains(h.private, value) {
				t.Errorf("private state holds %s", label)
			}
			for key, v := range privateValues(t, h.private) {
				if bytes.Contains(v, value) {
					t.Errorf("private state key %q holds %s", key, label)
				}
			}
		}
		record := privateValues(t, h.private)[privateSecretRecord]
		if len(record) == 0 {
			t.Fatalf("no record of the write-only secret in private state: %s", h.private)
		}
		records = append(records, record)

		// Changed out of band: the refresh notices, the apply sends it again.
		_, id := h.inState()
		if err := srv.UpdateWebhook(id, func(w *emulator.Webhook) { w.Secret = "changed-by-hand" }); err != nil {
			t.Fatal(err)
		}
		if err := h.apply(config); err != nil {
			t.Fatal(err)
		}
		if hook, _ := srv.Webhook(id); hook.Secret != secret {
			t.Errorf("a secret changed outside Terraform was not sent again: the hook holds %q", hook.Secret)
		}
	}
	if bytes.Equal(records[0], records[1]) {
		t.Error("two webhooks with the same secret have the same record: it is not keyed per resource")
	}
}
