package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// Creates whose answer is lost. A create is never repeated blindly: the
// scope is listed before it, and when its answer is lost (a timeout, a reset,
// a 5xx, or Terraform stopping the provider on Ctrl-C, which cancels the
// request's context) the scope is listed again. An object that matches the
// request and was not there before is the one this create made; anything that
// was there before (a hand-made webhook with the same name, say) is never
// adopted, revoked or deleted.
//
// When the request's context has ended, the second listing (and a revoke)
// runs on a short context of its own: the server may well have finished the
// create after the client left (servlet containers such as Tomcat do), and
// only by looking can the provider record or clean up what exists before
// Terraform exits. Terraform keeps the state a failed create returns.

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

// createSnapshot is what a scope held before a create: the ids listed.
type createSnapshot[T any] struct {
	list    func(context.Context) ([]T, error)
	id      func(T) string
	matches func(T) bool
	before  map[string]bool
}

// snapshotBeforeCreate lists the scope before a create; matches says which
// objects the create would make (same name, and for webhooks URL and events).
func snapshotBeforeCreate[T any](ctx context.Context, list func(context.Context) ([]T, error), id func(T) string, matches func(T) bool) (*createSnapshot[T], error) {
	objects, err := list(ctx)
	if err != nil {
		return nil, err
	}
	s := &createSnapshot[T]{list: list, id: id, matches: matches, before: make(map[string]bool, len(objects))}
	for _, o := range objects {
		s.before[id(o)] = true
	}
	return s, nil
}

// madeSince lists the scope again and returns the matching objects that
// were not there before: what the lost create made (none when it did not
// happen). After an interruption (recheck) a create the server has not
// finished yet may still be on its way, so an empty answer is checked once
// more a second later.
func (s *createSnapshot[T]) madeSince(ctx context.Context, recheck bool) ([]T, error) {
	for attempt := 0; ; attempt++ {
		objects, err := s.list(ctx)
		if err != nil {
			return nil, err
		}
		var made []T
		for _, o := range objects {
			if !s.before[s.id(o)] && s.matches(o) {
				made = append(made, o)
			}
		}
		if len(made) > 0 || attempt > 0 || !recheck {
			return made, nil
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return made, nil
		}
	}
}

// lostCreate is the cause handed to the recovery of a create whose answer
// was lost, carrying the listing taken before it.
type lostCreate struct {
	err    error
	before map[string]bool
}

func (e *lostCreate) Error() string { return e.err.Error() }
func (e *lostCreate) Unwrap() error { return e.err }

// interruptedError says what an interrupted create left behind, truthfully
// (it no longer claims the outcome is uncertain).
func interruptedError(cause error, what string) error {
	var uncertain *bitbucket.UncertainError
	if errors.As(cause, &uncertain) {
		cause = uncertain.Err
	}
	return fmt.Errorf("the run was stopped during the request (%s), and %s", cause.Error(), what)
}

// createWebhook creates a webhook without leaving a duplicate or adopting
// one someone else made: the scope's hooks are listed first, and a lost
// answer is resolved by adoptOrCreateWebhook. Webhooks, connections and
// anything else that makes hooks use it.
func createWebhook(ctx context.Context, client bitbucket.Client, scope bitbucket.WebhookScope, in bitbucket.WebhookInput) (*bitbucket.Webhook, error) {
	hooks, err := client.ListWebhooks(ctx, scope)
	if err != nil {
		return nil, fmt.Errorf("listing the existing webhooks before creating one: %w", err)
	}
	return createListedWebhook(ctx, client, scope, in, hooksBefore(hooks))
}

// hooksBefore are the ids of hooks, a scope's listing taken before a create.
// It is never nil, so a caller can tell "listed, empty" from "not listed".
func hooksBefore(hooks []bitbucket.Webhook) map[string]bool {
	before := make(map[string]bool, len(hooks))
	for _, h := range hooks {
		before[h.ID] = true
	}
	return before
}

