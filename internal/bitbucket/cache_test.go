package bitbucket_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// The listing cache (cache.go) against the emulator: what it saves, and
// that it never serves what a read by id would not have answered.

const (
	dcRepoHooks   = "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/webhooks"
	dcRepoHook    = dcRepoHooks + "/{webhookId}"
	cloudRepoHook = "/2.0/repositories/{workspace}/{repo_slug}/hooks"
	dcRepoTokens  = "/rest/access-tokens/1.0/projects/{projectKey}/repos/{repositorySlug}"
)

type cacheFixture struct {
	srv    *emulator.Server
	client bitbucket.Client
	scope  bitbucket.WebhookScope
	ids    []string
}

// newCacheFixture makes n webhooks in one repository with a second
// client, so that the client under test starts with nothing cached.
func newCacheFixture(t *testing.T, product emulator.Product, n int) *cacheFixture {
	t.Helper()
	srv := emulator.NewTestServer(t, emulator.Options{Product: product})
	cfg := bitbucket.Config{BaseURL: srv.BaseURL(), Username: emulator.DCAdminUser, Token: emulator.DCAdminPassword}
	scope := bitbucket.WebhookScope{Workspace: emulator.DCProject, Repository: "api-service"}
	if product == emulator.Cloud {
		cfg = bitbucket.Config{BaseURL: srv.BaseURL(), Product: bitbucket.ProductCloud, Username: emulator.CloudOwnerEmail, Token: emulator.CloudOwnerAPIToken}
		scope.Workspace = emulator.CloudWorkspace
	}
	ctx := context.Background()
	writer, err := bitbucket.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &cacheFixture{srv: srv, scope: scope}
	event := "repo:refs_changed"
	if product == emulator.Cloud {
		event = "repo:push"
	}
	for i := 0; i < n; i++ {
		h, err := writer.CreateWebhook(ctx, scope, bitbucket.WebhookInput{Name: fmt.Sprintf("hook-%d", i),
			URL: fmt.Sprintf("https://ci.example.com/%d", i), Events: []string{event}, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		f.ids = append(f.ids, h.ID)
	}
	if f.client, err = bitbucket.New(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	srv.ResetCounts()
	return f
}

func (f *cacheFixture) readAll(t *testing.T) {
	t.Helper()
	for _, id := range f.ids {
		h, err := f.client.GetWebhook(context.Background(), f.scope, id)
		if err != nil || h.ID != id {
			t.Fatalf("GetWebhook(%s) = %+v, %v", id, h, err)
		}
	}
}

func (f *cacheFixture) count(route string) int { return f.srv.RequestCount(http.MethodGet, route) }

func TestCacheOneListPerScope(t *testing.T) {
	for _, product := range []emulator.Product{emulator.DataCenter, emulator.Cloud} {
		t.Run(string(product), func(t *testing.T) {
			f := newCacheFixture(t, product, 10)
			list, item := dcRepoHooks, dcRepoHook
			if product == emulator.Cloud {
				list, item = cloudRepoHook, cloudRepoHook+"/{uid}"
			}
			// Ten readers at once, as Terraform's parallelism does.
			var wg sync.WaitGroup
			errs := make(chan error, len(f.ids))
			for _, id := range f.ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					h, err := f.client.GetWebhook(context.Background(), f.scope, id)
					if err == nil && h.ID != id {
						err = fmt.Errorf("asked for %s, got %s", id, h.ID)
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := f.count(list); got != 1 {
				t.Errorf("%d list requests for 10 webhooks of one repository, want 1", got)
			}
			if got := f.count(item); got != 0 {
				t.Errorf("%d single reads, want 0", got)
			}
		})
	}
}

// A second refresh by the same client (a long-lived process) reads a new
// list: nothing from the first one is served to it.
func TestCacheServesNothingStaleToTheNextRefresh(t *testing.T) {
	f := newCacheFixture(t, emulator.DataCenter, 3)
	f.readAll(t)
	if err := f.srv.UpdateWebhook(f.ids[0], func(w *emulator.Webhook) { w.URL = "https://changed.example.com" }); err != nil {
		t.Fatal(err)
	}
	h, err := f.client.GetWebhook(context.Background(), f.scope, f.ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if h.URL != "https://changed.example.com" {
		t.Errorf("second read of the same webhook got %q: served from the first refresh's list", h.URL)
	}
	if got := f.count(dcRepoHooks); got != 2 {
		t.Errorf("%d list requests for two refreshes, want 2", got)
	}
}

// A write invalidates its scope: a read after it (same client) sees it.
func TestCacheWriteInvalidatesItsScope(t *testing.T) {
	f := newCacheFixture(t, emulator.DataCenter, 3)
	ctx := context.Background()
	// The first read caches the list; ids[1] and ids[2] are still unserved.
	if _, err := f.client.GetWebhook(ctx, f.scope, f.ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.UpdateWebhook(ctx, f.scope, f.ids[1], bitbucket.WebhookInput{Name: "renamed",
		URL: "https://ci.example.com/renamed", Events: []string{"repo:refs_changed"}, Active: true}); err != nil {
		t.Fatal(err)
	}
	h, err := f.client.GetWebhook(ctx, f.scope, f.ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "renamed" {
		t.Errorf("read after the update got name %q: a listing from before the write was served", h.Name)
	}
	if err := f.client.DeleteWebhook(ctx, f.scope, f.ids[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.GetWebhook(ctx, f.scope, f.ids[2]); !errors.Is(err, bitbucket.ErrNotFound) {
		t.Errorf("read after the delete: err = %v, want ErrNotFound", err)
	}
}

// A webhook missing from the list is read by id, twice (a 404 is
// confirmed), before the caller hears that it is gone.
func TestCacheConfirmsMissingObjectBeforeNotFound(t *testing.T) {
	f := newCacheFixture(t, emulator.DataCenter, 2)
	if err := f.srv.DeleteWebhook(f.ids[0]); err != nil {
		t.Fatal(err)
	}
	_, err := f.client.GetWebhook(context.Background(), f.scope, f.ids[0])
	if !errors.Is(err, bitbucket.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if got := f.count(dcRepoHook); got != 2 {
		t.Errorf("%d reads by id for a webhook missing from the list, want 2 (read, then confirm)", got)
	}
}

// A list answered 404 by a proxy does not drop an object that a read by id
// finds.
func TestCacheListNotFoundFallsBackToReadByID(t *testing.T) {
	f := newCacheFixture(t, emulator.DataCenter, 2)
	f.srv.InjectFault(emulator.Fault{Kind: emulator.FaultStatus, Status: http.StatusNotFound, Method: "GET", Route: dcRepoHooks, Times: 1})
	h, err := f.client.GetWebhook(context.Background(), f.scope, f.ids[0])
	if err != nil || h.ID != f.ids[0] {
		t.Fatalf("GetWebhook = %+v, %v; want the webhook", h, err)
	}
}

// Any other failure of the list is the read's failure.
func TestCacheListFailureIsTheReadsFailure(t *testing.T) {
	f := newCacheFixture(t, emulator.DataCenter, 2)
	f.srv.InjectFault(emulator.Fault{Kind: emulator.FaultStatus, Status: http.StatusForbidden, Method: "GET", Route: dcRepoHooks, Times: 1})
	if _, err := f.client.GetWebhook(context.Background(), f.scope, f.ids[0]); !errors.Is(err, bitbucket.ErrForbidden) {
		t.Fatalf("err = %v, want ErrForbidden", err)
	}
	// The failure is not kept: the next read lists again.
	if _, err := f.client.GetWebhook(context.Background(), f.scope, f.ids[1]); err != nil {
		t.Fatal(err)
	}
}

// A new client (a new run: Terraform configures the provider again) shares
// nothing with the last one.
func TestCacheNothingAcrossRuns(t *testing.T) {
	f := newCacheFixture(t, emulator.DataCenter, 2)
	f.readAll(t)
	if err := f.srv.UpdateWebhook(f.ids[1], func(w *emulator.Webhook) { w.Active = false }); err != nil {
		t.Fatal(err)
	}
	next, err := bitbucket.New(context.Background(), bitbucket.Config{BaseURL: f.srv.BaseURL(), Username: emulator.DCAdminUser, Token: emulator.DCAdminPassword})
	if err != nil {
		t.Fatal(err)
	}
	h, err := next.GetWebhook(context.Background(), f.scope, f.ids[1])
	if err != nil || h.Active {
		t.Fatalf("the next run's read = %+v, %v; want the inactive webhook", h, err)
	}
}

// Project tokens come from one list of the project too.
func TestCacheAccessTokensOneListPerScope(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
	ctx := context.Background()
	cfg := bitbucket.Config{BaseURL: srv.BaseURL(), Username: emulator.DCAdminUser, Token: emulator.DCAdminPassword}
	c, err := bitbucket.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	scope := bitbucket.TokenScope{Level: bitbucket.TokenLevelRepository, Workspace: emulator.DCProject, Repository: "api-service"}
	var ids []string
	for i := 0; i < 5; i++ {
		tok, err := c.CreateAccessToken(ctx, scope, bitbucket.AccessTokenInput{Name: fmt.Sprintf("t%d", i), Permissions: []string{"REPO_READ"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tok.ID)
	}
	srv.ResetCounts()
	for _, id := range ids {
		tok, err := c.GetAccessToken(ctx, scope, id)
		if err != nil || tok.ID != id {
			t.Fatalf("GetAccessToken(%s) = %+v, %v", id, tok, err)
		}
	}
	if got := srv.RequestCount(http.MethodGet, dcRepoTokens); got != 1 {
		t.Errorf("%d list requests for 5 tokens of one repository, want 1", got)
	}
	// A rename by this client is seen by its next read.
	if _, err := c.UpdateAccessToken(ctx, scope, ids[0], bitbucket.AccessTokenInput{Name: "renamed"}); err != nil {
		t.Fatal(err)
	}
	if tok, err := c.GetAccessToken(ctx, scope, ids[0]); err != nil || tok.Name != "renamed" {
		t.Errorf("read after the rename = %+v, %v", tok, err)
	}
}
