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

# Appcircle connects private repositories over SSH: a read-only access key
# the provider makes (the private key goes to Appcircle), plus a webhook made
# with the provider's own credentials: no admin token, nothing to downgrade.
resource "bitbucket_connection" "appcircle" {
  name       = "appcircle"
  workspace  = var.workspace
  repository = var.repository

  managed_access_key = {
    level      = "repository"
    permission = "REPO_READ"
  }

  webhook = {
    url               = var.webhook_url
    events            = ["repo:refs_changed", "pr:opened", "pr:from_ref_updated", "pr:merged"]
    secret_wo         = var.webhook_secret
    secret_wo_version = 1
  }
}

# Stands for Appcircle's side: what you enter in its "private repository
# connection through SSH" (the SSH URL and the private key).
resource "terraform_data" "appcircle_settings" {
  input = {
    repository  = bitbucket_connection.appcircle.clone_ssh
    private_key = bitbucket_connection.appcircle.private_key_openssh
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
