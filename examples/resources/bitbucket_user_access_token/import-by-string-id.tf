# The token value cannot be imported: `token` stays empty.
import {
  to = bitbucket_user_access_token.xcode_cloud
  id = "ci-bot/158910532909"
}
