package provider

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// The benchmarks behind `make bench` (docs/guides/performance.md). The CLI
// ones drive the real terraform with the real provider binary against the
// emulator and report, beside wall time, the requests the emulator counted,
// the floor the issue sets and the provider process's peak memory. Run them
// once each: go test -run '^$' -bench CLI -benchtime 1x ./internal/provider

// providerPeakMemory watches the provider processes started while it runs
// and reports the largest peak resident set (VmHWM) seen, in MiB.
type providerPeakMemory struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak int64 // KiB
}

func watchProviderMemory(binaryDir string) *providerPeakMemory {
	w := &providerPeakMemory{stop: make(chan struct{}), done: make(chan struct{})}
	binary := filepath.Join(binaryDir, "terraform-provider-bitbucket")
	go func() {
		defer close(w.done)
		ticker := time.NewTicker(20 * time.Millisecond)
		defer ticker.Stop()
		for {
			w.sample(binary)
			select {
			case <-w.stop:
				return
			case <-ticker.C:
			}
		}
	}()
	return w
}

func (w *providerPeakMemory) sample(binary string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, exe := range procs {
		if target, err := os.Readlink(exe); err != nil || target != binary {
			continue
		}
		f, err := os.Open(filepath.Join(filepath.Dir(exe), "status"))
		if err != nil {
			continue
		}
		scanner := bufio.NewScanner(f)
		for scanner.Scan() {
			if rest, ok := strings.CutPrefix(scanner.Text(), "VmHWM:"); ok {
				kib, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				w.mu.Lock()
				w.peak = max(w.peak, kib)
				w.mu.Unlock()
			}
		}
		_ = f.Close()
	}
}

// Stop ends the watch and returns the peak in MiB (0 if never seen).
func (w *providerPeakMemory) Stop() float64 {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return float64(w.peak) / 1024
}

// benchCLI is a CLI harness on an emulator of the product with its admin
// credentials in the environment.
func benchCLI(b *testing.B, srv *emulator.Server) *cliHarness {
	env := map[string]string{"BITBUCKET_BASE_URL": srv.BaseURL(), "BITBUCKET_WORKSPACE": seededWorkspace(srv.Product())}
	if srv.Product() == emulator.Cloud {
		env["BITBUCKET_PRODUCT"], env["BITBUCKET_USERNAME"], env["BITBUCKET_TOKEN"] = "cloud", emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
	} else {
		env["BITBUCKET_USERNAME"], env["BITBUCKET_TOKEN"] = emulator.DCAdminUser, emulator.DCAdminPassword
	}
	return newCLIHarness(b, env)
}

const benchTerraformHeader = `
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}
`

