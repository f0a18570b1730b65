package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var (
	_ resource.ResourceWithImportState    = &accessTokenResource{}
	_ resource.ResourceWithModifyPlan     = &accessTokenResource{}
	_ resource.ResourceWithConfigure      = &accessTokenResource{}
	_ resource.ResourceWithValidateConfig = &accessTokenResource{}
)

// NewProjectAccessTokenResource returns bitbucket_project_access_token: a
// Data Center project HTTP access token (/rest/access-tokens/1.0/projects/{key}).
// The implementation is shared with the repository and user tokens in
// access_token.go.
func NewProjectAccessTokenResource() resource.Resource {
	return &accessTokenResource{level: bitbucket.TokenLevelProject}
}
