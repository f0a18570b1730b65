package bitbucket

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// A list that was under way while a write to its scope began is not
// served: the reader lists again.
func TestScopeCacheListRacedByWriteIsNotServed(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	var lists atomic.Int32
	listing := make(chan struct{})
	list := func(context.Context) (map[string]int, error) {
		n := lists.Add(1)
		if n == 1 {
			<-listing // the write happens while this list is under way
		}
		return map[string]int{"a": int(n)}, nil
	}
	got := make(chan int)
	go func() {
		v, _, _ := c.get(context.Background(), "scope", "a", list)
		got <- v
	}()
	for lists.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	done := c.invalidate("scope")
	done()
	close(listing)
	if v := <-got; v != 2 {
		t.Fatalf("served the list from before the write (list %d), want the one after (2)", v)
	}
}

// A listing older than the TTL is not served.
func TestScopeCacheExpires(t *testing.T) {
	c := newScopeCache[string, int](10 * time.Second)
	now := time.Unix(0, 0)
	c.now = func() time.Time { return now }
	n := 0
	list := func(context.Context) (map[string]int, error) { n++; return map[string]int{"a": n, "b": n}, nil }
	if v, _, _ := c.get(context.Background(), "s", "a", list); v != 1 {
		t.Fatal(v)
	}
	now = now.Add(11 * time.Second)
	if v, _, _ := c.get(context.Background(), "s", "b", list); v != 2 {
		t.Fatalf("b read from a listing 11 s old (list %d), want a new list", v)
	}
}

// Readers waiting on a list whose reader gave up (cancelled) list
// themselves instead of failing.
func TestScopeCacheCancelledLeaderDoesNotFailWaiters(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	leaderCtx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var calls atomic.Int32
	list := func(ctx context.Context) (map[string]int, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return map[string]int{"a": 1, "b": 2}, nil
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _, _ = c.get(leaderCtx, "s", "a", list)
	}()
	<-started
	result := make(chan error, 1)
	go func() {
		v, found, err := c.get(context.Background(), "s", "b", list)
		if err == nil && (!found || v != 2) {
			t.Errorf("b = %d, found %v", v, found)
		}
		result <- err
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	wg.Wait()
	if err := <-result; err != nil {
		t.Fatalf("waiter failed with the leader's cancellation: %v", err)
	}
}

// Many readers and writers of a few scopes at once (run with -race).
func TestScopeCacheConcurrent(t *testing.T) {
	c := newScopeCache[int, int](time.Minute)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scope := i % 3
			if i%7 == 0 {
				c.invalidate(scope)()
				return
			}
			_, _, err := c.get(context.Background(), scope, "x", func(context.Context) (map[string]int, error) {
				time.Sleep(time.Millisecond)
				return map[string]int{"x": scope}, nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// The SSH access keys of a repository come from one list of it, and a key
// write is seen by the next read.
func TestCacheAccessKeysOneListPerScope(t *testing.T) {
	for _, product := range []emulator.Product{emulator.DataCenter, emulator.Cloud} {
		t.Run(string(product), func(t *testing.T) {
			c, srv := emulatorClient(t, product)
			scope := AccessKeyScope{Workspace: emulator.DCProject, Repository: "api-service"}
			list := "/rest/keys/1.0/projects/{projectKey}/repos/{repositorySlug}/ssh"
			if product == emulator.Cloud {
				scope.Workspace = emulator.CloudWorkspace
				list = "/2.0/repositories/{workspace}/{repo_slug}/deploy-keys"
			}
			ctx := context.Background()
			var ids []string
			for i := 0; i < 4; i++ {
				k, err := c.CreateAccessKey(ctx, scope, AccessKeyInput{PublicKey: testPublicKey(t), Label: "k" + string(rune('a'+i))})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, k.ID)
			}
			srv.ResetCounts()
			for _, id := range ids {
				if k, err := c.GetAccessKey(ctx, scope, id); err != nil || k.ID != id {
					t.Fatalf("GetAccessKey(%s) = %+v, %v", id, k, err)
				}
			}
			total := 0
			for _, n := range srv.RequestCounts() {
				total += n
			}
			if got := srv.RequestCount("GET", list); got != 1 || total != 1 {
				t.Errorf("%d list requests, %d in all, for 4 keys of one repository; want 1 list and nothing else (%v)", got, total, srv.RequestCounts())
			}
			if err := c.DeleteAccessKey(ctx, scope, ids[0]); err != nil {
				t.Fatal(err)
			}
			if _, err := c.GetAccessKey(ctx, scope, ids[0]); !errors.Is(err, ErrNotFound) {
				t.Errorf("read after the delete: %v, want ErrNotFound", err)
			}
		})
	}
}
