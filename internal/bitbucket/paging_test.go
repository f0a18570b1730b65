package bitbucket

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

func TestCloudListRepositoriesFollowsNextUntilAbsent(t *testing.T) {
	const total = 250 // 3 pages of 100
	rec := &recorder{}
	var srvURL string
	c, srv := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		if r.URL.Path != "/2.0/repositories/acme" {
			http.NotFound(w, r)
			return
		}
		// An opaque cursor, as Cloud's iterator pages use, not a page number.
		offset := 0
		if cur := r.URL.Query().Get("cursor"); cur != "" {
			offset, _ = strconv.Atoi(cur[len("c"):])
		}
		pagelen, _ := strconv.Atoi(r.URL.Query().Get("pagelen"))
		var values []map[string]any
		for i := offset; i < offset+pagelen && i < total; i++ {
			// Served in reverse slug order: the client must sort.
			slug := fmt.Sprintf("repo-%03d", total-1-i)
			values = append(values, map[string]any{"slug": slug, "name": slug, "uuid": "{" + slug + "}"})
		}
		page := map[string]any{"values": values, "pagelen": pagelen}
		if offset+pagelen < total {
			page["next"] = srvURL + "/2.0/repositories/acme?pagelen=" + strconv.Itoa(pagelen) + "&cursor=c" + strconv.Itoa(offset+pagelen)
		}
		writeJSON(w, http.StatusOK, page)
	}), nil)
	srvURL = srv.URL

	repos, err := c.ListRepositories(context.Background(), "acme", RepositoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != total {
		t.Fatalf("got %d repositories, want %d", len(repos), total)
	}
	for i, r := range repos {
		if want := fmt.Sprintf("repo-%03d", i); r.Slug != want {
			t.Fatalf("repos[%d].Slug = %q, want %q (sorted by slug)", i, r.Slug, want)
		}
	}
	reqs := rec.all()
	if len(reqs) != 3 {
		t.Fatalf("sent %d requests, want ceil(250/100) = 3", len(reqs))
	}
	if got := reqs[0].RequestURI; got != "/2.0/repositories/acme?pagelen=100" {
		t.Errorf("first request %q, want pagelen=100 and nothing else", got)
	}
	// Later requests are exactly the server's next links.
	if got, want := reqs[1].RequestURI, "/2.0/repositories/acme?pagelen=100&cursor=c100"; got != want {
		t.Errorf("second request %q, want the next link %q", got, want)
	}
	if got, want := reqs[2].RequestURI, "/2.0/repositories/acme?pagelen=100&cursor=c200"; got != want {
		t.Errorf("third request %q, want the next link %q", got, want)
	}
}

func TestCloudListRepositoriesPushesFilterAsBBQL(t *testing.T) {
	rec := &recorder{}
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		writeJSON(w, http.StatusOK, map[string]any{"values": []any{}})
	}), nil)

	_, err := c.ListRepositories(context.Background(), "acme", RepositoryFilter{Name: `api "v2" \ beta`, ProjectKey: "API"})
	if err != nil {
		t.Fatal(err)
	}
	reqs := rec.all()
	if len(reqs) != 1 {
		t.Fatalf("sent %d requests, want 1", len(reqs))
	}
	q, _ := url.ParseQuery(reqs[0].RequestURI[len("/2.0/repositories/acme?"):])
	want := `name ~ "api \"v2\" \\ beta" AND project.key = "API"`
	if got := q.Get("q"); got != want {
		t.Errorf("q = %s, want %s", got, want)
	}
}

func TestDataCenterListRepositoriesPagesWithStartAndLimit(t *testing.T) {
	const total = 2500 // 3 pages of 1000
	rec := &recorder{}
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		if r.URL.Path != "/rest/api/1.0/projects/PRJ/repos" {
			http.NotFound(w, r)
			return
		}
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		var values []map[string]any
		for i := start; i < start+limit && i < total; i++ {
			slug := fmt.Sprintf("repo-%04d", total-1-i)
			values = append(values, map[string]any{
				"slug": slug, "name": slug, "id": i + 1, "public": i%2 == 0,
				"project": map[string]any{"key": "PRJ", "name": "Project One"},
			})
		}
		page := map[string]any{"values": values, "start": start, "limit": limit, "size": len(values), "isLastPage": start+limit >= total}
		if start+limit < total {
			page["nextPageStart"] = start + limit
		}
		writeJSON(w, http.StatusOK, page)
	}), nil)

	repos, err := c.ListRepositories(context.Background(), "PRJ", RepositoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != total {
		t.Fatalf("got %d repositories, want %d", len(repos), total)
	}
	if repos[0].Slug != "repo-0000" || repos[total-1].Slug != "repo-2499" {
		t.Errorf("not sorted by slug: first %q, last %q", repos[0].Slug, repos[total-1].Slug)
	}
	if repos[0].Workspace != "PRJ" || repos[0].ProjectName != "Project One" {
		t.Errorf("mapping: %+v", repos[0])
	}
	var pages []string
	for _, r := range rec.all() {
		if r.Path == "/rest/api/1.0/projects/PRJ/repos" {
			q, _ := url.ParseQuery(r.RequestURI[len(r.Path)+1:])
			if q.Get("limit") != "1000" {
				t.Errorf("limit = %q, want 1000", q.Get("limit"))
			}
			pages = append(pages, q.Get("start"))
		}
	}
	if fmt.Sprint(pages) != "[0 1000 2000]" {
		t.Errorf("start values %v, want [0 1000 2000] (ceil(2500/1000) = 3 requests)", pages)
	}
}

