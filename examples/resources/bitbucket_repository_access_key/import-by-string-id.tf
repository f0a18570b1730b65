import {
  to = bitbucket_repository_access_key.ci
  id = "acme/web-app/123"
}
