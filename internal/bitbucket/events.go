package bitbucket

import (
	"slices"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/catalog"
)

// WebhookEvents is the product's event catalogue for a repository hook or a
// workspace/project hook, sorted. The lists live in internal/catalog, shared
// with the emulator and tied to their sources by its tests. Project hooks on
// Data Center also accept project:modified.
func WebhookEvents(product Product, repositoryHook bool) []string {
	var events []string
	switch {
	case product == ProductCloud:
		events = slices.Clone(catalog.CloudWebhookEvents)
	case repositoryHook:
		events = slices.Clone(catalog.DataCenterRepositoryWebhookEvents)
	default:
		events = append(slices.Clone(catalog.DataCenterRepositoryWebhookEvents), catalog.DataCenterProjectOnlyWebhookEvents...)
	}
	slices.Sort(events)
	return events
}
