# Terraform 1.14+ (terraform query). Cloud: a project of the workspace;
# Data Center: the project is the workspace (no project).
list "bitbucket_project_access_key" "api" {
  provider = bitbucket
  config {
    workspace = "acme"
    project   = "API"
  }
}
