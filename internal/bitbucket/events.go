package bitbucket

import "slices"

// cloudWebhookEvents is the event enum of Cloud's webhook_subscription
// schema (identical in the 2026-06 and 2026-08 spec snapshots); repository
// and workspace hooks share it.
var cloudWebhookEvents = []string{
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

// dataCenterRepositoryEvents is the set a live Data Center server accepted
// (reference B.2); pr:to_ref_updated and pr:reviewer:changes_requested are
// documented but rejected by the server, so they are not offered.
var dataCenterRepositoryEvents = []string{
	"mirror:repo_synchronized",
	"pr:comment:added", "pr:comment:deleted", "pr:comment:edited",
	"pr:declined", "pr:deleted", "pr:from_ref_updated", "pr:merged", "pr:modified", "pr:opened",
	"pr:reviewer:approved", "pr:reviewer:needs_work", "pr:reviewer:unapproved", "pr:reviewer:updated",
	"repo:comment:added", "repo:comment:deleted", "repo:comment:edited",
	"repo:forked", "repo:modified", "repo:refs_changed", "repo:secret_detected",
}

// WebhookEvents is the product's event catalogue for a repository hook or a
// workspace/project hook, sorted. Project hooks on Data Center also accept
// project:modified.
func WebhookEvents(product Product, repositoryHook bool) []string {
	var events []string
	switch {
	case product == ProductCloud:
		events = slices.Clone(cloudWebhookEvents)
	case repositoryHook:
		events = slices.Clone(dataCenterRepositoryEvents)
	default:
		events = append(slices.Clone(dataCenterRepositoryEvents), "project:modified")
	}
	slices.Sort(events)
	return events
}
