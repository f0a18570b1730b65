package emulator

import (
	"net/http"
	"sort"
	"strings"
)

var cloudRepositoryFields = bbqlFields{
	"name": bbqlString, "slug": bbqlString, "full_name": bbqlString, "uuid": bbqlString,
	"description": bbqlString, "is_private": bbqlBool, "scm": bbqlString, "fork_policy": bbqlString,
	"language": bbqlString, "project.key": bbqlString, "project.name": bbqlString,
	"project.uuid": bbqlString, "mainbranch.name": bbqlString, "workspace.slug": bbqlString,
	"workspace.uuid": bbqlString, "owner.uuid": bbqlString, "owner.username": bbqlString,
	"created_on": bbqlTime, "updated_on": bbqlTime, "size": bbqlNumber,
}

func repositoryRecord(r *repository) bbqlRecord {
	return func(field string) any {
		p := r.ws.projects[r.projectKey]
		switch field {
		case "name":
			return r.name
		case "slug":
			return r.slug
		case "full_name":
			return r.ws.slug + "/" + r.slug
		case "uuid":
			return r.uuid
		case "description":
			return r.description
		case "is_private":
			return r.private
		case "scm":
			return "git"
		case "fork_policy":
			return "no_public_forks"
		case "language":
			return ""
		case "project.key":
			if p != nil {
				return p.key
			}
		case "project.name":
			if p != nil {
				return p.name
			}
		case "project.uuid":
			if p != nil {
				return p.uuid
			}
		case "mainbranch.name":
			return r.defaultBranch
		case "workspace.slug", "owner.username":
			return r.ws.slug
		case "workspace.uuid", "owner.uuid":
			return r.ws.uuid
		case "created_on", "updated_on":
			return r.created
		case "size":
			return float64(0)
		}
		return nil
	}
}

// cloudRoleAllows filters GET /repositories/{workspace} by role=.
func cloudRoleAllows(c *call, r *repository, role string) bool {
	switch role {
	case "":
		return true
	case "member":
		return c.p.cloudRole(r.ws) != "" || c.p.cloudToken != nil
	case "contributor", "admin":
		return c.p.canAdminRepo(r)
	case "owner":
		return c.p.cloudRole(r.ws) == "owner"
	}
	return false
}

// GET /2.0/repositories/{workspace}: q (BBQL), role, sort; pagelen 10, max 100.
func cloudListRepositories(c *call) response {
	ws, fail := cloudVisibleWorkspace(c)
	if fail != nil {
		return *fail
	}
	q := c.r.URL.Query()
	role := q.Get("role")
	switch role {
	case "", "member", "contributor", "admin", "owner":
	default:
		return cloudError(http.StatusBadRequest, "Invalid role: "+role+". Valid roles are member, contributor, admin and owner.")
	}
	var expr bbqlExpr
	if query := q.Get("q"); query != "" {
		var err error
		if expr, err = parseBBQL(query, cloudRepositoryFields); err != nil {
			return cloudQueryError(query, err)
		}
	}
	less, ok := repoOrder(q.Get("sort"))
	if !ok {
		return cloudError(http.StatusBadRequest, "Invalid sort field: "+q.Get("sort"))
	}
	var repos []*repository
	for _, r := range ws.repos {
		if c.p.canReadRepo(r) && cloudRoleAllows(c, r, role) && (expr == nil || expr.match(repositoryRecord(r))) {
			repos = append(repos, r)
		}
	}
	if less != nil {
		sort.SliceStable(repos, func(i, j int) bool { return less(repos[i], repos[j]) })
	}
	return cloudPage(c, repos, 10, func(r *repository) any { return cloudRepoJSON(c, r) })
}

// repoOrder returns the comparison for sort=; nil keeps slug order.
func repoOrder(by string) (func(a, b *repository) bool, bool) {
	desc := strings.HasPrefix(by, "-")
	var less func(a, b *repository) bool
	switch strings.TrimPrefix(by, "-") {
	case "":
		return nil, true
	case "slug", "full_name":
		less = func(a, b *repository) bool { return a.slug < b.slug }
	case "name":
		less = func(a, b *repository) bool {
			if a.name != b.name {
				return a.name < b.name
			}
			return a.slug < b.slug
		}
	case "created_on", "updated_on":
		less = func(a, b *repository) bool {
			if !a.created.Equal(b.created) {
				return a.created.Before(b.created)
			}
			return a.slug < b.slug
		}
	default:
		return nil, false
	}
	if desc {
		return func(a, b *repository) bool { return less(b, a) }, true
	}
	return less, true
}

// cloudVisibleRepo finds {workspace}/{repo_slug}, hiding what the caller cannot read.
func cloudVisibleRepo(c *call) (*repository, *response) {
	ws, fail := cloudVisibleWorkspace(c)
	if fail != nil {
		return nil, fail
	}
	r := ws.repository(c.param("repo_slug"))
	if r == nil || !c.p.canReadRepo(r) {
		resp := cloudError(http.StatusNotFound, msgCloudRepoNotFound)
		return nil, &resp
	}
	return r, nil
}

// GET /2.0/repositories/{workspace}/{repo_slug}
func cloudGetRepository(c *call) response {
	r, fail := cloudVisibleRepo(c)
	if fail != nil {
		return *fail
	}
	return jsonResponse(http.StatusOK, cloudRepoJSON(c, r))
}
