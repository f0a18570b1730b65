package provider

import "github.com/hashicorp/terraform-plugin-framework/resource"

// connectionResources are the bitbucket_connection resource(s).
var connectionResources = []func() resource.Resource{
	NewConnectionResource,
}
