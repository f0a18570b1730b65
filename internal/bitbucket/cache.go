package bitbucket

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Refreshing a large estate one GET per object costs one request per object
// (and on Cloud, of the hourly rate limit). Objects that share a scope (the
// webhooks of a repository or workspace, the tokens of a project) are read
// from one paged list of that scope instead, fetched once and shared by all
// the readers of that scope (also the SSH access keys of a repository or
// project). The rules that keep it true:
//
//   - A listing lives in the client of one provider configuration: Terraform
//     configures the provider again for every run (and every walk of a run),
//     so nothing is ever carried from one run into the next.
//   - In a process that keeps one configuration longer, a listing is served
//     for at most listingTTL (a minute), and to each object at most once: a second read
//     of the same object means a new refresh, which fetches a new list.
//   - A write (create, update, delete) invalidates its scope, before and
//     after it is sent; a list that was under way meanwhile is not served.
//   - An object missing from the list is read by id (GET, which confirms a
//     404 with a second read) before anyone may drop it from state; a list
//     answered 404 (the scope itself seems gone) falls back the same way.
//   - Any other failure of the list is the read's failure, as a failed GET
//     would have been.
//
// Lists that callers ask for (ListWebhooks, ListAccessTokens, used to find
// an object after a lost answer) are always sent: they must be fresh.
//
// The states of one scope in scopeCache, and what moves it:
//
//	                 read                        list answered, no write began
//	   +-------+ ------------> +-------------+ ---------------------------> +------+
//	   | empty |               |   listing   |                              | held |
//	   +-------+ <------------ | (one shared | <--- read of an id that ---- +------+
//	    ^  ^  ^   list failed  |   flight)   |      this listing served       |   |
//	    |  |  |   (its readers +-------------+      already, or older than   |   |
//	    |  |  |   get the failure;   |              listingTTL: a new list   |   |
//	    |  |  |   one whose own      | a write began meanwhile: the list     |   |
//	    |  |  |   context is alive   | is stale, not kept; its readers       |   |
//	    |  |  |   lists again)       | start over                            |   |
//	    |  |  +----------------------+                                       |   |
//	    |  +------------------ write (before and after it is sent) ----------+   |
//	    |                                                                        |
//	    +--- (held) read of an id not yet served: served from the listing, ------+
//	         which stays held
//
// A listing is fetched by golang.org/x/sync/singleflight: the first reader's
// call lists, the others of the scope wait for it (each on its own context).
// The list runs with the first reader's context, only until it returns;
// nothing keeps a reader's context afterwards.

// listingTTL bounds how long a listing is served in a process that keeps
// one configuration. Terraform reads the objects of one scope close
// together, but on a loaded machine a refresh of a thousand objects took
// half a minute and a 10-second bound sent a scope's list twice.
const listingTTL = time.Minute

// cachingClient is the product client with scope listings in front of the
// single-object reads. Every method it does not define passes through.
type cachingClient struct {
	Client
	hooks  *scopeCache[WebhookScope, Webhook]
	tokens *scopeCache[TokenScope, AccessToken]
	keys   *scopeCache[AccessKeyScope, AccessKey]
}

func newCachingClient(inner Client) *cachingClient {
	return &cachingClient{
		Client: inner,
		hooks:  newScopeCache[WebhookScope, Webhook](listingTTL),
		tokens: newScopeCache[TokenScope, AccessToken](listingTTL),
		keys:   newScopeCache[AccessKeyScope, AccessKey](listingTTL),
	}
}

// WithCredentials: a client with other credentials may see other objects,
// so it gets listings of its own.
func (c *cachingClient) WithCredentials(cred Credentials) (Client, error) {
	inner, err := c.Client.WithCredentials(cred)
	if err != nil {
		return nil, err
	}
	return newCachingClient(inner), nil
}

// unwrapClient returns the product client under any caching layer.
func unwrapClient(c Client) Client {
	if cc, ok := c.(*cachingClient); ok {
		return cc.Client
	}
	return c
}

