package provider

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// The fault matrix: for each resource, at each step of its life (create,
// read, update, import, delete), the emulator injects each fault in turn on
// the request that step sends. A cell passes when
//   - the step succeeds where the request is safe to retry (or the provider
//     can resolve it), or fails with a diagnostic naming the object and the
//     HTTP status where it cannot, and
//   - after the fault is gone the next apply succeeds and the server holds
//     exactly the objects the state holds: no duplicate, nothing untracked.
// A panic fails the test; "Provider produced inconsistent result" is
// checked by the protocol harness as Terraform core checks it. The matrix
// drives the provider's protocol server in-process (protocol_harness_test.go):
// 500-odd cells through the terraform CLI would take far too long for `make
// test`.

type matrixPhase string

const (
	phaseCreate matrixPhase = "create"
	phaseRead   matrixPhase = "read"
	phaseUpdate matrixPhase = "update"
	phaseImport matrixPhase = "import"
	phaseDelete matrixPhase = "delete"
)

// matrixFault is one column of the matrix.
type matrixFault struct {
	name  string
	fault emulator.Fault
}

// matrixRequestTimeout is the provider's request_timeout in the matrix;
// slowerThanTimeout must exceed it.
const (
	matrixRequestTimeout = "300ms"
	slowerThanTimeout    = time.Second
)

var matrixFaults = []matrixFault{
	{"429", emulator.Fault{Kind: emulator.FaultStatus, Status: http.StatusTooManyRequests}},
	{"429+Retry-After", emulator.Fault{Kind: emulator.FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: time.Second}},
	{"500", emulator.Fault{Kind: emulator.FaultStatus, Status: http.StatusInternalServerError}},
	{"502", emulator.Fault{Kind: emulator.FaultStatus, Status: http.StatusBadGateway}},
	{"503", emulator.Fault{Kind: emulator.FaultStatus, Status: http.StatusServiceUnavailable}},
	{"reset", emulator.Fault{Kind: emulator.FaultReset}},
	{"slow", emulator.Fault{Kind: emulator.FaultSlow, Delay: slowerThanTimeout}},
	{"bad-json", emulator.Fault{Kind: emulator.FaultMalformedJSON}},
	{"401", emulator.Fault{Kind: emulator.FaultStatus, Status: http.StatusUnauthorized}},
	{"403", emulator.Fault{Kind: emulator.FaultStatus, Status: http.StatusForbidden}},
	{"404", emulator.Fault{Kind: emulator.FaultStatus, Status: http.StatusNotFound}},
	{"lost-answer", emulator.Fault{Kind: emulator.FaultDropResponse}},
	// A proxy's 502 after the server applied the change (FaultAppliedStatus):
	// a create must not be sent again (a duplicate), only recovered.
	{"applied-then-502", emulator.Fault{Kind: emulator.FaultAppliedStatus, Status: http.StatusBadGateway}},
	// Someone else creates it meanwhile: the create's answer is lost and
	// another party creates an object of the same name in the same scope
	// (the subject's twin says how it differs). Create phase only
	// (runTwinCell).
	{twinColumn, emulator.Fault{Kind: emulator.FaultDropResponse}},
}

// twinColumn names the "someone else creates it meanwhile" column.
const twinColumn = "someone-else"

// expectedMatrixError is the error a cell must end with, or nil when the
// step must succeed. Only answers that retrying cannot change are errors:
// the credentials or permissions (401, 403) at every step, and a 404 on a
// create (the parent is gone) or an update (the object vanished mid-apply).
// A 404 on read, import or delete is confirmed by a second read first.
func expectedMatrixError(phase matrixPhase, fault matrixFault, object string) *regexp.Regexp {
	switch {
	case fault.name == "401" || fault.name == "403":
		return errorText(object, "HTTP "+fault.name)
	case fault.name == "404" && (phase == phaseCreate || phase == phaseUpdate):
		return errorText(object)
	}
	return nil
}

