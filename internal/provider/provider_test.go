package provider

import (
	"fmt"
	"maps"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// repositoryRead is a configuration that makes the provider authenticate and
// read one seeded repository, so a passing step proves the auth worked.
func repositoryRead(workspace string) string {
	return fmt.Sprintf(`
data "bitbucket_repository" "probe" {
  workspace  = %q
  repository = "api-service"
}
`, workspace)
}

func expectRepositoryRead() []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue("data.bitbucket_repository.probe", tfjsonpath.New("repository"), knownvalue.StringExact("api-service")),
	}
}

// TestAccProviderAuthModes applies a read with every auth mode each product
// offers, and with a wrong secret in each mode.
func TestAccProviderAuthModes(t *testing.T) {
	cloud := startEmulator(t, emulator.Cloud)
	dc := startEmulator(t, emulator.DataCenter)

	cases := []struct {
		name      string
		srv       *emulator.Server
		workspace string
		good, bad []string
	}{
		{"cloud_api_token", cloud, "acme",
			[]string{`product = "cloud"`, `username = "` + emulator.CloudOwnerEmail + `"`, `token = "` + emulator.CloudOwnerAPIToken + `"`},
			[]string{`product = "cloud"`, `username = "` + emulator.CloudOwnerEmail + `"`, `token = "not-the-token"`}},
		{"cloud_access_token", cloud, "acme",
			[]string{`product = "cloud"`, `access_token = "` + emulator.CloudAccessToken + `"`},
			[]string{`product = "cloud"`, `access_token = "not-the-token"`}},
		{"cloud_oauth", cloud, "acme",
			[]string{`product = "cloud"`, `oauth_client_id = "` + emulator.CloudOAuthClientID + `"`,
				`oauth_client_secret = "` + emulator.CloudOAuthClientSecret + `"`, `oauth_token_url = "` + cloud.OAuthTokenURL() + `"`},
			[]string{`product = "cloud"`, `oauth_client_id = "` + emulator.CloudOAuthClientID + `"`,
				`oauth_client_secret = "not-the-secret"`, `oauth_token_url = "` + cloud.OAuthTokenURL() + `"`}},
		{"datacenter_http_access_token", dc, "PRJ",
			[]string{`access_token = "` + emulator.DCAdminToken + `"`},
			[]string{`access_token = "not-the-token"`}},
		{"datacenter_username_password", dc, "PRJ",
			[]string{`username = "` + emulator.DCAdminUser + `"`, `token = "` + emulator.DCAdminPassword + `"`},
			[]string{`username = "` + emulator.DCAdminUser + `"`, `token = "not-the-password"`}},
		{"datacenter_username_token", dc, "PRJ",
			[]string{`username = "` + emulator.DCAdminUser + `"`, `token = "` + emulator.DCAdminToken + `"`},
			[]string{`username = "` + emulator.DCAdminUser + `"`, `token = "not-the-token"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				Steps: []resource.TestStep{
					{
						// Wrong first: the last step's configuration is used for the final destroy.
						Config:      providerBlock(tc.srv.BaseURL(), tc.bad...) + repositoryRead(tc.workspace),
						ExpectError: errorText("Bitbucket rejected the credentials for " + tc.srv.BaseURL() + ":"),
					},
					{
						Config:            providerBlock(tc.srv.BaseURL(), tc.good...) + repositoryRead(tc.workspace),
						ConfigStateChecks: expectRepositoryRead(),
					},
				},
			})
		})
	}
}

// TestAccProviderWrongCredentialsOneDiagnostic: with many data sources and a
// wrong token, the user sees the credential error once, not once per
// data source.
func TestAccProviderWrongCredentialsOneDiagnostic(t *testing.T) {
	dc := startEmulator(t, emulator.DataCenter)
	var reads strings.Builder
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&reads, "data \"bitbucket_repository\" \"r%d\" {\n  workspace = \"PRJ\"\n  repository = \"api-service\"\n}\n", i)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      providerBlock(dc.BaseURL(), `access_token = "wrong"`) + reads.String(),
			ExpectError: errorText("Bitbucket rejected the credentials"),
		}},
	})
	if n := dc.RequestCount("GET", "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}"); n != 0 {
		t.Errorf("repository reads sent with wrong credentials = %d, want 0 (configure should stop first)", n)
	}
}

func TestAccProviderConflictingCredentialsIsPlanError(t *testing.T) {
	dc := startEmulator(t, emulator.DataCenter)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      providerBlock(dc.BaseURL(), `username = "admin"`, `token = "x"`, `access_token = "y"`) + repositoryRead("PRJ"),
			ExpectError: errorText("Conflicting Bitbucket credentials", "username + token; access_token"),
			PlanOnly:    true,
		}},
	})
	if n := len(dc.Requests()); n != 0 {
		t.Errorf("requests sent for a configuration with conflicting credentials = %d, want 0", n)
	}
}

func TestAccProviderInvalidSettingsArePlanErrors(t *testing.T) {
	cases := map[string]struct {
		lines []string
		want  string
	}{
		"product":         {[]string{`product = "server"`, `access_token = "x"`}, `value must be one of`},
		"request_timeout": {[]string{`request_timeout = "soon"`, `access_token = "x"`}, `request_timeout is "soon"`},
		"max_retries":     {[]string{`max_retries = 100`, `access_token = "x"`}, `max_retries value must be between 0 and 20`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      providerBlock("http://127.0.0.1:1", tc.lines...) + repositoryRead("PRJ"),
					ExpectError: errorText(tc.want),
					PlanOnly:    true,
				}},
			})
		})
	}
	t.Run("base_url", func(t *testing.T) {
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{{
				Config:      providerBlock("bitbucket.example.com", `access_token = "x"`) + repositoryRead("PRJ"),
				ExpectError: errorText(`must be an absolute http:// or https:// URL`),
				PlanOnly:    true,
			}},
		})
	})
}

