# Appcircle connected to a Bitbucket Data Center repository.
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

variable "webhook_url" {
  description = "The webhook URL Appcircle shows for this repository."
  type        = string
  default     = "https://hooks.appcircle.example/bitbucket/api-service"
}

variable "webhook_secret" {
  description = "Secret Appcircle uses to verify deliveries. Write-only: never stored in state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# A repository token that can only read, plus a webhook made with the
# provider's own credentials: no admin token, nothing to downgrade later.
resource "bitbucket_connection" "appcircle" {
  name       = "appcircle"
  workspace  = var.workspace
  repository = var.repository

  managed_token = {
    level       = "repository"
    permissions = ["REPO_READ"]
  }

  webhook = {
    url               = var.webhook_url
    events            = ["repo:refs_changed", "pr:opened", "pr:from_ref_updated", "pr:merged"]
    secret_wo         = var.webhook_secret
    secret_wo_version = 1
  }
}

# Stands for Appcircle's side: what you enter in its Bitbucket Server connection.
resource "terraform_data" "appcircle_settings" {
  input = {
    repository = bitbucket_connection.appcircle.clone_https
    token      = bitbucket_connection.appcircle.token
  }
}

output "verified_permissions" {
  value = bitbucket_connection.appcircle.verified_permissions
}

output "clone_urls" {
  value = {
    https = bitbucket_connection.appcircle.clone_https
    ssh   = bitbucket_connection.appcircle.clone_ssh
  }
}
