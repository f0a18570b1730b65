# <workspace>/<repository>/<name> for a repository connection, <workspace>/<name> for a
# workspace connection. An import finds what Bitbucket keeps for the connection by its name:
# its webhook, its access key (by label) and, on Data Center, its tokens. A token's value can
# never be read back, so the next apply revokes the imported token of the level the
# configuration's managed_token makes and creates a new one (the plan warns); a same-named token
# of another level is left alone. A supplied token (token or token_wo, username) is written to
# state from the configuration by the next apply, which checks it.
terraform import bitbucket_connection.appcircle PRJ/api-service/appcircle
# A connection with only a supplied credential and no webhook (the "scanner" example) keeps
# nothing in Bitbucket, so it cannot be imported and needs no import: add it to the
# configuration and apply. That creates nothing in Bitbucket; it checks the credential.
