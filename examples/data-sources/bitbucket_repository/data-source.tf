data "bitbucket_repository" "api" {
  workspace  = "acme" # Cloud workspace slug, or a Data Center project key
  repository = "api-service"
}

output "clone_url" {
  value = data.bitbucket_repository.api.clone_https
}
