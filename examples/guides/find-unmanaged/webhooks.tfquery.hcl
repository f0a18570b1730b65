# Every webhook in the provider's workspace (Cloud workspace / Data Center
# project): those of each repository, and those of the workspace itself.
list "bitbucket_repository_webhook" "all" {
  provider = bitbucket
  config {}
}

list "bitbucket_workspace_webhook" "all" {
  provider = bitbucket
  config {}
}