// TestAccProviderUnreachableHost: a server that accepts connections and never
// answers gives a clear error once request_timeout passes, not a hang.
func TestAccProviderUnreachableHost(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = listener.Close() })
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = conn.Close() })
		}
	}()
	blackHole := "http://" + listener.Addr().String()
	started := time.Now()
	// Not parallel: the elapsed time must not include waiting for other tests.
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config: providerBlock(blackHole, `product = "datacenter"`, `access_token = "x"`,
				`request_timeout = "1s"`, `max_retries = 1`) + repositoryRead("PRJ"),
			ExpectError: regexp.MustCompile(`(?s)Cannot connect to Bitbucket.*` + regexp.QuoteMeta(listener.Addr().String())),
		}},
	})
	// Generous bound: the point is "it ends", not a precise timing.
	if elapsed := time.Since(started); elapsed > 60*time.Second {
		t.Errorf("unreachable host took %s to fail with request_timeout = 1s", elapsed)
	}
}

func TestAccProviderClosedPort(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + listener.Addr().String()
	_ = listener.Close()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      providerBlock(closed, `access_token = "x"`, `max_retries = 0`) + repositoryRead("PRJ"),
			ExpectError: regexp.MustCompile(`(?s)Cannot connect to Bitbucket.*connection refused`),
		}},
	})
}

// TestAccProviderProductDetection: a Data Center server is detected from
// application-properties; a Cloud API on another host is not guessed and
// the error says to set product.
func TestAccProviderProductDetection(t *testing.T) {
	dc := startEmulator(t, emulator.DataCenter)
	cloud := startEmulator(t, emulator.Cloud)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: providerBlock(dc.BaseURL(), `access_token = "`+emulator.DCAdminToken+`"`) + repositoryRead("PRJ"),
				ConfigStateChecks: []statecheck.StateCheck{
					// Data Center ids are numbers; Cloud ids are {uuid}.
					statecheck.ExpectKnownValue("data.bitbucket_repository.probe", tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9]+$`))),
				},
			},
			{
				Config:      providerBlock(cloud.BaseURL(), `access_token = "`+emulator.CloudAccessToken+`"`) + repositoryRead("acme"),
				ExpectError: regexp.MustCompile(`(?s)product\s*=\s*"cloud"`),
			},
			{
				Config: providerBlock(cloud.BaseURL(), `product = "cloud"`, `access_token = "`+emulator.CloudAccessToken+`"`) + repositoryRead("acme"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.bitbucket_repository.probe", tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^\{[0-9a-f-]+\}$`))),
				},
			},
		},
	})
	if n := dc.RequestCount("GET", "/rest/api/1.0/application-properties"); n == 0 {
		t.Error("Data Center was not confirmed through application-properties")
	}
}

