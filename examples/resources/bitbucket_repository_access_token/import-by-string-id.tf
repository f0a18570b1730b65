# The token value cannot be imported: `token` stays empty.
import {
  to = bitbucket_repository_access_token.appcircle
  id = "PRJ/web-app/158910532909"
}
