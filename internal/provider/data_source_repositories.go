package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var _ datasource.DataSourceWithConfigure = &RepositoriesDataSource{}

// NewRepositoriesDataSource returns the bitbucket_repositories data source.
func NewRepositoriesDataSource() datasource.DataSource { return &RepositoriesDataSource{} }

// RepositoriesDataSource lists the repositories of one workspace.
type RepositoriesDataSource struct {
	data *providerData
}

type repositoriesModel struct {
	Workspace    types.String `tfsdk:"workspace"`
	NameContains types.String `tfsdk:"name_contains"`
	ProjectKey   types.String `tfsdk:"project_key"`
	NameRegex    types.String `tfsdk:"name_regex"`
	// Repositories is built as values, not from []repositoryModel: the
	// framework's reflection costs about 3x the time and memory for lists of
	// thousands (see BenchmarkRepositoriesDataSource).
	Repositories types.List `tfsdk:"repositories"`
}

// repositoryItemAttributes are the attributes of one list item.
func repositoryItemAttributes() map[string]schema.Attribute {
	item := repositoryComputedAttributes()
	item["workspace"] = schema.StringAttribute{Computed: true,
		MarkdownDescription: "Cloud: the workspace slug. Data Center: the project key."}
	item["repository"] = schema.StringAttribute{Computed: true, MarkdownDescription: "Repository slug."}
	// Data Center's list answer has no default branch; reading it would cost
	// one request per repository, so the list leaves it null there.
	item["default_branch"] = schema.StringAttribute{Computed: true,
		MarkdownDescription: "Default (main) branch name, where the list answer carries it: always on Cloud (null for " +
			"a repository without one). **Null on Data Center**, whose repository list does not report the default " +
			"branch; reading it would cost one extra request per repository. Use `bitbucket_repository` for one " +
			"repository's default branch."}
	return item
}

// repositoryItemType is the object type of one list item, from the schema,
// so the two cannot drift apart.
var repositoryItemType = func() types.ObjectType {
	attrTypes := map[string]attr.Type{}
	for name, a := range repositoryItemAttributes() {
		attrTypes[name] = a.GetType()
	}
	return types.ObjectType{AttrTypes: attrTypes}
}()

// repositoryItemValue is one list item. types.ObjectValue rejects a value
// map that does not match the schema's attributes exactly.
func repositoryItemValue(m repositoryModel) (types.Object, diag.Diagnostics) {
	return types.ObjectValue(repositoryItemType.AttrTypes, map[string]attr.Value{
		"workspace":      m.Workspace,
		"repository":     m.Repository,
		"id":             m.ID,
		"name":           m.Name,
		"description":    m.Description,
		"project_key":    m.ProjectKey,
		"project_name":   m.ProjectName,
		"private":        m.Private,
		"default_branch": m.DefaultBranch,
		"clone_https":    m.CloneHTTPS,
		"clone_ssh":      m.CloneSSH,
		"web_url":        m.WebURL,
	})
}

func (d *RepositoriesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_repositories"
}

func (d *RepositoriesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the repositories of a Bitbucket Cloud workspace or a Bitbucket Data Center project, " +
			"sorted by slug, with the same attributes as `bitbucket_repository` (except `default_branch` on Data " +
			"Center, see below). `name_contains` and `project_key` are filtered by the server (Cloud BBQL `q=`; Data " +
			"Center `/rest/api/1.0/repos?name=`); `name_regex` by the provider. Every page is read at the largest " +
			"page size (Cloud 100, Data Center 1000), so N repositories cost ceil(N / page size) requests (one when " +
			"none match; an empty Data Center name search also reads the project once, to tell \"no match\" from " +
			"\"no such project\"). No match is an empty list; an unknown workspace is an error.",
		Attributes: map[string]schema.Attribute{
			"workspace": schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: workspaceDescription,
				Validators: []validator.String{workspaceValidator}},
			"name_contains": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Keep only repositories whose `name` contains this text (case-insensitive). " +
					"Filtered by the server: Cloud BBQL `name ~ \"...\"`, Data Center `name=` on `/rest/api/1.0/repos`.",
			},
			"project_key": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Cloud: keep only repositories of this project (BBQL `project.key = \"...\"`, filtered " +
					"by the server). Data Center: the workspace already is the project, so a key other than " +
					"`workspace` matches nothing (and sends no request).",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1), notBlankValidator{}},
			},
			"name_regex": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Keep only repositories whose `name` matches this regular expression " +
					"([RE2 syntax](https://github.com/google/re2/wiki/Syntax); unanchored). Applied by the provider " +
					"after the server-side filters; combine it with `name_contains` to read fewer pages.",
				Validators: []validator.String{regexValidator{}},
			},
			"repositories": schema.ListNestedAttribute{Computed: true,
				MarkdownDescription: "The repositories, sorted by `repository` (slug).",
				NestedObject:        schema.NestedAttributeObject{Attributes: repositoryItemAttributes()},
			},
		},
	}
}

