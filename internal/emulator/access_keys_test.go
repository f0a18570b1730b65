package emulator_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// newPublicKey is a fresh Ed25519 public key in authorized_keys form.
func newPublicKey(t *testing.T, comment string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment)
}

func rsaPublicKey(t *testing.T, bits int) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
}

func TestCloudAccessKeys(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.Cloud})
	repoKeys := "/2.0/repositories/acme/api-service/deploy-keys"
	key := newPublicKey(t, "ci@example")

	created := do(t, srv, "POST", repoKeys, alice, map[string]string{"key": key, "label": "ci"}).expect(t, 200).object(t)
	if created["key"] != strings.TrimSuffix(key, " ci@example") || created["comment"] != "ci@example" || created["type"] != "deploy_key" {
		t.Errorf("create answered %v: want the key without its comment, the comment apart", created)
	}
	if _, ok := created["last_used"]; !ok || created["last_used"] != nil {
		t.Errorf("last_used = %v, want null for a key never used", created["last_used"])
	}
	id := fmt.Sprint(created["id"])

	// The same key twice on one repository, or as a user's own key: refused.
	again := do(t, srv, "POST", repoKeys, alice, map[string]string{"key": key, "label": "again"}).expect(t, 400)
	if msg := again.cloudMessage(t); msg != "Someone has already added that access key to this repository." {
		t.Errorf("duplicate: %q", msg)
	}
	// On another repository and on a project it is fine.
	do(t, srv, "POST", "/2.0/repositories/acme/web-app/deploy-keys", alice, map[string]string{"key": key, "label": "ci"}).expect(t, 200)
	do(t, srv, "POST", "/2.0/workspaces/acme/projects/API/deploy-keys", alice, map[string]string{"key": key, "label": "ci"}).expect(t, 200)
	userKey := newPublicKey(t, "")
	if err := srv.AddUserSSHKey("alice", userKey); err != nil {
		t.Fatal(err)
	}
	if msg := do(t, srv, "POST", repoKeys, alice, map[string]string{"key": userKey, "label": "x"}).expect(t, 400).cloudMessage(t); msg != "Someone has already registered that SSH key." {
		t.Errorf("a user's key: %q", msg)
	}

	// Sizes and types (support.atlassian.com/bitbucket-cloud/docs/supported-ssh-key-formats/).
	do(t, srv, "POST", repoKeys, alice, map[string]string{"key": rsaPublicKey(t, 1024), "label": "small"}).expect(t, 400)
	do(t, srv, "POST", repoKeys, alice, map[string]string{"key": rsaPublicKey(t, 2048), "label": "rsa"}).expect(t, 200)

	// Update: the label changes, the key may not.
	do(t, srv, "PUT", repoKeys+"/"+id, alice, map[string]string{"key": key, "label": "renamed"}).expect(t, 200)
	do(t, srv, "PUT", repoKeys+"/"+id, alice, map[string]string{"key": userKey, "label": "renamed"}).expect(t, 400)
	if got := do(t, srv, "GET", repoKeys+"/"+id, alice, nil).expect(t, 200).object(t)["label"]; got != "renamed" {
		t.Errorf("label after update = %v", got)
	}

	// Access tokens may read but not add, update or delete repository keys.
	do(t, srv, "GET", repoKeys, bearer(emulator.CloudAccessToken), nil).expect(t, 200)
	denied := do(t, srv, "POST", repoKeys, bearer(emulator.CloudAccessToken), map[string]string{"key": newPublicKey(t, ""), "label": "t"}).expect(t, 403)
	if msg := denied.cloudMessage(t); msg != "This API is not accessible by this authentication mechanism" {
		t.Errorf("access token: %q", msg)
	}

	// Missing: 404 on read and delete.
	do(t, srv, "DELETE", repoKeys+"/"+id, alice, nil).expect(t, 204)
	do(t, srv, "GET", repoKeys+"/"+id, alice, nil).expect(t, 404)
	do(t, srv, "DELETE", repoKeys+"/"+id, alice, nil).expect(t, 404)
	do(t, srv, "GET", "/2.0/workspaces/acme/projects/NOPE/deploy-keys", alice, nil).expect(t, 404)
}