// matrixSubject is one row family: a resource kind on one product.
type matrixSubject struct {
	name     string
	product  emulator.Product
	typeName string
	// config is the resource's arguments; updated changes one in place.
	config func(updated bool) map[string]any
	// create and item are the route templates of the create request and of
	// the object's own path; createMethod/updateMethod their methods.
	create, item               string
	createMethod, updateMethod string
	// readRoute is what a refresh reads (default: item). Objects that
	// share a scope are refreshed from one list of the scope (the client's
	// listing cache), so for them it is the collection.
	readRoute string
	// importRoute is what import reads (default: readRoute); updateRoute
	// what an update sends (default: item). An empty updateMethod means the
	// product cannot change the object in place: no update phase.
	importRoute, updateRoute string
	// objects lists the ids of this subject's objects on the server.
	objects func(srv *emulator.Server) []string
	// objectName is how diagnostics name the object.
	objectName string
	importID   func(id string) string
	// twin turns the provider's create body into another party's create of
	// the same name (the "someone-else" column); twinIntact says what is
	// wrong with that party's object afterwards ("" when it is as it was
	// made). A subject without twin has no cell in that column.
	twin       func(body map[string]any)
	twinIntact func(srv *emulator.Server, id string) string
}

func webhookMatrixSubjects() []matrixSubject {
	var subjects []matrixSubject
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		ws := seededWorkspace(product)
		events := []string{strings.Trim(pushEvents(product), `["]`)}
		repoHooks := map[emulator.Product]string{
			emulator.Cloud:      "/2.0/repositories/{workspace}/{repo_slug}/hooks",
			emulator.DataCenter: "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/webhooks",
		}[product]
		wsHooks := map[emulator.Product]string{
			emulator.Cloud:      "/2.0/workspaces/{workspace}/hooks",
			emulator.DataCenter: "/rest/api/1.0/projects/{projectKey}/webhooks",
		}[product]
		itemParam := map[emulator.Product]string{emulator.Cloud: "/{uid}", emulator.DataCenter: "/{webhookId}"}[product]
		hooks := func(repositoryLevel bool) func(*emulator.Server) []string {
			return func(srv *emulator.Server) []string {
				var ids []string
				for _, h := range srv.Webhooks() {
					if (h.Repository != "") == repositoryLevel {
						ids = append(ids, h.ID)
					}
				}
				return ids
			}
		}
		config := func(repositoryLevel bool) func(bool) map[string]any {
			return func(updated bool) map[string]any {
				c := map[string]any{"workspace": ws, "name": "matrix", "url": "https://ci.example.com/hook", "events": events}
				if updated {
					c["url"] = "https://ci.example.com/updated"
				}
				if repositoryLevel {
					c["repository"] = "api-service"
				}
				return c
			}
		}
		subjects = append(subjects,
			matrixSubject{
				name: "repository_webhook", product: product, typeName: "bitbucket_repository_webhook",
				config: config(true), create: repoHooks, item: repoHooks + itemParam, readRoute: repoHooks, createMethod: "POST", updateMethod: "PUT",
				objects: hooks(true), objectName: "webhook",
				importID: func(id string) string { return ws + "/api-service/" + id },
				twin:     inactiveTwin, twinIntact: inactiveHookIntact,
			},
			matrixSubject{
				name: "workspace_webhook", product: product, typeName: "bitbucket_workspace_webhook",
				config: config(false), create: wsHooks, item: wsHooks + itemParam, readRoute: wsHooks, createMethod: "POST", updateMethod: "PUT",
				objects: hooks(false), objectName: "webhook",
				importID: func(id string) string { return ws + "/" + id },
				twin:     inactiveTwin, twinIntact: inactiveHookIntact,
			},
		)
	}
	return subjects
}

// matrixProviderConfig is the emulator's admin configuration with a short
// request_timeout, so a slow answer times out.
func matrixProviderConfig(srv *emulator.Server) map[string]any {
	c := map[string]any{"base_url": srv.BaseURL(), "request_timeout": matrixRequestTimeout}
	if srv.Product() == emulator.Cloud {
		c["product"], c["username"], c["token"] = "cloud", emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
	} else {
		c["username"], c["token"] = emulator.DCAdminUser, emulator.DCAdminPassword
	}
	return c
}

// matrixReport collects cell results for the printed matrix.
type matrixReport struct {
	mu    sync.Mutex
	cells map[string]map[string]string // row ("subject/product/phase") -> fault -> "" (passed) or why not
}

func (r *matrixReport) record(row, fault, failure string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cells[row] == nil {
		r.cells[row] = map[string]string{}
	}
	r.cells[row][fault] = failure
}