// TestAccProviderFromEnvironment configures everything from BITBUCKET_*.
func TestAccProviderFromEnvironment(t *testing.T) {
	dc := startEmulator(t, emulator.DataCenter)
	t.Setenv("BITBUCKET_BASE_URL", dc.BaseURL())
	t.Setenv("BITBUCKET_USERNAME", emulator.DCAdminUser)
	t.Setenv("BITBUCKET_TOKEN", emulator.DCAdminPassword)
	t.Setenv("BITBUCKET_WORKSPACE", "PRJ")
	t.Setenv("BITBUCKET_REQUEST_TIMEOUT", "10s")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{
				// A value in the configuration wins over the environment.
				Config:      `provider "bitbucket" { token = "wrong" }` + "\n" + `data "bitbucket_repository" "probe" { repository = "api-service" }`,
				ExpectError: errorText(`Bitbucket rejected the credentials`),
			},
			{
				// No provider block at all: the default workspace comes from the environment too.
				Config: `data "bitbucket_repository" "probe" { repository = "api-service" }`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.bitbucket_repository.probe", tfjsonpath.New("workspace"), knownvalue.StringExact("PRJ")),
				},
			},
		},
	})
}

// Credentials of two modes that all come from the environment still
// conflict, naming the variables.
func TestAccProviderEnvironmentConflictNamesTheVariables(t *testing.T) {
	dc := startEmulator(t, emulator.DataCenter)
	t.Setenv("BITBUCKET_USERNAME", emulator.DCAdminUser)
	t.Setenv("BITBUCKET_TOKEN", emulator.DCAdminPassword)
	t.Setenv("BITBUCKET_ACCESS_TOKEN", emulator.DCAdminToken)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      providerBlock(dc.BaseURL()) + repositoryRead("PRJ"),
			ExpectError: errorText(`username (from BITBUCKET_USERNAME) + token (from BITBUCKET_TOKEN); access_token (from BITBUCKET_ACCESS_TOKEN)`),
		}},
	})
}

// A provider block that sets a credential uses the auth
// mode it sets; other credentials in the environment are ignored (the
// environment may still complete the block's own mode).
func TestAccProviderConfiguredCredentialsBeatEnvironment(t *testing.T) {
	dc := startEmulator(t, emulator.DataCenter)
	t.Setenv("BITBUCKET_USERNAME", emulator.DCAdminUser)
	t.Setenv("BITBUCKET_TOKEN", emulator.DCAdminPassword)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{
			{
				// access_token in the block, Basic credentials in the environment.
				Config:            providerBlock(dc.BaseURL(), `access_token = "`+emulator.DCAdminToken+`"`) + repositoryRead("PRJ"),
				ConfigStateChecks: expectRepositoryRead(),
			},
			{
				// The block's username, completed by BITBUCKET_TOKEN (the documented "token = … # or BITBUCKET_TOKEN").
				Config:            providerBlock(dc.BaseURL(), `username = "`+emulator.DCAdminUser+`"`) + repositoryRead("PRJ"),
				ConfigStateChecks: expectRepositoryRead(),
			},
		},
	})
}

