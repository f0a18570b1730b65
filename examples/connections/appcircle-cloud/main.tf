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

variable "webhook_url" {
  description = "The webhook URL Appcircle shows for this repository."
  type        = string
  default     = "https://hooks.appcircle.example/bitbucket/api-service"
}

# Appcircle connects private repositories over SSH. The provider makes the
# key pair and registers the public key as a read-only access key (Cloud has
# an API for those, unlike tokens), so nothing is made by hand. The webhook
# is made with the provider's own credentials.
resource "bitbucket_connection" "appcircle" {
  name       = "appcircle"
  workspace  = var.workspace
  repository = var.repository

  managed_access_key = {
    level = "repository"
  }

  webhook = {
    url    = var.webhook_url
    events = ["repo:push", "pullrequest:created", "pullrequest:updated", "pullrequest:fulfilled"]
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

output "webhook_id" {
  value = bitbucket_connection.appcircle.webhook_id
}