// hookKey is a webhook scope as a cache key. Project keys, workspace and
// repository slugs name the same thing in any case on both products.
func hookKey(s WebhookScope) WebhookScope {
	return WebhookScope{Workspace: strings.ToLower(s.Workspace), Repository: strings.ToLower(s.Repository)}
}

func tokenKey(s TokenScope) TokenScope {
	return TokenScope{Level: s.Level, User: strings.ToLower(s.User), Workspace: strings.ToLower(s.Workspace), Repository: strings.ToLower(s.Repository)}
}

func (c *cachingClient) GetWebhook(ctx context.Context, scope WebhookScope, id string) (*Webhook, error) {
	if scope.Workspace == "" || id == "" {
		return c.Client.GetWebhook(ctx, scope, id) // its own error, no request
	}
	return readThrough(ctx, c.hooks, hookKey(scope), id,
		func(ctx context.Context) ([]Webhook, error) { return c.ListWebhooks(ctx, scope) },
		func(h Webhook) string { return h.ID },
		func(ctx context.Context) (*Webhook, error) { return c.Client.GetWebhook(ctx, scope, id) })
}

// readThrough reads id from the scope's listing, or by id (readByID) when
// the listing does not hold it or the scope's list answered 404: only a
// read by id, which confirms a 404, may say the object is gone. Any other
// failure of the list is the read's.
func readThrough[K comparable, V any](ctx context.Context, cache *scopeCache[K, V], key K, id string,
	list func(context.Context) ([]V, error), idOf func(V) string, readByID func(context.Context) (*V, error),
) (*V, error) {
	v, found, err := cache.get(ctx, key, id, func(ctx context.Context) (map[string]V, error) {
		items, err := list(ctx)
		if err != nil {
			return nil, err
		}
		byID := make(map[string]V, len(items))
		for _, item := range items {
			byID[idOf(item)] = item
		}
		return byID, nil
	})
	switch {
	case found:
		return &v, nil
	case err == nil || errors.Is(err, ErrNotFound):
		return readByID(ctx)
	default:
		return nil, err
	}
}

func (c *cachingClient) CreateWebhook(ctx context.Context, scope WebhookScope, in WebhookInput) (*Webhook, error) {
	defer c.hooks.invalidate(hookKey(scope))()
	return c.Client.CreateWebhook(ctx, scope, in)
}

func (c *cachingClient) UpdateWebhook(ctx context.Context, scope WebhookScope, id string, in WebhookInput) (*Webhook, error) {
	defer c.hooks.invalidate(hookKey(scope))()
	return c.Client.UpdateWebhook(ctx, scope, id, in)
}

func (c *cachingClient) DeleteWebhook(ctx context.Context, scope WebhookScope, id string) error {
	defer c.hooks.invalidate(hookKey(scope))()
	return c.Client.DeleteWebhook(ctx, scope, id)
}

func (c *cachingClient) GetAccessToken(ctx context.Context, scope TokenScope, id string) (*AccessToken, error) {
	if id == "" || c.Product() != ProductDataCenter {
		return c.Client.GetAccessToken(ctx, scope, id) // its own error, no request
	}
	return readThrough(ctx, c.tokens, tokenKey(scope), id,
		func(ctx context.Context) ([]AccessToken, error) { return c.ListAccessTokens(ctx, scope) },
		func(t AccessToken) string { return t.ID },
		func(ctx context.Context) (*AccessToken, error) { return c.Client.GetAccessToken(ctx, scope, id) })
}

// invalidateTokens drops the scope, and for user tokens every user scope:
// the caller's own tokens may be named by user or by "" (the caller).
func (c *cachingClient) invalidateTokens(scope TokenScope) func() {
	if scope.Level == TokenLevelUser {
		return c.tokens.invalidateWhere(func(k TokenScope) bool { return k.Level == TokenLevelUser })
	}
	return c.tokens.invalidate(tokenKey(scope))
}

func (c *cachingClient) CreateAccessToken(ctx context.Context, scope TokenScope, in AccessTokenInput) (*AccessToken, error) {
	defer c.invalidateTokens(scope)()
	return c.Client.CreateAccessToken(ctx, scope, in)
}

