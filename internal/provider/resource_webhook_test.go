package provider

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// pushEvents and prEvents are valid event sets per product.
func pushEvents(product emulator.Product) string {
	if product == emulator.Cloud {
		return `["repo:push"]`
	}
	return `["repo:refs_changed"]`
}

func pushAndPREvents(product emulator.Product) string {
	if product == emulator.Cloud {
		return `["repo:push", "pullrequest:created"]`
	}
	return `["repo:refs_changed", "pr:opened"]`
}

// repositoryWebhookConfig is a repository webhook on the seeded repository
// with the given attribute lines.
func repositoryWebhookConfig(srv *emulator.Server, lines ...string) string {
	return providerConfig(srv) + fmt.Sprintf(`
resource "bitbucket_repository_webhook" "test" {
  workspace  = %q
  repository = "api-service"
  %s
}
`, seededWorkspace(srv.Product()), strings.Join(lines, "\n  "))
}

// onlyHook is the emulator's one webhook; the test fails unless there is
// exactly one.
func onlyHook(t *testing.T, srv *emulator.Server) emulator.Webhook {
	t.Helper()
	hooks := srv.Webhooks()
	if len(hooks) != 1 {
		t.Fatalf("emulator holds %d webhooks, want exactly 1: %+v", len(hooks), hooks)
	}
	return hooks[0]
}

func TestAccRepositoryWebhookLifecycle(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		const name = "bitbucket_repository_webhook.test"
		sameID := statecheck.CompareValue(compare.ValuesSame())
		update := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionUpdate)}}
		base := []string{`name = "ci"`, `url = "https://ci.example.com/hook"`, `events = ` + pushEvents(product)}

		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				{
					Config: repositoryWebhookConfig(srv, base...),
					ConfigStateChecks: []statecheck.StateCheck{
						sameID.AddStateValue(name, tfjsonpath.New("id")),
						statecheck.ExpectKnownValue(name, tfjsonpath.New("active"), knownvalue.Bool(true)),
						statecheck.ExpectKnownValue(name, tfjsonpath.New("skip_cert_verification"), knownvalue.Bool(false)),
						statecheck.ExpectKnownValue(name, tfjsonpath.New("secret_set"), knownvalue.Bool(false)),
						statecheck.ExpectKnownValue(name, tfjsonpath.New("events"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(strings.Trim(pushEvents(product), `["]`))})),
					},
					Check: func(*terraform.State) error {
						hook := onlyHook(t, srv)
						if hook.Name != "ci" || hook.URL != "https://ci.example.com/hook" || !hook.Active || hook.Secret != "" {
							return fmt.Errorf("emulator hook = %+v", hook)
						}
						return nil
					},
				},
				{Config: repositoryWebhookConfig(srv, `name = "ci-renamed"`, base[1], base[2]), ConfigPlanChecks: update,
					ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(name, tfjsonpath.New("id"))}},
				{Config: repositoryWebhookConfig(srv, base[0], `url = "https://ci.example.com/other"`, base[2]), ConfigPlanChecks: update},
				{Config: repositoryWebhookConfig(srv, base[0], base[1], `events = `+pushAndPREvents(product)), ConfigPlanChecks: update},
				{Config: repositoryWebhookConfig(srv, append(base, `active = false`)...), ConfigPlanChecks: update,
					Check: func(*terraform.State) error {
						if onlyHook(t, srv).Active {
							return fmt.Errorf("hook still active")
						}
						return nil
					}},
				{Config: repositoryWebhookConfig(srv, append(base, `skip_cert_verification = true`)...), ConfigPlanChecks: update,
					Check: func(*terraform.State) error {
						if !onlyHook(t, srv).SkipCertVerification {
							return fmt.Errorf("skip_cert_verification not sent")
						}
						return nil
					}},
				{Config: repositoryWebhookConfig(srv, append(base, `secret = "s3cret-one"`)...), ConfigPlanChecks: update,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(name, tfjsonpath.New("secret_set"), knownvalue.Bool(true)),
						sameID.AddStateValue(name, tfjsonpath.New("id")),
					},
					Check: func(*terraform.State) error {
						if got := onlyHook(t, srv).Secret; got != "s3cret-one" {
							return fmt.Errorf("emulator secret = %q", got)
						}
						return nil
					}},
				{Config: repositoryWebhookConfig(srv, append(base, `secret = "s3cret-two"`)...), ConfigPlanChecks: update},
				{
					// Removing the secret from the configuration removes it from Bitbucket.
					Config: repositoryWebhookConfig(srv, base...), ConfigPlanChecks: update,
					ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(name, tfjsonpath.New("secret_set"), knownvalue.Bool(false))},
					Check: func(*terraform.State) error {
						if got := onlyHook(t, srv).Secret; got != "" {
							return fmt.Errorf("emulator secret = %q after removal", got)
						}
						return nil
					},
				},
				{
					ResourceName:      name,
					ImportState:       true,
					ImportStateVerify: true,
					ImportStateIdFunc: func(s *terraform.State) (string, error) {
						rs := s.RootModule().Resources[name]
						return seededWorkspace(product) + "/api-service/" + rs.Primary.ID, nil
					},
				},
				{
					// Moving the hook to another repository replaces it.
					Config: strings.Replace(repositoryWebhookConfig(srv, base...), `"api-service"`, `"web-app"`, 1),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(name, plancheck.ResourceActionDestroyBeforeCreate)}},
				},
			},
			CheckDestroy: func(*terraform.State) error {
				if n := len(srv.Webhooks()); n != 0 {
					return fmt.Errorf("%d webhooks left after destroy", n)
				}
				return nil
			},
		})
	})
}

