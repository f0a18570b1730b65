# Warn in every plan when the CI webhook's last delivery failed, or when
# nothing was delivered successfully for a day (Bitbucket Data Center).
check "ci_webhook_delivers" {
  data "bitbucket_webhook_deliveries" "ci" {
    provider   = bitbucket.datacenter
    workspace  = "PRJ"
    repository = "api-service"
    webhook_id = "12"
  }

  assert {
    condition     = data.bitbucket_webhook_deliveries.ci.healthy
    error_message = "The CI webhook's last delivery failed: ${jsonencode(data.bitbucket_webhook_deliveries.ci.last_delivery)}"
  }

  assert {
    # && does not short-circuit in Terraform: try() gives false while there is no success yet.
    condition     = try(timecmp(timeadd(data.bitbucket_webhook_deliveries.ci.last_success.time, "24h"), plantimestamp()) > 0, false)
    error_message = "The CI webhook has not delivered successfully for 24 hours."
  }
}