func (c *cachingClient) UpdateAccessToken(ctx context.Context, scope TokenScope, id string, in AccessTokenInput) (*AccessToken, error) {
	defer c.invalidateTokens(scope)()
	return c.Client.UpdateAccessToken(ctx, scope, id, in)
}

func (c *cachingClient) DeleteAccessToken(ctx context.Context, scope TokenScope, id string) error {
	defer c.invalidateTokens(scope)()
	return c.Client.DeleteAccessToken(ctx, scope, id)
}

func keyKey(s AccessKeyScope) AccessKeyScope {
	return AccessKeyScope{Workspace: strings.ToLower(s.Workspace), Project: strings.ToLower(s.Project), Repository: strings.ToLower(s.Repository)}
}

// GetAccessKey: the SSH access keys of a repository or project come from
// one list of it. Data Center's list of a repository leaves out its
// project's keys; such a key is then missing from the list and read by id.
func (c *cachingClient) GetAccessKey(ctx context.Context, scope AccessKeyScope, id string) (*AccessKey, error) {
	if id == "" {
		return c.Client.GetAccessKey(ctx, scope, id) // its own error, no request
	}
	return readThrough(ctx, c.keys, keyKey(scope), id,
		func(ctx context.Context) ([]AccessKey, error) { return c.ListAccessKeys(ctx, scope) },
		func(k AccessKey) string { return k.ID },
		func(ctx context.Context) (*AccessKey, error) { return c.Client.GetAccessKey(ctx, scope, id) })
}

// A key write invalidates every key scope: a project's keys show in the
// access of its repositories.
func (c *cachingClient) invalidateKeys(scope AccessKeyScope) func() {
	return c.keys.invalidateWhere(func(AccessKeyScope) bool { return true }, keyKey(scope))
}

func (c *cachingClient) CreateAccessKey(ctx context.Context, scope AccessKeyScope, in AccessKeyInput) (*AccessKey, error) {
	defer c.invalidateKeys(scope)()
	return c.Client.CreateAccessKey(ctx, scope, in)
}

func (c *cachingClient) UpdateAccessKey(ctx context.Context, scope AccessKeyScope, id string, in AccessKeyInput) (*AccessKey, error) {
	defer c.invalidateKeys(scope)()
	return c.Client.UpdateAccessKey(ctx, scope, id, in)
}

func (c *cachingClient) DeleteAccessKey(ctx context.Context, scope AccessKeyScope, id string) error {
	defer c.invalidateKeys(scope)()
	return c.Client.DeleteAccessKey(ctx, scope, id)
}

// scopeCache holds at most one listing per scope, shared by its readers.
type scopeCache[K comparable, V any] struct {
	ttl time.Duration
	now func() time.Time

	flights singleflight.Group

	mu       sync.Mutex
	listings map[K]*listing[V]
	// writes counts the writes begun per scope: a list fetched while it
	// changed may miss a write and is never kept.
	writes map[K]uint64
	// flying counts the lists under way per scope (two can be: one a write
	// made stale, one begun after it), so a write to the scope also stops
	// new readers from joining a list under way.
	flying map[K]int
	// onWait, when set, is called as a reader starts waiting for a
	// list (tests).
	onWait func(K)
}

// listing is one answered list of a scope.
type listing[V any] struct {
	items   map[string]V
	fetched time.Time
	// served holds the ids already handed out from this listing.
	served map[string]bool
}

func newScopeCache[K comparable, V any](ttl time.Duration) *scopeCache[K, V] {
	return &scopeCache[K, V]{ttl: ttl, now: time.Now, listings: map[K]*listing[V]{}, writes: map[K]uint64{}, flying: map[K]int{}}
}

// maxListRounds bounds how often one read starts over because writes kept
// making lists stale (or because the reader whose context ran the list
// gave up); after that the read reports "no listing" (err nil, not found),
// and the caller reads by id.
const maxListRounds = 3

// errStaleListing: a write to the scope began while its list was under way.
var errStaleListing = errors.New("the scope changed while it was listed")

