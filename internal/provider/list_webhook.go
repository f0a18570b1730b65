package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// webhookListResource lists the webhooks of bitbucket_repository_webhook
// and bitbucket_workspace_webhook for `terraform query` (Terraform 1.14+).
// It shares the resource's type name, configuration and state filling, so a
// listed hook is exactly what an import of it reads.
type webhookListResource struct {
	webhookResource
}

type webhookListConfig struct {
	Workspace  types.String `tfsdk:"workspace"`
	Repository types.String `tfsdk:"repository"`
	Name       types.String `tfsdk:"name"`
}

type workspaceWebhookListConfig struct {
	Workspace types.String `tfsdk:"workspace"`
	Name      types.String `tfsdk:"name"`
}

// NewRepositoryWebhookListResource lists repository webhooks.
func NewRepositoryWebhookListResource() list.ListResource {
	return &webhookListResource{webhookResource{repositoryLevel: true}}
}

// NewWorkspaceWebhookListResource lists Cloud workspace / Data Center project webhooks.
func NewWorkspaceWebhookListResource() list.ListResource {
	return &webhookListResource{webhookResource{repositoryLevel: false}}
}

var _ list.ListResourceWithConfigure = &webhookListResource{}

func (r *webhookListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	attributes := map[string]schema.Attribute{
		"workspace": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Cloud workspace slug or Data Center project key whose webhooks are listed. " +
				"Defaults to the provider's `workspace`.",
			Validators: []validator.String{workspaceValidator},
		},
		"name": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Only webhooks with exactly this name (Cloud `description`, Data Center `name`). " +
				"Neither product's webhook API filters by name, so this one is applied to the listed pages.",
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
	}
	description := "Lists the webhooks of a Cloud workspace or Data Center project (not those of its repositories)."
	if r.repositoryLevel {
		attributes["repository"] = schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Repository slug. When omitted, the webhooks of every repository in the workspace " +
				"are listed (every page of the repository list is read).",
			Validators: []validator.String{repositoryValidator},
		}
		description = "Lists repository webhooks: of one repository, or of every repository in a workspace."
	}
	resp.Schema = schema.Schema{MarkdownDescription: description, Attributes: attributes}
}

func (r *webhookListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	if r.data == nil {
		stream.Results = list.NoListResults
		return
	}
	cfg, diags := r.listConfig(ctx, req)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	result := req.NewListResult(ctx)
	workspace := r.data.listedWorkspace(ctx, cfg.Workspace, &result.Diagnostics)
	if result.Diagnostics.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(result.Diagnostics)
		return
	}
	scopes := r.listScopes(ctx, workspace, cfg, &result.Diagnostics)
	if result.Diagnostics.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(result.Diagnostics)
		return
	}
	stream.Results = r.listResults(ctx, req, cfg, scopes)
}

// listConfig reads either level's configuration into the repository level's
// model (the workspace level has no repository attribute).
func (r *webhookListResource) listConfig(ctx context.Context, req list.ListRequest) (webhookListConfig, diag.Diagnostics) {
	var cfg webhookListConfig
	if r.repositoryLevel {
		diags := req.Config.Get(ctx, &cfg)
		return cfg, diags
	}
	var w workspaceWebhookListConfig
	diags := req.Config.Get(ctx, &w)
	return webhookListConfig{Workspace: w.Workspace, Name: w.Name}, diags
}

// listScopes is the scopes to list: one repository, every repository of the
// workspace, or the workspace itself.
func (r *webhookListResource) listScopes(ctx context.Context, workspace string, cfg webhookListConfig, diags *diag.Diagnostics) []bitbucket.WebhookScope {
	switch {
	case !r.repositoryLevel:
		return []bitbucket.WebhookScope{{Workspace: workspace}}
	case cfg.Repository.ValueString() != "":
		return []bitbucket.WebhookScope{{Workspace: workspace, Repository: cfg.Repository.ValueString()}}
	}
	repos, err := r.data.client.ListRepositories(ctx, workspace, bitbucket.RepositoryFilter{})
	if err != nil {
		clientErrorDiagnostic(diags, r.data.client, "list the repositories of "+workspace, err)
		return nil
	}
	var scopes []bitbucket.WebhookScope
	for _, repo := range repos {
		scopes = append(scopes, bitbucket.WebhookScope{Workspace: workspace, Repository: repo.Slug})
	}
	return scopes
}

// listResults streams the hooks of each scope that match the name filter,
// stopping at the query's limit or when Terraform stops reading.
func (r *webhookListResource) listResults(ctx context.Context, req list.ListRequest, cfg webhookListConfig, scopes []bitbucket.WebhookScope) func(push func(list.ListResult) bool) {
	return func(push func(list.ListResult) bool) {
		var pushed int64
		for _, scope := range scopes {
			hooks, err := r.data.client.ListWebhooks(ctx, scope)
			if err != nil {
				result := req.NewListResult(ctx)
				r.webhookError(&result.Diagnostics, "list webhooks", scope, "", err)
				push(result)
				return
			}
			for i := range hooks {
				hook := &hooks[i]
				if !cfg.Name.IsNull() && hook.Name != cfg.Name.ValueString() {
					continue
				}
				if req.Limit > 0 && pushed >= req.Limit {
					return
				}
				if !push(r.listResult(ctx, req, scope, hook)) {
					return
				}
				pushed++
			}
		}
	}
}

// listResult is one listed hook: its identity, display name and the state
// an import of it would read.
func (r *webhookListResource) listResult(ctx context.Context, req list.ListRequest, scope bitbucket.WebhookScope, hook *bitbucket.Webhook) list.ListResult {
	result := req.NewListResult(ctx)
	result.DisplayName = fmt.Sprintf("%s (%s)", hook.Name, describeHook(scope, hook.ID))
	m := webhookModel{Workspace: types.StringValue(scope.Workspace)}
	r.fill(&m, hook, nil)
	r.setModelReflect(ctx, result.Resource.Set, m, scope.Repository, &result.Diagnostics)
	syncIdentity(ctx, result.Resource, result.Identity, &result.Diagnostics)
	return result
}