func mustTerraform(b *testing.B, h *cliHarness, args ...string) {
	b.Helper()
	if out, err := h.terraform(nil, args...); err != nil {
		b.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// BenchmarkCLIRefresh1000Webhooks: `terraform plan` over 1,000 managed
// webhooks with 20 ms emulated latency at Terraform's default parallelism
// of 10. Floor: requests x 20 ms / 10. Target: <= 1.2 x the floor and one
// request per object.
func BenchmarkCLIRefresh1000Webhooks(b *testing.B) {
	const objects, latency, parallelism = 1000, 20 * time.Millisecond, 10
	srv := emulator.NewTestServer(b, emulator.Options{Product: emulator.DataCenter})
	h := benchCLI(b, srv)
	h.writeConfig(benchTerraformHeader + fmt.Sprintf(`
resource "bitbucket_repository_webhook" "hook" {
  count      = %d
  repository = "api-service"
  name       = "hook-${count.index}"
  url        = "https://ci.example.com/${count.index}"
  events     = ["repo:refs_changed"]
}
`, objects))
	mustTerraform(b, h, "apply", "-auto-approve", "-input=false", "-parallelism=50")
	// The same plan without latency: what terraform itself costs for 1,000
	// objects on this machine, to tell it apart from waiting on Bitbucket.
	baselineStart := time.Now()
	mustTerraform(b, h, "plan", "-input=false", "-detailed-exitcode")
	baseline := time.Since(baselineStart)
	srv.SetLatency(latency)
	const hookRoute = "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		srv.ResetCounts()
		memory := watchProviderMemory(providerBinaryDir(b))
		started := time.Now()
		mustTerraform(b, h, "plan", "-input=false", "-detailed-exitcode")
		wall := time.Since(started)
		peak := memory.Stop()
		requests := 0
		for _, n := range srv.RequestCounts() {
			requests += n
		}
		floor := time.Duration(requests) * latency / parallelism
		b.ReportMetric(float64(requests), "requests")
		b.ReportMetric(float64(srv.RequestCount("GET", hookRoute))/objects, "reads/object")
		b.ReportMetric(float64(wall.Milliseconds()), "wall-ms")
		b.ReportMetric(float64(floor.Milliseconds()), "floor-ms")
		b.ReportMetric(wall.Seconds()/floor.Seconds(), "x-floor")
		b.ReportMetric(float64(baseline.Milliseconds()), "no-latency-ms")
		// The latency's share of the wall time against its floor.
		b.ReportMetric((wall-baseline).Seconds()/floor.Seconds(), "latency-x-floor")
		b.ReportMetric(peak, "provider-peak-MiB")
	}
}

// BenchmarkCLIApply200WebhooksThrottled: `terraform apply` of 200 webhooks
// against a Data Center that allows 50 requests a second (429 with
// Retry-After beyond that). Floor: requests / 50 per second. Target: no
// failure, <= 1.1 x the floor.
func BenchmarkCLIApply200WebhooksThrottled(b *testing.B) {
	const objects, ratePerSecond = 200, 50
	config := benchTerraformHeader + fmt.Sprintf(`
resource "bitbucket_repository_webhook" "hook" {
  count      = %d
  repository = "api-service"
  name       = "hook-${count.index}"
  url        = "https://ci.example.com/${count.index}"
  events     = ["repo:refs_changed"]
}
`, objects)
	// The same apply without a limit: terraform's own cost on this machine.
	unlimited := benchCLI(b, emulator.NewTestServer(b, emulator.Options{Product: emulator.DataCenter}))
	unlimited.writeConfig(config)
	baselineStart := time.Now()
	mustTerraform(b, unlimited, "apply", "-auto-approve", "-input=false")
	baseline := time.Since(baselineStart)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		srv := emulator.NewTestServer(b, emulator.Options{Product: emulator.DataCenter})
		h := benchCLI(b, srv)
		h.writeConfig(config)
		srv.SetRateLimit(ratePerSecond, time.Second)
		memory := watchProviderMemory(providerBinaryDir(b))
		started := time.Now()
		mustTerraform(b, h, "apply", "-auto-approve", "-input=false")
		wall := time.Since(started)
		peak := memory.Stop()
		srv.SetRateLimit(0, 0)
		if got := len(srv.Webhooks()); got != objects {
			b.Fatalf("%d webhooks after the apply, want %d", got, objects)
		}
		counts := srv.RequestCounts()
		total := 0
		for _, n := range counts {
			total += n
		}
		// Every request the server accepted counts toward the floor; the
		// throttled ones (429) are the price of not knowing the limit.
		accepted := total - srv.ThrottledCount()
		floor := time.Duration(float64(accepted) / ratePerSecond * float64(time.Second))
		b.ReportMetric(float64(accepted), "requests")
		b.ReportMetric(float64(srv.ThrottledCount()), "throttled")
		b.ReportMetric(float64(wall.Milliseconds()), "wall-ms")
		b.ReportMetric(float64(floor.Milliseconds()), "floor-ms")
		b.ReportMetric(wall.Seconds()/floor.Seconds(), "x-floor")
		b.ReportMetric(float64(baseline.Milliseconds()), "no-limit-ms")
		b.ReportMetric(peak, "provider-peak-MiB")
	}
}

// BenchmarkCLIRepositories10000: the bitbucket_repositories data source
// over 10,000 repositories in one project. Requests must be
// ceil(10000 / 1000) list pages; provider memory under 100 MiB.
func BenchmarkCLIRepositories10000(b *testing.B) {
	const repositories = 10000
	srv := emulator.NewTestServer(b, emulator.Options{Product: emulator.DataCenter})
	if err := srv.AddWorkspace(emulator.WorkspaceSpec{Slug: "BIG", Name: "Big"}); err != nil {
		b.Fatal(err)
	}
	if err := srv.AddRepositories("BIG", "repo", repositories); err != nil {
		b.Fatal(err)
	}
	h := benchCLI(b, srv)
	h.writeConfig(benchTerraformHeader + `
data "bitbucket_repositories" "all" {
  workspace = "BIG"
}
output "count" {
  value = length(data.bitbucket_repositories.all.repositories)
}
`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		srv.ResetCounts()
		memory := watchProviderMemory(providerBinaryDir(b))
		started := time.Now()
		out, err := h.terraform(nil, "plan", "-input=false")
		wall := time.Since(started)
		peak := memory.Stop()
		if err != nil {
			b.Fatalf("plan: %v\n%s", err, out)
		}
		listRequests := 0
		for key, n := range srv.RequestCounts() {
			if strings.HasSuffix(key, "/repos") {
				listRequests += n
			}
		}
		b.ReportMetric(float64(listRequests), "list-requests")
		b.ReportMetric(float64((repositories+999)/1000), "floor-requests")
		b.ReportMetric(float64(wall.Milliseconds()), "wall-ms")
		b.ReportMetric(peak, "provider-peak-MiB")
	}
}

// BenchmarkProviderStartup: a new provider answering GetProviderSchema, in
// process. Target: < 50 ms.
func BenchmarkProviderStartup(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		server, err := providerserver.NewProtocol6WithError(New("bench")())()
		if err != nil {
			b.Fatal(err)
		}
		resp, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		if err != nil || len(resp.ResourceSchemas) == 0 {
			b.Fatalf("schema: %v", err)
		}
	}
	b.ReportMetric(50, "target-ms")
}
