package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// Create recovery: the one home of what a create does when its answer is
// lost (a timeout, a reset, a 5xx, or Terraform stopping the provider on
// Ctrl-C, which cancels the request's context). The rule
// (docs/dev/ownership.md):
//
//	Act only on an object the provider can prove it made. An object it
//	cannot prove is left exactly as it is and named in a diagnostic (id,
//	where, how to import or remove it).
//
// Someone else may create an object of the same name in the same scope at
// the same moment (a colleague in the web UI, another workspace, a service
// registering its hook), so "new since the listing before the create" is no
// proof. Each kind has its own (a proof below): webhooks are compared in
// everything the server reports and must be new since a listing taken before
// the create; Data Center tokens are created under a unique name and renamed
// once the answer arrives; access keys are found by the fingerprint of the
// key the provider generated.
//
// When the request's context has ended, the recovery runs on a short context
// of its own (recoveryContext): the server may well have finished the create
// after the client left (servlet containers such as Tomcat do), and only by
// looking can the provider record or clean up what exists before Terraform
// exits. Terraform keeps the state a failed create returns.

// recoveryTimeout bounds the look-for-what-I-created step after the
// request's own context has ended.
const recoveryTimeout = 15 * time.Second

// recoveryContext is ctx while it is alive; once it has ended, a context
// of its own (ctx's values, no cancellation) that lasts recoveryTimeout.
func recoveryContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() == nil {
		return ctx, func() {}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), recoveryTimeout)
}

// stepContext is recoveryContext for work of several requests during which
// Terraform may be interrupted: each call gives ctx while it is alive and,
// once it has ended, one context of its own (made at the first call after
// the end) that lasts recoveryTimeout.
func stepContext(ctx context.Context) (func() context.Context, context.CancelFunc) {
	detached, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var deadline sync.Once
	get := func() context.Context {
		if ctx.Err() == nil {
			return ctx
		}
		deadline.Do(func() { time.AfterFunc(recoveryTimeout, cancel) })
		return detached
	}
	return get, cancel
}

// proof is how one kind of object is recovered after a lost create answer:
// what is listed and which listed object the request can be proven to have
// made.
type proof[T any] struct {
	kind  string // "webhook", "access token", "access key"
	where string // the scope, as diagnostics name it
	list  func(context.Context) ([]T, error)
	id    func(T) string
	// ours is the proof: the object is the one this request made (given
	// that it is new, where the kind needs that).
	ours func(T) bool
	// similar: an object a reader could take for this request's (the same
	// name): when it is not ours, the diagnostic names it.
	similar func(T) bool
	// differs says in what a similar object differs from the request.
	differs func(T) string
	// importID is the import ID of an object (how to adopt it by hand).
	importID func(id string) string
}

// findings is what a recovery listing found.
type findings[T any] struct {
	proven   []T // proven to be this request's
	unproven []T // similar, not proven: left alone
}

// look lists the scope once and sorts what it finds; skip leaves out
// objects that cannot be this request's whatever they look like (listed
// before the create, or claimed by another create of this run).
func (p proof[T]) look(ctx context.Context, skip func(id string) bool) (findings[T], error) {
	objects, err := p.list(ctx)
	if err != nil {
		return findings[T]{}, err
	}
	var f findings[T]
	for _, o := range objects {
		switch {
		case skip != nil && skip(p.id(o)):
		case p.ours(o):
			f.proven = append(f.proven, o)
		case p.similar(o):
			f.unproven = append(f.unproven, o)
		}
	}
	return f, nil
}

// lookAgain is look, and once more a second later when nothing was found
// after an interruption: a create the server has not finished yet may still
// be on its way.
func (p proof[T]) lookAgain(ctx context.Context, skip func(id string) bool, interrupted bool) (findings[T], error) {
	f, err := p.look(ctx, skip)
	if err != nil || len(f.proven) > 0 || !interrupted {
		return f, err
	}
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
		return f, nil
	}
	return p.look(ctx, skip)
}

// lookOnStop is lookAgain on recoveryContext(ctx), and when Terraform is
// interrupted during that listing (ctx ends while it runs), the listing is
// done again on a context of its own: what the lost create made is still
// found, not left untracked. It returns the context the recovery goes on
// with.
func (p proof[T]) lookOnStop(ctx context.Context, skip func(id string) bool) (findings[T], context.Context, context.CancelFunc, error) {
	alive := ctx.Err() == nil
	rctx, cancel := recoveryContext(ctx)
	f, err := p.lookAgain(rctx, skip, !alive)
	if err != nil && alive && ctx.Err() != nil {
		cancel()
		rctx, cancel = recoveryContext(ctx)
		f, err = p.lookAgain(rctx, skip, true)
	}
	return f, rctx, cancel, err
}

// leftAlone names the objects recovery did not touch: what they are, where,
// why they are not the provider's, and how to import or remove them.
func (p proof[T]) leftAlone(objects []T) string {
	var b strings.Builder
	for _, o := range objects {
		id := p.id(o)
		fmt.Fprintf(&b, "\n  - %s %s in %s", p.kind, id, p.where)
		if d := p.differs(o); d != "" {
			fmt.Fprintf(&b, " (differs from this request in %s)", d)
		}
		fmt.Fprintf(&b, ": to manage it, import it with the ID %q; if nobody uses it, delete it in Bitbucket", p.importID(id))
	}
	return b.String()
}