func TestAccRepositoryWebhookImportWithSecret(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		const name = "bitbucket_repository_webhook.test"
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				{Config: repositoryWebhookConfig(srv, `name = "ci"`, `url = "https://ci.example.com/hook"`, `events = `+pushEvents(product), `secret = "imported"`)},
				{
					ResourceName: name, ImportState: true, ImportStateVerify: true,
					// The secret is not importable: Cloud never returns it.
					ImportStateVerifyIgnore: []string{"secret"},
					ImportStateIdFunc: func(s *terraform.State) (string, error) {
						// Cloud ids are accepted without braces too.
						id := strings.Trim(s.RootModule().Resources[name].Primary.ID, "{}")
						return seededWorkspace(product) + "/api-service/" + id, nil
					},
				},
			},
		})
	})
}

func TestAccRepositoryWebhookDrift(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		const name = "bitbucket_repository_webhook.test"
		config := repositoryWebhookConfig(srv, `name = "ci"`, `url = "https://ci.example.com/hook"`,
			`events = `+pushAndPREvents(product), `secret = "drift-secret"`)
		outOfBand := func(mutate func(*emulator.Webhook)) func() {
			return func() {
				if err := srv.UpdateWebhook(onlyHook(t, srv).ID, mutate); err != nil {
					t.Fatal(err)
				}
			}
		}
		updatePlanned := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionUpdate)}}
		steps := []resource.TestStep{
			{Config: config},
			{PreConfig: outOfBand(func(h *emulator.Webhook) { h.URL = "https://evil.example.com/" }), Config: config, ConfigPlanChecks: updatePlanned},
			{PreConfig: outOfBand(func(h *emulator.Webhook) { h.Events = h.Events[:1] }), Config: config, ConfigPlanChecks: updatePlanned},
			{PreConfig: outOfBand(func(h *emulator.Webhook) { h.Active = false }), Config: config, ConfigPlanChecks: updatePlanned},
			{PreConfig: outOfBand(func(h *emulator.Webhook) { h.SkipCertVerification = true }), Config: config, ConfigPlanChecks: updatePlanned,
				Check: func(*terraform.State) error {
					if onlyHook(t, srv).SkipCertVerification {
						return errors.New("skip_cert_verification still on after the repair")
					}
					return nil
				}},
			{PreConfig: outOfBand(func(h *emulator.Webhook) { h.Secret = "" }), Config: config, ConfigPlanChecks: updatePlanned,
				Check: func(*terraform.State) error {
					if got := onlyHook(t, srv).Secret; got != "drift-secret" {
						return fmt.Errorf("secret after repair = %q", got)
					}
					return nil
				}},
		}
		if product == emulator.DataCenter {
			// Data Center returns the secret, so a changed one is a diff too.
			steps = append(steps, resource.TestStep{
				PreConfig: outOfBand(func(h *emulator.Webhook) { h.Secret = "changed-by-someone" }), Config: config, ConfigPlanChecks: updatePlanned,
			})
		}
		steps = append(steps,
			resource.TestStep{
				PreConfig: func() {
					if err := srv.DeleteWebhook(onlyHook(t, srv).ID); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionCreate)}},
				Check: func(*terraform.State) error {
					onlyHook(t, srv)
					return nil
				},
			},
			resource.TestStep{Config: config, ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}},
		)
		resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories(), Steps: steps})
	})
}

