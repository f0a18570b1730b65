package provider

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator/conformance"
)

// routesOutsideTheOpenAPIFiles are routes the provider calls that neither
// published OpenAPI file describes, so conformance.ProviderRoutes (which the
// trimmed specs are cut to) cannot hold them.
var routesOutsideTheOpenAPIFiles = map[emulator.Product][]string{
	// OAuth 2 client credentials token endpoint (Cloud OpenAPI narrative,
	// "Authentication methods", OAuth 2.0).
	emulator.Cloud:      {"POST /site/oauth2/access_token"},
	emulator.DataCenter: nil,
}

// fallbackRoutes are called only when an earlier answer lacked what they
// provide, which the emulator's answers never do; the client's unit tests
// call them (named beside each). They may go unhit in an acceptance run.
var fallbackRoutes = map[emulator.Product][]string{
	// Who am I, when no answer carried X-AUSERNAME: the user name as plain
	// text (Application Links servlet, not in the REST API description;
	// docs/dev/bitbucket-api.md#datacenter-basics). TestDataCenterCurrentUserWithBearer
	// "from whoami" in internal/bitbucket.
	emulator.DataCenter: {"GET /plugins/servlet/applinks/whoami"},
}

// emulatorTemplate is a conformance route as the emulator counts it: Cloud
// paths under /2.0, Data Center paths under /rest with the 1.0 version.
func emulatorTemplate(r conformance.Route) string {
	if r.Product == conformance.Cloud {
		return r.Method + " /2.0" + r.Path
	}
	return r.Method + " /rest" + strings.Replace(r.Path, "/latest", "/1.0", 1)
}

// routeDrift compares the routes a test run made the emulator answer with
// the routes the repository says the provider uses: listed but never called,
// and called but not listed.
func routeDrift(hit map[emulator.Product]map[string]int) []string {
	var drift []string
	for _, product := range []emulator.Product{emulator.Cloud, emulator.DataCenter} {
		listed := map[string]bool{}
		for _, r := range conformance.RoutesOf(conformance.Product(product)) {
			listed[emulatorTemplate(r)] = true
		}
		for _, r := range routesOutsideTheOpenAPIFiles[product] {
			listed[r] = true
		}
		for _, r := range fallbackRoutes[product] {
			listed[r] = true
		}
		for route := range listed {
			if hit[product][route] == 0 && !slices.Contains(fallbackRoutes[product], route) {
				drift = append(drift, fmt.Sprintf("%s %s is listed as used by the provider, but no test made it call it", product, route))
			}
		}
		for route := range hit[product] {
			if !listed[route] && !strings.HasSuffix(route, " unmatched") {
				drift = append(drift, fmt.Sprintf("%s %s was called but is not in conformance.ProviderRoutes", product, route))
			}
		}
	}
	sort.Strings(drift)
	return drift
}

// checkRoutesAfterFullRun runs after every test of a full acceptance run
// (TF_ACC set, no -run, -skip or -short) that passed: a route list that
// drifted from what the provider calls fails the run. ROUTES_HIT_FILE, when
// set, receives the routes hit.
func checkRoutesAfterFullRun(code int) int {
	hit := map[emulator.Product]map[string]int{
		emulator.Cloud: emulator.RoutesHit(emulator.Cloud), emulator.DataCenter: emulator.RoutesHit(emulator.DataCenter),
	}
	if path := os.Getenv("ROUTES_HIT_FILE"); path != "" {
		var lines []string
		for product, routes := range hit {
			for route, n := range routes {
				lines = append(lines, fmt.Sprintf("%s %s %d", product, route, n))
			}
		}
		slices.Sort(lines)
		_ = os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	}
	full := os.Getenv("TF_ACC") != "" && !testing.Short()
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			full = false
		}
	}
	if code != 0 || !full {
		return code
	}
	if drift := routeDrift(hit); len(drift) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the provider's route list (internal/emulator/conformance/routes.go) drifted from the requests "+
			"this acceptance run made:\n  %s\n", strings.Join(drift, "\n  "))
		return 1
	}
	return code
}

// TestRouteDrift: the comparison reports a listed route nobody called and a
// called route nobody listed.
func TestRouteDrift(t *testing.T) {
	hit := map[emulator.Product]map[string]int{emulator.Cloud: {}, emulator.DataCenter: {}}
	for _, r := range conformance.ProviderRoutes {
		hit[emulator.Product(r.Product)][emulatorTemplate(r)]++
	}
	for product, routes := range routesOutsideTheOpenAPIFiles {
		for _, r := range routes {
			hit[product][r]++
		}
	}
	hit[emulator.Cloud]["GET unmatched"]++
	if drift := routeDrift(hit); len(drift) != 0 {
		t.Fatalf("drift with every route hit: %v", drift)
	}
	for product, routes := range fallbackRoutes {
		for _, r := range routes {
			delete(hit[product], r)
		}
	}
	if drift := routeDrift(hit); len(drift) != 0 {
		t.Fatalf("drift with only the fallback routes unhit: %v", drift)
	}
	delete(hit[emulator.Cloud], "GET /2.0/user")
	hit[emulator.DataCenter]["GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/branches"]++
	drift := routeDrift(hit)
	if len(drift) != 2 || !strings.Contains(drift[0], "cloud GET /2.0/user is listed") ||
		!strings.Contains(drift[1], "datacenter GET /rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/branches was called but is not in") {
		t.Errorf("drift = %q", drift)
	}
}
