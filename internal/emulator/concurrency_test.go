package emulator_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// Terraform runs ten operations at once; run that many workers against each
// product together with out-of-band readers (meaningful under -race).
func TestConcurrentClients(t *testing.T) {
	const workers, perWorker = 10, 15
	cloud, dc := cloudServer(t), dcServer(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4*workers*perWorker)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				steps := []struct {
					srv    *emulator.Server
					method string
					path   string
					a      auth
					body   any
					want   int
				}{
					{cloud, "POST", cloudHooksPath, alice, hookBody, 201},
					{cloud, "GET", "/2.0/repositories/acme", bearer(emulator.CloudAccessToken), nil, 200},
					{dc, "POST", dcHooksPath, admin, dcHook(fmt.Sprintf("w%d-%d", w, i)), 200},
					{dc, "PUT", "/rest/access-tokens/1.0/projects/PRJ", admin, map[string]any{"name": "t", "permissions": []string{"REPO_READ"}}, 200},
				}
				for _, s := range steps {
					res, err := try(s.srv, s.method, s.path, s.a, s.body)
					if err == nil && res.status != s.want {
						err = fmt.Errorf("%s %s: status %d: %s", s.method, s.path, res.status, res.body)
					}
					if err != nil {
						errs <- err
					}
				}
			}
		}(w)
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_ = cloud.Webhooks()
				_ = dc.AccessTokens()
				_ = dc.RequestCounts()
				dc.Advance(time.Millisecond)
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	total := workers * perWorker
	for name, srv := range map[string]*emulator.Server{"cloud": cloud, "datacenter": dc} {
		ids := map[string]bool{}
		for _, h := range srv.Webhooks() {
			ids[h.ID] = true
		}
		if len(ids) != total {
			t.Errorf("%s: %d distinct hooks, want %d", name, len(ids), total)
		}
	}
	if got := dc.RequestCount("POST", dcHooksRoute); got != total {
		t.Errorf("DC hook POSTs counted %d, want %d", got, total)
	}
	if got := len(dc.AccessTokens()); got != total+1 {
		t.Errorf("%d tokens, want %d", got, total+1)
	}
	list := do(t, dc, "GET", dcHooksPath+"?limit=1000", admin, nil).expect(t, 200)
	if n := len(list.values(t)); n != total {
		t.Errorf("listed %d hooks, want %d", n, total)
	}
}

func TestBulkRepositoriesAreFast(t *testing.T) {
	srv := emulator.New(emulator.Options{Product: emulator.Cloud})
	start := time.Now()
	if err := srv.AddRepositories(emulator.CloudWorkspace, "many", 10000); err != nil {
		t.Fatal(err)
	}
	// "Well under a second" un-instrumented; the bound is loose for -race.
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("adding 10,000 repositories took %v", d)
	}
	if err := srv.AddRepositories(emulator.CloudWorkspace, "many", 1); err == nil {
		t.Error("duplicate bulk slug accepted")
	}
}

func TestNoSeedStartsEmpty(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter, NoSeed: true})
	do(t, srv, "GET", "/rest/api/1.0/projects", admin, nil).expect(t, 401)
	if err := srv.AddDCUser("solo", "pw", nil); err != nil {
		t.Fatal(err)
	}
	res := do(t, srv, "GET", "/rest/api/1.0/projects", basic("solo", "pw"), nil).expect(t, 200)
	if n := len(res.values(t)); n != 0 {
		t.Errorf("%d projects on an unseeded server", n)
	}
}

func TestStartListensOnLoopback(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{Product: emulator.Cloud}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Close() }()
	if srv.BaseURL() != srv.URL()+"/2.0" || srv.OAuthTokenURL() != srv.URL()+"/site/oauth2/access_token" {
		t.Errorf("URLs %s %s %s", srv.URL(), srv.BaseURL(), srv.OAuthTokenURL())
	}
	do(t, srv, "GET", "/2.0/user", alice, nil).expect(t, 200)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := try(srv, "GET", "/2.0/user", alice, nil); err == nil {
		t.Error("server answers after Close")
	}
}
