# Terraform 1.14+ (terraform query); Data Center only. The tokens of the
# user the provider signs in as, or of another user (admins).
list "bitbucket_user_access_token" "mine" {
  provider = bitbucket
  config {}
}