// get returns the object id of scope key from a listing fetched by list
// (shared with every concurrent reader of the scope). found is false when
// the listing does not hold it; err is list's failure.
func (c *scopeCache[K, V]) get(ctx context.Context, key K, id string, list func(context.Context) (map[string]V, error)) (v V, found bool, err error) {
	for round := 0; round < maxListRounds; round++ {
		if v, found, ok := c.take(key, id, nil); ok {
			return v, found, nil
		}
		l, err := c.fetch(ctx, key, list)
		switch {
		case errors.Is(err, errStaleListing):
			continue
		case err != nil && ctx.Err() == nil && isCancellation(err):
			continue // the reader whose context ran the list gave up; this one has not
		case err != nil:
			return v, false, err
		}
		if v, found, ok := c.take(key, id, l); ok {
			return v, found, nil
		}
		// Another read of this object took it from this listing
		// (concurrently, or an earlier refresh): fetch a new one.
	}
	return v, false, nil
}

// take serves id from the scope's listing (want: only from that one) and
// reports whether it could: not when there is none, when it is older than
// the TTL, or when it served id already (a second read of one object is a
// new refresh); such a listing is dropped.
func (c *scopeCache[K, V]) take(key K, id string, want *listing[V]) (v V, found, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.listings[key]
	if l == nil || (want != nil && l != want) {
		return v, false, false
	}
	if l.served[id] || c.now().Sub(l.fetched) >= c.ttl {
		delete(c.listings, key)
		return v, false, false
	}
	l.served[id] = true
	v, found = l.items[id]
	return v, found, true
}

// fetch lists the scope once for every reader waiting meanwhile and keeps
// the listing unless a write began while it was under way. Each reader
// waits on its own context; the list runs with the context of the reader
// that started it, and the flight keeps it only until list returns.
func (c *scopeCache[K, V]) fetch(ctx context.Context, key K, list func(context.Context) (map[string]V, error)) (*listing[V], error) {
	ch := c.flights.DoChan(flightName(key), func() (any, error) {
		c.mu.Lock()
		if l := c.listings[key]; l != nil && c.now().Sub(l.fetched) < c.ttl {
			// A flight that ended after this reader looked: its listing
			// serves this one too (take decides whether it may).
			c.mu.Unlock()
			return l, nil
		}
		writes := c.writes[key]
		c.flying[key]++
		c.mu.Unlock()

		items, err := list(ctx)

		c.mu.Lock()
		defer c.mu.Unlock()
		if c.flying[key]--; c.flying[key] == 0 {
			delete(c.flying, key)
		}
		switch {
		case err != nil:
			return nil, err
		case c.writes[key] != writes:
			return nil, errStaleListing
		}
		l := &listing[V]{items: items, fetched: c.now(), served: map[string]bool{}}
		c.listings[key] = l
		return l, nil
	})
	if c.onWait != nil {
		c.onWait(key)
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		l, _ := r.Val.(*listing[V]) // the flight's function returns nothing else
		return l, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// flightName is a scope as a singleflight key.
func flightName[K comparable](key K) string { return fmt.Sprintf("%#v", key) }

func isCancellation(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// invalidate drops key's listing and makes any list under way stale; it
// returns the function to call once the write is done, which does it again
// (a list begun during the write may not show it).
func (c *scopeCache[K, V]) invalidate(key K) func() {
	return c.invalidateWhere(func(k K) bool { return k == key }, key)
}

// invalidateWhere is invalidate for every scope match accepts; keys are
// scopes that must count as written even when no listing of them exists.
func (c *scopeCache[K, V]) invalidateWhere(match func(K) bool, keys ...K) func() {
	drop := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, k := range keys {
			c.writes[k]++
		}
		for k := range c.listings {
			if match(k) {
				delete(c.listings, k)
			}
		}
		for k := range c.flying {
			if match(k) {
				c.writes[k]++
				// Readers from now on start a new list instead of
				// joining the stale one.
				c.flights.Forget(flightName(k))
			}
		}
	}
	drop()
	return drop
}
