package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var _ datasource.DataSourceWithConfigure = &WorkspacesDataSource{}

// NewWorkspacesDataSource returns the bitbucket_workspaces data source.
func NewWorkspacesDataSource() datasource.DataSource { return &WorkspacesDataSource{} }

// WorkspacesDataSource lists the workspaces (Cloud) or projects (Data
// Center) the credentials can see.
type WorkspacesDataSource struct {
	data *providerData
}

type workspacesModel struct {
	NameRegex     types.String     `tfsdk:"name_regex"`
	MinPermission types.String     `tfsdk:"min_permission"`
	Workspaces    []workspaceModel `tfsdk:"workspaces"`
}

// Values of min_permission, weakest first: the client's access levels.
const (
	minPermissionRead  = bitbucket.AccessRead
	minPermissionWrite = bitbucket.AccessWrite
	minPermissionAdmin = bitbucket.AccessAdmin
)

func (d *WorkspacesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_workspaces"
}

func (d *WorkspacesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	item := workspaceComputedAttributes()
	item["workspace"] = schema.StringAttribute{Computed: true,
		MarkdownDescription: "Cloud: the workspace slug. Data Center: the project key."}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists every Bitbucket Cloud workspace the credentials belong to (`/2.0/user/workspaces`), " +
			"or every Bitbucket Data Center project they can see, sorted by slug (project key). Every page is " +
			"read. On Cloud the list answer carries only slugs, so the provider reads each workspace once more " +
			"for its name and privacy (four at a time). No match is an empty list, not an error.\n\n" +
			"On Cloud, listing workspaces needs the credentials of a user or a workspace: an API token with " +
			"`read:workspace:bitbucket` (`username` = the account email), OAuth client credentials with the `account` " +
			"scope, or a workspace access token with the `account` scope. Repository and project access tokens can never " +
			"list workspaces (Bitbucket answers 403); read the one workspace you know with `bitbucket_workspace` instead.",
		Attributes: map[string]schema.Attribute{
			"name_regex": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Keep only workspaces whose `name` (display name) matches this regular expression " +
					"([RE2 syntax](https://github.com/google/re2/wiki/Syntax); unanchored, so add `^`/`$` for a whole-name " +
					"match). Applied by the provider after reading the list.",
				Validators: []validator.String{regexValidator{}},
			},
			"min_permission": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Keep only workspaces where the credentials hold at least this permission, filtered " +
					"by the server: one of `read`, `write`, `admin`. Data Center: `PROJECT_READ`, `PROJECT_WRITE`, " +
					"`PROJECT_ADMIN` (unset lists every project the credentials can view). Cloud can filter only by " +
					"administrator: `admin` lists the workspaces the credentials administer (`administrator=true`), " +
					"`read` is the same as unset (membership lets you read), and `write` is an error.",
				Validators: []validator.String{stringvalidator.OneOf(minPermissionRead, minPermissionWrite, minPermissionAdmin)},
			},
			"workspaces": schema.ListNestedAttribute{Computed: true,
				MarkdownDescription: "The workspaces, sorted by `workspace` (slug or project key).",
				NestedObject:        schema.NestedAttributeObject{Attributes: item},
			},
		},
	}
}

func (d *WorkspacesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *WorkspacesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config workspacesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() || d.data == nil {
		return
	}
	client := d.data.client
	nameRegex := compileNameRegex(config.NameRegex, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	minPermission := config.MinPermission.ValueString()
	list, err := client.ListWorkspaces(ctx, bitbucket.WorkspaceFilter{MinPermission: minPermission})
	if errors.Is(err, bitbucket.ErrUnsupported) {
		reason := strings.TrimPrefix(err.Error(), bitbucket.ErrUnsupported.Error()+": ")
		resp.Diagnostics.AddAttributeError(path.Root("min_permission"), "Filter not supported by "+productName(client.Product()),
			fmt.Sprintf("min_permission = %q cannot be applied. %s. Set min_permission to one of %s, or leave it unset.",
				minPermission, reason, quoted(client.Capabilities().WorkspacePermissionFilters)))
		return
	}
	if err != nil {
		clientErrorDiagnostic(&resp.Diagnostics, client, "list "+workspaceNoun(client)+"s", err)
		return
	}
	items := make([]workspaceModel, 0, len(list))
	for i := range list {
		if nameRegex == nil || nameRegex.MatchString(list[i].Name) {
			items = append(items, workspaceModelFrom(&list[i]))
		}
	}
	// The order is the contract (no reordering diffs), whatever the client does.
	slices.SortStableFunc(items, func(a, b workspaceModel) int {
		return strings.Compare(a.Workspace.ValueString(), b.Workspace.ValueString())
	})
	config.Workspaces = items
	resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
}

// compileNameRegex compiles a name_regex (already validated); nil when unset.
func compileNameRegex(v types.String, diags *diag.Diagnostics) *regexp.Regexp {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	re, err := regexp.Compile(v.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("name_regex"), "Invalid regular expression", regexHelp(err))
		return nil
	}
	return re
}

func regexHelp(err error) string {
	return fmt.Sprintf("name_regex is not a valid regular expression (RE2 syntax, https://github.com/google/re2/wiki/Syntax): %s. "+
		"Fix the expression; to match text literally, escape special characters with a backslash.", err)
}

// regexValidator checks at plan time that a string compiles as a Go (RE2)
// regular expression.
type regexValidator struct{}

func (regexValidator) Description(context.Context) string {
	return "value must be a valid RE2 regular expression"
}

func (v regexValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (regexValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := regexp.Compile(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid regular expression", regexHelp(err))
	}
}

// quoted lists values as "a", "b" for a diagnostic.
func quoted(values []string) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = strconv.Quote(v)
	}
	return strings.Join(out, ", ")
}
