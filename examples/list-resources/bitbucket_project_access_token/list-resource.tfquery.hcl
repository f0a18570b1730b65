# Terraform 1.14+ (terraform query); Data Center only (Bitbucket Cloud has no
# API for access tokens).
list "bitbucket_project_access_token" "all" {
  provider = bitbucket
  config {
    workspace = "PRJ"
  }
}
