# Terraform 1.14+ (terraform query); Data Center only. Without repository,
# the tokens of every repository of the project.
list "bitbucket_repository_access_token" "ci" {
  provider = bitbucket
  config {
    workspace  = "PRJ"
    repository = "web-app"
    name       = "ci"
  }
}
