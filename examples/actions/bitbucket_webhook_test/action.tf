# Bitbucket Data Center sends a test request to the webhook's URL after the
# webhook is created or changed, and the apply fails unless it answers 2xx.
resource "bitbucket_repository_webhook" "ci" {
  workspace  = "PRJ"
  repository = "api-service"
  name       = "ci"
  url        = "https://ci.example.com/bitbucket-hook"
  events     = ["repo:refs_changed"]

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.bitbucket_webhook_test.ci_url]
    }
  }
}

action "bitbucket_webhook_test" "ci_url" {
  config {
    workspace  = "PRJ"
    repository = "api-service"
    url        = "https://ci.example.com/bitbucket-hook"
  }
}

# On demand: terraform apply -invoke=action.bitbucket_webhook_test.ci
action "bitbucket_webhook_test" "ci" {
  config {
    workspace  = "PRJ"
    repository = "api-service"
    webhook_id = bitbucket_repository_webhook.ci.id
  }
}
