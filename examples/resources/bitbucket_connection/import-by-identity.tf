# Terraform 1.12+: the identity is the import ID's parts (repository is
# left out for a workspace connection).
import {
  to = bitbucket_connection.appcircle
  identity = {
    workspace  = "PRJ"
    repository = "api-service"
    name       = "appcircle"
  }
}
