package bitbucket

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

func testPublicKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " ci@example"
}

// emulatorClient is an admin client of a fresh emulator of product.
func emulatorClient(t *testing.T, product emulator.Product) (Client, *emulator.Server) {
	t.Helper()
	srv := emulator.NewTestServer(t, emulator.Options{Product: product})
	cfg := Config{BaseURL: srv.BaseURL(), MaxRetries: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		RequestTimeout: 5 * time.Second, Version: "test"}
	if product == emulator.Cloud {
		cfg.Product, cfg.Username, cfg.Token = ProductCloud, emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
	} else {
		cfg.Username, cfg.Token = emulator.DCAdminUser, emulator.DCAdminPassword
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// keyScopes are a repository and a project scope with their create routes.
func keyScopes(product emulator.Product) map[AccessKeyScope]string {
	if product == emulator.Cloud {
		return map[AccessKeyScope]string{
			{Workspace: "acme", Repository: "api-service"}: "/2.0/repositories/{workspace}/{repo_slug}/deploy-keys",
			{Workspace: "acme", Project: "API"}:            "/2.0/workspaces/{workspace}/projects/{project_key}/deploy-keys",
		}
	}
	return map[AccessKeyScope]string{
		{Workspace: "PRJ", Repository: "api-service"}: "/rest/keys/1.0/projects/{projectKey}/repos/{repositorySlug}/ssh",
		{Workspace: "PRJ"}:                            "/rest/keys/1.0/projects/{projectKey}/ssh",
	}
}

// CreateAccessKey is one POST: a lost answer comes back uncertain, for the
// provider's create recovery to resolve (the key was registered, and is
// not sent again here).
func TestCreateAccessKeySendsOnce(t *testing.T) {
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		c, srv := emulatorClient(t, product)
		for scope, route := range keyScopes(product) {
			t.Run(string(product)+" "+scope.String(), func(t *testing.T) {
				before := srv.RequestCount("POST", route)
				srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: emulator.FaultDropResponse, Times: 1})
				_, err := c.CreateAccessKey(context.Background(), scope, AccessKeyInput{PublicKey: testPublicKey(t), Label: "ci"})
				if !IsUncertain(err) {
					t.Errorf("create after a lost answer: %v, want an uncertain error", err)
				}
				if n := srv.RequestCount("POST", route) - before; n != 1 {
					t.Errorf("%d POSTs, want 1", n)
				}
				keys, err := c.ListAccessKeys(context.Background(), scope)
				if err != nil || len(keys) != 1 {
					t.Fatalf("list: %d keys, %v; want the one the lost create registered", len(keys), err)
				}
				if err := c.DeleteAccessKey(context.Background(), scope, keys[0].ID); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// The same key twice on one scope is refused (a validation error).
func TestCreateAccessKeyAlreadyRegistered(t *testing.T) {
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		c, _ := emulatorClient(t, product)
		for scope := range keyScopes(product) {
			key := testPublicKey(t)
			if _, err := c.CreateAccessKey(context.Background(), scope, AccessKeyInput{PublicKey: key, Label: "ci"}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateAccessKey(context.Background(), scope, AccessKeyInput{PublicKey: key, Label: "again"}); !errors.Is(err, ErrValidation) {
				t.Errorf("%s %s: second create: %v, want a validation error", product, scope, err)
			}
		}
	}
}

// Paging: every page of a long list is read on both products.
func TestListAccessKeysReadsEveryPage(t *testing.T) {
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		c, _ := emulatorClient(t, product)
		scope := AccessKeyScope{Workspace: "acme", Repository: "api-service"}
		if product == emulator.DataCenter {
			scope.Workspace = "PRJ"
		}
		const n = 105 // more than one Cloud page of 100
		for i := range n {
			if _, err := c.CreateAccessKey(context.Background(), scope, AccessKeyInput{PublicKey: testPublicKey(t), Label: "k" + string(rune('a'+i%26))}); err != nil {
				t.Fatal(err)
			}
		}
		keys, err := c.ListAccessKeys(context.Background(), scope)
		if err != nil || len(keys) != n {
			t.Errorf("%s: listed %d keys (%v), want %d", product, len(keys), err, n)
		}
	}
}

// Rules: Cloud is read-only and takes a project inside the workspace; Data
// Center changes the permission in place and refuses a project.
func TestAccessKeyRules(t *testing.T) {
	cloud, _ := emulatorClient(t, emulator.Cloud)
	dc, _ := emulatorClient(t, emulator.DataCenter)
	if r := cloud.AccessKeyRules(AccessKeyLevelRepository); len(r.Permissions) != 1 || !r.ProjectInWorkspace || !r.LabelUpdatable {
		t.Errorf("cloud repository rules %+v", r)
	}
	if r := cloud.AccessKeyRules(AccessKeyLevelProject); r.LabelUpdatable || r.Permissions[0] != "PROJECT_READ" {
		t.Errorf("cloud project rules %+v", r)
	}
	if r := dc.AccessKeyRules(AccessKeyLevelProject); r.ProjectInWorkspace || !r.PermissionUpdatable || len(r.Permissions) != 2 {
		t.Errorf("datacenter project rules %+v", r)
	}
	_, err := dc.ListAccessKeys(context.Background(), AccessKeyScope{Workspace: "PRJ", Project: "X"})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("a project on Data Center: %v, want ErrUnsupported", err)
	}
}

// The SSH check against the emulator's SSH endpoint: a registered key may
// fetch; a key that is not registered, or registered elsewhere, may not.
func TestCheckSSHAccess(t *testing.T) {
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		t.Run(string(product), func(t *testing.T) {
			c, srv := emulatorClient(t, product)
			if _, err := srv.ServeSSH(); err != nil {
				t.Fatal(err)
			}
			ws := "acme"
			if product == emulator.DataCenter {
				ws = "PRJ"
			}
			repo, err := c.GetRepository(context.Background(), ws, "api-service")
			if err != nil {
				t.Fatal(err)
			}
			other, err := c.GetRepository(context.Background(), ws, "web-app")
			if err != nil {
				t.Fatal(err)
			}
			registered, private := testKeyPair(t)
			if _, err := c.CreateAccessKey(context.Background(), AccessKeyScope{Workspace: ws, Repository: "api-service"},
				AccessKeyInput{PublicKey: registered, Label: "ssh"}); err != nil {
				t.Fatal(err)
			}
			if err := CheckSSHAccess(context.Background(), repo.CloneSSH, private, 5*time.Second); err != nil {
				t.Errorf("registered key: %v", err)
			}
			if keys := srv.AccessKeys(); len(keys) != 1 || keys[0].LastUsed.IsZero() {
				t.Errorf("the key's last use was not recorded: %+v", keys)
			}
			if err := CheckSSHAccess(context.Background(), other.CloneSSH, private, 5*time.Second); err == nil {
				t.Error("a key of api-service fetched web-app")
			}
			_, unknown := testKeyPair(t)
			if err := CheckSSHAccess(context.Background(), repo.CloneSSH, unknown, 5*time.Second); err == nil {
				t.Error("an unregistered key signed in")
			}
		})
	}
}

func testKeyPair(t *testing.T) (public, private string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))), string(pem.EncodeToMemory(block))
}

