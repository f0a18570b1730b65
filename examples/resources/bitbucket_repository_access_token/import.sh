# <workspace>/<repository>/<id>. The token value cannot be imported (Bitbucket shows
# it only when the token is created): `token` stays empty.
terraform import bitbucket_repository_access_token.appcircle PRJ/web-app/158910532909
