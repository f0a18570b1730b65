package emulator_test

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

func TestDCApplicationPropertiesAndWhoAmI(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter, Version: "8.19.1"})
	props := do(t, srv, "GET", "/rest/api/1.0/application-properties", anonymous, nil).expect(t, 200).object(t)
	want := map[string]any{"version": "8.19.1", "buildNumber": "8019001", "buildDate": "1700000000000", "displayName": "Bitbucket"}
	if !reflect.DeepEqual(props, want) {
		t.Errorf("application-properties %v", props)
	}
	res := do(t, srv, "GET", "/plugins/servlet/applinks/whoami", dev, nil).expect(t, 200)
	if string(res.body) != emulator.DCDevUser || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
		t.Errorf("whoami %q (%s)", res.body, res.header.Get("Content-Type"))
	}
	if res := do(t, srv, "GET", "/plugins/servlet/applinks/whoami", anonymous, nil).expect(t, 200); len(res.body) != 0 {
		t.Errorf("anonymous whoami %q", res.body)
	}
	user := do(t, srv, "GET", "/rest/api/1.0/users/dev", admin, nil).expect(t, 200).object(t)
	if user["slug"] != "dev" || user["type"] != "NORMAL" {
		t.Errorf("user %v", user)
	}
	ex, _ := do(t, srv, "GET", "/rest/api/1.0/users/nobody", admin, nil).expect(t, 404).dcError(t)
	if ex != "com.atlassian.bitbucket.user.NoSuchUserException" {
		t.Errorf("exception %s", ex)
	}
}

func TestDCPagingAndClamp(t *testing.T) {
	srv := dcServer(t)
	if err := srv.AddRepositories(emulator.DCProject, "bulk", 1200); err != nil {
		t.Fatal(err)
	}
	// PRJ has 2 seeded + 1200 bulk repositories.
	page := do(t, srv, "GET", "/rest/api/1.0/projects/PRJ/repos", admin, nil).expect(t, 200).object(t)
	if page["limit"] != 25.0 || page["size"] != 25.0 || page["isLastPage"] != false || page["nextPageStart"] != 25.0 || page["start"] != 0.0 {
		t.Fatalf("default page: %v", page)
	}
	page = do(t, srv, "GET", "/rest/api/1.0/projects/PRJ/repos?limit=5000", admin, nil).expect(t, 200).object(t)
	if page["limit"] != 1000.0 || page["size"] != 1000.0 || page["nextPageStart"] != 1000.0 {
		t.Fatalf("clamped page: limit=%v size=%v next=%v", page["limit"], page["size"], page["nextPageStart"])
	}
	seen := map[string]bool{}
	start := 0
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("paging does not end")
		}
		res := do(t, srv, "GET", fmt.Sprintf("/rest/api/latest/projects/PRJ/repos?start=%d&limit=500", start), admin, nil).expect(t, 200)
		for _, s := range slugs(res.values(t), "slug") {
			seen[s] = true
		}
		p := res.object(t)
		if p["isLastPage"] == true {
			if _, ok := p["nextPageStart"]; ok {
				t.Error("last page has nextPageStart")
			}
			break
		}
		start = int(p["nextPageStart"].(float64))
	}
	if len(seen) != 1202 {
		t.Errorf("%d distinct repositories, want 1202", len(seen))
	}
}

