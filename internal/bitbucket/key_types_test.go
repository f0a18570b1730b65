package bitbucket

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/catalog"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// sampleKey is one public key in authorized_keys form, of a type, with the
// RSA size (0 for other types).
type sampleKey struct {
	name, text string
	rsaBits    int
}

// sampleKeys are a key of every type in the catalogue, and an RSA key under
// Cloud's minimum.
func sampleKeys(t *testing.T) []sampleKey {
	t.Helper()
	line := func(pk ssh.PublicKey) string { return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))) }
	parse := func(wire []byte) string {
		pk, err := ssh.ParsePublicKey(wire)
		if err != nil {
			t.Fatal(err)
		}
		return line(pk)
	}
	must := func(pk ssh.PublicKey, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		return line(pk)
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	var keys []sampleKey
	keys = append(keys, sampleKey{name: "ssh-ed25519", text: must(ssh.NewPublicKey(edPub))})
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		text := must(ssh.NewPublicKey(&k.PublicKey))
		name, _, _ := strings.Cut(text, " ")
		keys = append(keys, sampleKey{name: name, text: text})
	}
	for _, bits := range []int{catalog.CloudMinRSABits, 1024} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, sampleKey{name: "ssh-rsa", text: must(ssh.NewPublicKey(&k.PublicKey)), rsaBits: bits})
	}
	// DSA (RFC 4253 6.6): only the sizes are checked when a key is read.
	keys = append(keys, sampleKey{name: "ssh-dss", text: parse(ssh.Marshal(struct {
		Name       string
		P, Q, G, Y *big.Int
	}{"ssh-dss", new(big.Int).SetBit(big.NewInt(1), 1023, 1), new(big.Int).SetBit(big.NewInt(1), 159, 1), big.NewInt(2), big.NewInt(3)}))})
	// Security-key types (OpenSSH PROTOCOL.u2f): the key, then the application.
	keys = append(keys, sampleKey{name: "sk-ssh-ed25519@openssh.com", text: parse(ssh.Marshal(struct {
		Name string
		Key  []byte
		App  string
	}{"sk-ssh-ed25519@openssh.com", edPub, "ssh:"}))})
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	point, err := ec.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	keys = append(keys, sampleKey{name: "sk-ecdsa-sha2-nistp256@openssh.com", text: parse(ssh.Marshal(struct {
		Name, Curve string
		Point       []byte
		App         string
	}{"sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", point.Bytes(), "ssh:"}))})
	return keys
}

// TestKeyTypesFollowTheCatalog: for a key of every type, the client's plan-
// time rules and the emulator's create both accept it exactly when
// internal/catalog says the product does (RSA under Cloud's minimum
// refused on Cloud), so neither can drift from the one list.
func TestKeyTypesFollowTheCatalog(t *testing.T) {
	t.Parallel()
	keys := sampleKeys(t)
	covered := map[string]bool{}
	for _, k := range keys {
		covered[k.name] = true
	}
	for _, kt := range catalog.SSHKeyTypes {
		if !covered[kt.Name] {
			t.Errorf("no sample key of catalogue type %s", kt.Name)
		}
	}
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		t.Run(string(product), func(t *testing.T) {
			t.Parallel()
			client, _ := emulatorClient(t, product)
			rules := client.AccessKeyRules(AccessKeyLevelRepository)
			scope := AccessKeyScope{Workspace: "acme", Repository: "api-service"}
			if product == emulator.DataCenter {
				scope.Workspace = "PRJ"
			}
			for _, k := range keys {
				want := false
				for _, kt := range catalog.SSHKeyTypes {
					if kt.Name == k.name {
						want = (product == emulator.Cloud && kt.Cloud) || (product == emulator.DataCenter && kt.DataCenter)
					}
				}
				if product == emulator.Cloud && k.rsaBits > 0 && k.rsaBits < catalog.CloudMinRSABits {
					want = false
				}
				parsed, err := ParsePublicKey(k.text)
				if err != nil {
					t.Fatalf("%s: %v", k.name, err)
				}
				if got := rules.Refuses(parsed) == ""; got != want {
					t.Errorf("%s (%d bits): client rules accept = %t, catalogue says %t", k.name, k.rsaBits, got, want)
				}
				_, err = client.CreateAccessKey(context.Background(), scope, AccessKeyInput{PublicKey: k.text, Label: k.name, Permission: rules.Permissions[0]})
				if got := err == nil; got != want {
					t.Errorf("%s (%d bits): emulator accepts = %t (%v), catalogue says %t", k.name, k.rsaBits, got, err, want)
				}
			}
		})
	}
}

// TestParsePublicKey: the type word must be the key data's type (the
// parser of x/crypto/ssh reads the type from the data and ignores the
// word); comments do not make another key.
func TestParsePublicKey(t *testing.T) {
	t.Parallel()
	const blob = "AAAAC3NzaC1lZDI1NTE5AAAAIF8LLyHClvJpUMKUnOH49Ps0YIM8zlK7zOOObLSjYSCp"
	k, err := ParsePublicKey("ssh-ed25519 " + blob + " ci@example")
	if err != nil || k.Type != "ssh-ed25519" || k.Blob != blob || k.Comment != "ci@example" {
		t.Fatalf("ParsePublicKey = %+v, %v", k, err)
	}
	if _, err := ParsePublicKey("ssh-rsa " + blob + " ci@example"); err == nil || !strings.Contains(err.Error(), "ssh-rsa") ||
		!strings.Contains(err.Error(), "ssh-ed25519") {
		t.Errorf("a wrong type word: %v, want an error naming both types", err)
	}
	bare, err := ParsePublicKey("ssh-ed25519 " + blob)
	if err != nil || !bare.SameKey(k) {
		t.Errorf("the key without its comment is not the same key: %+v, %v", bare, err)
	}
	for _, bad := range []string{"", "ssh-ed25519", "ssh-ed25519 not-base64", "ssh-ed25519 " + blob + "\nssh-ed25519 " + blob} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
}