// The documented alias patterns, each provider block in its own provider
// process as Terraform runs them (the in-process test factories share one
// configured provider between aliases): the default provider comes from
// the environment, the alias sets other credentials.
func TestAccProviderAliasPatternsWithEnvironmentCredentials(t *testing.T) {
	dc := startEmulator(t, emulator.DataCenter)
	header := `
terraform {
  required_providers {
    bitbucket = { source = "bitbucket-iac/bitbucket" }
  }
}
`
	t.Run("ephemeral token", func(t *testing.T) {
		h := newCLIHarness(t, map[string]string{"BITBUCKET_BASE_URL": dc.BaseURL(),
			"BITBUCKET_USERNAME": emulator.DCAdminUser, "BITBUCKET_TOKEN": emulator.DCAdminPassword})
		h.writeConfig(header + `
ephemeral "bitbucket_access_token" "read_only" {
  workspace   = "PRJ"
  repository  = "api-service"
  name        = "terraform-run"
  permissions = ["REPO_READ"]
}

provider "bitbucket" {
  alias        = "read_only"
  access_token = ephemeral.bitbucket_access_token.read_only.token
}

data "bitbucket_repository" "api" {
  provider   = bitbucket.read_only
  workspace  = "PRJ"
  repository = "api-service"
}

output "slug" {
  value = data.bitbucket_repository.api.repository
}
`)
		if out, err := h.terraform(nil, "apply", "-auto-approve", "-input=false"); err != nil || !strings.Contains(out, `slug = "api-service"`) {
			t.Fatalf("apply: %v\n%s", err, out)
		}
		if n := len(tokensNamed(dc, "terraform-run")); n != 0 {
			t.Errorf("%d ephemeral tokens left live", n)
		}
	})
	t.Run("token_admin", func(t *testing.T) {
		h := newCLIHarness(t, map[string]string{"BITBUCKET_BASE_URL": dc.BaseURL(),
			"BITBUCKET_ACCESS_TOKEN": emulator.DCAdminToken})
		h.writeConfig(header + fmt.Sprintf(`
provider "bitbucket" {
  alias     = "token_admin"
  username  = %q
  token     = %q
  workspace = "PRJ"
}

resource "bitbucket_project_access_token" "ci" {
  provider    = bitbucket.token_admin
  workspace   = "PRJ"
  name        = "ci-admin-alias"
  permissions = ["PROJECT_READ"]
}

data "bitbucket_repository" "api" {
  workspace  = "PRJ"
  repository = "api-service"
}
`, emulator.DCAdminUser, emulator.DCAdminPassword))
		if out, err := h.terraform(nil, "apply", "-auto-approve", "-input=false"); err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
		onlyTokenNamed(t, dc, "ci-admin-alias")
		if out, err := h.terraform(nil, "destroy", "-auto-approve", "-input=false"); err != nil {
			t.Fatalf("destroy: %v\n%s", err, out)
		}
	})
}

// TestAccProviderUnknownConfiguration: a provider setting that depends on a
// resource not yet created is reported, naming the attribute.
func TestAccProviderUnknownConfiguration(t *testing.T) {
	dc := startEmulator(t, emulator.DataCenter)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config: `
resource "terraform_data" "later" {
  input = "PRJ"
}
` + providerBlock(dc.BaseURL(), `access_token = "`+emulator.DCAdminToken+`"`, `workspace = terraform_data.later.output`) + `
data "bitbucket_repository" "probe" {
  repository = "api-service"
}
`,
			ExpectError: errorText("Unknown Bitbucket provider setting", `"workspace" is unknown`),
		}},
	})
}

// settingsEnv is a lookupEnv over vars.
func settingsEnv(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
}

// nullSettings is a provider block that sets nothing.
func nullSettings() providerValues {
	null := providerValues{}
	for _, p := range providerSettings {
		null[p.name] = map[settingKind]attr.Value{settingBool: types.BoolNull(), settingWholeNumber: types.Int64Null()}[p.kind]
		if null[p.name] == nil {
			null[p.name] = types.StringNull()
		}
	}
	return null
}

// settingsWith is a provider block that sets values.
func settingsWith(values map[string]attr.Value) providerValues {
	c := nullSettings()
	maps.Copy(c, values)
	return c
}