func TestDCProjectsAndReposVisibility(t *testing.T) {
	srv := dcServer(t)
	res := do(t, srv, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 200)
	if got := slugs(res.values(t), "key"); !reflect.DeepEqual(got, []string{"OPS", "PRJ"}) {
		t.Errorf("admin projects %v", got)
	}
	res = do(t, srv, "GET", "/rest/api/1.0/projects", dev, nil).expect(t, 200)
	if got := slugs(res.values(t), "key"); !reflect.DeepEqual(got, []string{"PRJ"}) {
		t.Errorf("dev projects %v", got)
	}
	res = do(t, srv, "GET", "/rest/api/1.0/projects?name=oper", admin, nil).expect(t, 200)
	if got := slugs(res.values(t), "key"); !reflect.DeepEqual(got, []string{"OPS"}) {
		t.Errorf("name filter %v", got)
	}
	res = do(t, srv, "GET", "/rest/api/1.0/projects?permission=PROJECT_ADMIN", dev, nil).expect(t, 200)
	if n := len(res.values(t)); n != 0 {
		t.Errorf("dev administers %d projects", n)
	}
	do(t, srv, "GET", "/rest/api/1.0/projects?permission=BOGUS", dev, nil).expect(t, 400)

	ex, msg := do(t, srv, "GET", "/rest/api/1.0/projects/OPS", dev, nil).expect(t, 401).dcError(t)
	if ex != "com.atlassian.bitbucket.AuthorisationException" || msg != "You are not permitted to access this resource" {
		t.Errorf("denied project: %s %q", ex, msg)
	}
	ex, msg = do(t, srv, "GET", "/rest/api/1.0/projects/NOPE", admin, nil).expect(t, 404).dcError(t)
	if ex != "com.atlassian.bitbucket.project.NoSuchProjectException" || msg != "Project NOPE does not exist." {
		t.Errorf("missing project: %s %q", ex, msg)
	}
	ex, msg = do(t, srv, "GET", "/rest/api/1.0/projects/PRJ/repos/nope", admin, nil).expect(t, 404).dcError(t)
	if ex != "com.atlassian.bitbucket.repository.NoSuchRepositoryException" || msg != "Repository PRJ/nope does not exist." {
		t.Errorf("missing repo: %s %q", ex, msg)
	}
	do(t, srv, "GET", "/rest/api/1.0/projects/OPS/repos/infra", dev, nil).expect(t, 401)

	repo := do(t, srv, "GET", "/rest/api/1.0/projects/PRJ/repos/api-service", dev, nil).expect(t, 200).object(t)
	links := repo["links"].(map[string]any)
	clone := links["clone"].([]any)
	ssh := clone[0].(map[string]any)
	http := clone[1].(map[string]any)
	if ssh["name"] != "ssh" || !strings.HasPrefix(ssh["href"].(string), "ssh://git@127.0.0.1:7999/prj/api-service.git") ||
		http["name"] != "http" || http["href"] != srv.URL()+"/scm/prj/api-service.git" {
		t.Errorf("clone links %v", clone)
	}
	if self := links["self"].([]any)[0].(map[string]any)["href"]; self != srv.URL()+"/projects/PRJ/repos/api-service/browse" {
		t.Errorf("self link %v", self)
	}

	res = do(t, srv, "GET", "/rest/api/1.0/repos?visibility=public", admin, nil).expect(t, 200)
	if got := slugs(res.values(t), "slug"); !reflect.DeepEqual(got, []string{"web-app"}) {
		t.Errorf("public repos %v", got)
	}
	res = do(t, srv, "GET", "/rest/api/1.0/repos?projectkey=OPS", admin, nil).expect(t, 200)
	if got := slugs(res.values(t), "slug"); !reflect.DeepEqual(got, []string{"infra"}) {
		t.Errorf("projectkey filter %v", got)
	}
	res = do(t, srv, "GET", "/rest/api/1.0/repos?name=API&projectname=project", admin, nil).expect(t, 200)
	if got := slugs(res.values(t), "slug"); !reflect.DeepEqual(got, []string{"api-service"}) {
		t.Errorf("name filter %v", got)
	}
	res = do(t, srv, "GET", "/rest/api/1.0/repos?permission=REPO_ADMIN", dev, nil).expect(t, 200)
	if n := len(res.values(t)); n != 0 {
		t.Errorf("dev administers %d repositories", n)
	}
	res = do(t, srv, "GET", "/rest/api/1.0/repos", dev, nil).expect(t, 200)
	if got := slugs(res.values(t), "slug"); !reflect.DeepEqual(got, []string{"api-service", "web-app"}) {
		t.Errorf("dev repos %v", got)
	}
}

func TestDCPublicURLInLinks(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter, PublicURL: "http://localhost:7990/"})
	repo := do(t, srv, "GET", "/rest/api/1.0/projects/PRJ/repos/api-service", admin, nil).expect(t, 200).object(t)
	links := repo["links"].(map[string]any)
	if self := links["self"].([]any)[0].(map[string]any)["href"]; self != "http://localhost:7990/projects/PRJ/repos/api-service/browse" {
		t.Errorf("self link %v", self)
	}
	if ssh := links["clone"].([]any)[0].(map[string]any)["href"]; ssh != "ssh://git@localhost:7999/prj/api-service.git" {
		t.Errorf("ssh link %v", ssh)
	}
}

