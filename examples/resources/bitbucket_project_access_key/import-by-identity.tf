# Terraform 1.12+. Cloud: workspace, project and id; Data Center: workspace
# (the project key) and id, no project.
import {
  to = bitbucket_project_access_key.mirror
  identity = {
    workspace = "acme"
    project   = "API"
    id        = "5"
  }
}
