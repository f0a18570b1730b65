# Cloud: <workspace>/<project>/<id>. Data Center: <workspace>/<id> (the
# workspace is the project key). A generated private key cannot be imported.
terraform import bitbucket_project_access_key.mirror acme/API/5
terraform import bitbucket_project_access_key.release PRJ/12
