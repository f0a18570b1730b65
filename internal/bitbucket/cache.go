package bitbucket

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
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
	hook, found, err := c.hooks.get(ctx, hookKey(scope), id, func(ctx context.Context) (map[string]Webhook, error) {
		hooks, err := c.ListWebhooks(ctx, scope)
		if err != nil {
			return nil, err
		}
		byID := make(map[string]Webhook, len(hooks))
		for _, h := range hooks {
			byID[h.ID] = h
		}
		return byID, nil
	})
	switch {
	case found:
		return &hook, nil
	case err == nil || errors.Is(err, ErrNotFound):
		// Not in the list, or no list: only a read by id (which confirms
		// a 404) may say the object is gone.
		return c.Client.GetWebhook(ctx, scope, id)
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
	token, found, err := c.tokens.get(ctx, tokenKey(scope), id, func(ctx context.Context) (map[string]AccessToken, error) {
		tokens, err := c.ListAccessTokens(ctx, scope)
		if err != nil {
			return nil, err
		}
		byID := make(map[string]AccessToken, len(tokens))
		for _, t := range tokens {
			byID[t.ID] = t
		}
		return byID, nil
	})
	switch {
	case found:
		return &token, nil
	case err == nil || errors.Is(err, ErrNotFound):
		return c.Client.GetAccessToken(ctx, scope, id)
	default:
		return nil, err
	}
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
	key, found, err := c.keys.get(ctx, keyKey(scope), id, func(ctx context.Context) (map[string]AccessKey, error) {
		keys, err := c.ListAccessKeys(ctx, scope)
		if err != nil {
			return nil, err
		}
		byID := make(map[string]AccessKey, len(keys))
		for _, k := range keys {
			byID[k.ID] = k
		}
		return byID, nil
	})
	switch {
	case found:
		return &key, nil
	case err == nil || errors.Is(err, ErrNotFound):
		return c.Client.GetAccessKey(ctx, scope, id)
	default:
		return nil, err
	}
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

	mu       sync.Mutex
	listings map[K]*listing[V]
	// writes counts the writes begun per scope: a list fetched while it
	// changed may miss a write and is never served.
	writes map[K]uint64
}

// listing is one fetch of a scope's list.
type listing[V any] struct {
	done    chan struct{} // closed when items/err are set
	items   map[string]V
	err     error
	fetched time.Time
	// stale: a write to the scope began while the list was under way.
	stale bool
	// served holds the ids already handed out from this listing.
	served map[string]bool
}

func newScopeCache[K comparable, V any](ttl time.Duration) *scopeCache[K, V] {
	return &scopeCache[K, V]{ttl: ttl, now: time.Now, listings: map[K]*listing[V]{}, writes: map[K]uint64{}}
}

// maxListRounds bounds how often one read starts over because writes kept
// making lists stale; after that the read reports "no listing" (err nil,
// not found), and the caller reads by id.
const maxListRounds = 3

// get returns the object id of scope key from a listing fetched by list
// (shared with every concurrent reader of the scope). found is false when
// the listing does not hold it; err is list's failure.
func (c *scopeCache[K, V]) get(ctx context.Context, key K, id string, list func(context.Context) (map[string]V, error)) (v V, found bool, err error) {
	for round := 0; round < maxListRounds; round++ {
		c.mu.Lock()
		l := c.listings[key]
		if l != nil && l.ready() && (l.served[id] || c.now().Sub(l.fetched) >= c.ttl) {
			delete(c.listings, key) // read again by the same object, or too old: a new refresh
			l = nil
		}
		if l == nil {
			l = &listing[V]{done: make(chan struct{}), served: map[string]bool{}}
			c.listings[key] = l
			writes := c.writes[key]
			c.mu.Unlock()

			items, err := list(ctx)

			c.mu.Lock()
			l.items, l.err, l.fetched = items, err, c.now()
			if c.writes[key] != writes {
				l.stale = true
			}
			if (l.err != nil || l.stale) && c.listings[key] == l {
				delete(c.listings, key) // failures and raced lists are not kept
			}
			close(l.done)
			c.mu.Unlock()
		} else {
			c.mu.Unlock()
			select {
			case <-l.done:
			case <-ctx.Done():
				return v, false, ctx.Err()
			}
		}

		c.mu.Lock()
		switch {
		case l.stale:
			c.mu.Unlock()
			continue
		case l.err != nil:
			err := l.err
			c.mu.Unlock()
			if ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
				continue // the reader who fetched it gave up; this one has not
			}
			return v, false, err
		case l.served[id]:
			// Another read of this object took it from this listing
			// (concurrently, or an earlier run): fetch a new one.
			if c.listings[key] == l {
				delete(c.listings, key)
			}
			c.mu.Unlock()
			continue
		}
		l.served[id] = true
		v, found = l.items[id]
		c.mu.Unlock()
		return v, found, nil
	}
	return v, false, nil
}

// invalidate drops key's listing and marks any list under way as stale; it
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
		for k, l := range c.listings {
			if match(k) {
				c.writes[k]++
				l.stale = true
				delete(c.listings, k)
			}
		}
	}
	drop()
	return drop
}

func (l *listing[V]) ready() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}