// warnLeftAlone adds a warning naming objects that were left as they are.
func (p proof[T]) warnLeftAlone(diags *diag.Diagnostics, objects []T) {
	if len(objects) == 0 || diags == nil {
		return
	}
	diags.AddWarning(fmt.Sprintf("Left another party's %s alone", p.kind),
		fmt.Sprintf("The answer to the provider's create was lost. Meanwhile someone else made a %s of the same name, "+
			"which the provider cannot prove it made, so it did not adopt, change or delete it:%s", p.kind, p.leftAlone(objects)))
}

// ids lists the ids of objects, for messages.
func (p proof[T]) ids(objects []T) string {
	out := make([]string, len(objects))
	for i, o := range objects {
		out[i] = p.id(o)
	}
	return strings.Join(out, ", ")
}

// interruptedError says what an interrupted create left behind, truthfully
// (it no longer claims the outcome is uncertain).
func interruptedError(cause error, what string) error {
	var uncertain *bitbucket.UncertainError
	if errors.As(cause, &uncertain) {
		cause = uncertain.Err
	}
	return fmt.Errorf("the run was stopped during the request (%s), and %s", cause.Error(), what)
}

// createLedger holds, for one configured provider (one run), what its
// creates share per scope: the listing taken before them (one per scope,
// not one per create: a create then costs about one request) and the ids
// its creates have made or adopted, so that no create of the run can adopt
// another's object. Its zero value is ready.
type createLedger struct {
	mu      sync.Mutex
	scopes  map[string]any    // kind + scope -> *scopeLedger[T]
	aliases map[string]string // a scope named by UUID -> its slugs
}

// scopeName is how the ledger names the scope of workspace and repository
// ("" for a workspace scope): one name however the configuration spells
// it. Cloud takes a workspace or repository by its UUID in braces wherever
// it takes the slug (internal/bitbucket/identifiers.go, cloudUUIDPattern),
// and both products match slugs and keys without regard to case, so two
// resources of one run may name one scope in different ways; keyed by the
// spelling, each would see only its own creates, and one could adopt the
// other's object. A UUID is resolved to the slugs once per run (one GET);
// when that fails the spelling is kept, and the kind's proof still applies.
func (l *createLedger) scopeName(ctx context.Context, client bitbucket.Client, workspace, repository string) string {
	name := strings.ToLower(workspace + "/" + repository)
	if !strings.HasPrefix(workspace, "{") && !strings.HasPrefix(repository, "{") {
		return name
	}
	l.mu.Lock()
	resolved, ok := l.aliases[name]
	l.mu.Unlock()
	if ok {
		return resolved
	}
	resolved = name
	if repository != "" {
		if r, err := client.GetRepository(ctx, workspace, repository); err == nil && r.Workspace != "" && r.Slug != "" {
			resolved = strings.ToLower(r.Workspace + "/" + r.Slug)
		}
	} else if w, err := client.GetWorkspace(ctx, workspace); err == nil && w.Slug != "" {
		resolved = strings.ToLower(w.Slug + "/")
	}
	if resolved == name {
		tflog.Warn(ctx, "Could not resolve a scope named by UUID; creates naming it otherwise are not told apart", map[string]any{"scope": name})
		return name
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.aliases == nil {
		l.aliases = map[string]string{}
	}
	l.aliases[name] = resolved
	return resolved
}

// beforeListingTTL bounds how long one listing serves as the "before" view
// of a scope's creates: an object another party makes after it and before
// a create is no longer excluded by it, only by the kind's proof.
const beforeListingTTL = time.Minute

// scopeLedger is the ledger of one scope.
type scopeLedger[T any] struct {
	mu       sync.Mutex
	listing  chan struct{} // closed when the current listing is done
	listed   time.Time
	before   map[string]bool
	err      error
	claimed  map[string]bool
	inFlight map[*pendingCreate[T]]bool
	now      func() time.Time // nil = time.Now (tests set a clock)
}

func (s *scopeLedger[T]) clock() time.Time {
	if s.now == nil {
		return time.Now()
	}
	return s.now()
}

// pendingCreate is a create of this run that has been sent and not settled.
type pendingCreate[T any] struct {
	ours       func(T) bool
	recovering bool // its answer was lost: it looks for its object itself
}

func ledgerFor[T any](l *createLedger, key string) *scopeLedger[T] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.scopes == nil {
		l.scopes = map[string]any{}
	}
	s, ok := l.scopes[key].(*scopeLedger[T])
	if !ok {
		s = &scopeLedger[T]{claimed: map[string]bool{}, inFlight: map[*pendingCreate[T]]bool{}}
		l.scopes[key] = s
	}
	return s
}

// beforeCreate is the scope's listing taken before a create: shared by the
// creates of the scope for beforeListingTTL, listed once however many ask at
// the same moment.
func (s *scopeLedger[T]) beforeCreate(ctx context.Context, list func(context.Context) ([]T, error), id func(T) string) (map[string]bool, error) {
	s.mu.Lock()
	for s.listing != nil && !s.listingDone() { // a listing is under way: share it
		done := s.listing
		s.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s.mu.Lock()
	}
	if s.listing != nil && s.err == nil && s.clock().Sub(s.listed) <= beforeListingTTL {
		before := s.before
		s.mu.Unlock()
		return before, nil
	}
	done := make(chan struct{})
	s.listing, s.err = done, nil
	s.mu.Unlock()

	objects, err := list(ctx)
	before := make(map[string]bool, len(objects))
	for _, o := range objects {
		before[id(o)] = true
	}
	s.mu.Lock()
	s.before, s.err, s.listed = before, err, s.clock()
	close(done)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return before, nil
}