func TestAccRepositoryWebhookWriteOnlySecret(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		const name = "bitbucket_repository_webhook.test"
		const secretOne, secretTwo = "write-only-one-9f3a", "write-only-two-77c1"
		config := func(secret string, version int) string {
			return repositoryWebhookConfig(srv, `name = "ci"`, `url = "https://ci.example.com/hook"`, `events = `+pushEvents(product),
				fmt.Sprintf("secret_wo = %q", secret), fmt.Sprintf("secret_wo_version = %d", version))
		}
		noSecretInState := func(secret string) func(*terraform.State) error {
			return func(s *terraform.State) error {
				for _, res := range s.RootModule().Resources {
					for k, v := range res.Primary.Attributes {
						if strings.Contains(v, secret) {
							return fmt.Errorf("state attribute %s holds the write-only secret", k)
						}
					}
				}
				return nil
			}
		}
		emulatorSecret := func(want string) func(*terraform.State) error {
			return func(*terraform.State) error {
				if got := onlyHook(t, srv).Secret; got != want {
					return fmt.Errorf("emulator secret = %q, want %q", got, want)
				}
				return nil
			}
		}
		steps := []resource.TestStep{
			{
				Config: config(secretOne, 1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(name, tfjsonpath.New("secret_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(name, tfjsonpath.New("secret"), knownvalue.Null()),
					statecheck.ExpectKnownValue(name, tfjsonpath.New("secret_set"), knownvalue.Bool(true)),
				},
				Check: resource.ComposeTestCheckFunc(noSecretInState(secretOne), emulatorSecret(secretOne)),
			},
			{
				// A new value with the same version is not sent: Terraform keeps no copy to compare.
				Config:           config(secretTwo, 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            emulatorSecret(secretOne),
			},
			{
				Config:           config(secretTwo, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionUpdate)}},
				Check:            resource.ComposeTestCheckFunc(noSecretInState(secretTwo), emulatorSecret(secretTwo)),
			},
			{
				// Removed out of band: secret_set turns false and the plan sends it again.
				PreConfig: func() {
					if err := srv.UpdateWebhook(onlyHook(t, srv).ID, func(h *emulator.Webhook) { h.Secret = "" }); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config(secretTwo, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionUpdate)}},
				Check:            emulatorSecret(secretTwo),
			},
		}
		if product == emulator.DataCenter {
			steps = append(steps, resource.TestStep{
				// Data Center returns the secret: a changed one is noticed through its fingerprint.
				PreConfig: func() {
					if err := srv.UpdateWebhook(onlyHook(t, srv).ID, func(h *emulator.Webhook) { h.Secret = "someone-else" }); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config(secretTwo, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionUpdate)}},
				Check:            emulatorSecret(secretTwo),
			})
		}
		resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories(), Steps: steps})
	})
}

