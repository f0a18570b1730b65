package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// accessKeyListResource lists SSH access keys (Cloud deploy keys, Data
// Center access keys) for `terraform query` (Terraform 1.14+), under the
// resource's type name. A listed key has no private key: Bitbucket never
// had it.
type accessKeyListResource struct {
	accessKeyResource
}

// NewRepositoryAccessKeyListResource lists repository access keys.
func NewRepositoryAccessKeyListResource() list.ListResource {
	return &accessKeyListResource{accessKeyResource{level: bitbucket.AccessKeyLevelRepository}}
}

// NewProjectAccessKeyListResource lists project access keys.
func NewProjectAccessKeyListResource() list.ListResource {
	return &accessKeyListResource{accessKeyResource{level: bitbucket.AccessKeyLevelProject}}
}

var _ list.ListResourceWithConfigure = &accessKeyListResource{}

func (r *accessKeyListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	nonEmpty := []validator.String{stringvalidator.LengthAtLeast(1)}
	attributes := map[string]schema.Attribute{
		"workspace": schema.StringAttribute{
			Optional: true, Validators: nonEmpty,
			MarkdownDescription: "Cloud workspace slug or Data Center project key. Defaults to the provider's `workspace`.",
		},
		"label": schema.StringAttribute{
			Optional: true, Validators: nonEmpty,
			MarkdownDescription: "Only keys with exactly this label. Neither product's key API filters by label, so " +
				"this one is applied to the listed pages.",
		},
	}
	description := "Lists the SSH access keys of a project: on Cloud those of `project` in `workspace`, on Data " +
		"Center those of the project `workspace`."
	if r.level == bitbucket.AccessKeyLevelRepository {
		attributes["repository"] = schema.StringAttribute{
			Optional: true, Validators: nonEmpty,
			MarkdownDescription: "Repository slug. When omitted, the keys of every repository in the workspace are " +
				"listed (every page of the repository list is read).",
		}
		description = "Lists the SSH access keys of a repository, or of every repository in a workspace."
	} else {
		attributes["project"] = schema.StringAttribute{
			Optional: true, Validators: nonEmpty,
			MarkdownDescription: "Bitbucket Cloud: the project key inside `workspace` (required). Data Center: leave " +
				"unset, the project is `workspace`.",
		}
	}
	resp.Schema = schema.Schema{MarkdownDescription: description, Attributes: attributes}
}

func (r *accessKeyListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	if r.data == nil {
		stream.Results = list.NoListResults
		return
	}
	var diags diag.Diagnostics
	var workspaceCfg, repository, project, label types.String
	diags.Append(req.Config.GetAttribute(ctx, path.Root("workspace"), &workspaceCfg)...)
	diags.Append(req.Config.GetAttribute(ctx, path.Root("label"), &label)...)
	if r.level == bitbucket.AccessKeyLevelRepository {
		diags.Append(req.Config.GetAttribute(ctx, path.Root("repository"), &repository)...)
	} else {
		diags.Append(req.Config.GetAttribute(ctx, path.Root("project"), &project)...)
	}
	var scopes []bitbucket.AccessKeyScope
	if !diags.HasError() {
		scopes = r.listScopes(ctx, workspaceCfg, repository, project, &diags)
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}

	stream.Results = func(push func(list.ListResult) bool) {
		var pushed int64
		for _, scope := range scopes {
			keys, err := r.data.client.ListAccessKeys(ctx, scope)
			if err != nil {
				result := req.NewListResult(ctx)
				r.keyError(&result.Diagnostics, "list", scope, "", err)
				push(result)
				return
			}
			for i := range keys {
				key := &keys[i]
				if !label.IsNull() && key.Label != label.ValueString() {
					continue
				}
				if req.Limit > 0 && pushed >= req.Limit {
					return
				}
				if !push(r.listResult(ctx, req, scope, key)) {
					return
				}
				pushed++
			}
		}
	}
}

// listScopes are the repositories or the project whose keys are listed.
func (r *accessKeyListResource) listScopes(ctx context.Context, workspaceCfg, repository, project types.String, diags *diag.Diagnostics) []bitbucket.AccessKeyScope {
	workspace := r.data.workspaceOf(workspaceCfg, diags)
	if diags.HasError() {
		return nil
	}
	if r.level == bitbucket.AccessKeyLevelProject {
		inWorkspace := r.data.client.AccessKeyRules(r.level).ProjectInWorkspace
		switch {
		case inWorkspace && project.ValueString() == "":
			diags.AddAttributeError(path.Root("project"), "Missing project",
				"On Bitbucket Cloud a project's keys are listed per project: set project to the project key inside "+workspace+".")
		case !inWorkspace && project.ValueString() != "":
			diags.AddAttributeError(path.Root("project"), "Unexpected project",
				"On Bitbucket Data Center the project is the workspace: leave project unset.")
		}
		return []bitbucket.AccessKeyScope{{Workspace: workspace, Project: project.ValueString()}}
	}
	if repository.ValueString() != "" {
		return []bitbucket.AccessKeyScope{{Workspace: workspace, Repository: repository.ValueString()}}
	}
	repos, err := r.data.client.ListRepositories(ctx, workspace, bitbucket.RepositoryFilter{})
	if err != nil {
		clientErrorDiagnostic(diags, r.data.client, "list the repositories of "+workspace, err)
		return nil
	}
	scopes := make([]bitbucket.AccessKeyScope, 0, len(repos))
	for _, repo := range repos {
		scopes = append(scopes, bitbucket.AccessKeyScope{Workspace: workspace, Repository: repo.Slug})
	}
	return scopes
}

// listResult is one listed key: identity, display name and the state an
// import of it would read.
func (r *accessKeyListResource) listResult(ctx context.Context, req list.ListRequest, scope bitbucket.AccessKeyScope, key *bitbucket.AccessKey) list.ListResult {
	result := req.NewListResult(ctx)
	result.DisplayName = fmt.Sprintf("%s (%s)", key.Label, describeKey(scope, key.ID))
	m := accessKeyModel{Workspace: types.StringValue(scope.Workspace), PublicKey: types.StringNull(), PrivateKey: types.StringNull()}
	fillKey(&m, key)
	parent := keyParent{Repository: types.StringNull(), Project: types.StringNull()}
	if scope.Repository != "" {
		parent.Repository = types.StringValue(scope.Repository)
	}
	if scope.Project != "" {
		parent.Project = types.StringValue(scope.Project)
	}
	r.setModel(ctx, result.Resource.Set, m, parent, &result.Diagnostics)
	syncIdentity(ctx, result.Resource, result.Identity, &result.Diagnostics)
	return result
}
