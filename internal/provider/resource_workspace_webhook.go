package provider

import "github.com/hashicorp/terraform-plugin-framework/resource"

// NewWorkspaceWebhookResource returns bitbucket_workspace_webhook: a Cloud
// workspace hook (/workspaces/{ws}/hooks, owners only) or a Data Center
// project hook (/projects/{key}/webhooks). The implementation is shared with
// bitbucket_repository_webhook in webhook.go.
func NewWorkspaceWebhookResource() resource.Resource {
	return &webhookResource{repositoryLevel: false}
}
