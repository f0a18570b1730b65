# Data Center only; the provider must sign in with username + password
# (Bitbucket does not let a token create tokens): bitbucket.token_admin, as in
# the bitbucket_project_access_token example.
# A personal token, as services such as Xcode Cloud and Nx Cloud need. It
# belongs to the user the provider signs in as unless `user` names them.
resource "bitbucket_user_access_token" "xcode_cloud" {
  provider    = bitbucket.token_admin
  name        = "xcode-cloud"
  permissions = ["PROJECT_READ", "REPO_READ"]

  expiry_days        = 180
  rotate_before_days = 21

  lifecycle {
    create_before_destroy = true
  }
}

output "xcode_cloud_token" {
  value     = bitbucket_user_access_token.xcode_cloud.token
  sensitive = true
}