// createListedWebhook is createWebhook for a caller that has just listed the
// scope's hooks itself (before, from hooksBefore): one listing serves both.
func createListedWebhook(ctx context.Context, client bitbucket.Client, scope bitbucket.WebhookScope, in bitbucket.WebhookInput, before map[string]bool) (*bitbucket.Webhook, error) {
	hook, err := client.CreateWebhook(ctx, scope, in)
	if !bitbucket.IsUncertain(err) {
		return hook, err
	}
	tflog.Warn(ctx, "Webhook create answer lost; looking for the webhook it may have made", map[string]any{"error": err.Error()})
	return adoptOrCreateWebhook(ctx, client, scope, in, &lostCreate{err: err, before: before})
}

// sameHook matches a webhook the request in would make.
func sameHook(in bitbucket.WebhookInput) func(bitbucket.Webhook) bool {
	return func(h bitbucket.Webhook) bool {
		return h.URL == in.URL && h.Name == in.Name && slices.Equal(h.Events, in.Events)
	}
}

// adoptOrCreateWebhook finishes a create whose answer was lost (cause): a
// matching hook in the scope that was not in the listing taken before the
// create (carried by a cause from createWebhook) is the one it made and is
// adopted; when there is none the create did not happen and is sent once
// more (up to three attempts in all), unless Terraform was interrupted.
// Without that listing no hook can be told from a hand-made one, so none is
// adopted. Errors it returns no longer claim the outcome is uncertain: they
// say what the provider found.
func adoptOrCreateWebhook(ctx context.Context, client bitbucket.Client, scope bitbucket.WebhookScope, in bitbucket.WebhookInput, cause error) (*bitbucket.Webhook, error) {
	var lost *lostCreate
	known := errors.As(cause, &lost)
	snapshot := &createSnapshot[bitbucket.Webhook]{
		list:    func(ctx context.Context) ([]bitbucket.Webhook, error) { return client.ListWebhooks(ctx, scope) },
		id:      func(h bitbucket.Webhook) string { return h.ID },
		matches: sameHook(in),
		before:  map[string]bool{},
	}
	if known {
		snapshot.before = lost.before
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		rctx, cancel := recoveryContext(ctx)
		made, err := snapshot.madeSince(rctx, ctx.Err() != nil)
		cancel()
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s; listing the webhooks to find out whether it was made failed: %w. Look in "+
				"Bitbucket for a webhook named %q sending to %s: if it exists, import it or delete it", cause.Error(), err, in.Name, in.URL)
		case len(made) == 1 && known:
			tflog.Info(ctx, "Adopted the webhook whose create answer was lost", map[string]any{"id": made[0].ID})
			return &made[0], nil
		case len(made) > 1:
			ids := make([]string, len(made))
			for i, h := range made {
				ids[i] = h.ID
			}
			return nil, fmt.Errorf("%s; webhooks %s with this name, URL and events were created meanwhile, so the "+
				"provider cannot tell which one it created: delete the extra ones or import one", cause.Error(), strings.Join(ids, ", "))
		case len(made) == 1:
			return nil, fmt.Errorf("%s; webhook %s has this name, URL and events, but the provider cannot tell whether "+
				"this request made it: import it or delete it", cause.Error(), made[0].ID)
		case ctx.Err() != nil:
			return nil, interruptedError(cause, "Bitbucket holds no webhook from this request, so nothing was created")
		case attempt == attempts:
			return nil, fmt.Errorf("%s (%d attempts, every answer lost; Bitbucket holds no webhook from them)", cause.Error(), attempts)
		}
		hook, err := client.CreateWebhook(ctx, scope, in)
		if !bitbucket.IsUncertain(err) {
			return hook, err
		}
		cause = &lostCreate{err: err, before: snapshot.before}
	}
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
// adopted; one that was there before, or carries another label or
// permission, is another party's and is only named. A key with another
// fingerprint is never adopted or deleted, whatever its label.
// Request cost: a generated key needs no listing before the create (a
// supplied one, one); a lost answer costs one listing (two after an
// interrupt that found nothing yet, a second apart).

