# Terraform 1.14+ (terraform query). Without repository, the keys of every
# repository of the workspace; label filters what the server returns.
list "bitbucket_repository_access_key" "deploy" {
  provider = bitbucket
  config {
    workspace = "acme"
    label     = "deploy"
  }
}
