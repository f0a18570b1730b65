package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// Route templates of the Data Center token API, as the emulator counts them.
const (
	projectTokensRoute    = "/rest/access-tokens/1.0/projects/{projectKey}"
	projectTokenRoute     = "/rest/access-tokens/1.0/projects/{projectKey}/{tokenId}"
	repositoryTokensRoute = "/rest/access-tokens/1.0/projects/{projectKey}/repos/{repositorySlug}"
	repositoryTokenRoute  = "/rest/access-tokens/1.0/projects/{projectKey}/repos/{repositorySlug}/{tokenId}"
)

// tokenResourceConfig is the emulator's provider block plus one token
// resource "test" of type with the given attribute lines.
func tokenResourceConfig(srv *emulator.Server, resourceType string, lines ...string) string {
	return providerConfig(srv) + fmt.Sprintf("\nresource %q \"test\" {\n  %s\n}\n", resourceType, strings.Join(lines, "\n  "))
}

// tokensNamed are the emulator's tokens with this name, or with the
// creation name the provider gives one until Bitbucket answers (name plus
// "-tf" and 8 hex digits, create_recovery.go): a token left under it is one
// of the provider's too.
func tokensNamed(srv *emulator.Server, name string) []emulator.AccessToken {
	var out []emulator.AccessToken
	for _, t := range srv.AccessTokens() {
		if t.Name == name || (len(t.Name) == len(name)+creationSuffixLen && strings.HasPrefix(t.Name, name+"-tf")) {
			out = append(out, t)
		}
	}
	return out
}

// tokensOfCreate are the tokens a create of name may have left: named name,
// or still under its creation name (creationName: name-tf<8 hex>).
func tokensOfCreate(srv *emulator.Server, name string) []emulator.AccessToken {
	creation := regexp.MustCompile("^" + regexp.QuoteMeta(name) + "-tf[0-9a-f]{8}$")
	var out []emulator.AccessToken
	for _, t := range srv.AccessTokens() {
		if t.Name == name || creation.MatchString(t.Name) {
			out = append(out, t)
		}
	}
	return out
}

// onlyTokenNamed is the one emulator token with this name; the test fails
// unless there is exactly one.
func onlyTokenNamed(t *testing.T, srv *emulator.Server, name string) emulator.AccessToken {
	t.Helper()
	tokens := tokensNamed(srv, name)
	if len(tokens) != 1 {
		t.Fatalf("emulator holds %d tokens named %q, want exactly 1: %+v", len(tokens), name, tokens)
	}
	return tokens[0]
}

// stateMatchesToken checks that the resource's id and value in state are
// the emulator's token of that name.
func stateMatchesToken(t *testing.T, srv *emulator.Server, resourceName, tokenName string) tfresource.TestCheckFunc {
	return func(s *terraform.State) error {
		token := onlyTokenNamed(t, srv, tokenName)
		attrs := s.RootModule().Resources[resourceName].Primary.Attributes
		if attrs["id"] != token.ID {
			return fmt.Errorf("state id %q, emulator token %q", attrs["id"], token.ID)
		}
		if attrs["token"] == "" || attrs["token"] != token.Token {
			return fmt.Errorf("state token value does not match the emulator's token %s", token.ID)
		}
		return nil
	}
}

// onlySeededTokensLeft is a CheckDestroy: only the seeded admin token remains.
func onlySeededTokensLeft(srv *emulator.Server) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, tok := range srv.AccessTokens() {
			if tok.Token != emulator.DCAdminToken {
				return fmt.Errorf("token %s (%q) left after destroy", tok.ID, tok.Name)
			}
		}
		return nil
	}
}

func planAction(name string, action plancheck.ResourceActionType) tfresource.ConfigPlanChecks {
	return tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, action)}}
}

