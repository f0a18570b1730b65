package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// outOfBandClient talks to the emulator as a person or script outside
// Terraform would, with the admin's credentials.
func outOfBandClient(t *testing.T, srv *emulator.Server) bitbucket.Client {
	t.Helper()
	cfg := bitbucket.Config{BaseURL: srv.BaseURL(), RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond}
	if srv.Product() == emulator.Cloud {
		cfg.Product, cfg.Username, cfg.Token = bitbucket.ProductCloud, emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
	} else {
		cfg.Product, cfg.Username, cfg.Token = bitbucket.ProductDataCenter, emulator.DCAdminUser, emulator.DCAdminPassword
	}
	client, err := bitbucket.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// addHookByHand creates a webhook outside Terraform and returns it.
func addHookByHand(t *testing.T, client bitbucket.Client, scope bitbucket.WebhookScope, name string, product emulator.Product) *bitbucket.Webhook {
	t.Helper()
	event := "repo:push"
	if product == emulator.DataCenter {
		event = "repo:refs_changed"
	}
	hook, err := client.CreateWebhook(context.Background(), scope, bitbucket.WebhookInput{
		Name: name, URL: "https://hand.example.com/" + name, Events: []string{event}, Active: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return hook
}

// TestAccRepositoryWebhookQuery: `terraform query` finds webhooks made
// outside Terraform in every repository of a workspace (the repository list
// spans several pages), on one repository, and by name; identities and
// listed attributes are those of the real hooks.
func TestAccRepositoryWebhookQuery(t *testing.T) {
	useTerraformAtLeast(t, terraformQuery, "terraform query (list resources)")
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		ws := seededWorkspace(product)
		// 150 more repositories: more than one page of repositories on Cloud (pagelen 100).
		if err := srv.AddRepositories(ws, "svc", 150); err != nil {
			t.Fatal(err)
		}
		client := outOfBandClient(t, srv)
		byHand := addHookByHand(t, client, bitbucket.WebhookScope{Workspace: ws, Repository: "svc-00150"}, "by-hand", product)
		for i := range 3 {
			addHookByHand(t, client, bitbucket.WebhookScope{Workspace: ws, Repository: "api-service"}, fmt.Sprintf("noise-%d", i), product)
		}
		// A workspace hook is not a repository hook.
		addHookByHand(t, client, bitbucket.WebhookScope{Workspace: ws}, "workspace-level", product)

		const all, named, oneRepo = "bitbucket_repository_webhook.all", "bitbucket_repository_webhook.named", "bitbucket_repository_webhook.one_repo"
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraformQuery)},
			Steps: []resource.TestStep{
				{Config: repositoryWebhookConfig(srv, `name = "managed"`, `url = "https://ci.example.com/m"`, `events = `+pushEvents(product))},
				{
					Query: true,
					Config: fmt.Sprintf(`
list "bitbucket_repository_webhook" "all" {
  provider = bitbucket
  config {
    workspace = %[1]q
  }
}

list "bitbucket_repository_webhook" "named" {
  provider         = bitbucket
  include_resource = true
  config {
    workspace = %[1]q
    name      = "by-hand"
  }
}

list "bitbucket_repository_webhook" "one_repo" {
  provider = bitbucket
  config {
    workspace  = %[1]q
    repository = "api-service"
  }
}
`, ws),
					QueryResultChecks: []querycheck.QueryResultCheck{
						querycheck.ExpectLength(all, 5), // managed + 3 noise + by-hand
						querycheck.ExpectIdentity(all, map[string]knownvalue.Check{
							"workspace": knownvalue.StringExact(ws), "repository": knownvalue.StringExact("svc-00150"),
							"id": knownvalue.StringExact(byHand.ID),
						}),
						querycheck.ExpectLength(named, 1),
						querycheck.ExpectIdentity(named, map[string]knownvalue.Check{
							"workspace": knownvalue.StringExact(ws), "repository": knownvalue.StringExact("svc-00150"),
							"id": knownvalue.StringExact(byHand.ID),
						}),
						querycheck.ExpectResourceKnownValues(named, queryfilter.ByResourceIdentity(map[string]knownvalue.Check{
							"workspace": knownvalue.StringExact(ws), "repository": knownvalue.StringExact("svc-00150"),
							"id": knownvalue.StringExact(byHand.ID),
						}), []querycheck.KnownValueCheck{
							{Path: tfjsonpath.New("url"), KnownValue: knownvalue.StringExact("https://hand.example.com/by-hand")},
							{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("by-hand")},
							{Path: tfjsonpath.New("active"), KnownValue: knownvalue.Bool(true)},
						}),
						querycheck.ExpectLength(oneRepo, 4),
					},
				},
			},
		})
	})
}