// TestResolveSettings*: the merge of HCL and environment, without running
// terraform.

func TestResolveSettingsDefaultsToCloud(t *testing.T) {
	s, diags := resolveSettings(nullSettings(), settingsEnv(map[string]string{"BITBUCKET_ACCESS_TOKEN": "t"}))
	if diags.HasError() {
		t.Fatal(diags)
	}
	if s.cfg.BaseURL != bitbucket.DefaultCloudBaseURL || s.cfg.RequestTimeout != bitbucket.DefaultRequestTimeout || s.cfg.MaxRetries != bitbucket.DefaultMaxRetries {
		t.Errorf("defaults = %q %s %d", s.cfg.BaseURL, s.cfg.RequestTimeout, s.cfg.MaxRetries)
	}
}

func TestResolveSettingsConfigurationWinsOverEnvironment(t *testing.T) {
	c := settingsWith(map[string]attr.Value{"base_url": types.StringValue("https://bitbucket.example.com/"), "max_retries": types.Int64Value(2)})
	s, diags := resolveSettings(c, settingsEnv(map[string]string{
		"BITBUCKET_BASE_URL": "https://other.example.com", "BITBUCKET_MAX_RETRIES": "9", "BITBUCKET_ACCESS_TOKEN": "t",
		"BITBUCKET_INSECURE_SKIP_VERIFY": "true", "BITBUCKET_REQUEST_TIMEOUT": "2m",
	}))
	if diags.HasError() {
		t.Fatal(diags)
	}
	if s.cfg.BaseURL != "https://bitbucket.example.com" || s.cfg.MaxRetries != 2 || !s.cfg.InsecureSkipVerify || s.cfg.RequestTimeout != 2*time.Minute {
		t.Errorf("got %+v", s.cfg)
	}
}

func TestResolveSettingsDatacenterNeedsBaseUrl(t *testing.T) {
	c := settingsWith(map[string]attr.Value{"product": types.StringValue("datacenter"), "access_token": types.StringValue("t")})
	_, diags := resolveSettings(c, settingsEnv(nil))
	if !diags.HasError() || !strings.Contains(fmt.Sprint(diags), "Missing base_url") {
		t.Errorf("diags = %v", diags)
	}
}

func TestResolveSettingsIncompletePairNamesTheMissingAttribute(t *testing.T) {
	c := settingsWith(map[string]attr.Value{"username": types.StringValue("admin")})
	_, diags := resolveSettings(c, settingsEnv(nil))
	if !strings.Contains(fmt.Sprint(diags), "username is set but token is not") {
		t.Errorf("diags = %v", diags)
	}
}

func TestResolveSettingsPlainHttpWithBasicCredentialsWarns(t *testing.T) {
	c := settingsWith(map[string]attr.Value{"base_url": types.StringValue("http://bitbucket.example.com"),
		"username": types.StringValue("admin"), "token": types.StringValue("pw")})
	_, diags := resolveSettings(c, settingsEnv(nil))
	if diags.HasError() || diags.WarningsCount() != 1 || !strings.Contains(fmt.Sprint(diags), "Credentials travel in clear") {
		t.Errorf("diags = %v", diags)
	}
	c["base_url"] = types.StringValue("https://bitbucket.example.com")
	if _, diags := resolveSettings(c, settingsEnv(nil)); diags.WarningsCount() != 0 {
		t.Errorf("https: diags = %v", diags)
	}
}

func TestResolveSettingsBaseUrlFromTheEnvironmentWithCredentials(t *testing.T) {
	_, diags := resolveSettings(nullSettings(), settingsEnv(map[string]string{
		"BITBUCKET_BASE_URL": "https://admin:s3cret@bitbucket.example.com", "BITBUCKET_ACCESS_TOKEN": "t"}))
	if !strings.Contains(fmt.Sprint(diags), "holds credentials") || strings.Contains(fmt.Sprint(diags), "s3cret") {
		t.Errorf("diags = %v", diags)
	}
}