func TestAccAccessTokenInvalidPermissionPerLevel(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	cases := map[string]struct {
		config string
		want   *regexp.Regexp
	}{
		"project token": {
			tokenResourceConfig(srv, "bitbucket_project_access_token", `workspace = "PRJ"`, `name = "x"`, `permissions = ["REPO_READ", "ADMIN"]`),
			errorText(`Invalid access token permission`, `"ADMIN" is not a valid permission for a project access token. Valid values: PROJECT_READ, PROJECT_WRITE, PROJECT_ADMIN, REPO_READ, REPO_WRITE, REPO_ADMIN.`),
		},
		"repository token": {
			tokenResourceConfig(srv, "bitbucket_repository_access_token", `workspace = "PRJ"`, `repository = "api-service"`, `name = "x"`, `permissions = ["PROJECT_READ", "REPO_READ"]`),
			errorText(`"PROJECT_READ" is not a valid permission for a repository access token. Valid values: REPO_READ, REPO_WRITE, REPO_ADMIN.`),
		},
		"user token": {
			tokenResourceConfig(srv, "bitbucket_user_access_token", `name = "x"`, `permissions = ["REPO_READ", "repo_write"]`),
			errorText(`"repo_write" is not a valid permission for a user (personal) access token. Valid values: PROJECT_READ,`),
		},
		"ephemeral repository token": {
			providerConfig(srv) + `
ephemeral "bitbucket_access_token" "test" {
  workspace   = "PRJ"
  repository  = "api-service"
  permissions = ["PROJECT_ADMIN"]
}
`,
			errorText(`"PROJECT_ADMIN" is not a valid permission for a repository access token. Valid values: REPO_READ, REPO_WRITE, REPO_ADMIN.`),
		},
		"rotation longer than expiry": {
			tokenResourceConfig(srv, "bitbucket_project_access_token", `workspace = "PRJ"`, `name = "x"`, `permissions = ["REPO_READ"]`,
				`expiry_days = 7`, `rotate_before_days = 7`),
			errorText(`rotate_before_days (7) must be smaller than expiry_days (7)`),
		},
		"rotation without expiry": {
			tokenResourceConfig(srv, "bitbucket_project_access_token", `workspace = "PRJ"`, `name = "x"`, `permissions = ["REPO_READ"]`, `rotate_before_days = 7`),
			errorText(`Attribute "expiry_days" must be specified when "rotate_before_days" is specified`),
		},
	}
	for label, tc := range cases {
		t.Run(strings.ReplaceAll(label, " ", "_"), func(t *testing.T) {
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				Steps:                    []tfresource.TestStep{{Config: tc.config, PlanOnly: true, ExpectError: tc.want}},
			})
		})
	}
	t.Cleanup(func() {
		if n := srv.RequestCount("PUT", projectTokensRoute) + srv.RequestCount("PUT", repositoryTokensRoute); n != 0 {
			t.Errorf("invalid configurations sent %d token creates", n)
		}
	})
}

// TestAccAccessTokenCloud: every token resource and the ephemeral token fail
// at plan time on Cloud with the guidance, sending no token request.
func TestAccAccessTokenCloud(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	configs := map[string]string{
		"project":    tokenResourceConfig(srv, "bitbucket_project_access_token", `workspace = "acme"`, `name = "x"`, `permissions = ["REPO_READ"]`),
		"repository": tokenResourceConfig(srv, "bitbucket_repository_access_token", `workspace = "acme"`, `repository = "api-service"`, `name = "x"`, `permissions = ["REPO_READ"]`),
		"user":       tokenResourceConfig(srv, "bitbucket_user_access_token", `name = "x"`, `permissions = ["REPO_READ"]`),
		"ephemeral": providerConfig(srv) + `
ephemeral "bitbucket_access_token" "test" {
  workspace   = "acme"
  permissions = ["REPO_READ"]
}
`,
	}
	want := errorText("Access tokens cannot be created on Bitbucket Cloud",
		"Bitbucket Cloud has no API for access tokens: they are created, listed and revoked in the Bitbucket web UI only (workspace, project or repository settings > Access tokens).",
		"Create the token there and pass it in", "bitbucket_connection's token_wo")
	for label, config := range configs {
		t.Run(label, func(t *testing.T) {
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				Steps:                    []tfresource.TestStep{{Config: config, PlanOnly: true, ExpectError: want}},
			})
		})
	}
	t.Cleanup(func() {
		for _, r := range srv.Requests() {
			if strings.Contains(r.Path, "token") && !strings.Contains(r.Path, "oauth") {
				t.Errorf("a token request reached Bitbucket Cloud: %s %s", r.Method, r.Path)
			}
		}
	})
}

