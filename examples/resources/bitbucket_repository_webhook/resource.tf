# Cloud: events use Cloud's names (repo:push, pullrequest:*).
resource "bitbucket_repository_webhook" "ci" {
  workspace  = "acme" # Cloud workspace slug, or a Data Center project key
  repository = "api-service"
  name       = "CI builds" # Cloud description / Data Center name
  url        = "https://ci.example.com/bitbucket/hook"
  events     = ["repo:push", "pullrequest:created", "pullrequest:updated"]

  # Write-only (Terraform 1.11+): never stored in state. Bump the version to rotate.
  secret_wo         = var.webhook_secret
  secret_wo_version = 1
}

# Data Center: the same resource with Data Center's event names.
resource "bitbucket_repository_webhook" "ci_datacenter" {
  provider   = bitbucket.datacenter
  workspace  = "PRJ"
  repository = "api-service"
  name       = "CI builds"
  url        = "https://ci.example.com/bitbucket/hook"
  events     = ["repo:refs_changed", "pr:opened", "pr:from_ref_updated"]
  active     = true
}

variable "webhook_secret" {
  type      = string
  sensitive = true
}
