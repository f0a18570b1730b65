package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var _ datasource.DataSourceWithConfigure = &AccessKeysDataSource{}

// NewAccessKeysDataSource returns the bitbucket_access_keys data source.
func NewAccessKeysDataSource() datasource.DataSource { return &AccessKeysDataSource{} }

// AccessKeysDataSource lists the SSH access keys of a repository or a
// project, for audits.
type AccessKeysDataSource struct {
	data *providerData
}

type accessKeysModel struct {
	Workspace  types.String `tfsdk:"workspace"`
	Project    types.String `tfsdk:"project"`
	Repository types.String `tfsdk:"repository"`
	AccessKeys types.List   `tfsdk:"access_keys"`
}

// accessKeyItemTypes are the attributes of one listed key.
var accessKeyItemTypes = map[string]attr.Type{
	"id":          types.StringType,
	"label":       types.StringType,
	"public_key":  types.StringType,
	"fingerprint": types.StringType,
	"permission":  types.StringType,
	"created_at":  types.StringType,
	"last_used":   types.StringType,
}

func (d *AccessKeysDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_keys"
}

func (d *AccessKeysDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the SSH access keys of one repository (set `repository`) or one project (leave " +
			"it unset), for audits: every page is read, oldest key first. On Bitbucket Cloud a project lives inside " +
			"a workspace (set `project`); on Bitbucket Data Center the project is the `workspace`. A repository's " +
			"list holds the keys registered on the repository itself, not its project's.",
		Attributes: map[string]schema.Attribute{
			"workspace": schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: workspaceDescription,
				Validators: []validator.String{workspaceValidator}},
			"project": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Bitbucket Cloud: the project key inside `workspace`, to list a project's keys. " +
					"Bitbucket Data Center: leave unset (the project is `workspace`).",
				Validators: []validator.String{workspaceValidator}},
			"repository": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Repository slug, to list a repository's keys. Unset: the project's keys.",
				Validators:          []validator.String{repositoryValidator}},
			"access_keys": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The keys, oldest first.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":          schema.StringAttribute{Computed: true, MarkdownDescription: "The key's id."},
					"label":       schema.StringAttribute{Computed: true, MarkdownDescription: "The key's label."},
					"public_key":  schema.StringAttribute{Computed: true, MarkdownDescription: "The public key as Bitbucket returns it."},
					"fingerprint": schema.StringAttribute{Computed: true, MarkdownDescription: "SHA256 fingerprint (`SHA256:…`)."},
					"permission": schema.StringAttribute{Computed: true,
						MarkdownDescription: "`REPO_READ`/`REPO_WRITE` or `PROJECT_READ`/`PROJECT_WRITE` (Cloud keys are always read-only)."},
					"created_at": schema.StringAttribute{Computed: true, MarkdownDescription: "When the key was registered (RFC 3339)."},
					"last_used":  schema.StringAttribute{Computed: true, MarkdownDescription: "When the key last authenticated (RFC 3339); null if never or not reported."},
				}},
			},
		},
	}
}

func (d *AccessKeysDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *AccessKeysDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m accessKeysModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || d.data == nil {
		return
	}
	m.Workspace = types.StringValue(d.data.workspaceOf(m.Workspace, &resp.Diagnostics))
	if resp.Diagnostics.HasError() {
		return
	}
	scope := bitbucket.AccessKeyScope{Workspace: m.Workspace.ValueString(), Project: m.Project.ValueString(), Repository: m.Repository.ValueString()}
	rules := d.data.client.AccessKeyRules(scope.Level())
	product := productName(d.data.client.Product())
	switch {
	case scope.Repository != "" && scope.Project != "":
		resp.Diagnostics.AddAttributeError(path.Root("project"), "Set repository or project, not both",
			"A repository's keys are listed by workspace and repository; remove project.")
	case scope.Repository == "":
		// A project's keys: the same rule as the project key resource's.
		addProjectKeyProblem(&resp.Diagnostics, m.Project, rules, product)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	keys, err := d.data.client.ListAccessKeys(ctx, scope)
	if err != nil {
		clientErrorDiagnostic(&resp.Diagnostics, d.data.client, "list the access keys of "+scope.String(), err)
		return
	}
	items := make([]attr.Value, 0, len(keys))
	for _, k := range keys {
		obj, diags := types.ObjectValue(accessKeyItemTypes, map[string]attr.Value{
			"id":          types.StringValue(k.ID),
			"label":       types.StringValue(k.Label),
			"public_key":  types.StringValue(k.PublicKey),
			"fingerprint": types.StringValue(k.Fingerprint),
			"permission":  types.StringValue(k.Permission),
			"created_at":  rfc3339(k.CreatedAt),
			"last_used":   rfc3339(k.LastUsed),
		})
		resp.Diagnostics.Append(diags...)
		items = append(items, obj)
	}
	list, diags := types.ListValue(types.ObjectType{AttrTypes: accessKeyItemTypes}, items)
	resp.Diagnostics.Append(diags...)
	m.AccessKeys = list
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
