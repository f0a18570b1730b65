# Data Center only. Bitbucket does not let a token create tokens, so the
# provider that manages them signs in with a user name and password.
provider "bitbucket" {
  alias     = "token_admin"
  base_url  = "https://bitbucket.example.com"
  username  = "admin"
  token     = var.bitbucket_password # a password, not a personal access token
  workspace = "PRJ"
}

resource "bitbucket_project_access_token" "ci" {
  provider    = bitbucket.token_admin
  workspace   = "PRJ" # the project key
  name        = "ci"
  permissions = ["PROJECT_READ", "REPO_WRITE"]

  expiry_days        = 90 # changing it replaces the token
  rotate_before_days = 14 # a plan 14 days or less before expires_at replaces the token

  lifecycle {
    # Rotation creates the new token before the old one is revoked.
    create_before_destroy = true
  }
}

output "ci_token" {
  value     = bitbucket_project_access_token.ci.token
  sensitive = true
}

variable "bitbucket_password" {
  type      = string
  sensitive = true
}