func TestResolveSettingsNoCredentials(t *testing.T) {
	_, diags := resolveSettings(nullSettings(), settingsEnv(nil))
	if !strings.Contains(fmt.Sprint(diags), "Missing Bitbucket credentials") {
		t.Errorf("diags = %v", diags)
	}
}

func TestResolveSettingsOauthOnDatacenter(t *testing.T) {
	c := settingsWith(map[string]attr.Value{"product": types.StringValue("datacenter"), "base_url": types.StringValue("https://bitbucket.example.com")})
	_, diags := resolveSettings(c, settingsEnv(map[string]string{"BITBUCKET_OAUTH_CLIENT_ID": "id", "BITBUCKET_OAUTH_CLIENT_SECRET": "s"}))
	if !strings.Contains(fmt.Sprint(diags), "Cloud only") {
		t.Errorf("diags = %v", diags)
	}
}

func TestResolveSettingsBadEnvironmentValuesNameTheVariable(t *testing.T) {
	_, diags := resolveSettings(nullSettings(), settingsEnv(map[string]string{
		"BITBUCKET_ACCESS_TOKEN": "t", "BITBUCKET_MAX_RETRIES": "many", "BITBUCKET_INSECURE_SKIP_VERIFY": "maybe",
		"BITBUCKET_BASE_URL": "ftp://x",
	}))
	for _, want := range []string{"BITBUCKET_MAX_RETRIES is \"many\"", "BITBUCKET_INSECURE_SKIP_VERIFY is \"maybe\"", "BITBUCKET_BASE_URL"} {
		if !strings.Contains(fmt.Sprint(diags), want) {
			t.Errorf("diags do not mention %q: %v", want, diags)
		}
	}
}

func TestResolveSettingsSecretsAreMasked(t *testing.T) {
	got := secretValues(bitbucket.Config{Token: "a", AccessToken: "b", OAuthClientSecret: "c", Username: "u"})
	if strings.Join(got, ",") != "a,b,c" {
		t.Errorf("secretValues = %v", got)
	}
}

// TestProviderSettingsTable: every setting of the table reaches the client's
// Config from its environment variable, and a configured value wins over the
// environment. A setting added to the table without a sample here, or whose
// apply stores nothing, fails.
func TestProviderSettingsTable(t *testing.T) {
	type sample struct {
		config              attr.Value // wins over env
		env                 string
		got                 func(resolvedSettings) string
		fromConfig, fromEnv string
	}
	str := types.StringValue
	samples := map[string]sample{
		"base_url": {str("https://a.example.com"), "https://b.example.com/ \n", func(s resolvedSettings) string { return s.cfg.BaseURL },
			"https://a.example.com", "https://b.example.com"},
		"product":             {str("cloud"), " cloud\n", func(s resolvedSettings) string { return string(s.cfg.Product) }, "cloud", "cloud"},
		"workspace":           {str("ONE"), "TWO\n", func(s resolvedSettings) string { return s.workspace }, "ONE", "TWO"},
		"username":            {str("alice"), " bob ", func(s resolvedSettings) string { return s.cfg.Username }, "alice", "bob"},
		"token":               {str("pw1"), " pw2 ", func(s resolvedSettings) string { return s.cfg.Token }, "pw1", " pw2 "},
		"access_token":        {str("t1"), " t2\n", func(s resolvedSettings) string { return s.cfg.AccessToken }, "t1", " t2\n"},
		"oauth_client_id":     {str("id1"), "id2 ", func(s resolvedSettings) string { return s.cfg.OAuthClientID }, "id1", "id2"},
		"oauth_client_secret": {str("s1"), " s2", func(s resolvedSettings) string { return s.cfg.OAuthClientSecret }, "s1", " s2"},
		"oauth_token_url": {str("https://a.example.com/t"), "https://b.example.com/t ", func(s resolvedSettings) string { return s.cfg.OAuthTokenURL },
			"https://a.example.com/t", "https://b.example.com/t"},
		"ca_cert_pem":          {str("PEM1"), "PEM2\n", func(s resolvedSettings) string { return s.cfg.CACertPEM }, "PEM1", "PEM2"},
		"insecure_skip_verify": {types.BoolValue(false), "true", func(s resolvedSettings) string { return fmt.Sprint(s.cfg.InsecureSkipVerify) }, "false", "true"},
		"request_timeout":      {str("1m"), "2m", func(s resolvedSettings) string { return s.cfg.RequestTimeout.String() }, "1m0s", "2m0s"},
		"max_retries":          {types.Int64Value(1), "3", func(s resolvedSettings) string { return fmt.Sprint(s.cfg.MaxRetries) }, "1", "3"},
	}
	null := nullSettings()
	for _, p := range providerSettings {
		t.Run(p.name, func(t *testing.T) {
			sm, ok := samples[p.name]
			if !ok {
				t.Fatalf("setting %s has no sample in this test", p.name)
			}
			env := map[string]string{p.envName(): sm.env}
			lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
			s, _ := resolveSettings(null, lookup)
			if got := sm.got(s); got != sm.fromEnv {
				t.Errorf("from %s = %q: got %q, want %q", p.envName(), sm.env, got, sm.fromEnv)
			}
			c := maps.Clone(null)
			c[p.name] = sm.config
			s, _ = resolveSettings(c, lookup)
			if got := sm.got(s); got != sm.fromConfig {
				t.Errorf("configured %v beside %s: got %q, want %q", sm.config, p.envName(), got, sm.fromConfig)
			}
		})
	}
	if len(samples) != len(providerSettings) {
		t.Errorf("%d samples for %d settings", len(samples), len(providerSettings))
	}
}

