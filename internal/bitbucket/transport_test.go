package bitbucket

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRequestsCarryUserAgentAndCredentials(t *testing.T) {
	for _, tt := range []struct {
		name string
		mod  func(*Config)
		auth string
	}{
		{name: "basic", mod: nil, auth: basicAuth("tester", "tester-token")},
		{name: "bearer", mod: func(c *Config) { c.Username, c.Token, c.AccessToken = "", "", "bearer-token" }, auth: "Bearer bearer-token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec.add(r)
				writeJSON(w, http.StatusOK, map[string]any{"isLastPage": true, "values": []any{}})
			}), tt.mod)
			if err := c.CheckCredentials(context.Background()); err != nil {
				t.Fatal(err)
			}
			reqs := rec.all()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			if got := reqs[0].Header.Get("User-Agent"); got != "terraform-provider-bitbucket/1.2.3" {
				t.Errorf("User-Agent %q", got)
			}
			if got := reqs[0].Header.Get("Authorization"); got != tt.auth {
				t.Errorf("Authorization %q, want %q", got, tt.auth)
			}
		})
	}
}

func TestCredentialsAreNotSentToAnotherHost(t *testing.T) {
	// A next link to another host (or a redirect) must not carry them.
	other := &recorder{}
	otherSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other.add(r)
		writeJSON(w, http.StatusOK, map[string]any{"values": []any{map[string]any{"slug": "b"}}})
	}))
	defer otherSrv.Close()
	c, _ := newTestClient(t, ProductCloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"values": []any{map[string]any{"slug": "a"}}, "next": otherSrv.URL + "/2.0/repositories/acme?page=2"})
	}), nil)

	repos, err := c.ListRepositories(context.Background(), "acme", RepositoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 2 {
		t.Fatalf("got %d repositories", len(repos))
	}
	reqs := other.all()
	if len(reqs) != 1 || reqs[0].Header.Get("Authorization") != "" {
		t.Errorf("the other host got Authorization %q", reqs[0].Header.Get("Authorization"))
	}
}

func TestCACertPEMIsTrusted(t *testing.T) {
	srv := httptest.NewTLSServer(withApplicationProperties(http.NotFoundHandler()))
	defer srv.Close()
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	cfg := testConfig(ProductDataCenter, srv.URL)
	cfg.CACertPEM = caPEM
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("with ca_cert_pem: %v", err)
	}
	if c.ServerVersion() != "9.4.2" {
		t.Errorf("version %q", c.ServerVersion())
	}

	cfg.CACertPEM = ""
	if _, err := New(context.Background(), cfg); err == nil || !isCertificateError(err) {
		t.Errorf("without ca_cert_pem: want a certificate error, got %v", err)
	}

	cfg.InsecureSkipVerify = true
	if _, err := New(context.Background(), cfg); err != nil {
		t.Errorf("with insecure_skip_verify: %v", err)
	}
}
