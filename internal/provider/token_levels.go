package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// tokenLevelSpec is everything that differs between the three Data Center
// token levels, in one place: the resources, the ephemeral token, the list
// resources and diagnostics read it instead of switching on the level.
type tokenLevelSpec struct {
	level bitbucket.TokenLevel
	// noun names a token of the level in diagnostics.
	noun string
	// owner are the attributes that name the token's owner, in import-ID
	// order (the import ID is owner.../<id>).
	owner []string
	// identity is the resource identity (Terraform 1.12+): the owner and the id.
	identity []identityAttribute
	// permissions a token of the level may carry.
	permissions []string
	// minimumVersion is the first Data Center version with the level:
	// personal access tokens arrived in 5.5; project and repository ("HTTP
	// access") tokens are documented from 7.18 on (Atlassian's Bitbucket
	// Data Center documentation: the 7.17 pages still describe personal
	// tokens only).
	minimumVersion string
	// description opens the resource's documentation.
	description string
	// where names the owner of a token of scope ("of project PRJ").
	where func(scope bitbucket.TokenScope) string
	// listDescription opens the list resource's documentation.
	listDescription string
	// listOwner fills the owner attributes of a listed token of scope
	// (owner comes in all null) and returns the scope it names.
	listOwner func(scope bitbucket.TokenScope, token *bitbucket.AccessToken, owner tokenOwner) (bitbucket.TokenScope, tokenOwner)
	// get reads plan, state or config of the level's resource into the
	// shared model and the owner; set writes them back.
	get func(ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (accessTokenModel, tokenOwner)
	set func(ctx context.Context, set func(context.Context, any) diag.Diagnostics, m accessTokenModel, o tokenOwner, diags *diag.Diagnostics)
}

// Permissions a token may carry.
var (
	projectPermissions    = []string{"PROJECT_READ", "PROJECT_WRITE", "PROJECT_ADMIN"}
	repositoryPermissions = []string{"REPO_READ", "REPO_WRITE", "REPO_ADMIN"}
)

// tokenLevels are the three levels.
var tokenLevels = map[bitbucket.TokenLevel]*tokenLevelSpec{
	bitbucket.TokenLevelProject: {
		level:          bitbucket.TokenLevelProject,
		noun:           "project access token",
		owner:          []string{"workspace"},
		identity:       []identityAttribute{identityDCProject, identityTokenID},
		permissions:    append(slices.Clone(projectPermissions), repositoryPermissions...),
		minimumVersion: "7.18",
		description: "Manages a Bitbucket Data Center project HTTP access token: it acts on the project and every " +
			"repository in it (the caller needs PROJECT_ADMIN).",
		where:           func(s bitbucket.TokenScope) string { return "of project " + s.Workspace },
		listDescription: "Lists the HTTP access tokens of a Data Center project.",
		listOwner: func(s bitbucket.TokenScope, _ *bitbucket.AccessToken, o tokenOwner) (bitbucket.TokenScope, tokenOwner) {
			o.Workspace = types.StringValue(s.Workspace)
			return s, o
		},
		get: func(ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (accessTokenModel, tokenOwner) {
			var m projectAccessTokenModel
			diags.Append(get(ctx, &m)...)
			return m.accessTokenModel, tokenOwner{Workspace: m.Workspace}
		},
		set: func(ctx context.Context, set func(context.Context, any) diag.Diagnostics, m accessTokenModel, o tokenOwner, diags *diag.Diagnostics) {
			diags.Append(set(ctx, projectAccessTokenModel{accessTokenModel: m, Workspace: o.Workspace})...)
		},
	},
	bitbucket.TokenLevelRepository: {
		level:          bitbucket.TokenLevelRepository,
		noun:           "repository access token",
		owner:          []string{"workspace", "repository"},
		identity:       []identityAttribute{identityDCProject, identityRepo, identityTokenID},
		permissions:    repositoryPermissions,
		minimumVersion: "7.18",
		description: "Manages a Bitbucket Data Center repository HTTP access token: it acts on one repository (the " +
			"caller needs REPO_ADMIN). Services such as Appcircle work with repository tokens.",
		where:           func(s bitbucket.TokenScope) string { return "of repository " + s.Workspace + "/" + s.Repository },
		listDescription: "Lists the HTTP access tokens of a Data Center repository, or of every repository in a project.",
		listOwner: func(s bitbucket.TokenScope, _ *bitbucket.AccessToken, o tokenOwner) (bitbucket.TokenScope, tokenOwner) {
			o.Workspace, o.Repository = types.StringValue(s.Workspace), types.StringValue(s.Repository)
			return s, o
		},
		get: func(ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (accessTokenModel, tokenOwner) {
			var m repositoryAccessTokenModel
			diags.Append(get(ctx, &m)...)
			return m.accessTokenModel, tokenOwner{Workspace: m.Workspace, Repository: m.Repository}
		},
		set: func(ctx context.Context, set func(context.Context, any) diag.Diagnostics, m accessTokenModel, o tokenOwner, diags *diag.Diagnostics) {
			diags.Append(set(ctx, repositoryAccessTokenModel{accessTokenModel: m, Workspace: o.Workspace, Repository: o.Repository})...)
		},
	},
	bitbucket.TokenLevelUser: {
		level:          bitbucket.TokenLevelUser,
		noun:           "user (personal) access token",
		owner:          []string{"user"},
		identity:       []identityAttribute{identityUser, identityTokenID},
		permissions:    append(slices.Clone(projectPermissions), repositoryPermissions...),
		minimumVersion: "5.5",
		description: "Manages a Bitbucket Data Center personal (user) HTTP access token: it acts as the user, " +
			"limited to its permissions. Services such as Xcode Cloud and Nx Cloud need a personal token.",
		where: func(s bitbucket.TokenScope) string {
			if s.User == "" {
				return "of the authenticated user"
			}
			return "of user " + s.User
		},
		listDescription: "Lists the personal HTTP access tokens of a Data Center user.",
		listOwner: func(s bitbucket.TokenScope, t *bitbucket.AccessToken, o tokenOwner) (bitbucket.TokenScope, tokenOwner) {
			// A token names its user; the scope may not (the authenticated user).
			if t.User != "" {
				s.User = t.User
			}
			o.User = types.StringValue(s.User)
			return s, o
		},
		get: func(ctx context.Context, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (accessTokenModel, tokenOwner) {
			var m userAccessTokenModel
			diags.Append(get(ctx, &m)...)
			return m.accessTokenModel, tokenOwner{User: m.User}
		},
		set: func(ctx context.Context, set func(context.Context, any) diag.Diagnostics, m accessTokenModel, o tokenOwner, diags *diag.Diagnostics) {
			diags.Append(set(ctx, userAccessTokenModel{accessTokenModel: m, User: o.User})...)
		},
	},
}

// tokenLevel is the spec of level. An unknown level is a programming
// error, never silently another level.
func tokenLevel(level bitbucket.TokenLevel) *tokenLevelSpec {
	spec, ok := tokenLevels[level]
	if !ok {
		panic(fmt.Sprintf("provider: unknown access token level %q", level))
	}
	return spec
}

// importFormat is the import ID of the level: owner attributes, then id.
func (s *tokenLevelSpec) importFormat() string {
	return "<" + strings.Join(s.owner, ">/<") + ">/<id>"
}

// validTokenPermissions are the permissions a token of level may carry:
// repository tokens REPO_* only, project and user tokens both kinds.
func validTokenPermissions(level bitbucket.TokenLevel) []string {
	return tokenLevel(level).permissions
}

func tokenLevelNoun(level bitbucket.TokenLevel) string {
	return tokenLevel(level).noun
}

// checkTokenCreator reports at plan time a provider that cannot create the
// planned access token: Bitbucket Data Center creates tokens only for a
// request signed in with a user name and password ("Access tokens cannot be
// used to create access tokens"), and only for the signed-in user's own
// personal tokens.
func (pd *providerData) checkTokenCreator(ctx context.Context, plan tfsdk.Plan, level bitbucket.TokenLevel, diags *diag.Diagnostics) {
	if pd.authMode != authModeUsernameToken {
		diags.AddError("Access tokens can only be created with a password",
			fmt.Sprintf("This resource's provider signs in with %s, and Bitbucket Data Center does not let a token create "+
				"access tokens. Configure the provider that manages tokens with username + token, where token is the "+
				"user's password (for example a second provider block with alias = \"token_admin\", and provider = "+
				"bitbucket.token_admin in this resource).", pd.authMode))
		return
	}
	if level != bitbucket.TokenLevelUser {
		return
	}
	var user types.String
	diags.Append(plan.GetAttribute(ctx, path.Root("user"), &user)...)
	if user.IsNull() || user.IsUnknown() || strings.EqualFold(user.ValueString(), pd.username) {
		return
	}
	diags.AddAttributeError(path.Root("user"), "Personal tokens are created by their owner",
		fmt.Sprintf("user is %q but the provider signs in as %q, and Bitbucket Data Center lets only a user create "+
			"their own personal tokens. Leave user out (it defaults to the signed-in user), or give this resource a "+
			"provider that signs in as %q with username + password.", user.ValueString(), pd.username, user.ValueString()))
}