func (r *matrixReport) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var rows []string
	for row := range r.cells {
		rows = append(rows, row)
	}
	sort.Strings(rows)
	var b strings.Builder
	fmt.Fprintf(&b, "%-42s", "fault matrix (ok = passed)")
	for _, f := range matrixFaults {
		fmt.Fprintf(&b, " %-6s", strings.TrimSuffix(f.name, "+Retry-After")+map[bool]string{true: "+RA", false: ""}[strings.HasSuffix(f.name, "+Retry-After")])
	}
	b.WriteString("\n")
	passed, total := 0, 0
	var failures []string
	for _, row := range rows {
		fmt.Fprintf(&b, "%-42s", row)
		for _, f := range matrixFaults {
			failure, ran := r.cells[row][f.name]
			mark := "-"
			if ran {
				total++
				mark = "FAIL"
				if failure == "" {
					passed++
					mark = "ok"
				} else {
					failures = append(failures, fmt.Sprintf("%s x %s: %s", row, f.name, failure))
				}
			}
			fmt.Fprintf(&b, " %-6s", mark)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "fault matrix cells: %d/%d passed\n", passed, total)
	for _, f := range failures {
		b.WriteString(f + "\n")
	}
	return b.String()
}

// TestFaultMatrix runs every subject x fault x phase cell. The matrix is
// printed to the test log and written to FAULT_MATRIX_REPORT (make test
// prints that file).
func TestFaultMatrix(t *testing.T) {
	report := &matrixReport{cells: map[string]map[string]string{}}
	t.Cleanup(func() {
		text := report.String()
		t.Log("\n" + text)
		if path := os.Getenv("FAULT_MATRIX_REPORT"); path != "" {
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Errorf("writing the fault matrix: %v", err)
			}
		}
	})
	for _, subject := range allMatrixSubjects() {
		for _, fault := range matrixFaults {
			t.Run(subject.name+"/"+string(subject.product)+"/"+fault.name, func(t *testing.T) {
				t.Parallel()
				runMatrixCase(t, subject, fault, report)
			})
		}
	}
}

// accessTokenMatrixSubjects are the three Data Center token levels.
func accessTokenMatrixSubjects() []matrixSubject {
	const tokens = "/rest/access-tokens/1.0"
	tokenIDs := func(level string) func(*emulator.Server) []string {
		return func(srv *emulator.Server) []string {
			var ids []string
			for _, tok := range srv.AccessTokens() {
				if tok.Level == level && strings.HasPrefix(tok.Name, "matrix") {
					ids = append(ids, tok.ID)
				}
			}
			return ids
		}
	}
	config := func(extra map[string]any, permission string) func(bool) map[string]any {
		return func(updated bool) map[string]any {
			c := map[string]any{"name": "matrix", "permissions": []string{permission}}
			if updated {
				c["name"] = "matrix-renamed" // names change in place
			}
			for k, v := range extra {
				c[k] = v
			}
			return c
		}
	}
	return []matrixSubject{
		{
			name: "project_access_token", product: emulator.DataCenter, typeName: "bitbucket_project_access_token",
			config: config(map[string]any{"workspace": "PRJ"}, "PROJECT_READ"),
			create: tokens + "/projects/{projectKey}", item: tokens + "/projects/{projectKey}/{tokenId}", readRoute: tokens + "/projects/{projectKey}",
			createMethod: "PUT", updateMethod: "POST", objects: tokenIDs("project"), objectName: "access token",
			importID: func(id string) string { return "PRJ/" + id },
			twin:     configuredNameTwin, twinIntact: configuredNameTokenIntact,
		},
		{
			name: "repository_access_token", product: emulator.DataCenter, typeName: "bitbucket_repository_access_token",
			config: config(map[string]any{"workspace": "PRJ", "repository": "api-service"}, "REPO_READ"),
			create: tokens + "/projects/{projectKey}/repos/{repositorySlug}", item: tokens + "/projects/{projectKey}/repos/{repositorySlug}/{tokenId}",
			readRoute:    tokens + "/projects/{projectKey}/repos/{repositorySlug}",
			createMethod: "PUT", updateMethod: "POST", objects: tokenIDs("repository"), objectName: "access token",
			importID: func(id string) string { return "PRJ/api-service/" + id },
			twin:     configuredNameTwin, twinIntact: configuredNameTokenIntact,
		},
		{
			name: "user_access_token", product: emulator.DataCenter, typeName: "bitbucket_user_access_token",
			config: config(nil, "REPO_READ"),
			create: tokens + "/users/{userSlug}", item: tokens + "/users/{userSlug}/{tokenId}", readRoute: tokens + "/users/{userSlug}",
			createMethod: "PUT", updateMethod: "POST", objects: tokenIDs("user"), objectName: "access token",
			importID: func(id string) string { return emulator.DCAdminUser + "/" + id },
			twin:     configuredNameTwin, twinIntact: configuredNameTokenIntact,
		},
	}
}