// The emulator's Data Center answers as the public evidence has them: a
// permission name Data Center does not know is 404 (a path parameter that
// does not convert), which the client tells apart from a missing key with a
// read; lastAuthenticated is a string of epoch milliseconds. On Cloud an
// access token adding a key is refused with the mechanism message, which
// the client classifies.
func TestAccessKeyAnswersFromPublicEvidence(t *testing.T) {
	ctx := context.Background()
	c, srv := emulatorClient(t, emulator.DataCenter)
	scope := AccessKeyScope{Workspace: "PRJ", Repository: "api-service"}
	key, err := c.CreateAccessKey(ctx, scope, AccessKeyInput{PublicKey: testPublicKey(t), Label: "ci", Permission: "REPO_READ"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateAccessKey(ctx, scope, key.ID, AccessKeyInput{Permission: "REPO_OWNER"})
	if !errors.Is(err, ErrValidation) || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "REPO_OWNER") {
		t.Errorf("an unknown permission: %v, want a validation error naming it, not \"not found\"", err)
	}
	if _, err := c.UpdateAccessKey(ctx, scope, "987654", AccessKeyInput{Permission: "REPO_WRITE"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing key: %v, want ErrNotFound", err)
	}
	used := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, k := range srv.AccessKeys() {
		if k.ID == key.ID {
			if err := srv.UpdateAccessKey(k, func(a *emulator.AccessKey) { a.LastUsed = used }); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := c.GetAccessKey(ctx, scope, key.ID)
	if err != nil || !got.LastUsed.Equal(used) {
		t.Errorf("last used %v (%v), want %v", got, err, used)
	}

	cloud, _ := emulatorClient(t, emulator.Cloud)
	bearer, err := New(ctx, Config{BaseURL: cloud.BaseURL(), Product: ProductCloud, AccessToken: emulator.CloudAccessToken,
		MaxRetries: 0, RequestTimeout: 5 * time.Second, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bearer.CreateAccessKey(ctx, AccessKeyScope{Workspace: "acme", Repository: "api-service"}, AccessKeyInput{PublicKey: testPublicKey(t), Label: "ci"})
	if !errors.Is(err, ErrCredentialKindRefused) || !errors.Is(err, ErrForbidden) {
		t.Errorf("an access token adding a Cloud key: %v, want ErrCredentialKindRefused", err)
	}
}