// keyCreate is one access-key create and what its recovery knows.
type keyCreate struct {
	client      bitbucket.Client
	scope       bitbucket.AccessKeyScope
	in          bitbucket.AccessKeyInput
	generated   bool   // the key pair was generated for this create
	fingerprint string // of in.PublicKey
	// before are the ids listed before the create (supplied keys only; nil
	// for a generated key, which needs no listing).
	before map[string]bool
}

// createAccessKey registers in.PublicKey on scope without adopting a key
// it cannot prove this request made and without leaving one it made
// untracked. generated says the key pair was made for this create.
func createAccessKey(ctx context.Context, client bitbucket.Client, scope bitbucket.AccessKeyScope, in bitbucket.AccessKeyInput, generated bool) (*bitbucket.AccessKey, error) {
	fp, err := bitbucket.KeyFingerprint(in.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	if in.Permission == "" {
		in.Permission = client.AccessKeyRules(scope.Level()).Permissions[0]
	}
	kc := &keyCreate{client: client, scope: scope, in: in, generated: generated, fingerprint: fp}
	if !generated {
		keys, err := client.ListAccessKeys(ctx, scope)
		if err != nil {
			return nil, fmt.Errorf("listing the access keys of %s before registering one: %w", scope, err)
		}
		kc.before = make(map[string]bool, len(keys))
		for _, k := range keys {
			kc.before[k.ID] = true
		}
		if _, foreign, _ := kc.sort(keys); foreign != nil {
			return nil, &accessKeyExistsError{scope: scope, key: *foreign}
		}
	}
	key, err := client.CreateAccessKey(ctx, scope, in)
	if err == nil {
		return key, nil
	}
	return kc.recover(ctx, err)
}

// sort splits a listing of the scope: own is the key this request made
// (by the proof above), foreign a registration of the same public key that
// is not, others the keys with the label sent but another public key.
func (kc *keyCreate) sort(keys []bitbucket.AccessKey) (own, foreign *bitbucket.AccessKey, others []bitbucket.AccessKey) {
	for i := range keys {
		k := &keys[i]
		switch {
		case k.Fingerprint == kc.fingerprint && (kc.generated ||
			(kc.before != nil && !kc.before[k.ID] && k.Label == kc.in.Label && k.Permission == kc.in.Permission)):
			own = k
		case k.Fingerprint == kc.fingerprint:
			foreign = k
		case k.Label == kc.in.Label:
			others = append(others, *k)
		}
	}
	return own, foreign, others
}

// look lists the scope on ctx and sorts it. After an interruption
// (recheck) a create the server has not finished yet may still be on its
// way, so a listing without the key is taken once more a second later.
func (kc *keyCreate) look(ctx context.Context, recheck bool) (own, foreign *bitbucket.AccessKey, others []bitbucket.AccessKey, err error) {
	for attempt := 0; ; attempt++ {
		keys, err := kc.client.ListAccessKeys(ctx, kc.scope)
		if err != nil {
			return nil, nil, nil, err
		}
		own, foreign, others = kc.sort(keys)
		if own != nil || foreign != nil || attempt > 0 || !recheck {
			return own, foreign, others, nil
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return own, foreign, others, nil
		}
	}
}

// recover settles a create that failed with cause. A lost answer (or a
// refusal, which may mean the key arrived meanwhile: the server refuses
// the same key twice) is settled by listing the scope, on a context of its
// own once Terraform has been interrupted; when the create did not happen
// it is sent again (three attempts in all) unless Terraform was interrupted.
func (kc *keyCreate) recover(ctx context.Context, cause error) (*bitbucket.AccessKey, error) {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		refused := errors.Is(cause, bitbucket.ErrValidation) || errors.Is(cause, bitbucket.ErrConflict)
		if !bitbucket.IsUncertain(cause) && !refused {
			return nil, cause
		}
		if bitbucket.IsUncertain(cause) {
			tflog.Warn(ctx, "Access key create answer lost; looking for the key it may have registered",
				map[string]any{"error": cause.Error(), "fingerprint": kc.fingerprint})
		}
		rctx, cancel := recoveryContext(ctx)
		own, foreign, others, err := kc.look(rctx, ctx.Err() != nil)
		cancel()
		switch {
		case err != nil && refused:
			return nil, cause
		case err != nil:
			return nil, fmt.Errorf("%s; listing the access keys of %s to find out whether it was registered failed: %w. %s",
				cause.Error(), kc.scope, err, kc.lookInBitbucket())
		case own != nil:
			tflog.Info(ctx, "Adopted the access key whose create answer was lost", map[string]any{"id": own.ID})
			return own, nil
		case foreign != nil:
			return nil, &accessKeyExistsError{scope: kc.scope, key: *foreign, cause: cause}
		case refused:
			return nil, cause
		case ctx.Err() != nil:
			return nil, interruptedError(cause, fmt.Sprintf("Bitbucket holds no access key with this public key (%s) on %s, "+
				"so nothing was registered.%s", kc.fingerprint, kc.scope, othersNote(kc.scope, others)))
		case attempt == attempts:
			return nil, fmt.Errorf("%s (%d attempts, every answer lost; Bitbucket holds no access key with this public key "+
				"on %s).%s", cause.Error(), attempts, kc.scope, othersNote(kc.scope, others))
		}
		key, err := kc.client.CreateAccessKey(ctx, kc.scope, kc.in)
		if err == nil {
			return key, nil
		}
		cause = err
	}
}

