# Data Center only; the provider must sign in with username + password
# (Bitbucket does not let a token create tokens): bitbucket.token_admin, as in
# the bitbucket_project_access_token example.
# A repository token for a service such as Appcircle: REPO_* permissions only.
resource "bitbucket_repository_access_token" "appcircle" {
  provider    = bitbucket.token_admin
  workspace   = "PRJ" # the project key
  repository  = "web-app"
  name        = "appcircle"
  permissions = ["REPO_READ"]

  expiry_days        = 365
  rotate_before_days = 30

  lifecycle {
    create_before_destroy = true
  }
}

output "appcircle_token" {
  value     = bitbucket_repository_access_token.appcircle.token
  sensitive = true
}
