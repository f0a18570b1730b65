# Nx Cloud connected to a Bitbucket Cloud repository.
terraform {
  required_providers {
    bitbucket = {
      source = "bitbucket-iac/bitbucket"
    }
  }
}

# Configured through BITBUCKET_* environment variables (base URL and the
# provider's own credentials), like examples/quickstart.
provider "bitbucket" {}

variable "workspace" {
  description = "Cloud workspace slug."
  type        = string
}

variable "repository" {
  description = "Repository slug."
  type        = string
  default     = "api-service"
}

variable "atlassian_email" {
  description = "Email of the Atlassian account the API token belongs to."
  type        = string
}

variable "api_token" {
  description = "An Atlassian API token with the scopes Nx Cloud lists: read:repository:bitbucket, read:pullrequest:bitbucket and write:pullrequest:bitbucket. Write-only: never stored in state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# An API token authenticates with Basic auth: account email + token.
resource "bitbucket_connection" "nx_cloud" {
  name       = "nx-cloud"
  workspace  = var.workspace
  repository = var.repository

  username         = var.atlassian_email
  token_wo         = var.api_token
  token_wo_version = 1
}

# Stands for Nx Cloud's side: the VCS integration settings.
resource "terraform_data" "nx_cloud_settings" {
  input = {
    repository = "${var.workspace}/${var.repository}"
    username   = var.atlassian_email
  }
}

output "verified_permissions" {
  value = bitbucket_connection.nx_cloud.verified_permissions
}