// TestAccessTokenCloudPlanIsOneDiagnostic calls ModifyPlan directly with a
// Cloud client: exactly one error, and no request at all.
func TestAccessTokenCloudPlanIsOneDiagnostic(t *testing.T) {
	ctx := context.Background()
	srv := startEmulator(t, emulator.Cloud)
	client, err := bitbucket.New(ctx, bitbucket.Config{
		BaseURL: srv.BaseURL(), Product: bitbucket.ProductCloud, Username: emulator.CloudOwnerEmail, Token: emulator.CloudOwnerAPIToken,
		RequestTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []bitbucket.TokenLevel{bitbucket.TokenLevelProject, bitbucket.TokenLevelRepository, bitbucket.TokenLevelUser} {
		t.Run(string(level), func(t *testing.T) {
			r := &accessTokenResource{level: level, data: &providerData{client: client, defaultWorkspace: "acme"}}
			plan := plannedToken(ctx, t, r)
			before := len(srv.Requests())
			resp := &resource.ModifyPlanResponse{Plan: plan}
			r.ModifyPlan(ctx, resource.ModifyPlanRequest{Plan: plan, Config: tfsdk.Config(plan), State: tfsdk.State{Schema: plan.Schema, Raw: tftypes.NewValue(plan.Raw.Type(), nil)}}, resp)
			if n := resp.Diagnostics.ErrorsCount(); n != 1 || len(resp.Diagnostics) != 1 {
				t.Fatalf("diagnostics = %v, want exactly one error", resp.Diagnostics)
			}
			if got := resp.Diagnostics[0].Summary(); got != cloudTokensSummary {
				t.Errorf("summary = %q", got)
			}
			if after := len(srv.Requests()); after != before {
				t.Errorf("ModifyPlan sent %d requests to Cloud", after-before)
			}
		})
	}
}

// plannedToken is a plan of a new token of r's level with name and
// permissions set and everything else null.
func plannedToken(ctx context.Context, t *testing.T, r *accessTokenResource) tfsdk.Plan {
	t.Helper()
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	typ, ok := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("schema type is not an object")
	}
	values := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		values[name] = tftypes.NewValue(at, nil)
	}
	values["name"] = tftypes.NewValue(tftypes.String, "x")
	values["permissions"] = tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, []tftypes.Value{tftypes.NewValue(tftypes.String, "REPO_READ")})
	return tfsdk.Plan{Schema: sr.Schema, Raw: tftypes.NewValue(typ, values)}
}

// TestAccAccessTokenTokenAuthentication: a provider authenticated with a
// token (Bearer, or Basic with a token as the password) cannot create
// tokens; the diagnostic says to use username + password.
func TestAccAccessTokenTokenAuthentication(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	auth := map[string]string{
		"bearer":           fmt.Sprintf("access_token = %q", emulator.DCAdminToken),
		"basic_with_token": fmt.Sprintf("username = %q\n  token = %q", emulator.DCAdminUser, emulator.DCAdminToken),
	}
	resources := map[string]string{
		"project": `resource "bitbucket_project_access_token" "test" {
  workspace   = "PRJ"
  name        = "needs-password"
  permissions = ["REPO_READ"]
}`,
		"user": `resource "bitbucket_user_access_token" "test" {
  name        = "needs-password"
  permissions = ["REPO_READ"]
}`,
	}
	// Basic with a token is refused by the server at apply; Bearer is
	// known at plan time and refused then.
	wants := map[string]*regexp.Regexp{
		"basic_with_token": errorText("Access tokens can only be created with a password",
			"Access tokens cannot be used to create access tokens",
			"Configure the provider that manages tokens with username + token, where token is the user's password"),
		"bearer": errorText("Access tokens can only be created with a password", "signs in with access_token",
			"Configure the provider that manages tokens with username + token, where token is the user's password"),
	}
	for authLabel, authLines := range auth {
		want := wants[authLabel]
		for resLabel, res := range resources {
			t.Run(authLabel+"_"+resLabel, func(t *testing.T) {
				tfresource.ParallelTest(t, tfresource.TestCase{
					ProtoV6ProviderFactories: testProviderFactories(),
					Steps: []tfresource.TestStep{{
						Config: providerBlock(srv.BaseURL(), authLines) + res, ExpectError: want,
					}},
				})
			})
		}
	}
	t.Cleanup(func() {
		if n := len(tokensNamed(srv, "needs-password")); n != 0 {
			t.Errorf("%d tokens were created with token authentication", n)
		}
	})
}