func (s *scopeLedger[T]) listingDone() bool {
	select {
	case <-s.listing:
		return true
	default:
		return false
	}
}

// begin records a create about to be sent.
func (s *scopeLedger[T]) begin(ours func(T) bool) *pendingCreate[T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &pendingCreate[T]{ours: ours}
	s.inFlight[p] = true
	return p
}

// settle records a create's outcome: the id it made or adopted ("" none).
func (s *scopeLedger[T]) settle(p *pendingCreate[T], id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inFlight, p)
	if id != "" {
		s.claimed[id] = true
	}
}

func (s *scopeLedger[T]) isClaimed(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claimed[id]
}

// contested reports whether another create of this run could have made o:
// one still waiting for its answer (wait: it will claim its object), or one
// whose answer was lost too (then neither can prove o is its own).
//
// The proofs are asked outside the ledger's lock: a proof may itself read
// the ledger (the access-key proof asks whether an id is claimed), and the
// lock is not reentrant.
func (s *scopeLedger[T]) contested(self *pendingCreate[T], o T) (wait, ambiguous bool) {
	type other struct {
		ours       func(T) bool
		recovering bool
	}
	s.mu.Lock()
	others := make([]other, 0, len(s.inFlight))
	for p := range s.inFlight {
		if p != self {
			others = append(others, other{p.ours, p.recovering})
		}
	}
	s.mu.Unlock()
	for _, p := range others {
		if !p.ours(o) {
			continue
		}
		if p.recovering {
			ambiguous = true
		} else {
			wait = true
		}
	}
	return wait, ambiguous
}

// awaited reports whether another create of this run that is still
// waiting for its answer could have made one of objects.
func (s *scopeLedger[T]) awaited(self *pendingCreate[T], objects []T) bool {
	for _, o := range objects {
		if wait, _ := s.contested(self, o); wait {
			return true
		}
	}
	return false
}

// setRecovering marks self as looking for its own object (or no longer),
// under the ledger's lock, which contested reads it under.
func (s *scopeLedger[T]) setRecovering(self *pendingCreate[T], recovering bool) {
	s.mu.Lock()
	self.recovering = recovering
	s.mu.Unlock()
}

// claim takes id for self unless another create claimed it meanwhile.
func (s *scopeLedger[T]) claim(self *pendingCreate[T], id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claimed[id] {
		return false
	}
	s.claimed[id] = true
	delete(s.inFlight, self)
	return true
}

// createWebhook creates a webhook without leaving a duplicate or taking one
// someone else made: the scope's hooks listed before it (before: a listing
// the caller has just taken; nil: the run's shared listing of the scope)
// and the webhook proof (webhookProof) settle a lost answer. Webhooks,
// connections and anything else that makes hooks use it; warnings about
// other parties' hooks it left alone go to diags.
func createWebhook(ctx context.Context, data *providerData, scope bitbucket.WebhookScope, in bitbucket.WebhookInput, before map[string]bool, diags *diag.Diagnostics) (*bitbucket.Webhook, error) {
	client := data.client
	ledger := ledgerFor[bitbucket.Webhook](&data.creates, "webhook "+data.creates.scopeName(ctx, client, scope.Workspace, scope.Repository))
	p := webhookProof(client, scope, in)
	if before == nil {
		var err error
		if before, err = ledger.beforeCreate(ctx, p.list, p.id); err != nil {
			return nil, fmt.Errorf("listing the existing webhooks before creating one: %w", err)
		}
	}
	self := ledger.begin(p.ours)
	hook, err := client.CreateWebhook(ctx, scope, in)
	if !bitbucket.IsUncertain(err) {
		id := ""
		if err == nil {
			id = hook.ID
		}
		ledger.settle(self, id)
		return hook, err
	}
	tflog.Warn(ctx, "Webhook create answer lost; looking for the webhook it made", map[string]any{"error": err.Error()})
	hook, err = recoverWebhook(ctx, client, scope, in, p, ledger, self, before, err, diags)
	if hook == nil {
		ledger.settle(self, "")
	}
	return hook, err
}