func TestAccRepositoryWebhookPlanTimeValidation(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		valid := map[emulator.Product]string{emulator.Cloud: "repo:push", emulator.DataCenter: "repo:refs_changed"}[product]
		cases := map[string]struct {
			lines []string
			want  string
		}{
			"unknown event": {[]string{`name = "ci"`, `url = "https://ci.example.com/"`, `events = ["repo:explode"]`},
				`(?s)Unknown webhook event.*events = \["repo:explode"\].*"repo:explode"\s+is\s+not\s+a\s.*webhook\s+event.*Valid\s+events:.*` + regexp.QuoteMeta(valid)},
			"two unknown events": {[]string{`name = "ci"`, `url = "https://ci.example.com/"`, `events = ["a:x", "b:y"]`},
				`(?s)"a:x",\s+"b:y"\s+are\s+not\s+Bitbucket\s.*webhook\s+events\.`},
			"other product's event": {[]string{`name = "ci"`, `url = "https://ci.example.com/"`,
				`events = ["` + map[emulator.Product]string{emulator.Cloud: "repo:refs_changed", emulator.DataCenter: "repo:push"}[product] + `"]`},
				`Unknown webhook event`},
			"relative url": {[]string{`name = "ci"`, `url = "/hook"`, `events = ` + pushEvents(product)},
				`(?s)Invalid URL.*url\s+=\s+"/hook".*must\s+be\s+an\s+absolute\s+http://\s+or\s+https://`},
			"ftp url": {[]string{`name = "ci"`, `url = "ftp://ci.example.com/"`, `events = ` + pushEvents(product)},
				`(?s)must\s+be\s+an\s+absolute\s+http://\s+or\s+https://`},
			"both secrets": {[]string{`name = "ci"`, `url = "https://ci.example.com/"`, `events = ` + pushEvents(product),
				`secret = "a"`, `secret_wo = "b"`, `secret_wo_version = 1`}, `(?s)Attribute "secret(_wo)?" cannot be specified when "secret(_wo)?" is specified`},
			"no events": {[]string{`name = "ci"`, `url = "https://ci.example.com/"`, `events = []`}, `(?s)Attribute events set must contain at least 1`},
		}
		for label, tc := range cases {
			t.Run(strings.ReplaceAll(label, " ", "_"), func(t *testing.T) {
				resource.ParallelTest(t, resource.TestCase{
					ProtoV6ProviderFactories: testProviderFactories(),
					Steps: []resource.TestStep{{
						Config: repositoryWebhookConfig(srv, tc.lines...), PlanOnly: true, ExpectError: regexp.MustCompile(tc.want),
					}},
				})
			})
		}
		if n := len(srv.Webhooks()); n != 0 {
			t.Errorf("invalid configurations created %d webhooks", n)
		}
	})
}

// TestAccRepositoryWebhookLostCreateResponse: the emulator applies the create
// and drops the answer; the provider must end with exactly one hook, tracked.
func TestAccRepositoryWebhookLostCreateResponse(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		route := map[emulator.Product]string{
			emulator.Cloud:      "/2.0/repositories/{workspace}/{repo_slug}/hooks",
			emulator.DataCenter: "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/webhooks",
		}[product]
		config := repositoryWebhookConfig(srv, `name = "ci"`, `url = "https://ci.example.com/hook"`, `events = `+pushEvents(product))
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				{
					PreConfig: func() {
						srv.InjectFault(emulator.Fault{Method: "POST", Route: route, Kind: emulator.FaultDropResponse, Times: 1})
					},
					Config: config,
					Check: func(s *terraform.State) error {
						hook := onlyHook(t, srv)
						if got := s.RootModule().Resources["bitbucket_repository_webhook.test"].Primary.ID; got != hook.ID {
							return fmt.Errorf("state id %q, emulator hook %q", got, hook.ID)
						}
						if n := srv.RequestCount("POST", route); n != 1 {
							return fmt.Errorf("creates sent = %d, want 1 (the lost one, then adopted)", n)
						}
						return nil
					},
				},
				{Config: config, ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
					Check: func(*terraform.State) error { onlyHook(t, srv); return nil }},
			},
		})
	})
}

// TestAccRepositoryWebhookRefreshCost: refreshing N hooks of one repository
// sends one list of the repository's hooks per refresh and no read by id.
func TestAccRepositoryWebhookRefreshCost(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		const hooks = 6
		routes := map[emulator.Product][2]string{
			emulator.Cloud:      {"/2.0/repositories/{workspace}/{repo_slug}/hooks/{uid}", "/2.0/repositories/{workspace}/{repo_slug}/hooks"},
			emulator.DataCenter: {"/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}", "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}/webhooks"},
		}[product]
		config := providerConfig(srv) + fmt.Sprintf(`
resource "bitbucket_repository_webhook" "many" {
  count      = %d
  workspace  = %q
  repository = "api-service"
  name       = "hook-${count.index}"
  url        = "https://ci.example.com/${count.index}"
  events     = %s
}
`, hooks, seededWorkspace(product), pushEvents(product))
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				{Config: config},
				{
					// A RefreshState step runs `terraform refresh` and then one plan: two refreshes.
					PreConfig:    srv.ResetCounts,
					RefreshState: true,
				},
				{
					PreConfig: func() {
						// The hooks of one repository are refreshed from one
						// list of it per refresh, not one read each.
						if got := srv.RequestCount("GET", routes[0]); got != 0 {
							t.Errorf("hook reads by id in two refreshes of %d hooks = %d, want 0", hooks, got)
						}
						if got, want := srv.RequestCount("GET", routes[1]), 2; got != want {
							t.Errorf("hook list requests in two refreshes = %d, want %d", got, want)
						}
					},
					Config: config,
				},
			},
		})
	})
}

