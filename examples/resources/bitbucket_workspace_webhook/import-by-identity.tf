# Terraform 1.12+.
import {
  to = bitbucket_workspace_webhook.security_scanner
  identity = {
    workspace = "acme"
    id        = "{8d2b7e30-55a1-4c4e-9a6f-2b1e4d3c9f10}"
  }
}
