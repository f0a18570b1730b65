package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var _ datasource.DataSourceWithConfigure = &RepositoryDataSource{}

// NewRepositoryDataSource returns the bitbucket_repository data source.
func NewRepositoryDataSource() datasource.DataSource { return &RepositoryDataSource{} }

// RepositoryDataSource reads one repository.
type RepositoryDataSource struct {
	data *providerData
}

// repositoryModel is one repository; bitbucket_repositories reuses it.
type repositoryModel struct {
	Workspace     types.String `tfsdk:"workspace"`
	Repository    types.String `tfsdk:"repository"`
	ID            types.String `tfsdk:"id"`
	Name          types.String `tfsdk:"name"`
	Description   types.String `tfsdk:"description"`
	ProjectKey    types.String `tfsdk:"project_key"`
	ProjectName   types.String `tfsdk:"project_name"`
	Private       types.Bool   `tfsdk:"private"`
	DefaultBranch types.String `tfsdk:"default_branch"`
	CloneHTTPS    types.String `tfsdk:"clone_https"`
	CloneSSH      types.String `tfsdk:"clone_ssh"`
	WebURL        types.String `tfsdk:"web_url"`
}

func repositoryModelFrom(r *bitbucket.Repository) repositoryModel {
	return repositoryModel{
		Workspace:     types.StringValue(r.Workspace),
		Repository:    types.StringValue(r.Slug),
		ID:            types.StringValue(r.ID),
		Name:          types.StringValue(r.Name),
		Description:   types.StringValue(r.Description),
		ProjectKey:    types.StringValue(r.ProjectKey),
		ProjectName:   types.StringValue(r.ProjectName),
		Private:       types.BoolValue(r.Private),
		DefaultBranch: types.StringValue(r.DefaultBranch),
		CloneHTTPS:    types.StringValue(r.CloneHTTPS),
		CloneSSH:      types.StringValue(r.CloneSSH),
		WebURL:        types.StringValue(r.WebURL),
	}
}

func (d *RepositoryDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_repository"
}

// repositoryComputedAttributes are the attributes every repository carries.
func repositoryComputedAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{Computed: true,
			MarkdownDescription: "Cloud: the repository UUID in braces. Data Center: the numeric repository id."},
		"name":         schema.StringAttribute{Computed: true, MarkdownDescription: "Display name."},
		"description":  schema.StringAttribute{Computed: true, MarkdownDescription: "Description (empty when none)."},
		"project_key":  schema.StringAttribute{Computed: true, MarkdownDescription: "Key of the project the repository belongs to."},
		"project_name": schema.StringAttribute{Computed: true, MarkdownDescription: "Name of that project."},
		"private": schema.BoolAttribute{Computed: true,
			MarkdownDescription: "Cloud: `is_private`. Data Center: true unless the repository is public."},
		"default_branch": schema.StringAttribute{Computed: true, MarkdownDescription: "Default (main) branch name."},
		"clone_https":    schema.StringAttribute{Computed: true, MarkdownDescription: "HTTPS clone URL."},
		"clone_ssh":      schema.StringAttribute{Computed: true, MarkdownDescription: "SSH clone URL."},
		"web_url":        schema.StringAttribute{Computed: true, MarkdownDescription: "URL of the repository's page in the browser."},
	}
}

func (d *RepositoryDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attributes := repositoryComputedAttributes()
	attributes["workspace"] = schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: workspaceDescription,
		Validators: []validator.String{workspaceValidator}}
	attributes["repository"] = schema.StringAttribute{Required: true, MarkdownDescription: "Repository slug.",
		Validators: []validator.String{repositoryValidator}}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one repository of a Bitbucket Cloud workspace or a Bitbucket Data Center project.",
		Attributes:          attributes,
	}
}

func (d *RepositoryDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *RepositoryDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config repositoryModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() || d.data == nil {
		return
	}
	workspace := d.data.workspaceOf(config.Workspace, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	slug := config.Repository.ValueString()

	repo, err := d.data.client.GetRepository(ctx, workspace, slug)
	if errors.Is(err, bitbucket.ErrNotFound) {
		resp.Diagnostics.AddAttributeError(path.Root("repository"), "Repository not found",
			fmt.Sprintf("Repository %q was not found in %s %q on %s, or the credentials cannot see it. Check the "+
				"workspace and the repository slug (not the display name).",
				slug, workspaceNoun(d.data.client), workspace, serverURL(d.data.client)))
		return
	}
	if err != nil {
		clientErrorDiagnostic(&resp.Diagnostics, d.data.client, fmt.Sprintf("read repository %s/%s", workspace, slug), err)
		return
	}
	state := repositoryModelFrom(repo)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// workspaceNoun is what the product calls a workspace.
func workspaceNoun(client bitbucket.Client) string {
	if client.Product() == bitbucket.ProductCloud {
		return "workspace"
	}
	return "project"
}