func TestDataCenterPagingStopsOnABrokenEnvelope(t *testing.T) {
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Not the last page, yet no way forward: must not loop.
		writeJSON(w, http.StatusOK, map[string]any{"values": []any{}, "isLastPage": false})
	}), nil)
	if _, err := c.ListWorkspaces(context.Background(), WorkspaceFilter{}); err == nil {
		t.Fatal("want an error for a page without nextPageStart")
	}
}

func TestCloudListWorkspacesReadsDetailsAndFilters(t *testing.T) {
	rec := &recorder{}
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		switch r.URL.Path {
		case "/2.0/user/workspaces":
			writeJSON(w, http.StatusOK, map[string]any{"values": []any{
				map[string]any{"administrator": true, "workspace": map[string]any{"slug": "globex", "uuid": "{2}"}},
				map[string]any{"administrator": true, "workspace": map[string]any{"slug": "acme", "uuid": "{1}"}},
				map[string]any{"administrator": true, "workspace": map[string]any{"slug": "initech", "uuid": "{3}"}},
			}})
		case "/2.0/workspaces/acme":
			writeJSON(w, http.StatusOK, map[string]any{"slug": "acme", "uuid": "{1}", "name": "Acme Corp", "is_private": true,
				"links": map[string]any{"html": map[string]any{"href": "https://bitbucket.org/acme/"}}})
		case "/2.0/workspaces/globex":
			writeJSON(w, http.StatusOK, map[string]any{"slug": "globex", "uuid": "{2}", "name": "Globex"})
		case "/2.0/workspaces/initech":
			writeJSON(w, http.StatusOK, map[string]any{"slug": "initech", "uuid": "{3}", "name": "Initech Corp"})
		default:
			http.NotFound(w, r)
		}
	}), nil)

	ws, err := c.ListWorkspaces(context.Background(), WorkspaceFilter{AdminOnly: true, Name: "corp"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Slug != "acme" || ws[1].Slug != "initech" {
		t.Fatalf("got %+v, want acme and initech (name contains corp), sorted", ws)
	}
	want := Workspace{Slug: "acme", ID: "{1}", Name: "Acme Corp", Private: true, WebURL: "https://bitbucket.org/acme/"}
	if ws[0] != want {
		t.Errorf("got %+v, want %+v", ws[0], want)
	}
	for _, r := range rec.all() {
		if r.Path == "/2.0/user/workspaces" && r.RequestURI != "/2.0/user/workspaces?administrator=true&pagelen=100" {
			t.Errorf("list request %q, want administrator=true&pagelen=100", r.RequestURI)
		}
	}
}

func TestDataCenterListWorkspacesFiltersOnServer(t *testing.T) {
	rec := &recorder{}
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		writeJSON(w, http.StatusOK, map[string]any{"isLastPage": true, "values": []any{
			map[string]any{"key": "OPS", "id": 2, "name": "Operations", "public": true},
			map[string]any{"key": "PRJ", "id": 1, "name": "Project One", "description": "d",
				"links": map[string]any{"self": []any{map[string]any{"href": "https://bb.example.com/projects/PRJ"}}}},
		}})
	}), nil)

	ws, err := c.ListWorkspaces(context.Background(), WorkspaceFilter{AdminOnly: true, Name: "o"})
	if err != nil {
		t.Fatal(err)
	}
	want := Workspace{Slug: "PRJ", ID: "1", Name: "Project One", Description: "d", Private: true, WebURL: "https://bb.example.com/projects/PRJ"}
	if len(ws) != 2 || ws[0].Slug != "OPS" || ws[1] != want {
		t.Fatalf("got %+v", ws)
	}
	reqs := rec.all()
	q, _ := url.ParseQuery(reqs[0].RequestURI[len("/rest/api/1.0/projects?"):])
	if q.Get("name") != "o" || q.Get("permission") != "PROJECT_ADMIN" || q.Get("limit") != "1000" || q.Get("start") != "0" {
		t.Errorf("query %v", q)
	}
}