// TestAccWorkspaceWebhookQuery lists workspace (Cloud) / project (Data
// Center) hooks, not repository hooks.
func TestAccWorkspaceWebhookQuery(t *testing.T) {
	useTerraformAtLeast(t, terraformQuery, "terraform query (list resources)")
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		ws := seededWorkspace(product)
		client := outOfBandClient(t, srv)
		byHand := addHookByHand(t, client, bitbucket.WebhookScope{Workspace: ws}, "org-by-hand", product)
		addHookByHand(t, client, bitbucket.WebhookScope{Workspace: ws, Repository: "api-service"}, "repo-level", product)
		const all = "bitbucket_workspace_webhook.all"
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraformQuery)},
			Steps: []resource.TestStep{
				{Config: providerConfig(srv, fmt.Sprintf("workspace = %q", ws))},
				{
					Query: true,
					// No workspace: the provider's default.
					Config: "list \"bitbucket_workspace_webhook\" \"all\" {\n  provider = bitbucket\n  config {}\n}\n",
					QueryResultChecks: []querycheck.QueryResultCheck{
						querycheck.ExpectLength(all, 1),
						querycheck.ExpectIdentity(all, map[string]knownvalue.Check{
							"workspace": knownvalue.StringExact(ws), "id": knownvalue.StringExact(byHand.ID),
						}),
					},
				},
			},
		})
	})
}

