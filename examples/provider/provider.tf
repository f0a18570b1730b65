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
