# The configuration you already have: here one repository webhook. The
# provider takes its settings from BITBUCKET_* environment variables
# (BITBUCKET_BASE_URL, BITBUCKET_USERNAME, BITBUCKET_TOKEN, BITBUCKET_WORKSPACE),
# which is also how a CI pipeline passes them.
terraform {
  required_providers {
    bitbucket = {
      source = "bitbucket-iac/bitbucket"
    }
  }
}

provider "bitbucket" {}

variable "push_events" {
  description = "Product-native push event: repo:push on Cloud, repo:refs_changed on Data Center."
  type        = list(string)
  default     = ["repo:refs_changed"]
}

resource "bitbucket_repository_webhook" "ci" {
  repository = "api-service"
  name       = "ci"
  url        = "https://ci.example.com/bitbucket"
  events     = var.push_events
}
