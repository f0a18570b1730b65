# <workspace>/<repository>/<id>: the id is the hook UUID on Cloud (braces optional)
# or its number on Data Center. Data Center returns the secret, so it is imported into `secret`;
# Cloud never returns it. If the configuration sets no secret, the plan warns that applying
# removes the one the webhook has.
terraform import bitbucket_repository_webhook.ci acme/api-service/{4f1c6a6e-8d0e-4c2e-9c1f-0c6c9d0a1b2c}
terraform import bitbucket_repository_webhook.ci_datacenter PRJ/api-service/10
