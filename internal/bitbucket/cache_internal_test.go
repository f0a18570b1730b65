package bitbucket

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// The rules of scopeCache (cache.go), one at a time, on its injected clock
// and with lists that block on channels: no test here sleeps.

// blockingList is a list whose calls are counted and, while gate is open
// (not nil), block until it is closed.
type blockingList struct {
	calls   atomic.Int32
	started chan int32 // receives each call's number as it begins
	release chan struct{}
	items   func(n int32) map[string]int
}

func newBlockingList(items func(n int32) map[string]int) *blockingList {
	return &blockingList{started: make(chan int32, 10), release: make(chan struct{}), items: items}
}

func (l *blockingList) list(ctx context.Context) (map[string]int, error) {
	n := l.calls.Add(1)
	l.started <- n
	select {
	case <-l.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return l.items(n), nil
}

func numbered(n int32) map[string]int { return map[string]int{"a": int(n), "b": int(n)} }

// A list that was under way while a write began is not served: the reader
// lists again.
func TestScopeCacheListRacedByWriteIsNotServed(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	l := newBlockingList(numbered)
	got := make(chan int)
	go func() {
		v, _, _ := c.get(context.Background(), "scope", "a", l.list)
		got <- v
	}()
	<-l.started // the write happens while this list is under way
	c.invalidate("scope")()
	close(l.release)
	if v := <-got; v != 2 {
		t.Fatalf("served the list from before the write (list %d), want the one after (2)", v)
	}
}

// A list begun after a write began and answered before it ended may miss
// it: the write's end drops it.
func TestScopeCacheListDuringWriteDroppedAtItsEnd(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	n := 0
	list := func(context.Context) (map[string]int, error) { n++; return numbered(int32(n)), nil }
	done := c.invalidate("s") // the write begins
	if v, _, _ := c.get(context.Background(), "s", "a", list); v != 1 {
		t.Fatal(v)
	}
	done() // the write is answered
	if v, _, _ := c.get(context.Background(), "s", "b", list); v != 2 {
		t.Fatalf("b read from a listing fetched during the write (list %d), want a new list", v)
	}
}

// A reader that comes once a write began does not join the list under
// way, which will not be served: it lists at once.
func TestScopeCacheReaderAfterWriteStartsItsOwnList(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	l := newBlockingList(numbered)
	results := make(chan int, 2)
	go func() {
		v, _, _ := c.get(context.Background(), "s", "a", l.list)
		results <- v
	}()
	<-l.started
	done := c.invalidate("s") // the write begins
	go func() {
		v, _, _ := c.get(context.Background(), "s", "b", l.list)
		results <- v
	}()
	select {
	case <-l.started: // its own list, while the first is still under way
	case <-time.After(10 * time.Second): // a deadlock guard, not a timing
		t.Fatal("the reader joined the list begun before the write")
	}
	close(l.release)
	if a, b := <-results, <-results; a != 2 || b != 2 {
		t.Errorf("reads got lists %d and %d, want both the one begun after the write (2)", a, b)
	}
	done()
}

// Two lists of one scope can be under way (one made stale by a write, one
// begun after it); the end of the first must not hide the second from a
// later write that names scopes by a rule (invalidateWhere, as user tokens
// and access keys do).
func TestScopeCacheOverlappingListsBothSeeWrites(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	started := make(chan int, 10)
	release := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	var calls atomic.Int32
	list := func(context.Context) (map[string]int, error) {
		n := int(calls.Add(1))
		started <- n
		if n <= len(release) {
			<-release[n-1]
		}
		return map[string]int{"a": n, "b": n}, nil
	}
	everyScope := func(string) bool { return true }
	waiting := make(chan string, 10)
	c.onWait = func(k string) { waiting <- k }
	results := make(chan int, 2)
	read := func(id string) {
		v, _, _ := c.get(context.Background(), "s", id, list)
		results <- v
	}
	go read("a")
	<-started                       // list 1
	c.invalidateWhere(everyScope)() // a write: list 1 is stale
	go read("b")
	<-started // list 2, begun after the write
	<-waiting
	<-waiting
	close(release[0]) // list 1 ends (stale); its reader joins list 2
	<-waiting
	c.invalidateWhere(everyScope)() // another write while list 2 is under way
	close(release[1])               // list 2 ends: stale too
	select {
	case <-started: // so the readers list a third time
		close(release[2])
	case v := <-results:
		t.Fatalf("a read got list %d: list 2 was served though a write began during it", v)
	}
	if a, b := <-results, <-results; a != 3 || b != 3 {
		t.Errorf("reads got lists %d and %d, want 3: list 2 was served though a write began during it", a, b)
	}
}

// A listing older than the TTL is not served.
func TestScopeCacheExpires(t *testing.T) {
	c := newScopeCache[string, int](10 * time.Second)
	now := time.Unix(0, 0)
	c.now = func() time.Time { return now }
	n := 0
	list := func(context.Context) (map[string]int, error) { n++; return map[string]int{"a": n, "b": n, "c": n}, nil }
	if v, _, _ := c.get(context.Background(), "s", "a", list); v != 1 {
		t.Fatal(v)
	}
	now = now.Add(9 * time.Second)
	if v, _, _ := c.get(context.Background(), "s", "b", list); v != 1 {
		t.Fatalf("b not served from a listing 9 s old (list %d), TTL 10 s", v)
	}
	now = now.Add(2 * time.Second)
	if v, _, _ := c.get(context.Background(), "s", "c", list); v != 2 {
		t.Fatalf("c read from a listing 11 s old (list %d), want a new list", v)
	}
}

// A listing serves each object once: a second read of an object is a new
// refresh and gets a new list; objects not yet served still come from the
// old one until then.
func TestScopeCacheServesEachObjectOnce(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	n := 0
	list := func(context.Context) (map[string]int, error) { n++; return map[string]int{"a": n, "b": n}, nil }
	for _, step := range []struct {
		id   string
		want int
	}{{"a", 1}, {"b", 1}, {"a", 2}, {"a", 3}, {"b", 3}} {
		if v, found, err := c.get(context.Background(), "s", step.id, list); v != step.want || !found || err != nil {
			t.Fatalf("read %s = %d, %v, %v; want list %d", step.id, v, found, err, step.want)
		}
	}
}

// Concurrent readers of one scope share one list; readers of another scope
// do not wait for it.
func TestScopeCacheReadersShareOneList(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	waiting := make(chan string, 10)
	c.onWait = func(k string) { waiting <- k }
	l := newBlockingList(numbered)
	results := make(chan int, 2)
	for _, id := range []string{"a", "b"} {
		go func() {
			v, _, _ := c.get(context.Background(), "s", id, l.list)
			results <- v
		}()
	}
	<-l.started
	<-waiting
	<-waiting // both readers wait for the one list
	other := newBlockingList(numbered)
	close(other.release)
	if v, _, _ := c.get(context.Background(), "t", "a", other.list); v != 1 {
		t.Fatalf("other scope = %d", v)
	}
	close(l.release)
	if a, b := <-results, <-results; a != 1 || b != 1 || l.calls.Load() != 1 {
		t.Fatalf("readers got lists %d and %d after %d lists, want one list for both", a, b, l.calls.Load())
	}
}

// A failed list is the read's failure and is not kept.
func TestScopeCacheFailureNotKept(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	boom := errors.New("boom")
	calls := 0
	list := func(context.Context) (map[string]int, error) {
		calls++
		if calls == 1 {
			return nil, boom
		}
		return map[string]int{"a": 1}, nil
	}
	if _, _, err := c.get(context.Background(), "s", "a", list); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the list's", err)
	}
	if v, found, err := c.get(context.Background(), "s", "a", list); err != nil || !found || v != 1 {
		t.Fatalf("after a failure: %d, %v, %v; want a new list", v, found, err)
	}
}

