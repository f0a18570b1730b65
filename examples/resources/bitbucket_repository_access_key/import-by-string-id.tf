import {
  to = bitbucket_repository_access_key.ci
  id = "acme/mobile-app/123"
}
