# Quickstart: everything the provider manages, against one workspace.
# The provider block is empty on purpose: `make demo` (and CI) configure it
# through BITBUCKET_* environment variables, the same way you would for a
# real server. See the README for the settings of Cloud and Data Center.
terraform {
  required_providers {
    bitbucket = {
      source = "bitbucket-iac/bitbucket"
    }
  }
}

provider "bitbucket" {}

variable "workspace" {
  description = "Cloud workspace slug or Data Center project key."
  type        = string
}

variable "product" {
  description = "\"cloud\" or \"datacenter\": decides how the CI service's credential is made."
  type        = string
  validation {
    condition     = contains(["cloud", "datacenter"], var.product)
    error_message = "product must be \"cloud\" or \"datacenter\" (the product at BITBUCKET_BASE_URL)."
  }
}

variable "service_token" {
  description = "Cloud only: the access token made in the web UI for the CI service (Cloud has no API to create one)."
  type        = string
  sensitive   = true
  default     = null
  validation {
    condition     = var.product != "cloud" || var.service_token != null
    error_message = "On Cloud set service_token to the repository access token made in the web UI for the CI service: Cloud has no API to create one."
  }
}

variable "push_events" {
  description = "Webhook events for a push; by default [\"repo:push\"] on Cloud, [\"repo:refs_changed\"] on Data Center."
  type        = list(string)
  default     = null
}

locals {
  push_events = coalesce(var.push_events, var.product == "cloud" ? ["repo:push"] : ["repo:refs_changed"])
}

variable "webhook_secret" {
  description = "Signs the webhook's deliveries; write-only, never stored in state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

data "bitbucket_repository" "api" {
  workspace  = var.workspace
  repository = "api-service"
}

# Every repository of the workspace, sorted by slug: one request per 100
# (Cloud) or 1,000 (Data Center) repositories.
data "bitbucket_repositories" "all" {
  workspace = var.workspace
}

# The CI service's webhook on that repository.
resource "bitbucket_repository_webhook" "ci" {
  workspace         = var.workspace
  repository        = data.bitbucket_repository.api.repository
  name              = "CI builds"
  url               = "https://ci.example.com/bitbucket/hook"
  events            = local.push_events
  secret_wo         = var.webhook_secret
  secret_wo_version = 1
}

# The CI service connected as one unit: a least-privilege credential and a
# check, on every refresh, that it still reads the repository.
resource "bitbucket_connection" "ci" {
  name       = "ci-service"
  workspace  = var.workspace
  repository = data.bitbucket_repository.api.repository

  # Data Center: the provider makes a read-only repository token.
  managed_token = var.product == "datacenter" ? {
    level       = "repository"
    permissions = ["REPO_READ"]
  } : null
  # Cloud: the token made in the web UI is supplied (write-only: never in
  # plan or state) and verified.
  token_wo         = var.product == "cloud" ? var.service_token : null
  token_wo_version = var.product == "cloud" ? 1 : null
}

output "connection" {
  value = {
    verified_permissions = bitbucket_connection.ci.verified_permissions
    managed_token_id     = bitbucket_connection.ci.token_id
  }
}

output "webhook_id" {
  value = bitbucket_repository_webhook.ci.id
}

output "repository" {
  value = {
    id             = data.bitbucket_repository.api.id
    name           = data.bitbucket_repository.api.name
    project        = data.bitbucket_repository.api.project_key
    default_branch = data.bitbucket_repository.api.default_branch
    clone_https    = data.bitbucket_repository.api.clone_https
    clone_ssh      = data.bitbucket_repository.api.clone_ssh
    web_url        = data.bitbucket_repository.api.web_url
  }
}

output "repositories" {
  value = [for r in data.bitbucket_repositories.all.repositories : r.repository]
}
