package bitbucket

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// failingTransport fails the test if any request is sent.
type failingTransport struct{ t *testing.T }

func (f failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
	return nil, errors.New("no network in this test")
}

func TestNewValidatesCredentials(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none = valid
	}{
		{name: "basic", cfg: Config{Username: "u", Token: "t"}},
		{name: "bearer", cfg: Config{AccessToken: "a"}},
		{name: "oauth", cfg: Config{OAuthClientID: "id", OAuthClientSecret: "s"}},
		{name: "none", cfg: Config{}, want: []string{"no credentials", "username", "token", "access_token", "oauth_client_id", "oauth_client_secret"}},
		{name: "username only", cfg: Config{Username: "u"}, want: []string{"username", "token"}},
		{name: "token only", cfg: Config{Token: "t"}, want: []string{"token", "username"}},
		{name: "oauth id only", cfg: Config{OAuthClientID: "id"}, want: []string{"oauth_client_secret"}},
		{name: "oauth secret only", cfg: Config{OAuthClientSecret: "s"}, want: []string{"oauth_client_id"}},
		{name: "basic and bearer", cfg: Config{Username: "u", Token: "t", AccessToken: "a"}, want: []string{"conflicting", "access_token", "username + token"}},
		{name: "bearer and oauth", cfg: Config{AccessToken: "a", OAuthClientID: "id", OAuthClientSecret: "s"}, want: []string{"conflicting", "access_token", "oauth_client_id"}},
		{name: "oauth on data center", cfg: Config{Product: ProductDataCenter, BaseURL: "https://bb.example.com", OAuthClientID: "id", OAuthClientSecret: "s"}, want: []string{"oauth_client_id", "Cloud"}},
		{name: "oauth on a host that is not Cloud", cfg: Config{BaseURL: "https://bb.example.com", OAuthClientID: "id", OAuthClientSecret: "s"}, want: []string{"oauth_client_id", `product = "cloud"`}},
		{name: "bad product", cfg: Config{Product: "server", AccessToken: "a"}, want: []string{"product", "cloud", "datacenter"}},
		{name: "data center without base_url", cfg: Config{Product: ProductDataCenter, AccessToken: "a"}, want: []string{"base_url"}},
		{name: "base_url not http", cfg: Config{BaseURL: "ftp://x", AccessToken: "a"}, want: []string{"base_url"}},
		{name: "bad ca_cert_pem", cfg: Config{AccessToken: "a", CACertPEM: "not a certificate"}, want: []string{"ca_cert_pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Transport = failingTransport{t}
			if cfg.CACertPEM != "" {
				cfg.Transport = nil // TLS options apply only to the built-in transport
			}
			_, err := New(context.Background(), cfg)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, secret := range []string{`"t"`, `"s"`, `"a"`} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows a credential", err)
				}
			}
		})
	}
}

func TestNewDetectsCloudByHostWithoutARequest(t *testing.T) {
	tests := map[string]string{
		"":                               "https://api.bitbucket.org/2.0/",
		"https://api.bitbucket.org/2.0":  "https://api.bitbucket.org/2.0/",
		"https://api.bitbucket.org/2.0/": "https://api.bitbucket.org/2.0/",
		"https://api.bitbucket.org":      "https://api.bitbucket.org/2.0/",
		"https://bitbucket.org/":         "https://api.bitbucket.org/2.0/",
	}
	for in, want := range tests {
		c, err := New(context.Background(), Config{BaseURL: in, AccessToken: "a", Transport: failingTransport{t}})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if c.Product() != ProductCloud || c.BaseURL() != want || c.ServerVersion() != "" {
			t.Errorf("%q: product %s, base %q; want cloud, %q", in, c.Product(), c.BaseURL(), want)
		}
	}
}

