package provider

import "github.com/hashicorp/terraform-plugin-framework/datasource"

// workspaceAndListDataSources are bitbucket_workspace, bitbucket_workspaces
// and bitbucket_repositories.
var workspaceAndListDataSources = []func() datasource.DataSource{
	NewWorkspaceDataSource,
	NewWorkspacesDataSource,
	NewRepositoriesDataSource,
}
