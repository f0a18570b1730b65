package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// NewRepositoryAccessTokenResource returns bitbucket_repository_access_token:
// a Data Center repository HTTP access token
// (/rest/access-tokens/1.0/projects/{key}/repos/{slug}). The implementation
// is shared in access_token.go.
func NewRepositoryAccessTokenResource() resource.Resource {
	return &accessTokenResource{level: bitbucket.TokenLevelRepository}
}
