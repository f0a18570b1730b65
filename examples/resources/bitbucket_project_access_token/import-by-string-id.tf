# The token value cannot be imported: `token` stays empty.
import {
  to = bitbucket_project_access_token.ci
  id = "PRJ/158910532909"
}
