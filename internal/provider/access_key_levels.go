package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// accessKeyLevelSpec is everything that differs between repository and
// project access keys, in one place (as tokenLevelSpec is for tokens): the
// resources, the list resources and the identity read it instead of
// switching on the level. What differs between the products comes from the
// client's AccessKeyRules, never from here.
type accessKeyLevelSpec struct {
	level bitbucket.AccessKeyLevel
	// parent names the attribute that says where the key lives besides
	// workspace: "repository" or "project".
	parent string
	// read and write are the level's permissions (Data Center has both;
	// Cloud keys are read-only), for the documentation.
	read, write string
	// description opens the resource's documentation; listDescription the
	// list resource's.
	description, listDescription string
	// parentSchema and listParentSchema are the parent attribute of the
	// resource and of the list resource's filters.
	parentSchema     schema.StringAttribute
	listParentSchema listschema.StringAttribute
	// identity is the resource identity (Terraform 1.12+) after workspace.
	identity []identityAttribute
	// importParts are the import ID's parts; id is the ID being imported.
	importParts func(id string) []importPart
	// parentProblem says what is wrong with a configured parent under the
	// product's rules (summary "" = nothing).
	parentProblem func(parent types.String, rules bitbucket.AccessKeyRules, product string) (summary, detail string)
	// listScopes are the scopes a list resource reads for workspace and its
	// parent filter.
	listScopes func(ctx context.Context, client bitbucket.Client, workspace, parent string) ([]bitbucket.AccessKeyScope, error)
	// get reads plan, state or config of the level's resource into the
	// shared model and the parent; set writes them back.
	get func(ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (accessKeyModel, keyParent)
	set func(ctx context.Context, set func(context.Context, any) diag.Diagnostics, m accessKeyModel, p keyParent, diags *diag.Diagnostics)
}

var (
	keyIDImportPart = importPart{"id", "the key's number", bitbucket.CheckObjectNumber}
	identityKeyID   = identityAttribute{"id", "The key's id (a number, as a string).", false}
	identityProject = identityAttribute{"project", "Cloud project key inside the workspace; null on Data Center, where the project is the workspace.", true}
)

// accessKeyLevels are the two levels.
var accessKeyLevels = map[bitbucket.AccessKeyLevel]*accessKeyLevelSpec{
	bitbucket.AccessKeyLevelRepository: {
		level: bitbucket.AccessKeyLevelRepository, parent: "repository", read: "REPO_READ", write: "REPO_WRITE",
		description: "Manages an SSH access key of a repository: Bitbucket Cloud repository access keys (\"deploy " +
			"keys\", read-only) and Bitbucket Data Center repository access keys (read or read/write). A service " +
			"holding the private key can clone the repository over SSH without a user account.",
		listDescription: "Lists the SSH access keys of a repository, or of every repository in a workspace.",
		parentSchema: schema.StringAttribute{
			Required:            true,
			MarkdownDescription: "Repository slug. Changing it replaces the key.",
			PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			Validators:          []validator.String{repositoryValidator},
		},
		listParentSchema: listschema.StringAttribute{
			Optional: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			MarkdownDescription: "Repository slug. When omitted, the keys of every repository in the workspace are " +
				"listed (every page of the repository list is read).",
		},
		identity: []identityAttribute{identityRepo, identityKeyID},
		importParts: func(string) []importPart {
			return []importPart{importWorkspace, importRepository, keyIDImportPart}
		},
		parentProblem: func(types.String, bitbucket.AccessKeyRules, string) (string, string) { return "", "" },
		listScopes:    listRepositoryKeyScopes,
		get: func(ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (accessKeyModel, keyParent) {
			var m repositoryAccessKeyModel
			diags.Append(get(ctx, &m)...)
			return m.accessKeyModel, keyParent{Repository: m.Repository, Project: types.StringNull()}
		},
		set: func(ctx context.Context, set func(context.Context, any) diag.Diagnostics, m accessKeyModel, p keyParent, diags *diag.Diagnostics) {
			diags.Append(set(ctx, repositoryAccessKeyModel{accessKeyModel: m, Repository: p.Repository})...)
		},
	},
	bitbucket.AccessKeyLevelProject: {
		level: bitbucket.AccessKeyLevelProject, parent: "project", read: "PROJECT_READ", write: "PROJECT_WRITE",
		description: "Manages an SSH access key of a project: it reaches every repository of the project. On " +
			"Bitbucket Cloud a project lives inside a workspace (set `workspace` and `project`; keys are read-only " +
			"and cannot be changed, so any change makes a new key); on Bitbucket Data Center the project is the " +
			"`workspace` (read or read/write, permission changed in place).",
		listDescription: "Lists the SSH access keys of a project: on Cloud those of `project` in `workspace`, on Data " +
			"Center those of the project `workspace`.",
		parentSchema: schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Bitbucket Cloud: the key of the project inside `workspace` (required). Bitbucket " +
				"Data Center: leave unset, the project is `workspace` (setting it is an error). Checked at plan time. " +
				"Changing it replaces the key.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			Validators:    []validator.String{workspaceValidator},
		},
		listParentSchema: listschema.StringAttribute{
			Optional: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			MarkdownDescription: "Bitbucket Cloud: the project key inside `workspace` (required). Data Center: leave " +
				"unset, the project is `workspace`.",
		},
		identity: []identityAttribute{identityProject, identityKeyID},
		importParts: func(id string) []importPart {
			if strings.Count(id, "/") == 2 {
				// Cloud: <workspace>/<project>/<id>.
				return []importPart{importWorkspace, importCloudProject, keyIDImportPart}
			}
			// Data Center: <workspace>/<id>, the workspace is the project key.
			return []importPart{importWorkspace, keyIDImportPart}
		},
		parentProblem: projectKeyProblem,
		listScopes: func(_ context.Context, _ bitbucket.Client, workspace, project string) ([]bitbucket.AccessKeyScope, error) {
			return []bitbucket.AccessKeyScope{{Workspace: workspace, Project: project}}, nil
		},
		get: func(ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (accessKeyModel, keyParent) {
			var m projectAccessKeyModel
			diags.Append(get(ctx, &m)...)
			return m.accessKeyModel, keyParent{Project: m.Project, Repository: types.StringNull()}
		},
		set: func(ctx context.Context, set func(context.Context, any) diag.Diagnostics, m accessKeyModel, p keyParent, diags *diag.Diagnostics) {
			diags.Append(set(ctx, projectAccessKeyModel{accessKeyModel: m, Project: p.Project})...)
		},
	},
}

// accessKeyLevel is the spec of level. An unknown level is a programming
// error, never silently another level.
func accessKeyLevel(level bitbucket.AccessKeyLevel) *accessKeyLevelSpec {
	spec, ok := accessKeyLevels[level]
	if !ok {
		panic(fmt.Sprintf("provider: unknown access key level %q", level))
	}
	return spec
}

// projectKeyProblem is the rule for a project key's project, the same for
// the resource, its list resource and the data source: Cloud needs the
// project inside the workspace, Data Center has none (the workspace is the
// project). An unknown project is checked at apply.
func projectKeyProblem(project types.String, rules bitbucket.AccessKeyRules, product string) (summary, detail string) {
	switch {
	case project.IsUnknown():
	case rules.ProjectInWorkspace && project.ValueString() == "":
		return "Missing project", fmt.Sprintf("On %s a project lives inside a workspace: set project to the "+
			"project's key (and workspace to its workspace).", product)
	case !rules.ProjectInWorkspace && project.ValueString() != "":
		return "project is not used on " + product,
			fmt.Sprintf("On %s the project is the workspace: set workspace to the project key and remove project.", product)
	}
	return "", ""
}

// addProjectKeyProblem reports projectKeyProblem on the project attribute.
func addProjectKeyProblem(diags *diag.Diagnostics, project types.String, rules bitbucket.AccessKeyRules, product string) {
	if summary, detail := projectKeyProblem(project, rules, product); summary != "" {
		diags.AddAttributeError(path.Root("project"), summary, detail)
	}
}

// listRepositoryKeyScopes is one repository, or every repository of the
// workspace when no repository is given.
func listRepositoryKeyScopes(ctx context.Context, client bitbucket.Client, workspace, repository string) ([]bitbucket.AccessKeyScope, error) {
	if repository != "" {
		return []bitbucket.AccessKeyScope{{Workspace: workspace, Repository: repository}}, nil
	}
	repos, err := client.ListRepositories(ctx, workspace, bitbucket.RepositoryFilter{})
	if err != nil {
		return nil, err
	}
	scopes := make([]bitbucket.AccessKeyScope, 0, len(repos))
	for _, repo := range repos {
		scopes = append(scopes, bitbucket.AccessKeyScope{Workspace: workspace, Repository: repo.Slug})
	}
	return scopes, nil
}

// parentOf is the parent of a listed key's scope, null when the scope has none.
func parentOf(scope bitbucket.AccessKeyScope) keyParent {
	p := keyParent{Repository: types.StringNull(), Project: types.StringNull()}
	if scope.Repository != "" {
		p.Repository = types.StringValue(scope.Repository)
	}
	if scope.Project != "" {
		p.Project = types.StringValue(scope.Project)
	}
	return p
}

// permissionMarkdown documents `permission` of the level, from both products' rules.
func (s *accessKeyLevelSpec) permissionMarkdown() string {
	return fmt.Sprintf("`%s` (default) or `%s`. Bitbucket Cloud access keys are read-only, so on Cloud only `%s` is "+
		"valid. Checked at plan time. Changed in place on Data Center.", s.read, s.write, s.read)
}
