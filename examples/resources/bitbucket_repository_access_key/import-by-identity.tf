# Terraform 1.12+.
import {
  to = bitbucket_repository_access_key.ci
  identity = {
    workspace  = "acme"
    repository = "web-app"
    id         = "123"
  }
}
