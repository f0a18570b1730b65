# Terraform 1.12+: the identities `terraform query` prints.
import {
  to = bitbucket_repository_webhook.ci
  identity = {
    workspace  = "acme"
    repository = "api-service"
    id         = "{4f1c6a6e-8d0e-4c2e-9c1f-0c6c9d0a1b2c}"
  }
}
