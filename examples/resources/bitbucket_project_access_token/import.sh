# <workspace>/<id>: the project key and the token's id. The token value cannot be
# imported (Bitbucket shows it only when the token is created): `token` stays empty.
terraform import bitbucket_project_access_token.ci PRJ/158910532909
