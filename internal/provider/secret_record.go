package provider

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// What the provider keeps of a write-only secret (a webhook's `secret_wo`,
// a connection's `webhook.secret_wo`), and why.
//
// Data Center returns a webhook's secret when the webhook is read, so a
// secret changed outside Terraform can be noticed, but only by comparing it
// with the one last sent, which by design is in neither plan nor state. The
// provider therefore keeps, in the resource's private state (part of the
// state file, never shown), an HMAC-SHA256 of that secret under a random
// 256-bit key made for this one record, and the key. Nothing else.
//
// What that gives: no table of precomputed hashes applies, equal secrets in
// two resources (or two states) give unrelated records, and a secret that
// is long and random (as generated secrets are) cannot be recovered. What it
// does not give: the key sits beside the MAC, so someone who can read the
// state can still test guesses of a short or guessable secret against it,
// one HMAC per guess, as they could test guesses against the webhook
// itself. Use long random secrets and protect the state. On Bitbucket
// Cloud, which never returns secrets, no record is kept.

// secretRecordDescription tells, in an attribute's description, what the
// record is; every `secret_wo` of a webhook says it.
const secretRecordDescription = "To notice a secret changed outside Terraform on Data Center (which returns " +
	"secrets), the provider keeps in private state an HMAC-SHA256 of it under a random key of this resource's own, " +
	"and that key: no unsalted hash, but whoever reads the state can still test guesses, so use a long random secret."

// webhookSecretLength bounds a webhook secret (`secret`, `secret_wo`).
var webhookSecretLength = stringvalidator.UTF8LengthBetween(1, 128)

// secretWOAttribute is a webhook's `secret_wo` (the webhook resources' and
// the connection's `webhook`); sibling names an attribute beside it, more
// are further validators.
func secretWOAttribute(sibling func(string) path.Expression, more ...validator.String) schema.StringAttribute {
	validators := append([]validator.String{webhookSecretLength}, more...)
	return schema.StringAttribute{
		Optional: true, Sensitive: true, WriteOnly: true,
		MarkdownDescription: "Write-only secret (Terraform 1.11+): sent to Bitbucket but never stored in state " +
			"or plan. It is sent on create and whenever `secret_wo_version` changes. " + secretRecordDescription,
		Validators: append(validators, stringvalidator.AlsoRequires(sibling("secret_wo_version"))),
	}
}

// secretWOVersionAttribute is the `secret_wo_version` beside secretWOAttribute.
func secretWOVersionAttribute(sibling func(string) path.Expression) schema.Int64Attribute {
	return schema.Int64Attribute{
		Optional:            true,
		MarkdownDescription: "Change this number to send `secret_wo` again (rotation).",
		Validators:          []validator.Int64{int64validator.AlsoRequires(sibling("secret_wo"))},
	}
}

const (
	// privateSecretRecord is the private-state key of the record.
	privateSecretRecord = "secret_wo_hmac"
	// privateSecretLegacy is where an unsalted SHA-256 was kept before; it
	// is removed whenever a record is written.
	privateSecretLegacy = "secret_wo_sha256"
)

// secretRecord is the stored form: a random key and the HMAC-SHA256 of the
// secret under it (both base64 in JSON).
type secretRecord struct {
	Key []byte `json:"key"`
	MAC []byte `json:"hmac_sha256"`
}

func newSecretRecord(secret string) (secretRecord, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return secretRecord{}, err
	}
	return secretRecord{Key: key, MAC: secretMAC(key, secret)}, nil
}

func secretMAC(key []byte, secret string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// matches reports whether secret is the one recorded.
func (r secretRecord) matches(secret string) bool {
	return hmac.Equal(r.MAC, secretMAC(r.Key, secret))
}

type privateGetKey interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}

type privateSetKey interface {
	SetKey(context.Context, string, []byte) diag.Diagnostics
}

// recordedSecret is the test "is this the secret last sent?" from private
// state; nil when no secret is recorded.
func recordedSecret(ctx context.Context, private privateGetKey, diags *diag.Diagnostics) func(string) bool {
	raw, d := private.GetKey(ctx, privateSecretRecord)
	diags.Append(d...)
	var r secretRecord
	if len(raw) == 0 || json.Unmarshal(raw, &r) != nil || len(r.Key) == 0 || len(r.MAC) == 0 {
		return nil
	}
	return r.matches
}

// writeSecretRecord records secret ("" removes the record) and returns the
// test recordedSecret would now return.
func writeSecretRecord(ctx context.Context, private privateSetKey, secret string, diags *diag.Diagnostics) func(string) bool {
	diags.Append(private.SetKey(ctx, privateSecretLegacy, nil)...)
	if secret == "" {
		diags.Append(private.SetKey(ctx, privateSecretRecord, nil)...)
		return nil
	}
	r, err := newSecretRecord(secret)
	if err != nil {
		// Without a record a changed secret goes unnoticed; nothing worse.
		diags.AddWarning("Cannot record the write-only secret",
			"The provider could not draw a random key ("+err.Error()+"), so a secret changed outside Terraform will not "+
				"show as drift until secret_wo_version changes.")
		diags.Append(private.SetKey(ctx, privateSecretRecord, nil)...)
		return nil
	}
	raw, _ := json.Marshal(r)
	diags.Append(private.SetKey(ctx, privateSecretRecord, raw)...)
	return r.matches
}
