# <workspace>/<id>: Cloud workspace slug and hook UUID, or Data Center project key and hook number.
# The secret cannot be imported.
terraform import bitbucket_workspace_webhook.security_scanner acme/{8d2b7e30-55a1-4c4e-9a6f-2b1e4d3c9f10}