// webhookProof: a hook this request made is new since the listing before
// it and equal to the request in everything the server reports: name, URL,
// events, active, the certificate check, and the secret (Data Center
// returns it; Cloud says only whether one is set). A hook that differs in
// any of these was made by someone else.
func webhookProof(client bitbucket.Client, scope bitbucket.WebhookScope, in bitbucket.WebhookInput) proof[bitbucket.Webhook] {
	secret := ""
	if in.Secret != nil {
		secret = *in.Secret
	}
	differs := func(h bitbucket.Webhook) string {
		var d []string
		if h.Name != in.Name {
			d = append(d, "name")
		}
		if h.URL != in.URL {
			d = append(d, "url")
		}
		if !slices.Equal(h.Events, in.Events) {
			d = append(d, "events")
		}
		if h.Active != in.Active {
			d = append(d, "active")
		}
		if h.SkipCertVerification != in.SkipCertVerification {
			d = append(d, "skip_cert_verification")
		}
		if (h.SecretReturned && h.Secret != secret) || (!h.SecretReturned && h.SecretSet != (secret != "")) {
			d = append(d, "secret")
		}
		return strings.Join(d, ", ")
	}
	where := scope.Workspace
	if scope.IsRepository() {
		where += "/" + scope.Repository
	}
	return proof[bitbucket.Webhook]{
		kind: "webhook", where: where,
		list:     func(ctx context.Context) ([]bitbucket.Webhook, error) { return client.ListWebhooks(ctx, scope) },
		id:       func(h bitbucket.Webhook) string { return h.ID },
		ours:     func(h bitbucket.Webhook) bool { return differs(h) == "" },
		similar:  func(h bitbucket.Webhook) bool { return h.Name == in.Name || h.URL == in.URL },
		differs:  differs,
		importID: func(id string) string { return where + "/" + id },
	}
}

// recoverWebhook finishes a create whose answer was lost (cause): the one
// new hook proven to be this request's is adopted; when there is none the
// create did not happen and is sent once more (up to three attempts in
// all), unless Terraform was interrupted. Errors it returns no longer claim
// the outcome is uncertain: they say what the provider found.
func recoverWebhook(ctx context.Context, client bitbucket.Client, scope bitbucket.WebhookScope, in bitbucket.WebhookInput, p proof[bitbucket.Webhook], ledger *scopeLedger[bitbucket.Webhook], self *pendingCreate[bitbucket.Webhook], before map[string]bool, cause error, diags *diag.Diagnostics) (*bitbucket.Webhook, error) {
	skip := func(id string) bool { return before[id] || ledger.isClaimed(id) }
	const attempts = 3
	for attempt := 1; ; attempt++ {
		ledger.setRecovering(self, true)
		f, err := lookPastAwaited(ctx, p, ledger, self, skip)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s; listing the webhooks to find out whether it was made failed: %w. Look in "+
				"Bitbucket for a webhook named %q sending to %s in %s: if it exists, import it or delete it", cause.Error(), err, in.Name, in.URL, p.where)
		case len(f.proven) > 1:
			return nil, fmt.Errorf("%s; webhooks %s, each equal to this request, were created meanwhile, so the "+
				"provider cannot tell which one it created and leaves them all as they are:%s", cause.Error(), p.ids(f.proven), p.leftAlone(append(f.proven, f.unproven...)))
		case len(f.proven) == 1:
			hook := f.proven[0]
			if wait, ambiguous := ledger.contested(self, hook); wait || ambiguous || !ledger.claim(self, hook.ID) {
				return nil, fmt.Errorf("%s; webhook %s is equal to this request, but another create of this run may "+
					"have made it, so the provider leaves it as it is:%s", cause.Error(), hook.ID, p.leftAlone(append(f.proven, f.unproven...)))
			}
			tflog.Info(ctx, "Adopted the webhook whose create answer was lost", map[string]any{"id": hook.ID})
			p.warnLeftAlone(diags, f.unproven)
			return resendUncomparedSecret(ctx, client, scope, in, hook, diags), nil
		case ctx.Err() != nil:
			p.warnLeftAlone(diags, f.unproven)
			return nil, interruptedError(cause, "Bitbucket holds no webhook from this request, so nothing was created")
		case attempt == attempts:
			p.warnLeftAlone(diags, f.unproven)
			return nil, fmt.Errorf("%s (%d attempts, every answer lost; Bitbucket holds no webhook from them)", cause.Error(), attempts)
		}
		ledger.setRecovering(self, false)
		hook, err := client.CreateWebhook(ctx, scope, in)
		if !bitbucket.IsUncertain(err) {
			if err == nil {
				ledger.claim(self, hook.ID)
			}
			p.warnLeftAlone(diags, f.unproven)
			return hook, err
		}
		cause = err
	}
}

// lookPastAwaited lists the scope (lookOnStop) and, while another create of
// this run still waiting for its answer may have made what was found, waits
// and lists again: that create claims its object when the answer comes.
func lookPastAwaited[T any](ctx context.Context, p proof[T], ledger *scopeLedger[T], self *pendingCreate[T], skip func(id string) bool) (findings[T], error) {
	f, rctx, cancel, err := p.lookOnStop(ctx, skip)
	defer cancel()
	for err == nil && rctx.Err() == nil && ledger.awaited(self, f.proven) {
		select {
		case <-time.After(50 * time.Millisecond):
		case <-rctx.Done():
		}
		f, err = p.look(rctx, skip)
	}
	return f, err
}

