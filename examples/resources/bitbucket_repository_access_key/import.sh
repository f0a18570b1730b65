# <workspace>/<repository>/<id>. A generated private key cannot be imported:
# private_key_openssh stays empty.
terraform import bitbucket_repository_access_key.ci acme/web-app/123