// TestResolveSettingsCredentialWithLineBreak: a credential keeps its exact
// bytes, but one with a line break (a file's last line, a CRLF .env file,
// a CI secret pasted with its newline) can only fail later, and as an
// access token it cannot even be sent ("invalid header field value",
// reported as an unreachable server): it is refused here, naming where it
// came from and never showing it.
func TestResolveSettingsCredentialWithLineBreak(t *testing.T) {
	cases := map[string]struct {
		config providerValues
		env    map[string]string
		want   string
	}{
		"access token from the environment": {nullSettings(), map[string]string{"BITBUCKET_ACCESS_TOKEN": "s3cr3t-value\n"}, "BITBUCKET_ACCESS_TOKEN"},
		"access token with a space":         {nullSettings(), map[string]string{"BITBUCKET_ACCESS_TOKEN": "s3cr3t-value "}, "BITBUCKET_ACCESS_TOKEN"},
		"token from a CRLF file":            {nullSettings(), map[string]string{"BITBUCKET_USERNAME": "admin", "BITBUCKET_TOKEN": "s3cr3t-value\r\n"}, "BITBUCKET_TOKEN"},
		"oauth secret":                      {nullSettings(), map[string]string{"BITBUCKET_OAUTH_CLIENT_ID": "id", "BITBUCKET_OAUTH_CLIENT_SECRET": "s3cr3t-value\n"}, "BITBUCKET_OAUTH_CLIENT_SECRET"},
		"configured access token":           {settingsWith(map[string]attr.Value{"access_token": types.StringValue("s3cr3t-value\n")}), nil, "access_token"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, diags := resolveSettings(tc.config, settingsEnv(tc.env))
			text := fmt.Sprint(diags)
			if !diags.HasError() || !strings.Contains(text, tc.want) || !strings.Contains(text, "line break or white space") {
				t.Errorf("want an error naming %s and the white space, got %v", tc.want, diags)
			}
			if strings.Contains(text, "s3cr3t") {
				t.Errorf("the error shows the credential: %v", diags)
			}
		})
	}
	// A password may hold spaces: only line breaks are refused in token.
	_, diags := resolveSettings(nullSettings(), settingsEnv(map[string]string{"BITBUCKET_USERNAME": "admin", "BITBUCKET_TOKEN": " pass word "}))
	if diags.HasError() {
		t.Errorf("a password with spaces: %v", diags)
	}
}
