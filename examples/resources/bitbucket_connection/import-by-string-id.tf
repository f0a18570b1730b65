import {
  to = bitbucket_connection.appcircle
  id = "PRJ/api-service/appcircle"
}
