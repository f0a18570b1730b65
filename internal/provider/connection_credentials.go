package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// connectionCredentialKind is one way a connection gets its credential; exactly
// one is configured (ConfigValidators). The credentials the provider makes
// are nested attributes with a level; a level that lives on a repository
// needs the connection's repository. What each product allows (managed tokens
// on Data Center only, a Cloud project key's project, permissions) is asked
// of the client in checkProductSupports. TestConnectionCombinations plans
// every credential of this table, at every level, on both products, for a
// repository and a workspace connection, with and without a webhook.
type connectionCredentialKind struct {
	attribute string
	// levels of a credential the provider makes (nil for a supplied one),
	// and value reads its nested attribute from a connection.
	levels []string
	value  func(connectionModel) types.Object
	// repositoryLevel is the level that needs repository, with what to say
	// when it is missing.
	repositoryLevel         string
	repositoryLevelSummary  string
	repositoryLevelRequires string
}

var connectionCredentialKinds = []connectionCredentialKind{
	{attribute: "managed_token", value: func(m connectionModel) types.Object { return m.ManagedToken },
		levels:                  []string{string(bitbucket.TokenLevelRepository), string(bitbucket.TokenLevelProject), string(bitbucket.TokenLevelUser)},
		repositoryLevel:         string(bitbucket.TokenLevelRepository),
		repositoryLevelSummary:  "A repository token needs a repository",
		repositoryLevelRequires: `level = "repository" makes a repository access token: set repository, or use level = "project" for a workspace connection.`},
	{attribute: "managed_access_key", value: func(m connectionModel) types.Object { return m.ManagedAccessKey },
		levels:                  []string{string(bitbucket.AccessKeyLevelRepository), string(bitbucket.AccessKeyLevelProject)},
		repositoryLevel:         string(bitbucket.AccessKeyLevelRepository),
		repositoryLevelSummary:  "A repository key needs a repository",
		repositoryLevelRequires: `level = "repository" registers the key on the connection's repository: set repository, or use level = "project" for a workspace connection.`},
	{attribute: "token"},
	{attribute: "token_wo"},
}

// connectionCredentials are the attributes of connectionCredentialKinds.
var connectionCredentials = func() path.Expressions {
	var out path.Expressions
	for _, c := range connectionCredentialKinds {
		out = append(out, path.MatchRoot(c.attribute))
	}
	return out
}()

// checkCredentialScope reports a made credential whose level needs a
// repository on a workspace connection.
func checkCredentialScope(config connectionModel, diags *diag.Diagnostics) {
	if !config.Repository.IsNull() {
		return
	}
	for _, c := range connectionCredentialKinds {
		if c.value == nil || c.repositoryLevel == "" {
			continue
		}
		o := c.value(config)
		if o.IsNull() || o.IsUnknown() {
			continue
		}
		if level, ok := o.Attributes()["level"].(types.String); ok && level.ValueString() == c.repositoryLevel {
			diags.AddAttributeError(path.Root(c.attribute).AtName("level"), c.repositoryLevelSummary, c.repositoryLevelRequires)
		}
	}
}

// madeCredentialLevels are the levels of the made credential attribute.
func madeCredentialLevels(attribute string) []string {
	for _, c := range connectionCredentialKinds {
		if c.attribute == attribute {
			return c.levels
		}
	}
	return nil
}
