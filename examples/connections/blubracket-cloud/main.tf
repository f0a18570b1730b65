# BluBracket (a secret scanner) connected to every repository of a Bitbucket Cloud workspace.
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

variable "username" {
  description = "Email of the Atlassian account whose API token BluBracket uses."
  type        = string
}

variable "token" {
  description = "That account's API token (read:repository:bitbucket, read:workspace:bitbucket). Kept in state (sensitive), so the provider can check it on every refresh."
  type        = string
  sensitive   = true
}

variable "webhook_url" {
  description = "BluBracket's webhook URL for this workspace."
  type        = string
  default     = "https://hooks.blubracket.example/bitbucket"
}

# Workspace-level: no repository. The check requires the credential to read
# every repository of the workspace; the workspace webhook is made with the
# provider's credentials (Cloud workspace hooks need a workspace owner).
resource "bitbucket_connection" "blubracket" {
  name      = "blubracket"
  workspace = var.workspace

  username = var.username
  token    = var.token

  webhook = {
    url    = var.webhook_url
    events = ["repo:push", "repo:created"]
  }
}

# Stands for BluBracket's side: it takes the credential as "username:token".
resource "terraform_data" "blubracket_settings" {
  input = {
    workspace  = var.workspace
    credential = "${var.username}:${bitbucket_connection.blubracket.token}"
  }
}

output "verified_permissions" {
  value = bitbucket_connection.blubracket.verified_permissions
}
