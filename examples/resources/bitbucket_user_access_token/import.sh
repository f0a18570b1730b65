# <user>/<id>: the user's slug and the token's id. The token value cannot be
# imported (Bitbucket shows it only when the token is created): `token` stays empty.
terraform import bitbucket_user_access_token.xcode_cloud ci-bot/158910532909
