// Package catalog holds the lists both the API client (internal/bitbucket)
// and the emulator (internal/emulator) need, written once and tied to their
// public sources by tests. It imports nothing.
package catalog

// CloudWebhookEvents is the events enum of Bitbucket Cloud's
// webhook_subscription schema (Cloud OpenAPI, components.schemas.
// webhook_subscription.properties.events.items.enum, committed under
// internal/emulator/conformance/testdata); repository and workspace hooks
// share it. TestCloudWebhookEventsMatchTheOpenAPIEnum ties the two.
var CloudWebhookEvents = []string{
	"issue:comment_created", "issue:created", "issue:updated",
	"pipeline:span_created", "project:updated",
	"pullrequest:approved", "pullrequest:changes_request_created", "pullrequest:changes_request_removed",
	"pullrequest:comment_created", "pullrequest:comment_deleted", "pullrequest:comment_reopened",
	"pullrequest:comment_resolved", "pullrequest:comment_updated", "pullrequest:created",
	"pullrequest:fulfilled", "pullrequest:push", "pullrequest:rejected", "pullrequest:unapproved",
	"pullrequest:updated",
	"repo:commit_comment_created", "repo:commit_status_created", "repo:commit_status_updated",
	"repo:created", "repo:deleted", "repo:fork", "repo:imported", "repo:push", "repo:transfer", "repo:updated",
}

// DataCenterRepositoryWebhookEvents are the event keys of a Data Center
// repository (and project) webhook, from Atlassian's "Event payload" page
// (https://confluence.atlassian.com/bitbucketserver/event-payload-938025882.html).
// That page also lists pr:to_ref_updated and pr:reviewer:changes_requested,
// which a live 9.x server refused with 400 "the event ... is unknown" when
// the provider was built, so they are left out (docs/dev/bitbucket-api.md).
var DataCenterRepositoryWebhookEvents = []string{
	"mirror:repo_synchronized",
	"pr:comment:added", "pr:comment:deleted", "pr:comment:edited",
	"pr:declined", "pr:deleted", "pr:from_ref_updated", "pr:merged", "pr:modified", "pr:opened",
	"pr:reviewer:approved", "pr:reviewer:needs_work", "pr:reviewer:unapproved", "pr:reviewer:updated",
	"repo:comment:added", "repo:comment:deleted", "repo:comment:edited",
	"repo:forked", "repo:modified", "repo:refs_changed", "repo:secret_detected",
}

// DataCenterProjectOnlyWebhookEvents are accepted by project webhooks only
// (same page: "project:modified" is a project event).
var DataCenterProjectOnlyWebhookEvents = []string{"project:modified"}