// TestAccAccessTokenLostCreateResponse: the emulator creates the token and
// drops the answer. The provider revokes that token (its value was only in
// the lost answer, so nobody could use it) and creates another: one token,
// tracked, with its value in state.
func TestAccAccessTokenLostCreateResponse(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_project_access_token.test"
	config := tokenResourceConfig(srv, "bitbucket_project_access_token", `workspace = "PRJ"`, `name = "lost-answer"`, `permissions = ["REPO_READ"]`)
	var lostID string
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				PreConfig: func() {
					srv.InjectFault(emulator.Fault{Method: "PUT", Route: projectTokensRoute, Kind: emulator.FaultDropResponse, Times: 1})
				},
				Config: config,
				Check: tfresource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "lost-answer"),
					func(s *terraform.State) error {
						if n := srv.RequestCount("PUT", projectTokensRoute); n != 2 {
							return fmt.Errorf("creates sent = %d, want 2 (the lost one, then a new one)", n)
						}
						if n := srv.RequestCount("DELETE", projectTokenRoute); n != 1 {
							return fmt.Errorf("revokes sent = %d, want 1 (the token whose answer was lost)", n)
						}
						for _, r := range srv.Requests() {
							if r.Method == "DELETE" {
								lostID = r.Path[strings.LastIndex(r.Path, "/")+1:]
							}
						}
						if lostID == "" || lostID == s.RootModule().Resources[name].Primary.ID {
							return fmt.Errorf("revoked token %q, tracked token %q", lostID, s.RootModule().Resources[name].Primary.ID)
						}
						return nil
					},
				),
			},
			{Config: config, ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: func(*terraform.State) error { onlyTokenNamed(t, srv, "lost-answer"); return nil }},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

// TestAccAccessTokenRotation: only the emulator's clock moves (the provider
// reads the server's time from its answers' Date header). Outside the
// rotate_before_days window the plan is empty; inside it the plan replaces
// the token, creating the new one before revoking the old.
func TestAccAccessTokenRotation(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	start := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	srv.SetNow(start)
	advance := func(d time.Duration) func() {
		return func() { srv.Advance(d) }
	}
	const name = "bitbucket_repository_access_token.test"
	config := tokenResourceConfig(srv, "bitbucket_repository_access_token", `workspace = "PRJ"`, `repository = "api-service"`,
		`name = "rotating"`, `permissions = ["REPO_READ"]`, `expiry_days = 30`, `rotate_before_days = 7`,
		"lifecycle {\n    create_before_destroy = true\n  }")
	day := 24 * time.Hour
	var firstID string
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config: config,
				Check: tfresource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "rotating"),
					tfresource.TestCheckResourceAttr(name, "expires_at", start.Add(30*day).Format(time.RFC3339)),
					tfresource.TestCheckResourceAttr(name, "created_at", start.Format(time.RFC3339)),
					func(s *terraform.State) error { firstID = s.RootModule().Resources[name].Primary.ID; return nil },
				),
			},
			{
				// 8 days left: outside the 7-day window.
				PreConfig: advance(22 * day), Config: config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// 6 days left: inside the window.
				PreConfig: advance(2 * day), Config: config,
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionCreateBeforeDestroy),
				Check: tfresource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "rotating"), // the old one is revoked
					tfresource.TestCheckResourceAttr(name, "expires_at", start.Add(54*day).Format(time.RFC3339)),
					func(s *terraform.State) error {
						if id := s.RootModule().Resources[name].Primary.ID; id == firstID {
							return fmt.Errorf("token %s was not replaced", id)
						}
						return nil
					},
				),
			},
			{Config: config, ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

// TestAccAccessTokenExpiredIsReplaced: without rotate_before_days, a token
// that has expired on the server's clock is replaced (it no longer
// authenticates), though the machine running Terraform is days behind.
func TestAccAccessTokenExpiredIsReplaced(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_project_access_token.test"
	config := tokenResourceConfig(srv, "bitbucket_project_access_token", `workspace = "PRJ"`, `name = "expiring"`,
		`permissions = ["REPO_READ"]`, `expiry_days = 3`)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{Config: config},
			{
				// Three days pass on the server.
				PreConfig:        func() { srv.Advance(3 * 24 * time.Hour) },
				Config:           config,
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionDestroyBeforeCreate),
				Check:            stateMatchesToken(t, srv, name, "expiring"),
			},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

// TestAccAccessTokenNotInTraceLog: with TF_LOG=trace, neither a token
// resource's value nor an ephemeral token's value appears in the log of
// Terraform and the provider. Not parallel: it sets environment variables.
func TestAccAccessTokenNotInTraceLog(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "terraform.log")
	t.Setenv("TF_LOG", "trace")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	srv := startEmulator(t, emulator.DataCenter)
	config := providerConfig(srv) + `
resource "bitbucket_project_access_token" "test" {
  workspace   = "PRJ"
  name        = "logged"
  permissions = ["REPO_READ"]
}

ephemeral "bitbucket_access_token" "test" {
  workspace   = "PRJ"
  repository  = "api-service"
  name        = "logged-ephemeral"
  permissions = ["REPO_READ"]
}

resource "bitbucket_repository_webhook" "test" {
  workspace         = "PRJ"
  repository        = "api-service"
  name              = "uses-ephemeral-token"
  url               = "https://ci.example.com/hook"
  events            = ["repo:refs_changed"]
  secret_wo         = ephemeral.bitbucket_access_token.test.token
  secret_wo_version = 1
}
`
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{{
			Config: config,
			Check: func(*terraform.State) error {
				secrets := map[string]string{"resource token": onlyTokenNamed(t, srv, "logged").Token, "ephemeral token": onlyHook(t, srv).Secret}
				raw, err := os.ReadFile(logFile)
				if err != nil {
					return err
				}
				text := string(raw)
				if !strings.Contains(text, "Sending Bitbucket API request") || !strings.Contains(text, "access-tokens") {
					return fmt.Errorf("the trace log (%d bytes) has no provider API lines: the test proves nothing", len(raw))
				}
				for label, secret := range secrets {
					if secret == "" {
						return fmt.Errorf("no %s to look for", label)
					}
					if strings.Contains(text, secret) {
						return fmt.Errorf("the %s value appears in the TF_LOG=trace output", label)
					}
				}
				return nil
			},
		}},
	})
}

