# A read-only SSH key for a build service: the provider generates an Ed25519
# key pair and keeps the private key (sensitive) in state. The same
# configuration works on Bitbucket Cloud and Data Center.
resource "bitbucket_repository_access_key" "ci" {
  workspace  = "acme" # Cloud workspace slug, or Data Center project key
  repository = "web-app"
  label      = "ci"
}

# Hand the private key to the service that clones over SSH.
output "ci_private_key" {
  value     = bitbucket_repository_access_key.ci.private_key_openssh
  sensitive = true
}

# A key you already have; on Data Center it may also push.
resource "bitbucket_repository_access_key" "deploy" {
  provider   = bitbucket.datacenter
  workspace  = "PRJ"
  repository = "web-app"
  label      = "deploy"
  public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF8LLyHClvJpUMKUnOH49Ps0YIM8zlK7zOOObLSjYSCp deploy@example"
  permission = "REPO_WRITE" # Data Center only: Cloud access keys are read-only
}