// lookInBitbucket says what to look for when the provider could not.
func (kc *keyCreate) lookInBitbucket() string {
	what := fmt.Sprintf("Look in Bitbucket for an access key labelled %q with fingerprint %s on %s: if it exists, ",
		kc.in.Label, kc.fingerprint, kc.scope)
	if kc.generated {
		return what + "delete it (its private key was generated for this run and is not kept), then apply again"
	}
	return what + "import it (" + accessKeyImportHint(kc.scope, "<id>") + ") or delete it"
}

// othersNote names the keys with the label sent but another public key:
// not this request's, left as they are.
func othersNote(scope bitbucket.AccessKeyScope, others []bitbucket.AccessKey) string {
	var b strings.Builder
	for _, k := range others {
		fmt.Fprintf(&b, " Access key %s of %s is labelled %q too but holds another public key (%s), so the provider "+
			"left it as it is: if it is yours, %s; otherwise delete it in Bitbucket or leave it.", k.ID, scope, k.Label,
			k.Fingerprint, accessKeyImportHint(scope, k.ID))
	}
	return b.String()
}

// accessKeyImportHint says how to import key id of scope.
func accessKeyImportHint(scope bitbucket.AccessKeyScope, id string) string {
	typeName := "bitbucket_project_access_key"
	if scope.Level() == bitbucket.AccessKeyLevelRepository {
		typeName = "bitbucket_repository_access_key"
	}
	return fmt.Sprintf("import it with terraform import %s.<name> %s", typeName, accessKeyImportID(scope, id))
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
// or with another label or permission).
type accessKeyExistsError struct {
	scope bitbucket.AccessKeyScope
	key   bitbucket.AccessKey
	cause error // the create's failure, nil when it was not sent
}

func (e *accessKeyExistsError) Error() string {
	msg := fmt.Sprintf("this public key is already access key %s of %s (label %q, permission %s), not registered by this "+
		"apply, so the provider left it as it is", e.key.ID, e.scope, e.key.Label, e.key.Permission)
	if e.cause != nil {
		msg = e.cause.Error() + "; " + msg
	}
	return msg
}
