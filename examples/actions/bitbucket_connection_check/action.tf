# terraform apply -invoke=action.bitbucket_connection_check.ci
# fails unless the service's token still reads the repository and the
# service answers Bitbucket's test request with 2xx (Bitbucket Data Center).
resource "bitbucket_connection" "ci" {
  name       = "ci-service"
  workspace  = "PRJ"
  repository = "api-service"
  managed_token = {
    level       = "repository"
    permissions = ["REPO_READ"]
  }
  webhook = {
    url    = "https://ci.example.com/bitbucket-hook"
    events = ["repo:refs_changed"]
  }
  # Warn on every refresh when the webhook's last delivery failed.
  check_webhook_delivery = true
}

action "bitbucket_connection_check" "ci" {
  config {
    workspace  = "PRJ"
    repository = "api-service"
    token      = bitbucket_connection.ci.token # sensitive: hidden in plan output
    webhook_id = bitbucket_connection.ci.webhook_id
  }
}
