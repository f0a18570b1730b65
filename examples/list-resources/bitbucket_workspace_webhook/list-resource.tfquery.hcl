# Terraform 1.14+ (terraform query). The webhooks of a Cloud workspace or a
# Data Center project (not those of its repositories).
list "bitbucket_workspace_webhook" "all" {
  provider = bitbucket
  config {
    workspace = "acme"
  }
}
