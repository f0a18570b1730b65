package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// accessTokenResources are the Data Center HTTP access token resources.
var accessTokenResources = []func() resource.Resource{
	NewProjectAccessTokenResource,
	NewRepositoryAccessTokenResource,
	NewUserAccessTokenResource,
}

// accessTokenEphemeralResources are the short-lived tokens of one run.
var accessTokenEphemeralResources = []func() ephemeral.EphemeralResource{
	NewAccessTokenEphemeralResource,
}
