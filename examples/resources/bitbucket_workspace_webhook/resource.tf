# Cloud: a workspace hook (needs a workspace owner's credentials).
# Data Center: a project hook, inherited by every repository of the project.
resource "bitbucket_workspace_webhook" "security_scanner" {
  workspace = "acme" # Cloud workspace slug, or a Data Center project key
  name      = "Security scanner"
  url       = "https://scanner.example.com/hooks/bitbucket"
  events    = ["repo:push"]

  secret_wo         = var.scanner_secret
  secret_wo_version = 1
}

variable "scanner_secret" {
  type      = string
  sensitive = true
}