// resendUncomparedSecret: a product that never returns secrets (Cloud)
// leaves one field of an adopted hook unproven, so the configured secret is
// sent to it again, and the user is told. On failure the hook is kept with
// a warning: it is this request's in everything that could be compared.
func resendUncomparedSecret(ctx context.Context, client bitbucket.Client, scope bitbucket.WebhookScope, in bitbucket.WebhookInput, hook bitbucket.Webhook, diags *diag.Diagnostics) *bitbucket.Webhook {
	if hook.SecretReturned || in.Secret == nil || *in.Secret == "" {
		return &hook
	}
	rctx, cancel := recoveryContext(ctx)
	defer cancel()
	updated, err := client.UpdateWebhook(rctx, scope, hook.ID, in)
	if diags == nil {
		diags = &diag.Diagnostics{}
	}
	if err != nil {
		diags.AddWarning("Webhook secret not confirmed",
			fmt.Sprintf("The answer to the create of webhook %s was lost, and the provider adopted the hook it found. "+
				"Bitbucket does not return webhook secrets, so the provider sent the configured secret again, which "+
				"failed: %s. Apply again with -replace on this webhook to be sure of its secret.", hook.ID, err))
		return &hook
	}
	diags.AddWarning("Webhook secret sent again",
		fmt.Sprintf("The answer to the create of webhook %s was lost, and the provider adopted the hook it found, "+
			"which matches the request in everything Bitbucket reports. Bitbucket does not return webhook secrets, so "+
			"the provider cannot tell it from one someone else made at the same moment: it sent the configured secret "+
			"to it again. If another party relies on this hook, its secret is now yours.", hook.ID))
	return updated
}

// Data Center access tokens. A token's value cannot be compared, and the
// server answers it only once, so the proof is a name nobody else uses: a
// token is created under the configured name plus a random suffix
// (creationName) and renamed to the configured name as soon as the answer
// arrives (Data Center edits a token's name in place). After a lost answer
// the token with the creation name is this request's: its value was only in
// the lost answer, so it is revoked, and the create is sent again. A token
// with any other name, the configured one included, is never touched.

// tokenNameLimit is the longest token name the provider accepts (the
// resources' name validator); a creation name stays within it.
const tokenNameLimit = 255

// creationSuffixLen is the length of "-tf" plus 8 random hex digits.
const creationSuffixLen = 3 + 8

