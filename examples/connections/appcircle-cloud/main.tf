# Appcircle connected to a Bitbucket Cloud repository.
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

variable "repository_access_token" {
  description = "A repository access token made in Bitbucket (Repository settings > Access tokens) with the Repositories: Read and Pull requests: Read scopes. Write-only: never stored in state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "token_version" {
  description = "Bump when you rotate the token, so the new one is checked."
  type        = number
  default     = 1
}

variable "webhook_url" {
  description = "The webhook URL Appcircle shows for this repository."
  type        = string
  default     = "https://hooks.appcircle.example/bitbucket/api-service"
}

# Cloud cannot create tokens by API, so the token is supplied. The webhook is
# made with the provider's own credentials: the token stays read-only.
resource "bitbucket_connection" "appcircle" {
  name       = "appcircle"
  workspace  = var.workspace
  repository = var.repository

  token_wo         = var.repository_access_token
  token_wo_version = var.token_version

  webhook = {
    url    = var.webhook_url
    events = ["repo:push", "pullrequest:created", "pullrequest:updated", "pullrequest:fulfilled"]
  }
}

# Stands for Appcircle's side: the repository it builds and the hook it listens on.
resource "terraform_data" "appcircle_settings" {
  input = {
    repository = bitbucket_connection.appcircle.clone_https
    webhook_id = bitbucket_connection.appcircle.webhook_id
  }
}

output "verified_permissions" {
  value = bitbucket_connection.appcircle.verified_permissions
}

output "webhook_id" {
  value = bitbucket_connection.appcircle.webhook_id
}