// TestAccProjectAccessTokenLifecycle: create, rename and change permissions
// in place (same id, same value), import, change the expiry (replace).
func TestAccProjectAccessTokenLifecycle(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_project_access_token.test"
	config := func(tokenName, perms string, expiry int) string {
		return tokenResourceConfig(srv, "bitbucket_project_access_token", `workspace = "PRJ"`,
			fmt.Sprintf("name = %q", tokenName), "permissions = "+perms, fmt.Sprintf("expiry_days = %d", expiry))
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	sameValue := statecheck.CompareValue(compare.ValuesSame())
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config: config("ci", `["PROJECT_READ", "REPO_WRITE"]`, 30),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(name, tfjsonpath.New("id")),
					sameValue.AddStateValue(name, tfjsonpath.New("token")),
					statecheck.ExpectKnownValue(name, tfjsonpath.New("workspace"), knownvalue.StringExact("PRJ")),
					statecheck.ExpectKnownValue(name, tfjsonpath.New("permissions"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("PROJECT_READ"), knownvalue.StringExact("REPO_WRITE")})),
					statecheck.ExpectSensitiveValue(name, tfjsonpath.New("token")),
				},
				Check: tfresource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "ci"),
					func(s *terraform.State) error {
						tok := onlyTokenNamed(t, srv, "ci")
						attrs := s.RootModule().Resources[name].Primary.Attributes
						if tok.Level != "project" || tok.Workspace != "PRJ" || tok.ExpiryDays != 30 {
							return fmt.Errorf("emulator token = %+v", tok)
						}
						if want := tok.CreatedAt.UTC().Format(time.RFC3339); attrs["created_at"] != want {
							return fmt.Errorf("created_at = %q, want %q", attrs["created_at"], want)
						}
						if want := tok.CreatedAt.Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339); attrs["expires_at"] != want {
							return fmt.Errorf("expires_at = %q, want %q", attrs["expires_at"], want)
						}
						return nil
					},
				),
			},
			{
				Config:           config("ci-renamed", `["PROJECT_READ", "REPO_WRITE"]`, 30),
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(name, tfjsonpath.New("id")),
					sameValue.AddStateValue(name, tfjsonpath.New("token")),
				},
				Check: stateMatchesToken(t, srv, name, "ci-renamed"),
			},
			{
				Config:           config("ci-renamed", `["PROJECT_WRITE", "REPO_ADMIN"]`, 30),
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(name, tfjsonpath.New("id")),
					sameValue.AddStateValue(name, tfjsonpath.New("token")),
				},
				Check: func(*terraform.State) error {
					if got := onlyTokenNamed(t, srv, "ci-renamed").Permissions; fmt.Sprint(got) != "[PROJECT_WRITE REPO_ADMIN]" {
						return fmt.Errorf("emulator permissions = %v", got)
					}
					return nil
				},
			},
			{
				ResourceName: name, ImportState: true, ImportStateVerify: true,
				// Bitbucket shows the value only at creation.
				ImportStateVerifyIgnore: []string{"token"},
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					return "PRJ/" + s.RootModule().Resources[name].Primary.ID, nil
				},
			},
			{
				Config:           config("ci-renamed", `["PROJECT_WRITE", "REPO_ADMIN"]`, 60),
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionDestroyBeforeCreate),
				Check: tfresource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "ci-renamed"),
					func(*terraform.State) error {
						if d := onlyTokenNamed(t, srv, "ci-renamed").ExpiryDays; d != 60 {
							return fmt.Errorf("emulator expiry = %d", d)
						}
						return nil
					},
				),
			},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

