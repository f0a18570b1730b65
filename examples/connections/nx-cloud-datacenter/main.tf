# Nx Cloud connected to a Bitbucket Data Center repository.
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
  description = "Data Center project key."
  type        = string
}

variable "repository" {
  description = "Repository slug."
  type        = string
  default     = "api-service"
}

# A personal token with repository write, which Nx Cloud needs to report on
# pull requests. Creating it needs the provider signed in with a password.
resource "bitbucket_connection" "nx_cloud" {
  name       = "nx-cloud"
  workspace  = var.workspace
  repository = var.repository

  managed_token = {
    level       = "user"
    permissions = ["REPO_WRITE"]
    expiry_days = 180
  }
}

# Stands for Nx Cloud's side: the VCS integration settings.
resource "terraform_data" "nx_cloud_settings" {
  input = {
    repository = bitbucket_connection.nx_cloud.clone_https
    token      = bitbucket_connection.nx_cloud.token
  }
}

output "verified_permissions" {
  value = bitbucket_connection.nx_cloud.verified_permissions
}