func TestDCAuthentication(t *testing.T) {
	srv := dcServer(t)
	cases := []struct {
		name      string
		a         auth
		exception string
	}{
		{"wrong password", basic(emulator.DCAdminUser, "wrong"), "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"},
		{"unknown user", basic("ghost", "x"), "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"},
		{"wrong token", bearer("not-a-token"), "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"},
		{"another user's token", basic(emulator.DCDevUser, emulator.DCAdminToken), "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"},
		{"anonymous", anonymous, "com.atlassian.plugins.rest.api.security.exception.AuthenticationRequiredException"},
	}
	for _, tc := range cases {
		ex, _ := do(t, srv, "GET", "/rest/api/1.0/projects", tc.a, nil).expect(t, 401).dcError(t)
		if ex != tc.exception {
			t.Errorf("%s: %s", tc.name, ex)
		}
	}
	for name, a := range map[string]auth{"password": admin, "bearer token": adminTk, "basic token": basic(emulator.DCAdminUser, emulator.DCAdminToken)} {
		res := do(t, srv, "GET", "/rest/api/1.0/projects", a, nil).expect(t, 200)
		if got := res.header.Get("X-AUSERNAME"); got != emulator.DCAdminUser {
			t.Errorf("%s: X-AUSERNAME %q", name, got)
		}
	}
	// Errors after authentication still name the user.
	if got := do(t, srv, "GET", "/rest/api/1.0/projects/NOPE", dev, nil).expect(t, 404).header.Get("X-AUSERNAME"); got != emulator.DCDevUser {
		t.Errorf("X-AUSERNAME on 404: %q", got)
	}
}

func TestDCUnknownRouteAndMethod(t *testing.T) {
	srv := dcServer(t)
	body := do(t, srv, "GET", "/rest/api/1.0/no/such/thing", admin, nil).expect(t, 404).object(t)
	if body["message"] != "HTTP 404 Not Found" || body["status-code"] != 404.0 || body["sub-code"] != -1.0 {
		t.Errorf("unknown route body %v", body)
	}
	res := do(t, srv, "PATCH", "/rest/api/1.0/projects/PRJ", admin, "{}").expect(t, 405)
	if res.header.Get("Allow") != "GET" {
		t.Errorf("Allow %q", res.header.Get("Allow"))
	}
}

func dcHook(name string) map[string]any {
	return map[string]any{
		"name": name, "url": "https://ci.example.com/hook", "active": true,
		"events":                  []string{"repo:refs_changed", "pr:opened"},
		"configuration":           map[string]any{"secret": "s3cret"},
		"credentials":             map[string]any{"username": "hookuser", "password": "pw"},
		"sslVerificationRequired": true,
	}
}

func TestDCWebhookLifecycle(t *testing.T) {
	srv := dcServer(t)
	for _, base := range []string{"/rest/api/1.0/projects/PRJ/repos/api-service/webhooks", "/rest/api/latest/projects/PRJ/webhooks"} {
		created := do(t, srv, "POST", base, admin, dcHook("ci")).expect(t, 200).object(t)
		id, ok := created["id"].(float64)
		if !ok || created["createdDate"] == nil || created["updatedDate"] == nil {
			t.Fatalf("created hook: %v", created)
		}
		if created["configuration"].(map[string]any)["secret"] != "s3cret" {
			t.Errorf("secret not returned in plain text: %v", created["configuration"])
		}
		if creds := created["credentials"].(map[string]any); creds["username"] != "hookuser" || creds["password"] != nil {
			t.Errorf("credentials %v", creds)
		}
		wantScope := "repository"
		if strings.Contains(base, "/latest/projects/PRJ/webhooks") {
			wantScope = "project"
		}
		if created["scopeType"] != wantScope || created["sslVerificationRequired"] != true {
			t.Errorf("scopeType %v ssl %v", created["scopeType"], created["sslVerificationRequired"])
		}
		one := base + "/" + strconv.Itoa(int(id))
		got := do(t, srv, "GET", one, admin, nil).expect(t, 200).object(t)
		if got["configuration"].(map[string]any)["secret"] != "s3cret" {
			t.Errorf("secret not returned on read: %v", got)
		}
		list := do(t, srv, "GET", base, admin, nil).expect(t, 200)
		if page := list.object(t); page["isLastPage"] != true || len(list.values(t)) != 1 {
			t.Errorf("list %s", list.body)
		}

		// PUT replaces: omitted configuration removes the secret, omitted
		// credentials remove them, omitted events clear them.
		replaced := do(t, srv, "PUT", one, admin, map[string]any{"name": "ci2", "url": "https://ci.example.com/other"}).expect(t, 200).object(t)
		if len(replaced["configuration"].(map[string]any)) != 0 || replaced["credentials"] != nil || len(replaced["events"].([]any)) != 0 || replaced["name"] != "ci2" {
			t.Errorf("PUT did not replace: %v", replaced)
		}
		stored, _ := srv.Webhook(strconv.Itoa(int(id)))
		if stored.Secret != "" {
			t.Errorf("stored secret %q after replacement", stored.Secret)
		}
		do(t, srv, "DELETE", one, admin, nil).expect(t, 204)
		ex, _ := do(t, srv, "GET", one, admin, nil).expect(t, 404).dcError(t)
		if ex == "" {
			t.Error("no exception name on 404")
		}
	}
}