// TestAccProjectAccessTokenRevokedOutOfBand: a token revoked in Bitbucket
// leaves state and is planned for creation.
func TestAccProjectAccessTokenRevokedOutOfBand(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_project_access_token.test"
	config := providerConfig(srv, `workspace = "PRJ"`) + `
resource "bitbucket_project_access_token" "test" {
  name        = "revoked"
  permissions = ["REPO_READ"]
}
`
	var revokedID string
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{Config: config, Check: stateMatchesToken(t, srv, name, "revoked")},
			{
				PreConfig: func() {
					revokedID = onlyTokenNamed(t, srv, "revoked").ID
					if err := srv.RevokeAccessToken(revokedID); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config,
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionCreate),
				Check: tfresource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "revoked"),
					func(s *terraform.State) error {
						if s.RootModule().Resources[name].Primary.ID == revokedID {
							return fmt.Errorf("state still tracks the revoked token")
						}
						return nil
					},
				),
			},
			{Config: config, ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

// TestAccProjectAccessTokenDrift: a name or permission changed in Bitbucket
// is a diff repaired in place.
func TestAccProjectAccessTokenDrift(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_project_access_token.test"
	config := tokenResourceConfig(srv, "bitbucket_project_access_token", `workspace = "PRJ"`, `name = "drift"`, `permissions = ["REPO_READ"]`)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					tok := onlyTokenNamed(t, srv, "drift")
					if err := srv.UpdateAccessToken(tok.ID, func(a *emulator.AccessToken) {
						a.Name, a.Permissions = "someone-else", []string{"REPO_ADMIN"}
					}); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config,
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionUpdate),
				Check:            stateMatchesToken(t, srv, name, "drift"),
			},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

func TestAccRepositoryAccessTokenLifecycle(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_repository_access_token.test"
	config := func(repository, tokenName, perms string) string {
		return tokenResourceConfig(srv, "bitbucket_repository_access_token", `workspace = "PRJ"`,
			fmt.Sprintf("repository = %q", repository), fmt.Sprintf("name = %q", tokenName), "permissions = "+perms)
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config: config("api-service", "appcircle", `["REPO_READ"]`),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(name, tfjsonpath.New("id")),
					// No expiry asked for: none reported.
					statecheck.ExpectKnownValue(name, tfjsonpath.New("expires_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(name, tfjsonpath.New("expiry_days"), knownvalue.Null()),
				},
				Check: tfresource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "appcircle"),
					func(*terraform.State) error {
						if tok := onlyTokenNamed(t, srv, "appcircle"); tok.Level != "repository" || tok.Repository != "api-service" {
							return fmt.Errorf("emulator token = %+v", tok)
						}
						return nil
					},
				),
			},
			{
				Config:            config("api-service", "appcircle-ci", `["REPO_READ", "REPO_WRITE"]`),
				ConfigPlanChecks:  planAction(name, plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(name, tfjsonpath.New("id"))},
				Check:             stateMatchesToken(t, srv, name, "appcircle-ci"),
			},
			{
				ResourceName: name, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"token"},
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					return "PRJ/api-service/" + s.RootModule().Resources[name].Primary.ID, nil
				},
			},
			{
				// Another repository is another token.
				Config:           config("web-app", "appcircle-ci", `["REPO_READ", "REPO_WRITE"]`),
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionDestroyBeforeCreate),
				Check: func(*terraform.State) error {
					if tok := onlyTokenNamed(t, srv, "appcircle-ci"); tok.Repository != "web-app" {
						return fmt.Errorf("emulator token = %+v", tok)
					}
					return nil
				},
			},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