func TestNewDetectsDataCenterFromApplicationProperties(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		if r.URL.Path == "/bitbucket/rest/api/1.0/application-properties" {
			writeJSON(w, http.StatusOK, map[string]string{"version": "8.19.1", "buildNumber": "8019001", "buildDate": "1", "displayName": "Bitbucket"})
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()

	c, err := New(context.Background(), testConfig("", srv.URL+"/bitbucket"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Product() != ProductDataCenter || c.ServerVersion() != "8.19.1" || c.BaseURL() != srv.URL+"/bitbucket/" {
		t.Errorf("product %s, version %q, base %q", c.Product(), c.ServerVersion(), c.BaseURL())
	}
	reqs := rec.all()
	if len(reqs) != 1 || reqs[0].Header.Get("Authorization") != "" {
		t.Errorf("want one unauthenticated request, got %d (Authorization %q)", len(reqs), reqs[0].Header.Get("Authorization"))
	}
}

func TestNewRejectsAServerThatIsNotDataCenter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<html><title>Not here</title></html>"))
	}))
	defer srv.Close()

	_, err := New(context.Background(), testConfig("", srv.URL))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"the server at " + srv.URL + "/", "does not look like Bitbucket Data Center", `set product = "cloud"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestNewRejectsAJSONAnswerWithoutVersion(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"hello": "world"})
	}))
	defer srv.Close()
	if _, err := New(context.Background(), testConfig("", srv.URL)); err == nil || !strings.Contains(err.Error(), "does not look like Bitbucket Data Center") {
		t.Fatalf("got %v", err)
	}
}

func TestNewWithProductDataCenterReadsTheVersionButDoesNotNeedIt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	}))
	defer srv.Close()
	c, err := New(context.Background(), testConfig(ProductDataCenter, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if c.Product() != ProductDataCenter || c.ServerVersion() != "" {
		t.Errorf("product %s version %q", c.Product(), c.ServerVersion())
	}

	c, _ = newTestClient(t, ProductDataCenter, http.NotFoundHandler(), nil)
	if c.ServerVersion() != "9.4.2" {
		t.Errorf("version %q, want 9.4.2", c.ServerVersion())
	}
}

func TestNewWithProductCloudOnAnotherHost(t *testing.T) {
	rec := &recorder{}
	c, srv := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		writeJSON(w, http.StatusOK, map[string]any{"uuid": "{u}"})
	}), nil)
	if c.BaseURL() != srv.URL+"/2.0/" {
		t.Errorf("base %q", c.BaseURL())
	}
	if err := c.CheckCredentials(context.Background()); err != nil {
		t.Fatal(err)
	}
	if reqs := rec.all(); len(reqs) != 1 || reqs[0].Path != "/2.0/user" {
		t.Errorf("requests %+v, want only GET /2.0/user", reqs)
	}
}

// TestProductRulesOneSource: New refuses what CheckProductRules names (the
// provider reports the same problems on their attributes at configure time).
func TestProductRulesOneSource(t *testing.T) {
	cases := map[string]struct {
		cfg     Config
		setting string
	}{
		"datacenter without base_url": {Config{Product: ProductDataCenter, AccessToken: "t"}, "base_url"},
		"oauth on datacenter": {Config{Product: ProductDataCenter, BaseURL: "https://bitbucket.example.com",
			OAuthClientID: "id", OAuthClientSecret: "s"}, "oauth_client_id"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			problems := CheckProductRules(tc.cfg)
			if len(problems) != 1 || problems[0].Setting != tc.setting {
				t.Fatalf("CheckProductRules = %+v, want one problem on %s", problems, tc.setting)
			}
			_, err := New(context.Background(), tc.cfg)
			var problem ConfigProblem
			if !errors.As(err, &problem) || problem != problems[0] {
				t.Errorf("New = %v, want %+v", err, problems[0])
			}
		})
	}
	if p := CheckProductRules(Config{Product: ProductCloud, OAuthClientID: "id", OAuthClientSecret: "s"}); len(p) != 0 {
		t.Errorf("Cloud with OAuth: %+v", p)
	}
}