func TestDataCenterAccessKeys(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
	repoKeys := "/rest/keys/1.0/projects/PRJ/repos/api-service/ssh"
	key := newPublicKey(t, "ci@example")
	body := func(text, perm string) map[string]any {
		return map[string]any{"key": map[string]string{"text": text, "label": "ci"}, "permission": perm}
	}

	created := do(t, srv, "POST", repoKeys, admin, body(key, "REPO_WRITE")).expect(t, 201).object(t)
	k := created["key"].(map[string]any)
	id := fmt.Sprint(k["id"])
	if created["permission"] != "REPO_WRITE" || k["text"] != key || k["algorithmType"] != "ED25519" {
		t.Errorf("create answered %v", created)
	}
	// A project permission on a repository, or no permission: 400.
	do(t, srv, "POST", repoKeys, admin, body(newPublicKey(t, ""), "PROJECT_READ")).expect(t, 400)
	do(t, srv, "POST", repoKeys, admin, body(newPublicKey(t, ""), "")).expect(t, 400)
	// The same key again here: 400; on another repository: the same id.
	do(t, srv, "POST", repoKeys, admin, body(key, "REPO_READ")).expect(t, 400)
	second := body(key, "REPO_READ")
	second["key"].(map[string]string)["label"] = "another label"
	other := do(t, srv, "POST", "/rest/keys/1.0/projects/PRJ/repos/web-app/ssh", admin, second).expect(t, 201).object(t)
	if got := fmt.Sprint(other["key"].(map[string]any)["id"]); got != id {
		t.Errorf("the same public key on a second repository got id %s, want %s", got, id)
	}
	// One key id is one key (RestSshKey): one label on every scope.
	if got := other["key"].(map[string]any)["label"]; got != "ci" {
		t.Errorf("the same public key on a second repository has label %v, want the key's label \"ci\"", got)
	}
	// A user's own key cannot be an access key.
	userKey := newPublicKey(t, "")
	if err := srv.AddUserSSHKey("dev", userKey); err != nil {
		t.Fatal(err)
	}
	if ex, _ := do(t, srv, "POST", repoKeys, admin, body(userKey, "REPO_READ")).expect(t, 400).dcError(t); !strings.HasSuffix(ex, "SshKeyAlreadyExistsException") {
		t.Errorf("user key: exception %s", ex)
	}
	// Only REPO_ADMIN may manage keys (dev has REPO_READ).
	do(t, srv, "GET", repoKeys, dev, nil).expect(t, 401)

	// Permission changes in place; the "latest" alias works.
	do(t, srv, "PUT", "/rest/keys/latest/projects/PRJ/repos/api-service/ssh/"+id+"/permission/REPO_READ", admin, nil).expect(t, 200)
	if got := do(t, srv, "GET", repoKeys+"/"+id, admin, nil).expect(t, 200).object(t)["permission"]; got != "REPO_READ" {
		t.Errorf("permission after update = %v", got)
	}
	do(t, srv, "PUT", repoKeys+"/"+id+"/permission/PROJECT_WRITE", admin, nil).expect(t, 400)
	// A name that is no permission at all does not convert to the path
	// parameter's enum: 404 (JAX-RS), a status the description lists.
	do(t, srv, "PUT", repoKeys+"/"+id+"/permission/REPO_OWNER", admin, nil).expect(t, 404)

	// lastAuthenticated: a string of epoch milliseconds, as in the description's example.
	used := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, k := range srv.AccessKeys() {
		if fmt.Sprint(k.ID) == id && k.Repository == "api-service" {
			if err := srv.UpdateAccessKey(k, func(a *emulator.AccessKey) { a.LastUsed = used }); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := do(t, srv, "GET", repoKeys+"/"+id, admin, nil).expect(t, 200).object(t)["key"].(map[string]any)["lastAuthenticated"]
	if got != strconv.FormatInt(used.UnixMilli(), 10) {
		t.Errorf("lastAuthenticated = %#v, want the string %q", got, strconv.FormatInt(used.UnixMilli(), 10))
	}

	// Revoking on one repository leaves the other; a second revoke is still 204.
	do(t, srv, "DELETE", repoKeys+"/"+id, admin, nil).expect(t, 204)
	do(t, srv, "GET", repoKeys+"/"+id, admin, nil).expect(t, 404)
	do(t, srv, "DELETE", repoKeys+"/"+id, admin, nil).expect(t, 204)
	do(t, srv, "GET", "/rest/keys/1.0/projects/PRJ/repos/web-app/ssh/"+id, admin, nil).expect(t, 200)

	// Project keys take PROJECT_READ / PROJECT_WRITE.
	do(t, srv, "POST", "/rest/keys/1.0/projects/PRJ/ssh", admin, body(newPublicKey(t, ""), "REPO_READ")).expect(t, 400)
	do(t, srv, "POST", "/rest/keys/1.0/projects/PRJ/ssh", admin, body(newPublicKey(t, ""), "PROJECT_WRITE")).expect(t, 201)
	if n := len(srv.AccessKeys()); n != 2 {
		t.Errorf("emulator holds %d keys, want 2", n)
	}
}
