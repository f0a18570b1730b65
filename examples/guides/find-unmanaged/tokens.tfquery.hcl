# Data Center only (Bitbucket Cloud has no API for access tokens): the HTTP
# access tokens of the project, of each of its repositories, and your own.
list "bitbucket_project_access_token" "all" {
  provider = bitbucket
  config {}
}

list "bitbucket_repository_access_token" "all" {
  provider = bitbucket
  config {}
}

list "bitbucket_user_access_token" "mine" {
  provider = bitbucket
  config {}
}