// creationName is name with a random suffix, within tokenNameLimit
// characters (the name is cut, by characters, to make room).
func creationName(name string) string {
	runes := []rune(name)
	if len(runes) > tokenNameLimit-creationSuffixLen {
		runes = runes[:tokenNameLimit-creationSuffixLen]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-tf%s", string(runes), hex.EncodeToString(b[:]))
}

// tokenProof: the token named creation is this request's.
func tokenProof(client bitbucket.Client, scope bitbucket.TokenScope, creation string) proof[bitbucket.AccessToken] {
	return proof[bitbucket.AccessToken]{
		kind: "access token", where: tokenLevel(scope.Level).where(scope),
		list:     func(ctx context.Context) ([]bitbucket.AccessToken, error) { return client.ListAccessTokens(ctx, scope) },
		id:       func(t bitbucket.AccessToken) string { return t.ID },
		ours:     func(t bitbucket.AccessToken) bool { return t.Name == creation },
		similar:  func(bitbucket.AccessToken) bool { return false },
		differs:  func(bitbucket.AccessToken) string { return "" },
		importID: func(id string) string { return id },
	}
}

// createAccessToken creates a token without leaving one nobody tracks and
// without touching anyone else's (the token proof above). Unless Terraform
// was interrupted, a lost create is sent again (up to three attempts). A
// create costs two requests: the create and the rename.
//
// When revoking or renaming fails, the token is returned with the error
// (its value empty): the caller records it, so that the next apply revokes
// it.
func createAccessToken(ctx context.Context, client bitbucket.Client, scope bitbucket.TokenScope, in bitbucket.AccessTokenInput) (*bitbucket.AccessToken, error) {
	const attempts = 3
	var lost error
	for range attempts {
		creation := in
		creation.Name = creationName(in.Name)
		token, err := client.CreateAccessToken(ctx, scope, creation)
		if err == nil {
			return renameCreatedToken(ctx, client, scope, in.Name, token)
		}
		if !bitbucket.IsUncertain(err) {
			return nil, err
		}
		lost = err
		tflog.Warn(ctx, "Access token create answer lost; revoking the token it made", map[string]any{"error": err.Error()})
		orphan, err := revokeLostToken(ctx, client, tokenProof(client, scope, creation.Name), scope, creation.Name)
		switch {
		case err != nil:
			return orphan, fmt.Errorf("%s; %w", lost.Error(), err)
		case ctx.Err() != nil && orphan != nil:
			return nil, interruptedError(lost, fmt.Sprintf("token %s, which this request created and whose value was "+
				"only in the lost answer, was revoked", orphan.ID))
		case ctx.Err() != nil:
			return nil, interruptedError(lost, "Bitbucket holds no token from this request, so none was created")
		}
	}
	return nil, fmt.Errorf("%s (%d attempts, every answer lost; the tokens they created were revoked)", lost.Error(), attempts)
}

// renameCreatedToken gives a token just created under its creation name the
// configured name. The value stays the create's. When the rename cannot be
// confirmed the token is revoked (nobody holds it yet).
//
// Ctrl-C may arrive during the rename: each step then runs on the context
// of its own (stepContext), so that the token whose value is in hand is
// renamed and kept, or revoked, not lost to a cancelled request.
func renameCreatedToken(ctx context.Context, client bitbucket.Client, scope bitbucket.TokenScope, name string, token *bitbucket.AccessToken) (*bitbucket.AccessToken, error) {
	rctx, cancel := stepContext(ctx)
	defer cancel()
	var err error
	for range 2 {
		var renamed *bitbucket.AccessToken
		renamed, err = client.UpdateAccessToken(rctx(), scope, token.ID, bitbucket.AccessTokenInput{Name: name})
		if err == nil {
			renamed.Token = token.Token
			return renamed, nil
		}
		// Whatever the failure (a lost answer, Ctrl-C while the request was
		// on its way), the rename may have been applied: look.
		if got, gerr := client.GetAccessToken(rctx(), scope, token.ID); gerr == nil && got.Name == name {
			got.Token = token.Token
			return got, nil
		}
		var refused *bitbucket.APIError
		if errors.As(err, &refused) && refused.StatusCode < 500 {
			break // the server answered: it will not rename this token
		}
	}
	orphan := *token
	orphan.Token = ""
	if rerr := client.DeleteAccessToken(rctx(), scope, token.ID); rerr != nil && !errors.Is(rerr, bitbucket.ErrNotFound) {
		return &orphan, fmt.Errorf("token %s was created under the temporary name %q, but renaming it to %q failed (%w), "+
			"and revoking it failed too: %v", token.ID, token.Name, name, err, rerr)
	}
	return nil, fmt.Errorf("token %s was created under the temporary name %q, but renaming it to %q failed, so it was "+
		"revoked and nothing was created: %w", token.ID, token.Name, name, err)
}

// revokeLostToken finds the token a lost create made (by its creation
// name) and revokes it. It returns the token it found (nil: the create did
// not happen); with an error, that token may still be live.
func revokeLostToken(ctx context.Context, client bitbucket.Client, p proof[bitbucket.AccessToken], scope bitbucket.TokenScope, creation string) (*bitbucket.AccessToken, error) {
	f, rctx, cancel, err := p.lookOnStop(ctx, nil)
	defer cancel()
	if err != nil {
		return nil, fmt.Errorf("listing the tokens to revoke the one it may have created also failed: %w. "+
			"If a token named %q exists %s, revoke it: this request made it and its value is lost", err, creation, p.where)
	}
	var orphan *bitbucket.AccessToken
	for _, t := range f.proven {
		t.Token = ""
		orphan = &t
		if err := client.DeleteAccessToken(rctx, scope, t.ID); err != nil && !errors.Is(err, bitbucket.ErrNotFound) {
			return orphan, fmt.Errorf("revoking token %s (named %q), which that request created and whose value is lost, failed: %w",
				t.ID, t.Name, err)
		}
		tflog.Info(ctx, "Revoked the access token whose create answer was lost", map[string]any{"id": t.ID})
	}
	return orphan, nil
}

// Access keys. The proof is the key: Bitbucket keeps one registration of
// a public key per scope and refuses the same key twice there (both
// products; internal/emulator/README.md "SSH access keys", "The same key
// twice"), so the key with this fingerprint is the only one on the scope
// this request can have made. A key pair generated for this create is known
// to nobody else: a key with its fingerprint is this request's, whenever it
// appeared. A supplied key may also be registered by another party, but only
// once: a registration that appeared after the listing taken before the
// create and carries the label and permission sent is exactly the object the
// configuration describes, and the server would refuse any other, so it is
// adopted (unless another create of this run may have made it); one that was
// there before, or carries another label or permission, is another party's:
// it is left as it is and named. (Data Center keeps one label per key: a key
// registered on another scope first carries that label here too, so such a
// registration is left alone and named even when this request made it, the
// safe side of the rule.) A key with another fingerprint is never adopted or
// deleted, whatever its label. A create that was refused with an answer
// (the key is already here) adopts nothing: the request did not make it.
// Request cost: a generated key needs no listing before the create; supplied
// keys share one listing per scope and run (createLedger); a lost answer
// costs one listing (two, a second apart, after an interrupt that found
// nothing yet) and, when the create did not happen, the create again.

// keyCreate is one access-key create and what its recovery knows.
type keyCreate struct {
	client      bitbucket.Client
	scope       bitbucket.AccessKeyScope
	in          bitbucket.AccessKeyInput
	generated   bool   // the key pair was generated for this create
	fingerprint string // of in.PublicKey
	p           proof[bitbucket.AccessKey]
	// before are the ids listed before the create (supplied keys only; nil
	// for a generated key, which needs no listing).
	before map[string]bool
	ledger *scopeLedger[bitbucket.AccessKey]
	self   *pendingCreate[bitbucket.AccessKey]
}

// createAccessKey registers in.PublicKey on scope without adopting a key
// it cannot prove this request made and without leaving one it made
// untracked. generated says the key pair was made for this create. Keys of
// other parties it left alone are named in warnings on diags.
func createAccessKey(ctx context.Context, data *providerData, scope bitbucket.AccessKeyScope, in bitbucket.AccessKeyInput, generated bool, diags *diag.Diagnostics) (*bitbucket.AccessKey, error) {
	client := data.client
	fp, err := bitbucket.KeyFingerprint(in.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	if in.Permission == "" {
		in.Permission = client.AccessKeyRules(scope.Level()).Permissions[0]
	}
	kc := &keyCreate{client: client, scope: scope, in: in, generated: generated, fingerprint: fp,
		ledger: ledgerFor[bitbucket.AccessKey](&data.creates, "access key "+
			data.creates.scopeName(ctx, client, scope.Workspace, scope.Repository)+"/"+strings.ToLower(scope.Project))}
	kc.p = kc.proof()
	if !generated {
		if kc.before, err = kc.ledger.beforeCreate(ctx, kc.p.list, kc.p.id); err != nil {
			return nil, fmt.Errorf("listing the access keys of %s before registering one: %w", scope, err)
		}
		kc.self = kc.ledger.begin(kc.p.ours)
	}
	key, err := client.CreateAccessKey(ctx, scope, in)
	switch {
	case err == nil:
		kc.settle(key.ID)
		return key, nil
	case bitbucket.IsUncertain(err):
		key, err = kc.recover(ctx, err, diags)
	default:
		err = kc.refused(ctx, err)
	}
	if key == nil {
		kc.settle("")
	}
	return key, err
}

func (kc *keyCreate) settle(id string) {
	if kc.self != nil {
		kc.ledger.settle(kc.self, id)
	}
}

// proof is the access-key proof (above) for this create.
func (kc *keyCreate) proof() proof[bitbucket.AccessKey] {
	differs := func(k bitbucket.AccessKey) string {
		if k.Fingerprint != kc.fingerprint {
			return "public key " + k.Fingerprint
		}
		var d []string
		if kc.before[k.ID] {
			d = append(d, "registered before this create")
		}
		if !kc.generated && kc.ledger.isClaimed(k.ID) {
			d = append(d, "taken by another resource of this run")
		}
		if k.Label != kc.in.Label {
			d = append(d, fmt.Sprintf("label %q", k.Label))
		}
		if k.Permission != kc.in.Permission {
			d = append(d, "permission "+k.Permission)
		}
		return strings.Join(d, ", ")
	}
	return proof[bitbucket.AccessKey]{
		kind: "access key", where: kc.scope.String(),
		list: func(ctx context.Context) ([]bitbucket.AccessKey, error) {
			return kc.client.ListAccessKeys(ctx, kc.scope)
		},
		id: func(k bitbucket.AccessKey) string { return k.ID },
		ours: func(k bitbucket.AccessKey) bool {
			return k.Fingerprint == kc.fingerprint && (kc.generated || differs(k) == "")
		},
		similar:  func(k bitbucket.AccessKey) bool { return k.Fingerprint == kc.fingerprint || k.Label == kc.in.Label },
		differs:  differs,
		importID: func(id string) string { return accessKeyImportID(kc.scope, id) },
	}
}

// registered is the registration of this public key among unproven
// objects (at most one: the server keeps one per scope).
func (kc *keyCreate) registered(objects []bitbucket.AccessKey) *bitbucket.AccessKey {
	for i := range objects {
		if objects[i].Fingerprint == kc.fingerprint {
			return &objects[i]
		}
	}
	return nil
}

// refused handles a create refused with an answer: the request made
// nothing. When the refusal is the key being registered here already, the
// error names that registration.
func (kc *keyCreate) refused(ctx context.Context, cause error) error {
	if !errors.Is(cause, bitbucket.ErrValidation) && !errors.Is(cause, bitbucket.ErrConflict) {
		return cause
	}
	rctx, cancel := recoveryContext(ctx)
	defer cancel()
	keys, err := kc.p.list(rctx)
	if err != nil {
		return cause
	}
	for _, k := range keys {
		if k.Fingerprint == kc.fingerprint {
			return &accessKeyExistsError{scope: kc.scope, key: k, cause: cause, leftAlone: kc.p.leftAlone([]bitbucket.AccessKey{k})}
		}
	}
	return cause
}

// recover settles a create whose answer was lost (cause): the scope is
// listed, on a context of its own once Terraform has been interrupted; the
// key this request made is adopted; when there is none the create is sent
// again (three attempts in all) unless Terraform was interrupted. What it
// cannot settle or did not make, it names.
func (kc *keyCreate) recover(ctx context.Context, cause error, diags *diag.Diagnostics) (*bitbucket.AccessKey, error) {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		tflog.Warn(ctx, "Access key create answer lost; looking for the key it may have registered",
			map[string]any{"error": cause.Error(), "fingerprint": kc.fingerprint})
		kc.setRecovering(true)
		f, err := kc.look(ctx)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s; listing the access keys of %s to find out whether it was registered failed: %w. %s",
				cause.Error(), kc.scope, err, kc.lookInBitbucket())
		case len(f.proven) == 1 && kc.self != nil:
			key := f.proven[0]
			if wait, ambiguous := kc.ledger.contested(kc.self, key); wait || ambiguous || !kc.ledger.claim(kc.self, key.ID) {
				return nil, fmt.Errorf("%s; access key %s is this public key as sent, but another create of this run may "+
					"have registered it, so the provider leaves it as it is:%s", cause.Error(), key.ID, kc.p.leftAlone(f.proven))
			}
			fallthrough
		case len(f.proven) == 1:
			tflog.Info(ctx, "Adopted the access key whose create answer was lost", map[string]any{"id": f.proven[0].ID})
			kc.p.warnLeftAlone(diags, kc.madeMeanwhile(f.unproven))
			return &f.proven[0], nil
		case kc.registered(f.unproven) != nil:
			return nil, &accessKeyExistsError{scope: kc.scope, key: *kc.registered(f.unproven), cause: cause, leftAlone: kc.p.leftAlone(f.unproven)}
		case ctx.Err() != nil:
			return nil, interruptedError(cause, fmt.Sprintf("Bitbucket holds no access key with this public key (%s) in %s, "+
				"so nothing was registered.%s", kc.fingerprint, kc.scope, kc.leftAloneNote(f.unproven)))
		case attempt == attempts:
			return nil, fmt.Errorf("%s (%d attempts, no answer received; Bitbucket holds no access key with this public key "+
				"in %s).%s", cause.Error(), attempts, kc.scope, kc.leftAloneNote(f.unproven))
		}
		kc.setRecovering(false)
		key, again, err := kc.createAgain(ctx, f.unproven, diags)
		if !again {
			return key, err
		}
		cause = err
	}
}

