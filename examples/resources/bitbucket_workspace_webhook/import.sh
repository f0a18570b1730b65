# <workspace>/<id>: Cloud workspace slug and hook UUID, or Data Center project key and hook number.
# Data Center returns the secret, so it is imported into `secret`; Cloud never returns it. If the
# configuration sets no secret, the plan warns that applying removes the one the webhook has.
terraform import bitbucket_workspace_webhook.security_scanner acme/{8d2b7e30-55a1-4c4e-9a6f-2b1e4d3c9f10}
