data "bitbucket_workspace" "acme" {
  workspace = "acme" # Cloud workspace slug, or a Data Center project key
}

output "workspace" {
  value = {
    id      = data.bitbucket_workspace.acme.id
    name    = data.bitbucket_workspace.acme.name
    private = data.bitbucket_workspace.acme.private
    web_url = data.bitbucket_workspace.acme.web_url
  }
}