// connectionMatrixSubjects: on Data Center a managed repository token plus
// a webhook (faults on the token's requests, the connection's own); on
// Cloud a supplied token plus a webhook (faults on the webhook's requests).
// A connection's id is workspace/repository/name; objects reports one such
// id per webhook named after a matrix connection, and on Data Center an
// extra marker when the number of matrix tokens differs from the hooks.
func connectionMatrixSubjects() []matrixSubject {
	connectionIDs := func(product emulator.Product) func(*emulator.Server) []string {
		return func(srv *emulator.Server) []string {
			var ids []string
			twins := twinIDs(srv)
			for _, h := range srv.Webhooks() {
				if strings.HasPrefix(h.Name, "matrix") && !twins[h.ID] {
					ids = append(ids, h.Workspace+"/"+h.Repository+"/"+h.Name)
				}
			}
			if product == emulator.DataCenter {
				tokens := 0
				for _, tok := range srv.AccessTokens() {
					if strings.HasPrefix(tok.Name, "matrix") && !twins[tok.ID] {
						tokens++
					}
				}
				if tokens != len(ids) {
					ids = append(ids, fmt.Sprintf("(%d matrix tokens for %d webhooks)", tokens, len(ids)))
				}
			}
			return ids
		}
	}
	config := func(product emulator.Product) func(bool) map[string]any {
		return func(updated bool) map[string]any {
			c := map[string]any{
				"name": "matrix", "workspace": seededWorkspace(product), "repository": "api-service",
				"webhook": map[string]any{"url": "https://service.example.com/hook",
					"events": []string{strings.Trim(pushEvents(product), `["]`)}},
			}
			if updated {
				c["name"] = "matrix-renamed" // renames the token and the webhook in place
			}
			if product == emulator.DataCenter {
				c["managed_token"] = map[string]any{"level": "repository", "permissions": []string{"REPO_READ"}}
			} else {
				c["token"] = emulator.CloudAccessToken
			}
			return c
		}
	}
	const tokens = "/rest/access-tokens/1.0/projects/{projectKey}/repos/{repositorySlug}"
	const cloudHooks = "/2.0/repositories/{workspace}/{repo_slug}/hooks"
	return []matrixSubject{
		{
			name: "connection", product: emulator.DataCenter, typeName: "bitbucket_connection",
			config: config(emulator.DataCenter), create: tokens, item: tokens + "/{tokenId}", readRoute: tokens, importRoute: tokens, // found by name
			createMethod: "PUT", updateMethod: "POST", objects: connectionIDs(emulator.DataCenter), objectName: "connection",
			importID: func(id string) string { return id },
			twin:     configuredNameTwin, twinIntact: configuredNameTokenIntact,
		},
		{
			name: "connection", product: emulator.Cloud, typeName: "bitbucket_connection",
			config: config(emulator.Cloud), create: cloudHooks, item: cloudHooks + "/{uid}", readRoute: cloudHooks, importRoute: cloudHooks, // found by name
			createMethod: "POST", updateMethod: "PUT", objects: connectionIDs(emulator.Cloud), objectName: "connection",
			importID: func(id string) string { return id },
			twin:     inactiveTwin, twinIntact: inactiveHookIntact,
		},
	}
}

// allMatrixSubjects is every resource the matrix covers.
func allMatrixSubjects() []matrixSubject {
	subjects := append(webhookMatrixSubjects(), accessTokenMatrixSubjects()...)
	subjects = append(subjects, accessKeyMatrixSubjects()...)
	subjects = append(subjects, connectionKeyMatrixSubjects()...)
	return append(subjects, connectionMatrixSubjects()...)
}

