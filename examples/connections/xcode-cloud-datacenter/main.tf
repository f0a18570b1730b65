# Xcode Cloud connected to a Bitbucket Data Center repository.
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

# A personal token of the provider's user, with what Xcode Cloud asks for:
# project read and repository admin (it manages its own webhooks).
# Creating a personal token needs the provider signed in with a password.
resource "bitbucket_connection" "xcode_cloud" {
  name       = "xcode-cloud"
  workspace  = var.workspace
  repository = var.repository

  managed_token = {
    level       = "user"
    permissions = ["PROJECT_READ", "REPO_ADMIN"]
    expiry_days = 365
  }
}

locals {
  # Xcode Cloud asks for the server as host and port, e.g. bitbucket.example.com:7990.
  server_host = regex("^https?://([^/]+)", bitbucket_connection.xcode_cloud.clone_https)[0]
}

# Stands for Xcode Cloud's side of the connection (App Store Connect >
# Xcode Cloud > Settings > Source Code): what you enter there.
resource "terraform_data" "xcode_cloud_settings" {
  input = {
    server_host = local.server_host
    repository  = bitbucket_connection.xcode_cloud.clone_https
    token       = bitbucket_connection.xcode_cloud.token
  }
}

output "server_host" {
  value = local.server_host
}

output "verified_permissions" {
  value = bitbucket_connection.xcode_cloud.verified_permissions
}

output "token" {
  value     = bitbucket_connection.xcode_cloud.token
  sensitive = true
}
