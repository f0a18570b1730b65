# Alias scheme used by every example: the default provider is Bitbucket Cloud,
# `datacenter` is Bitbucket Data Center, `token_admin` is a Data Center block
# that signs in with a password to manage access tokens, and `read_only` is a
# block fed by an ephemeral token. With one product, keep one block without
# an alias.

# Bitbucket Cloud with an API token (Atlassian account email + token).
provider "bitbucket" {
  username  = "you@example.com"
  token     = var.bitbucket_api_token # or BITBUCKET_TOKEN
  workspace = "acme"
}

# Bitbucket Data Center with an HTTP access token.
provider "bitbucket" {
  alias        = "datacenter"
  base_url     = "https://bitbucket.example.com"
  access_token = var.bitbucket_http_token # or BITBUCKET_ACCESS_TOKEN
  workspace    = "PRJ"
}

variable "bitbucket_api_token" {
  type      = string
  sensitive = true
}

variable "bitbucket_http_token" {
  type      = string
  sensitive = true
}