// setRecovering marks this create as looking for its key itself; a
// generated key has no ledger entry (nobody else can register it).
func (kc *keyCreate) setRecovering(recovering bool) {
	if kc.self != nil {
		kc.ledger.setRecovering(kc.self, recovering)
	}
}

// look lists the scope (lookOnStop). Another create of this run still
// waiting for its answer may have registered the same supplied key: it
// claims it when the answer comes, so while that may be so, it waits and
// lists again.
func (kc *keyCreate) look(ctx context.Context) (findings[bitbucket.AccessKey], error) {
	f, rctx, cancel, err := kc.p.lookOnStop(ctx, nil)
	defer cancel()
	for err == nil && kc.self != nil && len(f.proven) == 1 && rctx.Err() == nil {
		if wait, _ := kc.ledger.contested(kc.self, f.proven[0]); !wait {
			break
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-rctx.Done():
		}
		f, err = kc.p.look(rctx, nil)
	}
	return f, err
}

// createAgain sends the create once more after recovery found nothing.
// again reports that err is a new cause to recover from: an uncertain
// answer, or a refusal that may mean the earlier attempt's registration
// arrived meanwhile (the server refuses the key twice): look once more.
func (kc *keyCreate) createAgain(ctx context.Context, unproven []bitbucket.AccessKey, diags *diag.Diagnostics) (key *bitbucket.AccessKey, again bool, err error) {
	key, err = kc.client.CreateAccessKey(ctx, kc.scope, kc.in)
	switch {
	case err == nil:
		kc.settle(key.ID)
		kc.p.warnLeftAlone(diags, kc.madeMeanwhile(unproven))
		return key, false, nil
	case bitbucket.IsUncertain(err):
		return nil, true, err
	case errors.Is(err, bitbucket.ErrValidation) || errors.Is(err, bitbucket.ErrConflict):
		return nil, true, err
	default:
		return nil, false, err
	}
}