func TestDCWebhookValidationAndPermissions(t *testing.T) {
	srv := dcServer(t)
	base := "/rest/api/1.0/projects/PRJ/repos/api-service/webhooks"
	for _, rejected := range []string{"pr:to_ref_updated", "pr:reviewer:changes_requested", "repo:push"} {
		body := dcHook("ci")
		body["events"] = []string{"repo:refs_changed", rejected}
		_, msg := do(t, srv, "POST", base, admin, body).expect(t, 400).dcError(t)
		if msg != "the event "+rejected+" is unknown" {
			t.Errorf("message %q", msg)
		}
	}
	bad := dcHook("ci")
	bad["url"] = "not a url"
	do(t, srv, "POST", base, admin, bad).expect(t, 400)
	if n := len(srv.Webhooks()); n != 0 {
		t.Errorf("%d hooks stored after invalid requests", n)
	}
	// dev can read the repository but not administer it.
	ex, msg := do(t, srv, "GET", base, dev, nil).expect(t, 401).dcError(t)
	if ex != "com.atlassian.bitbucket.AuthorisationException" || msg != "You are not permitted to access this resource" {
		t.Errorf("dev on hooks: %s %q", ex, msg)
	}
	do(t, srv, "POST", "/rest/api/1.0/projects/PRJ/webhooks", dev, dcHook("x")).expect(t, 401)
	// A repository admin who is not a project admin manages repository hooks only.
	if err := srv.AddDCUser("repoadmin", "pw", map[string]string{"PRJ/api-service": "REPO_ADMIN"}); err != nil {
		t.Fatal(err)
	}
	ra := basic("repoadmin", "pw")
	do(t, srv, "POST", base, ra, dcHook("ok")).expect(t, 200)
	do(t, srv, "POST", "/rest/api/1.0/projects/PRJ/webhooks", ra, dcHook("no")).expect(t, 401)
	do(t, srv, "POST", "/rest/api/1.0/projects/PRJ/repos/web-app/webhooks", ra, dcHook("no")).expect(t, 401)
	// A hook id from another scope is not found here.
	id := srv.Webhooks()[0].ID
	do(t, srv, "GET", "/rest/api/1.0/projects/PRJ/repos/web-app/webhooks/"+id, admin, nil).expect(t, 404)
}

// An authenticated answer sets a session cookie, once per request that
// brought none; anonymous answers set none.
func TestDCSessionCookie(t *testing.T) {
	srv := dcServer(t)
	res := do(t, srv, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 200)
	set := res.header.Get("Set-Cookie")
	if !strings.HasPrefix(set, "BITBUCKETSESSIONID=") || !strings.Contains(set, "HttpOnly") {
		t.Fatalf("Set-Cookie %q", set)
	}
	if got := srv.SessionCookies(); len(got) != 1 || !strings.Contains(set, got[0]) {
		t.Errorf("SessionCookies() = %v for %q", got, set)
	}
	if got := do(t, srv, "GET", "/rest/api/1.0/application-properties", anonymous, nil).expect(t, 200).header.Get("Set-Cookie"); got != "" {
		t.Errorf("anonymous answer sets %q", got)
	}
	if len(srv.SessionCookies()) != 1 {
		t.Errorf("%d sessions after an anonymous request, want 1", len(srv.SessionCookies()))
	}
}
