# Terraform 1.14+ (terraform query). Every webhook of every repository in the
# provider's workspace; or narrow it: repository and workspace go to the
# server, name filters what it returns.
list "bitbucket_repository_webhook" "all" {
  provider = bitbucket
  config {}
}

list "bitbucket_repository_webhook" "nightly" {
  provider = bitbucket
  config {
    workspace  = "acme"
    repository = "api-service"
    name       = "nightly-build"
  }
}
