# Terraform 1.11+ (the provider's minimum). A read-only repository token that exists only while this run
# needs it: created when Terraform opens it, revoked when Terraform closes it,
# never in plan or state. Data Center only; the provider that creates it signs
# in with username + password.
ephemeral "bitbucket_access_token" "read_only" {
  provider    = bitbucket.token_admin # username + password, see bitbucket_project_access_token
  workspace   = "PRJ"
  repository  = "api-service" # leave out for a project token
  name        = "terraform-run"
  permissions = ["REPO_READ"]
}

# Ephemeral values may configure a provider (or fill write-only arguments):
# here a second provider block that can only read the repository.
provider "bitbucket" {
  alias        = "read_only"
  base_url     = "https://bitbucket.example.com"
  access_token = ephemeral.bitbucket_access_token.read_only.token
}

data "bitbucket_repository" "api" {
  provider   = bitbucket.read_only
  workspace  = "PRJ"
  repository = "api-service"
}
