# Terraform 1.12+. The token value cannot be imported: `token` stays empty.
import {
  to = bitbucket_user_access_token.xcode_cloud
  identity = {
    user = "ci-bot"
    id   = "158910532909"
  }
}
