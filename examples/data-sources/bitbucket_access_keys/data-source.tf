# Audit: every access key of a repository, and of a Cloud project.
data "bitbucket_access_keys" "repo" {
  workspace  = "acme"
  repository = "web-app"
}

data "bitbucket_access_keys" "project" {
  workspace = "acme"
  project   = "API" # Cloud only; on Data Center the project is the workspace
}

# Keys never used since they were added: candidates for removal (both products).
output "unused_keys" {
  value = [
    for k in concat(data.bitbucket_access_keys.repo.access_keys, data.bitbucket_access_keys.project.access_keys) :
    k.label if k.last_used == null
  ]
}

# Keys that can push. Data Center only: Cloud access keys are read-only, so
# on Cloud this list would always be empty.
data "bitbucket_access_keys" "dc_repo" {
  provider   = bitbucket.datacenter
  workspace  = "PRJ"
  repository = "api-service"
}

output "write_keys" {
  value = [for k in data.bitbucket_access_keys.dc_repo.access_keys : k.label if k.permission == "REPO_WRITE"]
}
