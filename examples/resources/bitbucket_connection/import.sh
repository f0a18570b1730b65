# <workspace>/<repository>/<name> for a repository connection, <workspace>/<name> for a
# workspace connection. The webhook is found by the connection's name and, on Data Center,
# a managed token too; a token's value can never be read back, so an imported managed token
# is replaced by a new one on the next apply, and a supplied token (token or token_wo, username) is
# written to state from the configuration by the next apply.
terraform import bitbucket_connection.appcircle PRJ/api-service/appcircle
terraform import bitbucket_connection.scanner acme/secret-scanner
