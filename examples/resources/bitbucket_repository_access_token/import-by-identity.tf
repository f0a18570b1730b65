# Terraform 1.12+. The token value cannot be imported: `token` stays empty.
import {
  to = bitbucket_repository_access_token.appcircle
  identity = {
    workspace  = "PRJ"
    repository = "web-app"
    id         = "158910532909"
  }
}
