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
	return &accessKeyListResource{accessKeyResource{spec: accessKeyLevel(bitbucket.AccessKeyLevelRepository)}}
}

// NewProjectAccessKeyListResource lists project access keys.
func NewProjectAccessKeyListResource() list.ListResource {
	return &accessKeyListResource{accessKeyResource{spec: accessKeyLevel(bitbucket.AccessKeyLevelProject)}}
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
	attributes[r.spec.parent] = r.spec.listParentSchema
	description := r.spec.listDescription
	resp.Schema = schema.Schema{MarkdownDescription: description, Attributes: attributes}
}

func (r *accessKeyListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	if r.data == nil {
		stream.Results = list.NoListResults
		return
	}
	var diags diag.Diagnostics
	var workspaceCfg, parent, label types.String
	diags.Append(req.Config.GetAttribute(ctx, path.Root("workspace"), &workspaceCfg)...)
	diags.Append(req.Config.GetAttribute(ctx, path.Root("label"), &label)...)
	diags.Append(req.Config.GetAttribute(ctx, path.Root(r.spec.parent), &parent)...)
	var scopes []bitbucket.AccessKeyScope
	if !diags.HasError() {
		scopes = r.listScopes(ctx, workspaceCfg, parent, &diags)
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
func (r *accessKeyListResource) listScopes(ctx context.Context, workspaceCfg, parent types.String, diags *diag.Diagnostics) []bitbucket.AccessKeyScope {
	workspace := r.data.listedWorkspace(ctx, workspaceCfg, diags)
	if diags.HasError() {
		return nil
	}
	rules := r.data.client.AccessKeyRules(r.spec.level)
	product := productName(r.data.client.Product())
	if summary, detail := r.spec.parentProblem(parent, rules, product); summary != "" {
		diags.AddAttributeError(path.Root(r.spec.parent), summary, detail)
		return nil
	}
	scopes, err := r.spec.listScopes(ctx, r.data.client, workspace, parent.ValueString())
	if err != nil {
		clientErrorDiagnostic(diags, r.data.client, "list the repositories of "+workspace, err)
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
	r.setModel(ctx, result.Resource.Set, m, parentOf(scope), &result.Diagnostics)
	syncIdentity(ctx, result.Resource, result.Identity, &result.Diagnostics)
	return result
}
