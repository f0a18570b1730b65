# <workspace>/<repository>/<name> for a repository connection, <workspace>/<name> for a
# workspace connection. Import fails when Bitbucket holds neither a webhook nor a token of that
# name. The webhook is found by the connection's name and, on Data Center, the tokens of that
# name too. A token's value can never be read back, so the next apply revokes the imported token
# of the level the configuration's managed_token makes and creates a new one (the plan warns);
# a same-named token of another level is left alone. A supplied token (token or token_wo,
# username) is written to state from the configuration by the next apply.
terraform import bitbucket_connection.appcircle PRJ/api-service/appcircle
terraform import bitbucket_connection.scanner acme/secret-scanner
