package bitbucket

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// The write rules of the listing cache through the client, against the
// emulator: a write by this client clears its scope's listing, and an
// object missing from a listing is gone only after two reads by id.

const (
	dcProjectTokens    = "/rest/access-tokens/1.0/projects/{projectKey}"
	dcProjectTokenByID = dcProjectTokens + "/{tokenId}"
)

// An update clears its scope's listing: read token A (the listing holds B
// too), rename B, read B: the new name, not the listed one.
func TestCacheTokenUpdateClearsItsScope(t *testing.T) {
	c, _ := emulatorClient(t, emulator.DataCenter)
	ctx := context.Background()
	scope := TokenScope{Level: TokenLevelProject, Workspace: emulator.DCProject}
	var ids []string
	for _, name := range []string{"a", "b"} {
		tok, err := c.CreateAccessToken(ctx, scope, AccessTokenInput{Name: name, Permissions: []string{"REPO_READ"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tok.ID)
	}
	if _, err := c.GetAccessToken(ctx, scope, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateAccessToken(ctx, scope, ids[1], AccessTokenInput{Name: "b-renamed", Permissions: []string{"REPO_READ"}}); err != nil {
		t.Fatal(err)
	}
	tok, err := c.GetAccessToken(ctx, scope, ids[1])
	if err != nil || tok.Name != "b-renamed" {
		t.Fatalf("read after the rename = %+v, %v; want the name b-renamed", tok, err)
	}
}

// A token revoked out of band is missing from the list; the read reports
// it gone only after reading it by id twice (the second read confirms the
// 404), as webhooks do.
func TestCacheMissingTokenConfirmedByTwoReads(t *testing.T) {
	c, srv := emulatorClient(t, emulator.DataCenter)
	ctx := context.Background()
	scope := TokenScope{Level: TokenLevelProject, Workspace: emulator.DCProject}
	var ids []string
	for _, name := range []string{"a", "b"} {
		tok, err := c.CreateAccessToken(ctx, scope, AccessTokenInput{Name: name, Permissions: []string{"REPO_READ"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tok.ID)
	}
	if err := srv.RevokeAccessToken(ids[0]); err != nil {
		t.Fatal(err)
	}
	srv.ResetCounts()
	if _, err := c.GetAccessToken(ctx, scope, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if got := srv.RequestCount(http.MethodGet, dcProjectTokens); got != 1 {
		t.Errorf("%d lists, want 1", got)
	}
	if got := srv.RequestCount(http.MethodGet, dcProjectTokenByID); got != 2 {
		t.Errorf("%d reads by id for a token missing from the list, want 2 (read, then confirm)", got)
	}
}

// The same for an access key deleted out of band, on both products.
func TestCacheMissingKeyConfirmedByTwoReads(t *testing.T) {
	for _, product := range []emulator.Product{emulator.DataCenter, emulator.Cloud} {
		t.Run(string(product), func(t *testing.T) {
			c, srv := emulatorClient(t, product)
			ctx := context.Background()
			scope := AccessKeyScope{Workspace: emulator.DCProject, Repository: "api-service"}
			list := "/rest/keys/1.0/projects/{projectKey}/repos/{repositorySlug}/ssh"
			byID := list + "/{keyId}"
			if product == emulator.Cloud {
				scope.Workspace = emulator.CloudWorkspace
				list = "/2.0/repositories/{workspace}/{repo_slug}/deploy-keys"
				byID = list + "/{key_id}"
			}
			var ids []string
			for _, label := range []string{"a", "b"} {
				k, err := c.CreateAccessKey(ctx, scope, AccessKeyInput{PublicKey: testPublicKey(t), Label: label})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, k.ID)
			}
			ref := emulator.AccessKey{ID: ids[0], Workspace: scope.Workspace, Repository: scope.Repository}
			if err := srv.DeleteAccessKey(ref); err != nil {
				t.Fatal(err)
			}
			srv.ResetCounts()
			if _, err := c.GetAccessKey(ctx, scope, ids[0]); !errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if got := srv.RequestCount(http.MethodGet, list); got != 1 {
				t.Errorf("%d lists, want 1", got)
			}
			if got := srv.RequestCount(http.MethodGet, byID); got != 2 {
				t.Errorf("%d reads by id for a key missing from the list, want 2 (read, then confirm) (%v)", got, srv.RequestCounts())
			}
		})
	}
}

// listCounter is a product client that counts the lists of each scope and
// answers every write (the other methods are not called).
type listCounter struct {
	Client
	lists map[string]int
}

func (l *listCounter) Product() Product { return ProductDataCenter }

func (l *listCounter) count(kind string, scope any) int {
	return l.lists[fmt.Sprintf("%s %#v", kind, scope)]
}

func (l *listCounter) add(kind string, scope any) { l.lists[fmt.Sprintf("%s %#v", kind, scope)]++ }

func (l *listCounter) ListWebhooks(_ context.Context, s WebhookScope) ([]Webhook, error) {
	l.add("hooks", s)
	return []Webhook{{ID: "1"}, {ID: "2"}, {ID: "3"}}, nil
}

func (l *listCounter) ListAccessTokens(_ context.Context, s TokenScope) ([]AccessToken, error) {
	l.add("tokens", s)
	return []AccessToken{{ID: "1"}, {ID: "2"}, {ID: "3"}}, nil
}

func (l *listCounter) ListAccessKeys(_ context.Context, s AccessKeyScope) ([]AccessKey, error) {
	l.add("keys", s)
	return []AccessKey{{ID: "1"}, {ID: "2"}, {ID: "3"}}, nil
}

func (l *listCounter) CreateWebhook(context.Context, WebhookScope, WebhookInput) (*Webhook, error) {
	return &Webhook{}, nil
}

func (l *listCounter) UpdateWebhook(context.Context, WebhookScope, string, WebhookInput) (*Webhook, error) {
	return &Webhook{}, nil
}
func (l *listCounter) DeleteWebhook(context.Context, WebhookScope, string) error { return nil }
func (l *listCounter) CreateAccessToken(context.Context, TokenScope, AccessTokenInput) (*AccessToken, error) {
	return &AccessToken{}, nil
}

func (l *listCounter) UpdateAccessToken(context.Context, TokenScope, string, AccessTokenInput) (*AccessToken, error) {
	return &AccessToken{}, nil
}
func (l *listCounter) DeleteAccessToken(context.Context, TokenScope, string) error { return nil }
func (l *listCounter) CreateAccessKey(context.Context, AccessKeyScope, AccessKeyInput) (*AccessKey, error) {
	return &AccessKey{}, nil
}

func (l *listCounter) UpdateAccessKey(context.Context, AccessKeyScope, string, AccessKeyInput) (*AccessKey, error) {
	return &AccessKey{}, nil
}
func (l *listCounter) DeleteAccessKey(context.Context, AccessKeyScope, string) error { return nil }

// Every write of every family clears the scopes its rule names: read
// object 1 of the read scope, write in the write scope, read object 2 of
// the read scope: a second list when the write's rule covers the read
// scope, none when it does not.
func TestCacheWritesClearTheirScopes(t *testing.T) {
	ctx := context.Background()
	repo := WebhookScope{Workspace: "PRJ", Repository: "api"}
	otherRepo := WebhookScope{Workspace: "PRJ", Repository: "web"}
	projectTokens := TokenScope{Level: TokenLevelProject, Workspace: "PRJ"}
	myTokens := TokenScope{Level: TokenLevelUser}                   // the caller's, named by ""
	myTokensBySlug := TokenScope{Level: TokenLevelUser, User: "me"} // the same, named by slug
	repoKeys := AccessKeyScope{Workspace: "PRJ", Repository: "api"}
	projectKeys := AccessKeyScope{Workspace: "PRJ"}
	type family struct {
		read  func(c Client, id string) error
		lists func(l *listCounter) int
	}
	hooks := func(s WebhookScope) family {
		return family{func(c Client, id string) error { _, err := c.GetWebhook(ctx, s, id); return err },
			func(l *listCounter) int { return l.count("hooks", s) }}
	}
	tokens := func(s TokenScope) family {
		return family{func(c Client, id string) error { _, err := c.GetAccessToken(ctx, s, id); return err },
			func(l *listCounter) int { return l.count("tokens", s) }}
	}
	keys := func(s AccessKeyScope) family {
		return family{func(c Client, id string) error { _, err := c.GetAccessKey(ctx, s, id); return err },
			func(l *listCounter) int { return l.count("keys", s) }}
	}
	tests := []struct {
		name      string
		read      family
		write     func(c Client) error
		wantLists int
	}{
		{"webhook create", hooks(repo), func(c Client) error { _, err := c.CreateWebhook(ctx, repo, WebhookInput{}); return err }, 2},
		{"webhook update", hooks(repo), func(c Client) error { _, err := c.UpdateWebhook(ctx, repo, "3", WebhookInput{}); return err }, 2},
		{"webhook delete", hooks(repo), func(c Client) error { return c.DeleteWebhook(ctx, repo, "3") }, 2},
		{"webhook write elsewhere", hooks(repo), func(c Client) error { return c.DeleteWebhook(ctx, otherRepo, "3") }, 1},
		{"webhook write in other case", hooks(repo), func(c Client) error {
			return c.DeleteWebhook(ctx, WebhookScope{Workspace: "prj", Repository: "API"}, "3")
		}, 2},
		{"token create", tokens(projectTokens), func(c Client) error {
			_, err := c.CreateAccessToken(ctx, projectTokens, AccessTokenInput{})
			return err
		}, 2},
		{"token update", tokens(projectTokens), func(c Client) error {
			_, err := c.UpdateAccessToken(ctx, projectTokens, "3", AccessTokenInput{})
			return err
		}, 2},
		{"token delete", tokens(projectTokens), func(c Client) error { return c.DeleteAccessToken(ctx, projectTokens, "3") }, 2},
		{"user token write by slug clears the caller's", tokens(myTokens), func(c Client) error {
			return c.DeleteAccessToken(ctx, myTokensBySlug, "3")
		}, 2},
		{"user token write by \"\" clears the slug's", tokens(myTokensBySlug), func(c Client) error {
			return c.DeleteAccessToken(ctx, myTokens, "3")
		}, 2},
		{"project token write leaves user tokens", tokens(myTokens), func(c Client) error {
			return c.DeleteAccessToken(ctx, projectTokens, "3")
		}, 1},
		{"key create", keys(repoKeys), func(c Client) error { _, err := c.CreateAccessKey(ctx, repoKeys, AccessKeyInput{}); return err }, 2},
		{"key update", keys(repoKeys), func(c Client) error {
			_, err := c.UpdateAccessKey(ctx, repoKeys, "3", AccessKeyInput{})
			return err
		}, 2},
		{"key delete", keys(repoKeys), func(c Client) error { return c.DeleteAccessKey(ctx, repoKeys, "3") }, 2},
		{"project key write clears its repositories' keys", keys(repoKeys), func(c Client) error {
			return c.DeleteAccessKey(ctx, projectKeys, "3")
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := &listCounter{lists: map[string]int{}}
			c := newCachingClient(inner)
			if err := tt.read.read(c, "1"); err != nil {
				t.Fatal(err)
			}
			if err := tt.write(c); err != nil {
				t.Fatal(err)
			}
			if err := tt.read.read(c, "2"); err != nil {
				t.Fatal(err)
			}
			if got := tt.read.lists(inner); got != tt.wantLists {
				t.Errorf("%d lists of the read scope, want %d (%v)", got, tt.wantLists, inner.lists)
			}
		})
	}
}

func (l *listCounter) WithCredentials(Credentials) (Client, error) { return l, nil }

// A client with other credentials may see other objects: it gets listings
// of its own. And the lists callers ask for (to find an object after a
// lost answer) are always sent.
func TestCacheOtherCredentialsAndCallersListsAreNotServedFromTheCache(t *testing.T) {
	ctx := context.Background()
	scope := WebhookScope{Workspace: "PRJ", Repository: "api"}
	inner := &listCounter{lists: map[string]int{}}
	c := newCachingClient(inner)
	if _, err := c.GetWebhook(ctx, scope, "1"); err != nil {
		t.Fatal(err)
	}
	other, err := c.WithCredentials(Credentials{AccessToken: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetWebhook(ctx, scope, "2"); err != nil {
		t.Fatal(err)
	}
	if got := inner.count("hooks", scope); got != 2 {
		t.Errorf("%d lists after reads by two credentials, want 2: the second was served the first's listing", got)
	}
	if _, err := c.ListWebhooks(ctx, scope); err != nil {
		t.Fatal(err)
	}
	if got := inner.count("hooks", scope); got != 3 {
		t.Errorf("%d lists, want 3: ListWebhooks was answered from the cache", got)
	}
}