func (d *RepositoriesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *RepositoriesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config repositoriesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() || d.data == nil {
		return
	}
	client := d.data.client
	workspace := d.data.workspaceOf(config.Workspace, &resp.Diagnostics)
	nameRegex := compileNameRegex(config.NameRegex, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	// Data Center strips the name filter's surrounding whitespace; do the
	// same on both products so the filter means one thing.
	nameContains := strings.TrimSpace(config.NameContains.ValueString())
	filter := bitbucket.RepositoryFilter{Name: nameContains, ProjectKey: config.ProjectKey.ValueString()}

	list, err := client.ListRepositories(ctx, workspace, filter)
	if errors.Is(err, bitbucket.ErrNotFound) {
		resp.Diagnostics.AddAttributeError(path.Root("workspace"), "Workspace not found",
			fmt.Sprintf("No %s %q was found on %s, or the credentials cannot see it, so its repositories cannot be "+
				"listed. Check the %s.", workspaceNoun(client), workspace, serverURL(client), workspaceKeyNoun(client)))
		return
	}
	if err != nil {
		clientErrorDiagnostic(&resp.Diagnostics, client,
			fmt.Sprintf("list the repositories of %s %s", workspaceNoun(client), workspace), err)
		return
	}

	items := repositoryItems(list, nameContains, nameRegex)

	config.Workspace = types.StringValue(workspace)
	if slot := encodedStateOf(ctx); slot != nil {
		// Thousands of items: the list goes to the wire format one at a
		// time (encoded_state.go); the framework gets the rest.
		if encoded, err := repositoriesState(ctx, config, items); err == nil {
			slot.msgpack = encoded
			config.Repositories = types.ListNull(repositoryItemType)
			resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
			return
		}
	}

	repositories, diags := repositoryListValue(items)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	config.Repositories = repositories
	resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
}

// repositoryItems filters and orders the listed repositories; kept apart
// from Read so the filter and the order rule read on their own.
func repositoryItems(list []bitbucket.Repository, nameContains string, nameRegex *regexp.Regexp) []repositoryModel {
	lowerContains := strings.ToLower(nameContains)
	items := make([]repositoryModel, 0, len(list))
	for i := range list {
		r := &list[i]
		// The server filtered already; checking again keeps the documented
		// meaning on servers whose search matches more loosely.
		if lowerContains != "" && !strings.Contains(strings.ToLower(r.Name), lowerContains) {
			continue
		}
		if nameRegex != nil && !nameRegex.MatchString(r.Name) {
			continue
		}
		item := repositoryModelFrom(r)
		if r.DefaultBranch == "" {
			item.DefaultBranch = types.StringNull()
		}
		items = append(items, item)
	}
	// The order is the contract (no reordering diffs), whatever the client does.
	slices.SortStableFunc(items, func(a, b repositoryModel) int {
		if c := strings.Compare(a.Workspace.ValueString(), b.Workspace.ValueString()); c != 0 {
			return c
		}
		return strings.Compare(a.Repository.ValueString(), b.Repository.ValueString())
	})
	return items
}

// repositoryListValue is the framework's list of items, for the path that
// does not write the wire format itself.
func repositoryListValue(items []repositoryModel) (types.List, diag.Diagnostics) {
	var all diag.Diagnostics
	values := make([]attr.Value, 0, len(items))
	for _, item := range items {
		v, diags := repositoryItemValue(item)
		all.Append(diags...)
		if all.HasError() {
			return types.ListNull(repositoryItemType), all
		}
		values = append(values, v)
	}
	list, diags := types.ListValue(repositoryItemType, values)
	all.Append(diags...)
	return list, all
}

// repositoriesType is the data source's state type, from its schema.
var repositoriesType = func() basetypes.ObjectType {
	var resp datasource.SchemaResponse
	(&RepositoriesDataSource{}).Schema(context.Background(), datasource.SchemaRequest{}, &resp)
	t, _ := resp.Schema.Type().(basetypes.ObjectType)
	return t
}()

// repositoriesState is the state of config with the repositories items,
// encoded (encoded_state.go).
func repositoriesState(ctx context.Context, config repositoriesModel, items []repositoryModel) ([]byte, error) {
	config.Repositories = types.ListNull(repositoryItemType)
	top, diags := types.ObjectValueFrom(ctx, repositoriesType.AttrTypes, config)
	if diags.HasError() {
		return nil, errUnencodable
	}
	size := 0
	for i := range items {
		m := &items[i]
		// The attribute names and headers are about 150 bytes an item.
		size += 150 + len(m.Workspace.ValueString()) + len(m.Repository.ValueString()) + len(m.ID.ValueString()) +
			len(m.Name.ValueString()) + len(m.Description.ValueString()) + len(m.ProjectKey.ValueString()) +
			len(m.ProjectName.ValueString()) + len(m.DefaultBranch.ValueString()) + len(m.CloneHTTPS.ValueString()) +
			len(m.CloneSSH.ValueString()) + len(m.WebURL.ValueString())
	}
	return encodeObjectState(top, "repositories", len(items), func(i int) (attr.Value, error) {
		v, diags := repositoryItemValue(items[i])
		if diags.HasError() {
			return nil, errUnencodable
		}
		return v, nil
	}, size+256)
}
