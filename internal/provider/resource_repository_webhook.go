package provider

import "github.com/hashicorp/terraform-plugin-framework/resource"

var (
	_ resource.ResourceWithImportState = &webhookResource{}
	_ resource.ResourceWithModifyPlan  = &webhookResource{}
	_ resource.ResourceWithConfigure   = &webhookResource{}
)

// NewRepositoryWebhookResource returns bitbucket_repository_webhook: a hook
// on one repository (Cloud /repositories/{ws}/{repo}/hooks, Data Center
// /projects/{key}/repos/{slug}/webhooks). The implementation is shared with
// bitbucket_workspace_webhook in webhook.go.
func NewRepositoryWebhookResource() resource.Resource {
	return &webhookResource{repositoryLevel: true}
}
