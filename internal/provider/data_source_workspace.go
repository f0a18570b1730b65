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

var _ datasource.DataSourceWithConfigure = &WorkspaceDataSource{}

// NewWorkspaceDataSource returns the bitbucket_workspace data source.
func NewWorkspaceDataSource() datasource.DataSource { return &WorkspaceDataSource{} }

// WorkspaceDataSource reads one Cloud workspace or Data Center project.
type WorkspaceDataSource struct {
	data *providerData
}

// workspaceModel is one workspace; bitbucket_workspaces reuses it for its
// items.
type workspaceModel struct {
	Workspace   types.String `tfsdk:"workspace"`
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	Description types.String `tfsdk:"description"`
	Private     types.Bool   `tfsdk:"private"`
	WebURL      types.String `tfsdk:"web_url"`
}

func workspaceModelFrom(w *bitbucket.Workspace) workspaceModel {
	return workspaceModel{
		Workspace:   types.StringValue(w.Slug),
		ID:          types.StringValue(w.ID),
		Name:        types.StringValue(w.Name),
		Description: types.StringValue(w.Description),
		Private:     types.BoolValue(w.Private),
		WebURL:      types.StringValue(w.WebURL),
	}
}

// workspaceComputedAttributes are the attributes every workspace carries,
// described per product.
func workspaceComputedAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{Computed: true,
			MarkdownDescription: "Cloud: the workspace UUID in braces. Data Center: the numeric project id."},
		"name": schema.StringAttribute{Computed: true,
			MarkdownDescription: "Display name (Cloud workspace name, Data Center project name)."},
		"description": schema.StringAttribute{Computed: true,
			MarkdownDescription: "Data Center: the project description. Cloud workspaces have none: always empty."},
		"private": schema.BoolAttribute{Computed: true,
			MarkdownDescription: "Cloud: the workspace's `is_private`. Data Center: true unless the project is public."},
		"web_url": schema.StringAttribute{Computed: true,
			MarkdownDescription: "URL of the workspace's (Cloud) or project's (Data Center) page in the browser."},
	}
}

func (d *WorkspaceDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_workspace"
}

func (d *WorkspaceDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attributes := workspaceComputedAttributes()
	attributes["workspace"] = schema.StringAttribute{Optional: true, Computed: true,
		MarkdownDescription: "The workspace to read: a Bitbucket Cloud workspace slug, or a Bitbucket Data Center " +
			"project key. Defaults to the provider's `workspace`.",
		Validators: []validator.String{workspaceValidator}}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one Bitbucket Cloud workspace or one Bitbucket Data Center project (the " +
			"`workspace` of every other resource). The same attributes on both products; `description` is " +
			"Data Center only. An unknown workspace is an error.",
		Attributes: attributes,
	}
}

func (d *WorkspaceDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *WorkspaceDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config workspaceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() || d.data == nil {
		return
	}
	workspace := d.data.workspaceOf(config.Workspace, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	w, err := d.data.client.GetWorkspace(ctx, workspace)
	if errors.Is(err, bitbucket.ErrNotFound) {
		resp.Diagnostics.AddAttributeError(path.Root("workspace"), "Workspace not found",
			fmt.Sprintf("No %s %q was found on %s, or the credentials cannot see it. Check the %s.",
				workspaceNoun(d.data.client), workspace, serverURL(d.data.client), workspaceKeyNoun(d.data.client)))
		return
	}
	if err != nil {
		clientErrorDiagnostic(&resp.Diagnostics, d.data.client,
			fmt.Sprintf("read %s %s", workspaceNoun(d.data.client), workspace), err)
		return
	}
	state := workspaceModelFrom(w)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// workspaceKeyNoun is what identifies a workspace on the product, for
// diagnostics that ask the user to check it.
func workspaceKeyNoun(client bitbucket.Client) string {
	if client.Product() == bitbucket.ProductCloud {
		return "workspace slug (not its display name)"
	}
	return "project key (not the project name)"
}
