# Terraform 1.12+. The token value cannot be imported: `token` stays empty.
import {
  to = bitbucket_project_access_token.ci
  identity = {
    workspace = "PRJ"
    id        = "158910532909"
  }
}
