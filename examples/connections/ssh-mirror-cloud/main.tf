# A mirror (or build farm) that clones every repository of a Bitbucket Cloud
# project over SSH. Nothing is made by hand: the provider makes the key pair
# and registers it as a read-only project access key.
terraform {
  required_providers {
    bitbucket = {
      source = "bitbucket-iac/bitbucket"
    }
  }
}

# Configured through BITBUCKET_* environment variables (base URL and the
# provider's own credentials), like examples/quickstart.
provider "bitbucket" {}

variable "workspace" {
  description = "Cloud workspace slug."
  type        = string
}

variable "project" {
  description = "Key of the project inside the workspace whose repositories are mirrored."
  type        = string
  default     = "API"
}

resource "bitbucket_connection" "mirror" {
  name      = "mirror"
  workspace = var.workspace

  managed_access_key = {
    level   = "project"
    project = var.project
  }
}

# Stands for the mirror's side: the key it clones with.
resource "terraform_data" "mirror_settings" {
  input = {
    private_key = bitbucket_connection.mirror.private_key_openssh
    public_key  = bitbucket_connection.mirror.public_key
  }
}

output "verified_permissions" {
  value = bitbucket_connection.mirror.verified_permissions
}