// Writes that keep making lists stale end in "no listing" (read by id)
// after maxListRounds lists, not in a loop.
func TestScopeCacheGivesUpAfterMaxListRounds(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	calls := 0
	list := func(context.Context) (map[string]int, error) {
		calls++
		c.invalidate("s")() // a write to the scope during every list
		return map[string]int{"a": 1}, nil
	}
	v, found, err := c.get(context.Background(), "s", "a", list)
	if found || err != nil || calls != maxListRounds {
		t.Fatalf("get = %d, %v, %v after %d lists; want not found, no error, after %d lists", v, found, err, calls, maxListRounds)
	}
}

// Readers waiting on a list whose reader gave up (cancelled) list
// themselves instead of failing.
func TestScopeCacheCancelledLeaderDoesNotFailWaiters(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	waiting := make(chan string, 10)
	c.onWait = func(k string) { waiting <- k }
	leaderCtx, cancel := context.WithCancel(context.Background())
	l := newBlockingList(numbered)
	leader := make(chan error, 1)
	go func() {
		_, _, err := c.get(leaderCtx, "s", "a", l.list)
		leader <- err
	}()
	<-l.started
	<-waiting // the leader
	result := make(chan error, 1)
	go func() {
		v, found, err := c.get(context.Background(), "s", "b", l.list)
		if err == nil && (!found || v != 2) {
			err = fmt.Errorf("b = %d, found %v; want it from the second list", v, found)
		}
		result <- err
	}()
	<-waiting // the waiter joined the leader's list
	cancel()
	if err := <-leader; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v", err)
	}
	select {
	case <-l.started: // the waiter lists itself
		close(l.release)
	case err := <-result:
		t.Fatalf("waiter ended without listing itself: %v", err)
	}
	if err := <-result; err != nil {
		t.Fatalf("waiter failed with the leader's cancellation: %v", err)
	}
}

// A reader gives up waiting when its own context ends.
func TestScopeCacheWaiterCancelled(t *testing.T) {
	c := newScopeCache[string, int](time.Minute)
	l := newBlockingList(numbered)
	defer close(l.release)
	go func() { _, _, _ = c.get(context.Background(), "s", "a", l.list) }()
	<-l.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.get(ctx, "s", "b", l.list); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
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