// madeMeanwhile are the unproven keys another party registered since the
// listing before a supplied key's create: what the warning after a
// successful recovery names. A generated key has no listing before, and no
// other key could ever have been taken for it, so it names none.
func (kc *keyCreate) madeMeanwhile(objects []bitbucket.AccessKey) []bitbucket.AccessKey {
	var out []bitbucket.AccessKey
	for _, k := range objects {
		if !kc.generated && !kc.before[k.ID] {
			out = append(out, k)
		}
	}
	return out
}

// leftAloneNote names the keys recovery did not touch, for an error.
func (kc *keyCreate) leftAloneNote(objects []bitbucket.AccessKey) string {
	if len(objects) == 0 {
		return ""
	}
	return " The provider left these as they are, not being able to prove it made them:" + kc.p.leftAlone(objects)
}

// lookInBitbucket says what to look for when the provider could not.
func (kc *keyCreate) lookInBitbucket() string {
	what := fmt.Sprintf("Look in Bitbucket for an access key labelled %q with fingerprint %s in %s: if it exists, ",
		kc.in.Label, kc.fingerprint, kc.scope)
	if kc.generated {
		return what + "delete it (its private key was generated for this run and is not kept), then apply again"
	}
	return what + fmt.Sprintf("import it with the ID %q (its number in place of <id>) or delete it", accessKeyImportID(kc.scope, "<id>"))
}

// accessKeyImportID is the import ID of key id of scope.
func accessKeyImportID(scope bitbucket.AccessKeyScope, id string) string {
	switch {
	case scope.Repository != "":
		return scope.Workspace + "/" + scope.Repository + "/" + id
	case scope.Project != "":
		return scope.Workspace + "/" + scope.Project + "/" + id
	}
	return scope.Workspace + "/" + id
}

// accessKeyExistsError: the public key is already registered on the scope,
// by someone else as far as the provider can tell (there before the create,
// registered with another label or permission, or the create was refused).
type accessKeyExistsError struct {
	scope     bitbucket.AccessKeyScope
	key       bitbucket.AccessKey
	cause     error  // the create's failure
	leftAlone string // proof.leftAlone of the keys not touched
}

func (e *accessKeyExistsError) Error() string {
	msg := fmt.Sprintf("this public key is already access key %s of %s (label %q, permission %s), which this create "+
		"cannot prove it registered, so the provider left it as it is:%s", e.key.ID, e.scope, e.key.Label, e.key.Permission, e.leftAlone)
	if e.cause != nil && bitbucket.IsUncertain(e.cause) {
		msg = e.cause.Error() + "; " + msg
	}
	return msg
}
