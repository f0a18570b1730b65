# Every workspace (Cloud) or project (Data Center) the credentials administer
# whose name starts with "Team ".
data "bitbucket_workspaces" "teams" {
  min_permission = "admin"
  name_regex     = "^Team "
}

output "team_workspaces" {
  value = [for w in data.bitbucket_workspaces.teams.workspaces : w.workspace]
}
