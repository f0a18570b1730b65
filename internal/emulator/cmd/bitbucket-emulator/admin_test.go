package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

func adminGet(t *testing.T, admin *httptest.Server, path string, out any) int {
	t.Helper()
	resp, err := http.Get(admin.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return resp.StatusCode
}

// The admin API drives the same counters and faults the Go tests use.
func TestAdminAPICountsAndFaults(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
	admin := httptest.NewServer(adminHandler(srv))
	t.Cleanup(admin.Close)
	api := srv.BaseURL() + "/rest/api/1.0/application-properties"

	route := url.QueryEscape("/rest/api/1.0/application-properties")
	if code := adminGet(t, admin, "/fault?method=GET&kind=status&status=503&times=1&route="+route, nil); code != http.StatusOK {
		t.Fatalf("/fault: HTTP %d", code)
	}
	for _, want := range []int{http.StatusServiceUnavailable, http.StatusOK} {
		resp, err := http.Get(api)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET application-properties: HTTP %d, want %d", resp.StatusCode, want)
		}
	}
	var counts struct {
		Total  int            `json:"total"`
		Routes map[string]int `json:"routes"`
	}
	adminGet(t, admin, "/counts", &counts)
	if counts.Total != 2 || counts.Routes["GET /rest/api/1.0/application-properties"] != 2 {
		t.Errorf("/counts = %+v, want 2 requests to application-properties", counts)
	}
	adminGet(t, admin, "/reset", nil)
	adminGet(t, admin, "/counts", &counts)
	if counts.Total != 0 {
		t.Errorf("/counts after /reset = %+v", counts)
	}
	for _, bad := range []string{"/latency?d=soon", "/ratelimit?n=x", "/fault?kind=explode", "/fault?kind=status"} {
		if code := adminGet(t, admin, bad, nil); code != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", bad, code)
		}
	}
	if code := adminGet(t, admin, "/ratelimit?n=1&window=1s", nil); code != http.StatusOK {
		t.Fatalf("/ratelimit: HTTP %d", code)
	}
	codes := []int{}
	for i := 0; i < 2; i++ {
		resp, err := http.Get(api)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != http.StatusOK || codes[1] != http.StatusTooManyRequests {
		t.Errorf("with a limit of 1 per second: %v, want [200 429]", codes)
	}
}
