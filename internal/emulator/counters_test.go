package emulator_test

import (
	"net/http"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

func TestCountersUseRouteTemplates(t *testing.T) {
	dc := dcServer(t)
	do(t, dc, "GET", "/rest/api/1.0/projects/PRJ", admin, nil).expect(t, 200)
	do(t, dc, "GET", "/rest/api/latest/projects/PRJ", admin, nil).expect(t, 200)
	do(t, dc, "GET", "/rest/api/latest/projects/NOPE", admin, nil).expect(t, 404)
	do(t, dc, "GET", "/rest/access-tokens/latest/projects/PRJ/123", admin, nil).expect(t, 404)
	do(t, dc, "GET", "/plugins/servlet/applinks/whoami", admin, nil).expect(t, 200)
	do(t, dc, "GET", "/nowhere", admin, nil).expect(t, 404)
	want := map[string]int{
		"GET /rest/api/1.0/projects/{projectKey}":                     3,
		"GET /rest/access-tokens/1.0/projects/{projectKey}/{tokenId}": 1,
		"GET /plugins/servlet/applinks/whoami":                        1,
		"GET unmatched":                                               1,
	}
	for key, n := range want {
		if got := dc.RequestCounts()[key]; got != n {
			t.Errorf("%s counted %d, want %d", key, got, n)
		}
	}
	if got := dc.RequestCount("GET", "/rest/api/1.0/projects/{projectKey}"); got != 3 {
		t.Errorf("RequestCount %d", got)
	}

	cloud := cloudServer(t)
	req := func(r *http.Request) {
		alice(r)
		r.Header.Set("User-Agent", "terraform-provider-bitbucket/test")
	}
	do(t, cloud, "GET", "/2.0/repositories/acme/api-service/hooks/%7Bnone%7D", req, nil).expect(t, 404)
	do(t, cloud, "POST", "/site/oauth2/access_token", anonymous, "grant_type=client_credentials").expect(t, 400)
	if got := cloud.RequestCount("GET", "/2.0/repositories/{workspace}/{repo_slug}/hooks/{uid}"); got != 1 {
		t.Errorf("hook route counted %d", got)
	}
	if got := cloud.RequestCount("POST", "/site/oauth2/access_token"); got != 1 {
		t.Errorf("OAuth route counted %d", got)
	}
	reqs := cloud.Requests()
	if len(reqs) != 2 || reqs[0].Route != "/2.0/repositories/{workspace}/{repo_slug}/hooks/{uid}" ||
		reqs[0].Header.Get("User-Agent") != "terraform-provider-bitbucket/test" || reqs[0].Method != "GET" {
		t.Errorf("recorded requests %+v", reqs)
	}
	cloud.ResetCounts()
	if len(cloud.RequestCounts()) != 0 || len(cloud.Requests()) != 0 {
		t.Error("ResetCounts left counters or requests")
	}
}

func TestRequestsKeepsTheLastThousand(t *testing.T) {
	srv := emulator.New(emulator.Options{Product: emulator.DataCenter, NoSeed: true})
	for i := 0; i < 1005; i++ {
		r, _ := http.NewRequest("GET", "http://emulator/rest/api/1.0/application-properties?i="+string(rune('a'+i%26)), nil)
		srv.ServeHTTP(discard{}, r)
	}
	reqs := srv.Requests()
	if len(reqs) != 1000 {
		t.Fatalf("%d requests kept", len(reqs))
	}
	if got := srv.RequestCount("GET", "/rest/api/1.0/application-properties"); got != 1005 {
		t.Errorf("counted %d", got)
	}
	// Oldest first: request 5 (index from 0) is the first kept.
	if want := "i=" + string(rune('a'+5)); reqs[0].RawQuery != want {
		t.Errorf("oldest kept %q, want %q", reqs[0].RawQuery, want)
	}
}

// discard is a ResponseWriter that drops everything.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
