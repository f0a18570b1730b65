# Audit: every access key of a repository, and of a (Cloud) project.
data "bitbucket_access_keys" "repo" {
  workspace  = "acme"
  repository = "web-app"
}

data "bitbucket_access_keys" "project" {
  workspace = "acme"
  project   = "API" # Cloud only; on Data Center the project is the workspace
}

output "write_keys" {
  value = [for k in data.bitbucket_access_keys.repo.access_keys : k.label if k.permission == "REPO_WRITE"]
}