func TestAccRepositoryAccessTokenInvalidImportID(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{{
			Config: providerConfig(srv) + `
import {
  to = bitbucket_repository_access_token.test
  id = "PRJ/42"
}
resource "bitbucket_repository_access_token" "test" {
  workspace   = "PRJ"
  repository  = "api-service"
  name        = "x"
  permissions = ["REPO_READ"]
}
`,
			PlanOnly:    true,
			ExpectError: errorText(`Expected <workspace>/<repository>/<id>`, `got "PRJ/42"`),
		}},
	})
}

// TestAccUserAccessTokenLifecycle: a personal token of the authenticated
// user (user defaults to it), updated in place, imported as user/id; naming
// the same user explicitly changes nothing.
func TestAccUserAccessTokenLifecycle(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	const name = "bitbucket_user_access_token.test"
	config := func(lines ...string) string {
		return tokenResourceConfig(srv, "bitbucket_user_access_token", lines...)
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{
				Config: config(`name = "xcode-cloud"`, `permissions = ["PROJECT_READ", "REPO_READ"]`, `expiry_days = 90`),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(name, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(name, tfjsonpath.New("user"), knownvalue.StringExact(emulator.DCAdminUser)),
				},
				Check: tfresource.ComposeTestCheckFunc(
					stateMatchesToken(t, srv, name, "xcode-cloud"),
					func(*terraform.State) error {
						if tok := onlyTokenNamed(t, srv, "xcode-cloud"); tok.Level != "user" || tok.User != emulator.DCAdminUser {
							return fmt.Errorf("emulator token = %+v", tok)
						}
						return nil
					},
				),
			},
			{
				Config:            config(`name = "nx-cloud"`, `permissions = ["REPO_WRITE"]`, `expiry_days = 90`),
				ConfigPlanChecks:  planAction(name, plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(name, tfjsonpath.New("id"))},
				Check:             stateMatchesToken(t, srv, name, "nx-cloud"),
			},
			{
				Config:           config(`user = "admin"`, `name = "nx-cloud"`, `permissions = ["REPO_WRITE"]`, `expiry_days = 90`),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				ResourceName: name, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"token"},
				ImportStateIdFunc: func(s *terraform.State) (string, error) {
					return emulator.DCAdminUser + "/" + s.RootModule().Resources[name].Primary.ID, nil
				},
			},
			{
				Config:           config(`user = "admin"`, `name = "nx-cloud"`, `permissions = ["REPO_WRITE"]`, `expiry_days = 30`),
				ConfigPlanChecks: planAction(name, plancheck.ResourceActionDestroyBeforeCreate),
				Check:            stateMatchesToken(t, srv, name, "nx-cloud"),
			},
		},
		CheckDestroy: onlySeededTokensLeft(srv),
	})
}

// TestAccUserAccessTokenOtherUser: a user cannot create another user's
// tokens; the plan says so and nothing is created.
func TestAccUserAccessTokenOtherUser(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{{
			Config:      tokenResourceConfig(srv, "bitbucket_user_access_token", `user = "dev"`, `name = "not-mine"`, `permissions = ["REPO_READ"]`),
			ExpectError: errorText("Personal tokens are created by their owner", `user is "dev"`),
		}},
	})
	if n := len(tokensNamed(srv, "not-mine")); n != 0 {
		t.Errorf("%d tokens created for another user", n)
	}
}
