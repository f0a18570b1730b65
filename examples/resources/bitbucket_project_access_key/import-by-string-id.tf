import {
  to = bitbucket_project_access_key.mirror
  id = "acme/API/5"
}