// connectionKeyMatrixSubjects: a connection whose credential is an SSH
// access key the provider makes, on both products; faults on the key's
// requests. The update changes the permission in place on Data Center and
// makes a new key (another algorithm: DELETE, then POST) on Cloud.
func connectionKeyMatrixSubjects() []matrixSubject {
	ids := func(srv *emulator.Server) []string {
		var out []string
		twins := twinIDs(srv) // a twin's label is the connection's too
		for _, k := range srv.AccessKeys() {
			if strings.HasPrefix(k.Label, "matrix") && !twins[k.ID] {
				out = append(out, connectionID(k.Workspace, k.Repository, k.Label))
			}
		}
		return out
	}
	config := func(ws string, key, updated map[string]any) func(bool) map[string]any {
		return func(isUpdated bool) map[string]any {
			mk := map[string]any{"level": "repository"}
			maps.Copy(mk, key)
			if isUpdated {
				maps.Copy(mk, updated)
			}
			return map[string]any{"name": "matrix", "workspace": ws, "repository": "api-service", "managed_access_key": mk}
		}
	}
	const (
		cloudKeys = "/2.0/repositories/{workspace}/{repo_slug}/deploy-keys"
		dcKeys    = "/rest/keys/1.0/projects/{projectKey}/repos/{repositorySlug}/ssh"
	)
	return []matrixSubject{
		{
			name: "connection_access_key", product: emulator.Cloud, typeName: "bitbucket_connection",
			config: config("acme", nil, map[string]any{"key_algorithm": "ECDSA"}),
			create: cloudKeys, readRoute: cloudKeys, item: cloudKeys + "/{key_id}", updateRoute: cloudKeys, importRoute: cloudKeys, // found by label
			createMethod: "POST", updateMethod: "POST", objects: ids, objectName: "connection",
			importID: func(id string) string { return id },
			twin:     anotherKeyTwin, twinIntact: anotherKeyIntact,
		},
		{
			name: "connection_access_key", product: emulator.DataCenter, typeName: "bitbucket_connection",
			config: config("PRJ", map[string]any{"permission": "REPO_READ"}, map[string]any{"permission": "REPO_WRITE"}),
			create: dcKeys, readRoute: dcKeys, item: dcKeys + "/{keyId}", updateRoute: dcKeys + "/{keyId}/permission/{permission}", importRoute: dcKeys,
			createMethod: "POST", updateMethod: "PUT", objects: ids, objectName: "connection",
			importID: func(id string) string { return id },
			twin:     anotherKeyTwin, twinIntact: anotherKeyIntact,
		},
	}
}

// accessKeyMatrixSubjects: repository and project access keys on both
// products, with a generated key. The update changes the permission in
// place on Data Center and a repository key's label on Cloud; a Cloud
// project key cannot change in place, so it has no update phase.
func accessKeyMatrixSubjects() []matrixSubject {
	keyIDs := func(repositoryLevel bool) func(*emulator.Server) []string {
		return func(srv *emulator.Server) []string {
			var ids []string
			for _, k := range srv.AccessKeys() {
				if (k.Repository != "") == repositoryLevel {
					ids = append(ids, k.ID)
				}
			}
			return ids
		}
	}
	config := func(scope map[string]any, updated map[string]any) func(bool) map[string]any {
		return func(isUpdated bool) map[string]any {
			c := map[string]any{"label": "matrix"}
			maps.Copy(c, scope)
			if isUpdated {
				maps.Copy(c, updated)
			}
			return c
		}
	}
	const (
		cloudRepoKeys    = "/2.0/repositories/{workspace}/{repo_slug}/deploy-keys"
		cloudProjectKeys = "/2.0/workspaces/{workspace}/projects/{project_key}/deploy-keys"
		dcRepoKeys       = "/rest/keys/1.0/projects/{projectKey}/repos/{repositorySlug}/ssh"
		dcProjectKeys    = "/rest/keys/1.0/projects/{projectKey}/ssh"
	)
	return []matrixSubject{
		{
			name: "repository_access_key", product: emulator.Cloud, typeName: "bitbucket_repository_access_key",
			config: config(map[string]any{"workspace": "acme", "repository": "api-service"}, map[string]any{"label": "matrix-renamed"}),
			create: cloudRepoKeys, readRoute: cloudRepoKeys, item: cloudRepoKeys + "/{key_id}", createMethod: "POST", updateMethod: "PUT",
			objects: keyIDs(true), objectName: "access key", importID: func(id string) string { return "acme/api-service/" + id },
			twin: anotherKeyTwin, twinIntact: anotherKeyIntact,
		},
		{
			name: "project_access_key", product: emulator.Cloud, typeName: "bitbucket_project_access_key",
			config: config(map[string]any{"workspace": "acme", "project": "API"}, nil),
			create: cloudProjectKeys, readRoute: cloudProjectKeys, item: cloudProjectKeys + "/{key_id}", createMethod: "POST",
			objects: keyIDs(false), objectName: "access key", importID: func(id string) string { return "acme/API/" + id },
			twin: anotherKeyTwin, twinIntact: anotherKeyIntact,
		},
		{
			name: "repository_access_key", product: emulator.DataCenter, typeName: "bitbucket_repository_access_key",
			config: config(map[string]any{"workspace": "PRJ", "repository": "api-service", "permission": "REPO_READ"},
				map[string]any{"permission": "REPO_WRITE"}),
			create: dcRepoKeys, readRoute: dcRepoKeys, item: dcRepoKeys + "/{keyId}", updateRoute: dcRepoKeys + "/{keyId}/permission/{permission}",
			createMethod: "POST", updateMethod: "PUT",
			objects: keyIDs(true), objectName: "access key", importID: func(id string) string { return "PRJ/api-service/" + id },
			twin: anotherKeyTwin, twinIntact: anotherKeyIntact,
		},
		{
			name: "project_access_key", product: emulator.DataCenter, typeName: "bitbucket_project_access_key",
			config: config(map[string]any{"workspace": "PRJ", "permission": "PROJECT_READ"},
				map[string]any{"permission": "PROJECT_WRITE"}),
			create: dcProjectKeys, readRoute: dcProjectKeys, item: dcProjectKeys + "/{keyId}", updateRoute: dcProjectKeys + "/{keyId}/permission/{permission}",
			createMethod: "POST", updateMethod: "PUT",
			objects: keyIDs(false), objectName: "access key", importID: func(id string) string { return "PRJ/" + id },
			twin: anotherKeyTwin, twinIntact: anotherKeyIntact,
		},
	}
}