func workspaceWebhookConfig(srv *emulator.Server, providerBlock string, lines ...string) string {
	return providerBlock + fmt.Sprintf(`
resource "bitbucket_workspace_webhook" "test" {
  workspace = %q
  %s
}
`, seededWorkspace(srv.Product()), strings.Join(lines, "\n  "))
}

func TestAccWorkspaceWebhookLifecycle(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		const name = "bitbucket_workspace_webhook.test"
		base := []string{`name = "audit"`, `url = "https://audit.example.com/hook"`, `events = ` + pushEvents(product)}
		update := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionUpdate)}}
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []resource.TestStep{
				{
					Config: workspaceWebhookConfig(srv, providerConfig(srv), base...),
					Check: func(*terraform.State) error {
						hook := onlyHook(t, srv)
						if hook.Repository != "" || hook.Workspace != seededWorkspace(product) {
							return fmt.Errorf("hook not at workspace level: %+v", hook)
						}
						return nil
					},
				},
				{Config: workspaceWebhookConfig(srv, providerConfig(srv), append(base[1:], `name = "audit-2"`, `active = false`, `secret = "ws-secret"`)...), ConfigPlanChecks: update},
				{
					ResourceName: name, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"secret"},
					ImportStateIdFunc: func(s *terraform.State) (string, error) {
						return seededWorkspace(product) + "/" + s.RootModule().Resources[name].Primary.ID, nil
					},
				},
				{
					PreConfig: func() {
						if err := srv.DeleteWebhook(onlyHook(t, srv).ID); err != nil {
							t.Fatal(err)
						}
					},
					Config:           workspaceWebhookConfig(srv, providerConfig(srv), append(base[1:], `name = "audit-2"`, `active = false`, `secret = "ws-secret"`)...),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(name, plancheck.ResourceActionCreate)}},
				},
				{
					// The default workspace from the provider block is the same workspace: no change.
					Config: providerConfig(srv, fmt.Sprintf("workspace = %q", seededWorkspace(product))) + `
resource "bitbucket_workspace_webhook" "test" {
  name   = "audit-2"
  url    = "https://audit.example.com/hook"
  events = ` + pushEvents(product) + `
  active = false
  secret = "ws-secret"
}
`,
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				},
			},
		})
	})
}

func TestAccWorkspaceWebhookInvalidImportID(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:        workspaceWebhookConfig(srv, providerConfig(srv), `name = "x"`, `url = "https://a.example.com/"`, `events = ["repo:push"]`),
			ResourceName:  "bitbucket_workspace_webhook.test",
			ImportState:   true,
			ImportStateId: "acme/api-service/{x}",
			ExpectError:   regexp.MustCompile(`(?s)Expected <workspace>/<id>`),
		}},
	})
}

// TestAccWorkspaceWebhookCloudNeedsOwner: a workspace member who is not an
// owner gets a diagnostic that says so, and nothing is left behind.
func TestAccWorkspaceWebhookCloudNeedsOwner(t *testing.T) {
	srv := startEmulator(t, emulator.Cloud)
	member := providerBlock(srv.BaseURL(), `product = "cloud"`, `username = "`+emulator.CloudMemberEmail+`"`, `token = "`+emulator.CloudMemberAPIToken+`"`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      workspaceWebhookConfig(srv, member, `name = "audit"`, `url = "https://audit.example.com/"`, `events = ["repo:push"]`),
			ExpectError: errorText("Workspace webhooks need a workspace owner", `only owners of workspace "acme"`),
		}},
	})
	if n := len(srv.Webhooks()); n != 0 {
		t.Errorf("%d webhooks created by a non-owner", n)
	}
}
