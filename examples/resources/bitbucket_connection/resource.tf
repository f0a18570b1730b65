# Data Center: the provider creates a read-only repository token for the
# service and the service's webhook, with its own (admin) credentials.
resource "bitbucket_connection" "appcircle" {
  provider   = bitbucket.datacenter
  name       = "appcircle"
  workspace  = "PRJ" # Data Center project key (a Cloud workspace slug on Cloud)
  repository = "api-service"

  managed_token = {
    level       = "repository"
    permissions = ["REPO_READ"]
  }

  webhook = {
    url               = "https://hooks.appcircle.example/bitbucket/api-service"
    events            = ["repo:refs_changed", "pr:opened", "pr:from_ref_updated"]
    secret_wo         = var.webhook_secret
    secret_wo_version = 1
  }
}

# Cloud: tokens cannot be created by API, so the service's token is supplied
# (write-only) and checked. Here a workspace-level connection: the check
# requires the token to read every repository of the workspace.
resource "bitbucket_connection" "scanner" {
  name      = "secret-scanner"
  workspace = "acme"

  username         = "scanner@example.com" # Atlassian account email of the API token
  token_wo         = var.scanner_api_token
  token_wo_version = 1
}

output "appcircle_token" {
  value     = bitbucket_connection.appcircle.token
  sensitive = true
}

variable "webhook_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "scanner_api_token" {
  type      = string
  sensitive = true
  ephemeral = true
}