// TestFaultMatrixCellsCannotPassVacuously: a cell whose fault is injected
// on a misspelled route, or on a route its step does not call, fails.
func TestFaultMatrixCellsCannotPassVacuously(t *testing.T) {
	fault := matrixFaults[2] // 500
	twin := matrixFaults[len(matrixFaults)-1]
	if fault.name != "500" || twin.name != twinColumn {
		t.Fatalf("matrixFaults[2] = %s, last = %s", fault.name, twin.name)
	}
	for _, tc := range []struct {
		name, create, want string
		fault              matrixFault
	}{
		{"misspelled route", "/2.0/repositories/{workspace}/{repo_slug}/hook", "would never fire", fault},
		{"route the step does not call", "/2.0/repositories/{workspace}/{repo_slug}", "the fault fired 0 times", fault},
		{"someone-else: misspelled route", "/2.0/repositories/{workspace}/{repo_slug}/hook", "would never fire", twin},
		{"someone-else: route the step does not call", "/2.0/repositories/{workspace}/{repo_slug}", "the fault fired 0 times", twin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			subject := webhookMatrixSubjects()[0]
			if subject.product != emulator.Cloud || subject.name != "repository_webhook" {
				t.Fatalf("subject = %s/%s", subject.name, subject.product)
			}
			subject.create = tc.create
			rec := &recordingTB{TB: t}
			done := make(chan struct{})
			go func() { // recordingTB's FailNow ends this goroutine
				defer close(done)
				runMatrixCase(rec, subject, tc.fault, &matrixReport{cells: map[string]map[string]string{}})
			}()
			<-done
			failures := rec.failures()
			if len(failures) == 0 || !strings.Contains(strings.Join(failures, "\n"), tc.want) {
				t.Errorf("cell failures = %q, want one containing %q", failures, tc.want)
			}
		})
	}
}

// recordingTB records failures instead of failing the test, so a test can
// assert that another test would fail.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }

