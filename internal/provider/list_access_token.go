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

// accessTokenListResource lists Data Center HTTP access tokens of one level
// for `terraform query` (Terraform 1.14+), under the resource's type name.
// A listed token carries no value: Bitbucket shows it only at creation.
type accessTokenListResource struct {
	accessTokenResource
}

// tokenListConfig holds every level's filters; a level's schema has only
// its own, so the model is read attribute by attribute.
type tokenListConfig struct {
	Workspace  types.String
	Repository types.String
	User       types.String
	Name       types.String
}

// owner is the filter of the owner attribute name.
func (c *tokenListConfig) owner(name string) *types.String {
	switch name {
	case "workspace":
		return &c.Workspace
	case "repository":
		return &c.Repository
	case "user":
		return &c.User
	}
	panic(fmt.Sprintf("provider: unknown token owner attribute %q", name))
}

// tokenListOwnerAttributes are the list filters of the owner attributes
// (tokenLevelSpec.owner names those of a level).
var tokenListOwnerAttributes = map[string]schema.Attribute{
	"workspace": schema.StringAttribute{
		Optional: true, Validators: []validator.String{workspaceValidator},
		MarkdownDescription: "Data Center project key. Defaults to the provider's `workspace`.",
	},
	"repository": schema.StringAttribute{
		Optional: true, Validators: []validator.String{repositoryValidator},
		MarkdownDescription: "Repository slug. When omitted, the tokens of every repository in the project are " +
			"listed (every page of the repository list is read).",
	},
	"user": schema.StringAttribute{
		Optional: true, Validators: []validator.String{userValidator},
		MarkdownDescription: "Slug of the user whose personal tokens are listed. Defaults to the user the " +
			"provider authenticates as.",
	},
}

// NewProjectAccessTokenListResource lists project access tokens.
func NewProjectAccessTokenListResource() list.ListResource {
	return &accessTokenListResource{accessTokenResource{level: bitbucket.TokenLevelProject}}
}

// NewRepositoryAccessTokenListResource lists repository access tokens.
func NewRepositoryAccessTokenListResource() list.ListResource {
	return &accessTokenListResource{accessTokenResource{level: bitbucket.TokenLevelRepository}}
}

// NewUserAccessTokenListResource lists personal access tokens of a user.
func NewUserAccessTokenListResource() list.ListResource {
	return &accessTokenListResource{accessTokenResource{level: bitbucket.TokenLevelUser}}
}

var _ list.ListResourceWithConfigure = &accessTokenListResource{}

func (r *accessTokenListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	nonEmpty := []validator.String{stringvalidator.LengthAtLeast(1)}
	attributes := map[string]schema.Attribute{
		"name": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Only tokens with exactly this name. The access-token API does not filter by name, " +
				"so this one is applied to the listed pages.",
			Validators: nonEmpty,
		},
	}
	spec := tokenLevel(r.level)
	for _, name := range spec.owner {
		attributes[name] = tokenListOwnerAttributes[name]
	}
	description := spec.listDescription
	resp.Schema = schema.Schema{
		MarkdownDescription: description + " Data Center only: " + cloudHasNoTokens + ".",
		Attributes:          attributes,
	}
}

func (r *accessTokenListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	if r.data == nil {
		stream.Results = list.NoListResults
		return
	}
	var diags diag.Diagnostics
	var cfg tokenListConfig
	get := func(name string, into *types.String) {
		diags.Append(req.Config.GetAttribute(ctx, path.Root(name), into)...)
	}
	get("name", &cfg.Name)
	for _, name := range tokenLevel(r.level).owner {
		get(name, cfg.owner(name))
	}
	if caps := r.data.client.Capabilities(); !diags.HasError() && !caps.AccessTokens {
		diags.AddError("Access tokens cannot be listed here", caps.AccessTokensUnsupported+" The token list resources "+
			"work with Bitbucket Data Center only; on Cloud, the settings page of the workspace, project or repository "+
			"lists its tokens.")
	}
	var scopes []bitbucket.TokenScope
	if !diags.HasError() {
		scopes = r.listScopes(ctx, cfg, &diags)
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}

	stream.Results = func(push func(list.ListResult) bool) {
		var pushed int64
		for _, scope := range scopes {
			tokens, err := r.data.client.ListAccessTokens(ctx, scope)
			if err != nil {
				result := req.NewListResult(ctx)
				accessTokenError(&result.Diagnostics, r.data.client, "list", scope, "", err)
				push(result)
				return
			}
			for i := range tokens {
				token := &tokens[i]
				if !cfg.Name.IsNull() && token.Name != cfg.Name.ValueString() {
					continue
				}
				if req.Limit > 0 && pushed >= req.Limit {
					return
				}
				if !push(r.listResult(ctx, req, scope, token)) {
					return
				}
				pushed++
			}
		}
	}
}

// listScopes are the owners whose tokens are listed.
func (r *accessTokenListResource) listScopes(ctx context.Context, cfg tokenListConfig, diags *diag.Diagnostics) []bitbucket.TokenScope {
	if r.level == bitbucket.TokenLevelUser {
		return []bitbucket.TokenScope{{Level: r.level, User: cfg.User.ValueString()}}
	}
	workspace := r.data.listedWorkspace(ctx, cfg.Workspace, diags)
	if diags.HasError() {
		return nil
	}
	if r.level == bitbucket.TokenLevelProject {
		return []bitbucket.TokenScope{{Level: r.level, Workspace: workspace}}
	}
	if repo := cfg.Repository.ValueString(); repo != "" {
		return []bitbucket.TokenScope{{Level: r.level, Workspace: workspace, Repository: repo}}
	}
	repos, err := r.data.client.ListRepositories(ctx, workspace, bitbucket.RepositoryFilter{})
	if err != nil {
		clientErrorDiagnostic(diags, r.data.client, "list the repositories of "+workspace, err)
		return nil
	}
	scopes := make([]bitbucket.TokenScope, 0, len(repos))
	for _, repo := range repos {
		scopes = append(scopes, bitbucket.TokenScope{Level: r.level, Workspace: workspace, Repository: repo.Slug})
	}
	return scopes
}

// listResult is one listed token: identity, display name and the state an
// import of it would read.
func (r *accessTokenListResource) listResult(ctx context.Context, req list.ListRequest, scope bitbucket.TokenScope, token *bitbucket.AccessToken) list.ListResult {
	result := req.NewListResult(ctx)
	owner := tokenOwner{Workspace: types.StringNull(), Repository: types.StringNull(), User: types.StringNull()}
	scope, owner = tokenLevel(r.level).listOwner(scope, token, owner)
	result.DisplayName = fmt.Sprintf("%s (%s)", token.Name, describeToken(scope, token.ID))
	var m accessTokenModel
	fillToken(&m, token)
	m.Token = types.StringNull()
	if token.ExpiryDays > 0 {
		m.ExpiryDays = types.Int64Value(int64(token.ExpiryDays))
	}
	r.setModel(ctx, result.Resource.Set, m, owner, &result.Diagnostics)
	syncIdentity(ctx, result.Resource, result.Identity, &result.Diagnostics)
	return result
}
