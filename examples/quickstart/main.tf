# Quickstart: everything the provider manages, against one workspace.
# The provider block is empty on purpose: `make demo` (and CI) configure it
# through BITBUCKET_* environment variables, the same way you would for a
# real server. See the README for the settings of Cloud and Data Center.
terraform {
  required_providers {
    bitbucket = {
      source = "bitbucket-iac/bitbucket"
    }
  }
}

provider "bitbucket" {}

variable "workspace" {
  description = "Cloud workspace slug or Data Center project key."
  type        = string
}

data "bitbucket_repository" "api" {
  workspace  = var.workspace
  repository = "api-service"
}

output "repository" {
  value = {
    id             = data.bitbucket_repository.api.id
    name           = data.bitbucket_repository.api.name
    project        = data.bitbucket_repository.api.project_key
    default_branch = data.bitbucket_repository.api.default_branch
    clone_https    = data.bitbucket_repository.api.clone_https
    clone_ssh      = data.bitbucket_repository.api.clone_ssh
    web_url        = data.bitbucket_repository.api.web_url
  }
}