func (r *recordingTB) Fatal(args ...any) {
	r.Error(args...)
	runtime.Goexit()
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// runMatrixCase walks one subject through the five phases with one fault:
// each phase is the faulted step, then a clean apply that checks the
// invariants.
func runMatrixCase(t testing.TB, subject matrixSubject, fault matrixFault, report *matrixReport) {
	if fault.name == twinColumn {
		runTwinCell(t, subject, fault, report)
		return
	}
	srv := emulator.NewTestServer(t, emulator.Options{Product: subject.product})
	h := newProtocolHarness(t, subject.typeName, matrixProviderConfig(srv))
	base, updated := subject.config(false), subject.config(true)

	inject := func(method, route string) {
		srv.ClearFaults()
		f := fault.fault
		f.Method, f.Route, f.Times = method, route, 1
		srv.InjectFault(f)
	}
	// check compares what the faulted step did with what was expected.
	check := func(phase matrixPhase, err error) string {
		want := expectedMatrixError(phase, fault, subject.objectName)
		if phase == phaseImport && subject.importRoute != "" && fault.name == "404" {
			// Import by name reads a list: a 404 there means the parent
			// (repository or project) is gone, which no retry changes.
			want = errorText(subject.objectName)
		}
		switch {
		case want == nil && err != nil:
			return "unexpected error: " + err.Error()
		case want != nil && err == nil:
			return "expected an error matching " + want.String() + ", got none"
		case want != nil && !want.MatchString(err.Error()):
			return "error does not match " + want.String() + ": " + err.Error()
		}
		return ""
	}
	// invariant: the server holds exactly the object the state holds.
	invariant := func(phase matrixPhase, want int) string {
		ids := subject.objects(srv)
		inState, stateID := h.inState()
		switch {
		case len(ids) != want:
			return fmt.Sprintf("the server holds %d objects after the clean apply, want %d", len(ids), want)
		case inState != (want == 1):
			return fmt.Sprintf("in state = %v with %d objects on the server", inState, len(ids))
		case inState && stateID != ids[0]:
			return fmt.Sprintf("state tracks %q, the server holds %q", stateID, ids[0])
		}
		return ""
	}
	row := func(phase matrixPhase) string {
		return subject.name + "/" + string(subject.product) + "/" + string(phase)
	}
	steps := []struct {
		phase         matrixPhase
		method, route string
		faulted       func() error
		clean         map[string]any // configuration of the clean apply; nil = none
		want          int
	}{
		{phaseCreate, subject.createMethod, subject.create, func() error { return h.apply(base) }, base, 1},
		{phaseRead, "GET", cmp.Or(subject.readRoute, subject.item), h.refresh, base, 1},
		{phaseUpdate, subject.updateMethod, cmp.Or(subject.updateRoute, subject.item), func() error { return h.apply(updated) }, updated, 1},
		{phaseImport, "GET", cmp.Or(subject.importRoute, subject.readRoute, subject.item), func() error {
			_, id := h.inState()
			_, err := h.importState(subject.importID(id))
			return err
		}, updated, 1},
		{phaseDelete, "DELETE", subject.item, func() error { return h.apply(nil) }, nil, 0},
	}
	for _, step := range steps {
		if step.phase == phaseUpdate && subject.updateMethod == "" {
			continue // nothing can change in place
		}
		inject(step.method, step.route)
		fired := srv.FaultsFired(step.method, step.route)
		failure := check(step.phase, step.faulted())
		srv.ClearFaults()
		if n := srv.FaultsFired(step.method, step.route) - fired; n != 1 && failure == "" {
			// A cell whose fault met no request proves nothing.
			failure = fmt.Sprintf("the fault fired %d times, want 1: the step sent no %s %s", n, step.method, step.route)
		}
		if failure == "" {
			if err := h.apply(step.clean); err != nil {
				failure = "the clean apply after the fault failed: " + err.Error()
			} else {
				failure = invariant(step.phase, step.want)
			}
		}
		report.record(row(step.phase), fault.name, failure)
		if failure != "" {
			t.Errorf("%s with %s: %s", step.phase, fault.name, failure)
			return
		}
	}
}

// runTwinCell is the "someone else creates it meanwhile" cell: the create's
// answer is lost while another party creates an object of the same name in
// the same scope. It passes when the create succeeds; the other party's
// object exists afterwards as it was made (through the create, a clean
// apply and the destroy); the server holds exactly one object of the
// provider's own, the one in state; and the fault fired and made the twin.
func runTwinCell(t testing.TB, subject matrixSubject, fault matrixFault, report *matrixReport) {
	if subject.twin == nil {
		t.Skipf("%s has no twin yet: no cell (the report shows -)", subject.name)
	}
	srv := emulator.NewTestServer(t, emulator.Options{Product: subject.product})
	h := newProtocolHarness(t, subject.typeName, matrixProviderConfig(srv))
	base := subject.config(false)
	row := subject.name + "/" + string(subject.product) + "/" + string(phaseCreate)
	f := fault.fault
	f.Method, f.Route, f.Times, f.Twin = subject.createMethod, subject.create, 1, subject.twin
	srv.InjectFault(f)
	failure := func() string {
		if err := h.apply(base); err != nil {
			return "the create failed: " + err.Error()
		}
		twins := srv.Twins()
		if n := srv.FaultsFired(subject.createMethod, subject.create); n != 1 || len(twins) != 1 || twins[0].ID == "" {
			return fmt.Sprintf("the fault fired %d times and made %+v, want once and one object of another party", n, twins)
		}
		twin := twins[0].ID
		for _, step := range []struct {
			name   string
			config map[string]any
			want   int
		}{{"the create", nil, 1}, {"a clean apply", base, 1}, {"the destroy", nil, 0}} {
			if step.name != "the create" {
				if err := h.apply(step.config); err != nil {
					return step.name + " failed: " + err.Error()
				}
			}
			if why := subject.twinIntact(srv, twin); why != "" {
				return fmt.Sprintf("after %s, the other party's object %s: %s", step.name, twin, why)
			}
			var own []string
			for _, id := range subject.objects(srv) {
				if id != twin {
					own = append(own, id)
				}
			}
			inState, stateID := h.inState()
			switch {
			case len(own) != step.want:
				return fmt.Sprintf("after %s the server holds %d objects of the provider's own (%v), want %d", step.name, len(own), own, step.want)
			case inState != (step.want == 1):
				return fmt.Sprintf("after %s in state = %v with %d objects of the provider's own", step.name, inState, len(own))
			case inState && stateID == twin:
				return fmt.Sprintf("after %s the state tracks the other party's object %s", step.name, twin)
			case inState && subject.objectName != "connection" && stateID != own[0]:
				return fmt.Sprintf("after %s the state tracks %q, the server holds %q", step.name, stateID, own[0])
			}
		}
		return ""
	}()
	report.record(row, fault.name, failure)
	if failure != "" {
		t.Errorf("create with %s: %s", fault.name, failure)
	}
}

// twinIDs are the ids of the objects other parties made (Fault.Twin).
func twinIDs(srv *emulator.Server) map[string]bool {
	ids := map[string]bool{}
	for _, tw := range srv.Twins() {
		ids[tw.ID] = true
	}
	return ids
}

// inactiveTwin: another party's hook of the same name, URL and events, but
// inactive (both products report active).
func inactiveTwin(body map[string]any) { body["active"] = false }

func inactiveHookIntact(srv *emulator.Server, id string) string {
	h, ok := srv.Webhook(id)
	switch {
	case !ok:
		return "is gone"
	case h.Active || !strings.HasPrefix(h.Name, "matrix"):
		return fmt.Sprintf("changed: %+v", h)
	}
	return ""
}

// configuredNameTwin: another party's token with the configured name (the
// provider creates its own under a creation name) and the same permissions.
func configuredNameTwin(body map[string]any) {
	if name, ok := body["name"].(string); ok {
		if i := strings.LastIndex(name, "-tf"); i > 0 {
			body["name"] = name[:i]
		}
	}
}

func configuredNameTokenIntact(srv *emulator.Server, id string) string {
	for _, tok := range srv.AccessTokens() {
		if tok.ID == id {
			if tok.Name != "matrix" {
				return fmt.Sprintf("was renamed to %q", tok.Name)
			}
			return ""
		}
	}
	return "was revoked"
}

// twinPublicKey is the other party's public key in the access-key cells.
var twinPublicKey = sync.OnceValue(func() string {
	public, _, err := generateKeyPair("ED25519")
	if err != nil {
		panic(err)
	}
	return public
})

// anotherKeyTwin: another party registers another public key with the
// label the provider sends, on the same scope (Cloud {"key", "label"}; Data
// Center {"key": {"text", "label"}, "permission"}).
func anotherKeyTwin(body map[string]any) {
	if key, ok := body["key"].(map[string]any); ok {
		key["text"] = twinPublicKey()
		return
	}
	body["key"] = twinPublicKey()
}

func anotherKeyIntact(srv *emulator.Server, id string) string {
	fp, _ := bitbucket.KeyFingerprint(twinPublicKey())
	for _, k := range srv.AccessKeys() {
		if k.ID == id {
			if k.Fingerprint != fp || k.Label != "matrix" {
				return fmt.Sprintf("changed: %+v", k)
			}
			return ""
		}
	}
	return "is gone"
}
