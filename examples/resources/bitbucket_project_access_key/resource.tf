# Bitbucket Cloud: a project lives inside a workspace. Cloud keys are read-only.
resource "bitbucket_project_access_key" "mirror" {
  workspace = "acme"
  project   = "API"
  label     = "mirror"
}

# Bitbucket Data Center: the project is the workspace; leave project unset.
resource "bitbucket_project_access_key" "release" {
  provider      = bitbucket.datacenter
  workspace     = "PRJ"
  label         = "release"
  permission    = "PROJECT_WRITE"
  key_algorithm = "ECDSA"
}

output "mirror_private_key" {
  value     = bitbucket_project_access_key.mirror.private_key_openssh
  sensitive = true
}
