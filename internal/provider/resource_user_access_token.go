package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// NewUserAccessTokenResource returns bitbucket_user_access_token: a Data
// Center personal HTTP access token (/rest/access-tokens/1.0/users/{slug}).
// The implementation is shared in access_token.go.
func NewUserAccessTokenResource() resource.Resource {
	return &accessTokenResource{level: bitbucket.TokenLevelUser}
}
