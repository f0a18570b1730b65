# The repositories of a workspace whose name contains "service" (filtered by
# the server) and ends in "-service" (filtered by the provider).
data "bitbucket_repositories" "services" {
  workspace     = "acme" # Cloud workspace slug, or a Data Center project key
  name_contains = "service"
  name_regex    = "-service$"
}

output "service_clone_urls" {
  value = { for r in data.bitbucket_repositories.services.repositories : r.repository => r.clone_https }
}