// TestAccAccessTokenQuery: each Data Center token level lists the tokens
// made outside Terraform, with identities that import them.
func TestAccAccessTokenQuery(t *testing.T) {
	useTerraformAtLeast(t, terraformQuery, "terraform query (list resources)")
	srv := startEmulator(t, emulator.DataCenter)
	add := func(tok emulator.AccessToken) emulator.AccessToken {
		t.Helper()
		got, err := srv.AddDCAccessToken(tok)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	project := add(emulator.AccessToken{Level: "project", Workspace: "PRJ", Name: "forgotten", Permissions: []string{"PROJECT_ADMIN"}})
	repo := add(emulator.AccessToken{Level: "repository", Workspace: "PRJ", Repository: "api-service", Name: "ci", Permissions: []string{"REPO_READ"}})
	add(emulator.AccessToken{Level: "repository", Workspace: "PRJ", Repository: "api-service", Name: "other", Permissions: []string{"REPO_READ"}})
	user := add(emulator.AccessToken{Level: "user", User: emulator.DCAdminUser, Name: "laptop", Permissions: []string{"REPO_ADMIN"}, ExpiryDays: 90})

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraformQuery)},
		Steps: []resource.TestStep{
			{Config: providerConfig(srv, `workspace = "PRJ"`)},
			{
				Query: true,
				Config: `
list "bitbucket_project_access_token" "all" {
  provider = bitbucket
  config {}
}
list "bitbucket_repository_access_token" "ci" {
  provider = bitbucket
  config {
    name = "ci"
  }
}
list "bitbucket_user_access_token" "mine" {
  provider         = bitbucket
  include_resource = true
  config {
    name = "laptop"
  }
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("bitbucket_project_access_token.all", 1),
					querycheck.ExpectIdentity("bitbucket_project_access_token.all", map[string]knownvalue.Check{
						"workspace": knownvalue.StringExact("PRJ"), "id": knownvalue.StringExact(project.ID),
					}),
					querycheck.ExpectLength("bitbucket_repository_access_token.ci", 1),
					querycheck.ExpectIdentity("bitbucket_repository_access_token.ci", map[string]knownvalue.Check{
						"workspace": knownvalue.StringExact("PRJ"), "repository": knownvalue.StringExact("api-service"),
						"id": knownvalue.StringExact(repo.ID),
					}),
					querycheck.ExpectLength("bitbucket_user_access_token.mine", 1),
					querycheck.ExpectIdentity("bitbucket_user_access_token.mine", map[string]knownvalue.Check{
						"user": knownvalue.StringExact(emulator.DCAdminUser), "id": knownvalue.StringExact(user.ID),
					}),
					querycheck.ExpectResourceKnownValues("bitbucket_user_access_token.mine", queryfilter.ByResourceIdentity(map[string]knownvalue.Check{
						"user": knownvalue.StringExact(emulator.DCAdminUser), "id": knownvalue.StringExact(user.ID),
					}), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("expiry_days"), KnownValue: knownvalue.Int64Exact(90)},
						{Path: tfjsonpath.New("permissions"), KnownValue: knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("REPO_ADMIN")})},
						{Path: tfjsonpath.New("token"), KnownValue: knownvalue.Null()},
					}),
				},
			},
		},
	})
}

// TestAccAccessKeyQuery: SSH keys registered outside Terraform are found on
// every repository of a workspace and on a project, by label too.
func TestAccAccessKeyQuery(t *testing.T) {
	// Not parallel: useTerraformAtLeast points this test at the newer Terraform with t.Setenv.
	useTerraformAtLeast(t, terraformQuery, "terraform query (list resources)")
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		ws := seededWorkspace(product)
		client := outOfBandClient(t, srv)
		addKey := func(scope bitbucket.AccessKeyScope, label string) *bitbucket.AccessKey {
			t.Helper()
			public, _, err := generateKeyPair("ED25519")
			if err != nil {
				t.Fatal(err)
			}
			key, err := client.CreateAccessKey(context.Background(), scope, bitbucket.AccessKeyInput{
				PublicKey: public, Label: label, Permission: client.AccessKeyRules(scope.Level()).Permissions[0],
			})
			if err != nil {
				t.Fatal(err)
			}
			return key
		}
		project := ""
		if product == emulator.Cloud {
			project = "API"
		}
		repoKey := addKey(bitbucket.AccessKeyScope{Workspace: ws, Repository: "api-service"}, "old-deploy")
		addKey(bitbucket.AccessKeyScope{Workspace: ws, Repository: "api-service"}, "other")
		projectKey := addKey(bitbucket.AccessKeyScope{Workspace: ws, Project: project}, "build-farm")
		projectConfig := "config {}"
		if project != "" {
			projectConfig = "config {\n    project = \"API\"\n  }"
		}
		var wantProject knownvalue.Check = knownvalue.Null()
		if project != "" {
			wantProject = knownvalue.StringExact(project)
		}
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraformQuery)},
			Steps: []resource.TestStep{
				{Config: providerConfig(srv, fmt.Sprintf("workspace = %q", ws))},
				{
					Query: true,
					Config: `
list "bitbucket_repository_access_key" "all" {
  provider = bitbucket
  config {}
}
list "bitbucket_repository_access_key" "old" {
  provider         = bitbucket
  include_resource = true
  config {
    label = "old-deploy"
  }
}
list "bitbucket_project_access_key" "all" {
  provider = bitbucket
  ` + projectConfig + `
}
`,
					QueryResultChecks: []querycheck.QueryResultCheck{
						querycheck.ExpectLength("bitbucket_repository_access_key.all", 2),
						querycheck.ExpectLength("bitbucket_repository_access_key.old", 1),
						querycheck.ExpectIdentity("bitbucket_repository_access_key.old", map[string]knownvalue.Check{
							"workspace": knownvalue.StringExact(ws), "repository": knownvalue.StringExact("api-service"),
							"id": knownvalue.StringExact(repoKey.ID),
						}),
						querycheck.ExpectResourceKnownValues("bitbucket_repository_access_key.old", queryfilter.ByResourceIdentity(map[string]knownvalue.Check{
							"workspace": knownvalue.StringExact(ws), "repository": knownvalue.StringExact("api-service"),
							"id": knownvalue.StringExact(repoKey.ID),
						}), []querycheck.KnownValueCheck{
							{Path: tfjsonpath.New("fingerprint"), KnownValue: knownvalue.StringExact(repoKey.Fingerprint)},
							{Path: tfjsonpath.New("private_key_openssh"), KnownValue: knownvalue.Null()},
						}),
						querycheck.ExpectLength("bitbucket_project_access_key.all", 1),
						querycheck.ExpectIdentity("bitbucket_project_access_key.all", map[string]knownvalue.Check{
							"workspace": knownvalue.StringExact(ws), "project": wantProject, "id": knownvalue.StringExact(projectKey.ID),
						}),
					},
				},
			},
		})
	})
}

// TestAccAccessTokenQueryCloud: Bitbucket Cloud has no access-token API, so
// listing tokens there is an error that says so.
func TestAccAccessTokenQueryCloud(t *testing.T) {
	useTerraformAtLeast(t, terraformQuery, "terraform query (list resources)")
	srv := startEmulator(t, emulator.Cloud)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraformQuery)},
		Steps: []resource.TestStep{
			{Config: providerConfig(srv, `workspace = "acme"`)},
			{
				Query:  true,
				Config: "list \"bitbucket_project_access_token\" \"all\" {\n  provider = bitbucket\n  config {}\n}\n",
				ExpectError: errorText("Access tokens cannot be listed here", "listed and revoked in the Bitbucket web UI only",
					"the settings page of the workspace, project or repository lists its tokens"),
			},
		},
	})
}

// TestAccQueryWritesWorkspaceAsBitbucketSpellsIt: a list filter (or the
// provider's default) may spell the workspace in another case, since
// Bitbucket matches it without regard to case
// (docs/dev/bitbucket-api.md#case-of-keys-and-slugs). What the query writes
// must be Bitbucket's spelling: the import by identity writes it to state,
// and generated configuration with the filter's spelling would then fail
// to plan ("differs from the state only in case").
func TestAccQueryWritesWorkspaceAsBitbucketSpellsIt(t *testing.T) {
	useTerraformAtLeast(t, terraformQuery, "terraform query (list resources)")
	srv := startEmulator(t, emulator.DataCenter)
	client := outOfBandClient(t, srv)
	hook := addHookByHand(t, client, bitbucket.WebhookScope{Workspace: "PRJ"}, "by-hand", emulator.DataCenter)
	public, _, err := generateKeyPair("ED25519")
	if err != nil {
		t.Fatal(err)
	}
	key, err := client.CreateAccessKey(t.Context(), bitbucket.AccessKeyScope{Workspace: "PRJ"},
		bitbucket.AccessKeyInput{PublicKey: public, Label: "by-hand", Permission: "PROJECT_READ"})
	if err != nil {
		t.Fatal(err)
	}
	token, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "project", Workspace: "PRJ", Name: "by-hand", Permissions: []string{"PROJECT_READ"}})
	if err != nil {
		t.Fatal(err)
	}
	spelt := func(address, id string, nullIdentity ...string) []querycheck.QueryResultCheck {
		identity := map[string]knownvalue.Check{"workspace": knownvalue.StringExact("PRJ"), "id": knownvalue.StringExact(id)}
		for _, name := range nullIdentity {
			identity[name] = knownvalue.Null()
		}
		return []querycheck.QueryResultCheck{
			querycheck.ExpectIdentity(address, identity),
			querycheck.ExpectResourceKnownValues(address, queryfilter.ByResourceIdentity(identity),
				[]querycheck.KnownValueCheck{{Path: tfjsonpath.New("workspace"), KnownValue: knownvalue.StringExact("PRJ")}}),
		}
	}
	var checks []querycheck.QueryResultCheck
	checks = append(checks, spelt("bitbucket_workspace_webhook.hooks", hook.ID)...)
	checks = append(checks, spelt("bitbucket_project_access_key.keys", key.ID, "project")...)
	checks = append(checks, spelt("bitbucket_project_access_token.tokens", token.ID)...)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraformQuery)},
		Steps: []resource.TestStep{
			{Config: providerConfig(srv, `workspace = "prj"`)},
			{
				Query: true,
				Config: `
list "bitbucket_workspace_webhook" "hooks" {
  provider         = bitbucket
  include_resource = true
  config {
    workspace = "prj"
  }
}
list "bitbucket_project_access_key" "keys" {
  provider         = bitbucket
  include_resource = true
  config {
    workspace = "Prj"
  }
}
list "bitbucket_project_access_token" "tokens" {
  provider         = bitbucket
  include_resource = true
  config {}
}
`,
				QueryResultChecks: checks,
			},
		},
	})
}
