package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"golang.org/x/crypto/ssh"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// accessKeyCase is one resource type on one product: where its keys live
// and what changes in place there.
type accessKeyCase struct {
	typeName string
	scope    []string // the scope's attribute lines
	route    string   // the emulator's create route
	importID func(id string) string
	// read/write are the level's permissions; write is "" on Cloud.
	read, write string
}

func accessKeyCases(product emulator.Product) []accessKeyCase {
	if product == emulator.Cloud {
		return []accessKeyCase{
			{
				typeName: "bitbucket_repository_access_key", scope: []string{`workspace = "acme"`, `repository = "api-service"`},
				route:    "/2.0/repositories/{workspace}/{repo_slug}/deploy-keys",
				importID: func(id string) string { return "acme/api-service/" + id }, read: "REPO_READ",
			},
			{
				typeName: "bitbucket_project_access_key", scope: []string{`workspace = "acme"`, `project = "API"`},
				route:    "/2.0/workspaces/{workspace}/projects/{project_key}/deploy-keys",
				importID: func(id string) string { return "acme/API/" + id }, read: "PROJECT_READ",
			},
		}
	}
	return []accessKeyCase{
		{
			typeName: "bitbucket_repository_access_key", scope: []string{`workspace = "PRJ"`, `repository = "api-service"`},
			route:    "/rest/keys/1.0/projects/{projectKey}/repos/{repositorySlug}/ssh",
			importID: func(id string) string { return "PRJ/api-service/" + id }, read: "REPO_READ", write: "REPO_WRITE",
		},
		{
			typeName: "bitbucket_project_access_key", scope: []string{`workspace = "PRJ"`},
			route:    "/rest/keys/1.0/projects/{projectKey}/ssh",
			importID: func(id string) string { return "PRJ/" + id }, read: "PROJECT_READ", write: "PROJECT_WRITE",
		},
	}
}

func accessKeyConfig(srv *emulator.Server, c accessKeyCase, lines ...string) string {
	return providerConfig(srv) + fmt.Sprintf("\nresource %q \"test\" {\n  %s\n}\n", c.typeName, strings.Join(append(append([]string{}, c.scope...), lines...), "\n  "))
}

// onlyAccessKey is the emulator's one key; the test fails unless there is exactly one.
func onlyAccessKey(t *testing.T, srv *emulator.Server) emulator.AccessKey {
	t.Helper()
	keys := srv.AccessKeys()
	if len(keys) != 1 {
		t.Fatalf("emulator holds %d access keys, want exactly 1: %+v", len(keys), keys)
	}
	return keys[0]
}

// keyTracksEmulator checks that state tracks the emulator's one key, and
// that a generated private key belongs to the registered public key.
type keyTracksEmulator struct {
	t         *testing.T
	srv       *emulator.Server
	address   string
	generated bool
}

func (c keyTracksEmulator) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	key := onlyAccessKey(c.t, c.srv)
	var attrs map[string]any
	if req.State != nil && req.State.Values != nil && req.State.Values.RootModule != nil {
		for _, r := range req.State.Values.RootModule.Resources {
			if r.Address == c.address {
				attrs = r.AttributeValues
			}
		}
	}
	str := func(name string) string { s, _ := attrs[name].(string); return s }
	switch {
	case attrs == nil:
		resp.Error = fmt.Errorf("%s is not in state", c.address)
	case str("id") != key.ID || str("fingerprint") != key.Fingerprint || str("label") != key.Label:
		resp.Error = fmt.Errorf("state (id %q, fingerprint %q, label %q) does not track the emulator's key %+v",
			str("id"), str("fingerprint"), str("label"), key)
	case key.Permission != "" && str("permission") != key.Permission:
		resp.Error = fmt.Errorf("state permission %q, emulator %q", str("permission"), key.Permission)
	case c.generated:
		signer, err := ssh.ParsePrivateKey([]byte(str("private_key_openssh")))
		if err != nil {
			resp.Error = fmt.Errorf("private_key_openssh is not an OpenSSH private key: %w", err)
		} else if got := ssh.FingerprintSHA256(signer.PublicKey()); got != key.Fingerprint {
			resp.Error = fmt.Errorf("the private key's public half has fingerprint %s, the registered key %s", got, key.Fingerprint)
		}
	}
}

// emulatorCheck is a state check of what the emulator holds or counted.
type emulatorCheck func() error

func (f emulatorCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f()
}

// expectString is a state check of one string attribute.
func expectString(address, attribute string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(address, tfjsonpath.New(attribute), check)
}

func noAccessKeysLeft(srv *emulator.Server) func(*terraform.State) error {
	return func(*terraform.State) error {
		if keys := srv.AccessKeys(); len(keys) > 0 {
			return fmt.Errorf("%d access keys left after destroy: %+v", len(keys), keys)
		}
		return nil
	}
}

// TestAccAccessKeyLifecycle: create (generated Ed25519 key), import, update
// (in place where the product can, else a new key), drift (changed and
// deleted out of band) and delete, for both resources on both products.
func TestAccAccessKeyLifecycle(t *testing.T) {
	t.Parallel() // every subtest starts its own emulator
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		t.Parallel()
		for _, c := range accessKeyCases(product) {
			t.Run(c.typeName, func(t *testing.T) {
				t.Parallel()
				srv := startEmulator(t, product)
				res := c.typeName + ".test"
				base := accessKeyConfig(srv, c, `label = "ci"`)

				// The update: Data Center changes the permission in place;
				// Cloud changes a repository key's label in place, and a
				// project key (no update API) is replaced.
				updated, updateAction := accessKeyConfig(srv, c, `label = "ci-renamed"`), plancheck.ResourceActionUpdate
				if c.write != "" {
					updated = accessKeyConfig(srv, c, `label = "ci"`, fmt.Sprintf("permission = %q", c.write))
				} else if c.typeName == "bitbucket_project_access_key" {
					updateAction = plancheck.ResourceActionDestroyBeforeCreate
				}
				tfresource.Test(t, tfresource.TestCase{
					ProtoV6ProviderFactories: testProviderFactories(),
					CheckDestroy:             noAccessKeysLeft(srv),
					Steps: []tfresource.TestStep{
						{
							Config: base,
							ConfigStateChecks: []statecheck.StateCheck{
								keyTracksEmulator{t, srv, res, true},
								expectString(res, "key_algorithm", knownvalue.StringExact("ED25519")),
								expectString(res, "permission", knownvalue.StringExact(c.read)),
								expectString(res, "public_key", knownvalue.StringRegexp(regexp.MustCompile(`^ssh-ed25519 `))),
								expectString(res, "created_at", knownvalue.NotNull()),
							},
						},
						{Config: base, PlanOnly: true}, // read: nothing to change
						{
							ResourceName: res, ImportState: true, ImportStateVerify: true,
							ImportStateIdFunc: func(s *terraform.State) (string, error) {
								return c.importID(s.RootModule().Resources[res].Primary.Attributes["id"]), nil
							},
							ImportStateVerifyIgnore: []string{"private_key_openssh"},
						},
						{
							Config:            updated,
							ConfigPlanChecks:  planAction(res, updateAction),
							ConfigStateChecks: []statecheck.StateCheck{keyTracksEmulator{t, srv, res, true}},
						},
						{
							// Changed outside Terraform: the next plan puts it back.
							PreConfig: func() {
								key := onlyAccessKey(t, srv)
								err := srv.UpdateAccessKey(key, func(k *emulator.AccessKey) {
									if c.write != "" {
										k.Permission = c.read
									} else {
										k.Label = "changed by hand"
									}
								})
								if err != nil {
									t.Fatal(err)
								}
							},
							Config: updated,
							ConfigPlanChecks: planAction(res, map[bool]plancheck.ResourceActionType{
								true: plancheck.ResourceActionDestroyBeforeCreate, false: plancheck.ResourceActionUpdate,
							}[updateAction == plancheck.ResourceActionDestroyBeforeCreate]),
							ConfigStateChecks: []statecheck.StateCheck{keyTracksEmulator{t, srv, res, true}},
						},
						{
							// Deleted outside Terraform: created again.
							PreConfig: func() {
								if err := srv.DeleteAccessKey(onlyAccessKey(t, srv)); err != nil {
									t.Fatal(err)
								}
							},
							Config:            updated,
							ConfigPlanChecks:  planAction(res, plancheck.ResourceActionCreate),
							ConfigStateChecks: []statecheck.StateCheck{keyTracksEmulator{t, srv, res, true}},
						},
					},
				})
			})
		}
	})
}

// TestAccAccessKeyLostCreateAnswer: the answer to the create is lost; the
// provider adopts the key with the same fingerprint: one POST, one key,
// tracked in state.
func TestAccAccessKeyLostCreateAnswer(t *testing.T) {
	t.Parallel() // every subtest starts its own emulator
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		t.Parallel()
		for _, c := range accessKeyCases(product) {
			t.Run(c.typeName, func(t *testing.T) {
				t.Parallel()
				srv := startEmulator(t, product)
				res := c.typeName + ".test"
				tfresource.Test(t, tfresource.TestCase{
					ProtoV6ProviderFactories: testProviderFactories(),
					CheckDestroy:             noAccessKeysLeft(srv),
					Steps: []tfresource.TestStep{{
						PreConfig: func() {
							srv.InjectFault(emulator.Fault{Method: "POST", Route: c.route, Kind: emulator.FaultDropResponse, Times: 1})
						},
						Config: accessKeyConfig(srv, c, `label = "lost"`),
						ConfigStateChecks: []statecheck.StateCheck{
							keyTracksEmulator{t, srv, res, true},
							emulatorCheck(func() error {
								if n := srv.RequestCount("POST", c.route); n != 1 {
									return fmt.Errorf("%d creates sent, want 1 (the lost one, then adoption)", n)
								}
								return nil
							}),
						},
					}},
				})
			})
		}
	})
}

// TestAccAccessKeySuppliedPublicKey: a supplied key (with a comment) is
// registered as given, no private key is kept, and the plan stays empty
// although Cloud returns the key without its comment.
func TestAccAccessKeySuppliedPublicKey(t *testing.T) {
	t.Parallel() // every subtest starts its own emulator
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		t.Parallel()
		c := accessKeyCases(product)[0]
		srv := startEmulator(t, product)
		public, _, err := generateKeyPair("ECDSA")
		if err != nil {
			t.Fatal(err)
		}
		public += " builder@ci"
		res := c.typeName + ".test"
		config := accessKeyConfig(srv, c, `label = "supplied"`, fmt.Sprintf("public_key = %q", public))
		tfresource.Test(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			CheckDestroy:             noAccessKeysLeft(srv),
			Steps: []tfresource.TestStep{
				{
					Config: config,
					ConfigStateChecks: []statecheck.StateCheck{
						keyTracksEmulator{t, srv, res, false},
						expectString(res, "public_key", knownvalue.StringExact(public)),
						expectString(res, "key_algorithm", knownvalue.StringExact("ECDSA")),
						expectString(res, "private_key_openssh", knownvalue.Null()),
					},
				},
				{Config: config, PlanOnly: true},
			},
		})
	})
}

// TestAccAccessKeyPlanTimeChecks: what a product refuses fails the plan,
// naming the attribute, before any request that cannot work.
func TestAccAccessKeyPlanTimeChecks(t *testing.T) {
	t.Parallel()
	cloud := startEmulator(t, emulator.Cloud)
	dc := startEmulator(t, emulator.DataCenter)
	cases := map[string]struct {
		config string
		want   *regexp.Regexp
	}{
		"cloud keys are read-only": {
			accessKeyConfig(cloud, accessKeyCases(emulator.Cloud)[0], `label = "x"`, `permission = "REPO_WRITE"`),
			errorText(`Invalid access key permission`, `"REPO_WRITE" is not a valid permission for a repository access key on Bitbucket Cloud. Valid values: REPO_READ.`, `read-only`),
		},
		"cloud project key needs a project": {
			providerConfig(cloud) + "resource \"bitbucket_project_access_key\" \"test\" {\n  workspace = \"acme\"\n  label = \"x\"\n}\n",
			errorText(`Missing project`, `On Bitbucket Cloud a project lives inside a workspace`),
		},
		"data center project key refuses a project": {
			accessKeyConfig(dc, accessKeyCases(emulator.DataCenter)[1], `project = "PRJ"`, `label = "x"`),
			errorText(`project is not used on Bitbucket Data Center`),
		},
		"data center repository key refuses a project permission": {
			accessKeyConfig(dc, accessKeyCases(emulator.DataCenter)[0], `label = "x"`, `permission = "PROJECT_WRITE"`),
			errorText(`"PROJECT_WRITE" is not a valid permission for a repository access key on Bitbucket Data Center. Valid values: REPO_READ, REPO_WRITE.`),
		},
		"not a public key": {
			accessKeyConfig(dc, accessKeyCases(emulator.DataCenter)[0], `label = "x"`, `public_key = "ssh-ed25519 not-a-key"`),
			errorText(`Invalid public key`, `OpenSSH authorized_keys format`),
		},
		"key_algorithm naming another type than public_key": {
			accessKeyConfig(dc, accessKeyCases(emulator.DataCenter)[0], `label = "x"`, `key_algorithm = "RSA"`,
				`public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF8LLyHClvJpUMKUnOH49Ps0YIM8zlK7zOOObLSjYSCp"`),
			errorText(`key_algorithm`, `"RSA"`, `public_key`, `ED25519`),
		},
		"key_algorithm the provider does not generate": {
			accessKeyConfig(dc, accessKeyCases(emulator.DataCenter)[0], `label = "x"`, `key_algorithm = "DSA"`),
			errorText(`Invalid key_algorithm`, `"DSA"`, `ED25519, ECDSA, RSA`),
		},
		"authorized_keys options before the key (cloud)": {
			accessKeyConfig(cloud, accessKeyCases(emulator.Cloud)[0], `label = "x"`,
				`public_key = "no-pty,command=\"echo hi\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF8LLyHClvJpUMKUnOH49Ps0YIM8zlK7zOOObLSjYSCp ci@example"`),
			errorText(`Invalid public key`, `public_key starts with authorized_keys options (no-pty,command="echo hi")`, `remove them`),
		},
		"authorized_keys options before the key (data center)": {
			accessKeyConfig(dc, accessKeyCases(emulator.DataCenter)[1], `label = "x"`,
				`public_key = "restrict ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF8LLyHClvJpUMKUnOH49Ps0YIM8zlK7zOOObLSjYSCp"`),
			errorText(`Invalid public key`, `public_key starts with authorized_keys options (restrict)`),
		},
		"type prefix that is not the blob's type": {
			accessKeyConfig(cloud, accessKeyCases(emulator.Cloud)[0], `label = "x"`,
				`public_key = "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIF8LLyHClvJpUMKUnOH49Ps0YIM8zlK7zOOObLSjYSCp ci@example"`),
			errorText(`Invalid public key`, `public_key`, `ssh-rsa`, `ssh-ed25519`),
		},
	}
	// The cases share the two emulators and run side by side; the group
	// returns when all are done, then no key may have been made.
	t.Run("cases", func(t *testing.T) {
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				tfresource.Test(t, tfresource.TestCase{
					ProtoV6ProviderFactories: testProviderFactories(),
					Steps:                    []tfresource.TestStep{{Config: tc.config, ExpectError: tc.want, PlanOnly: true}},
				})
			})
		}
	})
	for _, srv := range []*emulator.Server{cloud, dc} {
		if n := len(srv.AccessKeys()); n != 0 {
			t.Errorf("%s: %d keys created by plans that should have failed", srv.Product(), n)
		}
	}
}

// TestAccAccessKeyAlreadyRegistered: a key already on the repository is an
// error that names its id and the import ID.
func TestAccAccessKeyAlreadyRegistered(t *testing.T) {
	t.Parallel()
	srv := startEmulator(t, emulator.DataCenter)
	c := accessKeyCases(emulator.DataCenter)[0]
	public, _, err := generateKeyPair("ED25519")
	if err != nil {
		t.Fatal(err)
	}
	client := testClient(t, srv)
	existing, err := client.CreateAccessKey(t.Context(), bitbucket.AccessKeyScope{Workspace: "PRJ", Repository: "api-service"},
		bitbucket.AccessKeyInput{PublicKey: public, Label: "by hand", Permission: "REPO_READ"})
	if err != nil {
		t.Fatal(err)
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{{
			Config: accessKeyConfig(srv, c, `label = "x"`, fmt.Sprintf("public_key = %q", public)),
			ExpectError: errorText(`Access key already registered`, fmt.Sprintf("already access key %s of repository PRJ/api-service", existing.ID),
				"terraform import <address> PRJ/api-service/"+existing.ID),
		}},
	})
}

// testClient is an admin client of srv (Cloud: the owner's API token; Data
// Center: the admin's password).
func testClient(t *testing.T, srv *emulator.Server) bitbucket.Client {
	t.Helper()
	cfg := bitbucket.Config{BaseURL: srv.BaseURL(), Product: bitbucket.Product(srv.Product()), Version: "test",
		Username: emulator.DCAdminUser, Token: emulator.DCAdminPassword}
	if srv.Product() == emulator.Cloud {
		cfg.Username, cfg.Token = emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
	}
	client, err := bitbucket.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// TestAccAccessKeyGeneratedConfig: what `terraform plan -generate-config-out`
// writes for an existing key (both key_algorithm and public_key, as read)
// plans, and the import it plans changes nothing; for both resources on both
// products, with a generated key and with a supplied one with a comment.
func TestAccAccessKeyGeneratedConfig(t *testing.T) {
	t.Parallel()
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		t.Parallel()
		for _, c := range accessKeyCases(product) {
			for _, supplied := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/supplied=%t", c.typeName, supplied), func(t *testing.T) {
					t.Parallel()
					srv := startEmulator(t, product)
					res := c.typeName + ".test"
					lines := []string{`label = "found"`}
					if supplied {
						public, _, err := generateKeyPair("ECDSA")
						if err != nil {
							t.Fatal(err)
						}
						lines = append(lines, fmt.Sprintf("public_key = %q", public+" ci@example"))
					}
					tfresource.Test(t, tfresource.TestCase{
						ProtoV6ProviderFactories: testProviderFactories(),
						Steps: []tfresource.TestStep{
							{Config: accessKeyConfig(srv, c, lines...)},
							{
								ResourceName: res, ImportState: true, ImportStateKind: tfresource.ImportBlockWithID,
								GenerateConfig: true,
								ImportStateIdFunc: func(s *terraform.State) (string, error) {
									return c.importID(s.RootModule().Resources[res].Primary.Attributes["id"]), nil
								},
							},
						},
					})
				})
			}
		}
	})
}

// TestAccAccessKeyImportWithComment: a key configured with a comment,
// imported (Cloud returns it without the comment), plans no change, on both
// products and both levels.
func TestAccAccessKeyImportWithComment(t *testing.T) {
	t.Parallel()
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		t.Parallel()
		for _, c := range accessKeyCases(product) {
			t.Run(c.typeName, func(t *testing.T) {
				t.Parallel()
				srv := startEmulator(t, product)
				res := c.typeName + ".test"
				public, _, err := generateKeyPair("ED25519")
				if err != nil {
					t.Fatal(err)
				}
				config := accessKeyConfig(srv, c, `label = "ci"`, fmt.Sprintf("public_key = %q", public+" ci@example"))
				tfresource.Test(t, tfresource.TestCase{
					ProtoV6ProviderFactories: testProviderFactories(),
					Steps: []tfresource.TestStep{
						{Config: config},
						{
							// The import block plans against the configuration
							// above: a no-op, not a replacement.
							Config: config, ResourceName: res, ImportState: true, ImportStateKind: tfresource.ImportBlockWithID,
							ImportStateIdFunc: func(s *terraform.State) (string, error) {
								return c.importID(s.RootModule().Resources[res].Primary.Attributes["id"]), nil
							},
						},
					},
				})
			})
		}
	})
}

// TestAccAccessKeyLabelKeptByDataCenter: Data Center keeps one label per
// key (internal/emulator/README.md), so a supplied key already registered on
// another scope comes back from the create with that scope's label. The
// apply must not end in "inconsistent result" with a tainted key that every
// later apply replaces: the registration it made is withdrawn and the error
// says which label to write; with that label the key is registered and the
// next plan is empty.
func TestAccAccessKeyLabelKeptByDataCenter(t *testing.T) {
	t.Parallel()
	srv := startEmulator(t, emulator.DataCenter)
	public, _, err := generateKeyPair("ED25519")
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, err := testClient(t, srv).CreateAccessKey(t.Context(), bitbucket.AccessKeyScope{Workspace: "PRJ", Repository: "api-service"},
		bitbucket.AccessKeyInput{PublicKey: public, Label: "by hand", Permission: "REPO_READ"})
	if err != nil {
		t.Fatal(err)
	}
	c := accessKeyCases(emulator.DataCenter)[1] // the project key of PRJ: another scope
	onlyTheHandMadeKey := func() error {
		keys := srv.AccessKeys()
		if len(keys) != 1 || keys[0].Repository != "api-service" {
			return fmt.Errorf("want only the key registered by hand on PRJ/api-service, emulator holds %+v", keys)
		}
		return nil
	}
	res := c.typeName + ".test"
	fixed := accessKeyConfig(srv, c, `label = "by hand"`, fmt.Sprintf("public_key = %q", public))
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		CheckDestroy:             func(*terraform.State) error { return onlyTheHandMadeKey() },
		Steps: []tfresource.TestStep{
			{
				Config: accessKeyConfig(srv, c, `label = "ci"`, fmt.Sprintf("public_key = %q", public)),
				ExpectError: errorText("already has access elsewhere as access key "+elsewhere.ID, `Data Center keeps one label per key`,
					`withdrew that registration`, `Set label = "by hand"`),
			},
			{
				PreConfig: func() {
					if err := onlyTheHandMadeKey(); err != nil {
						t.Fatalf("after the refused apply: %v", err)
					}
				},
				Config:            fixed,
				ConfigStateChecks: []statecheck.StateCheck{expectString(res, "label", knownvalue.StringExact("by hand"))},
			},
			{Config: fixed, PlanOnly: true},
		},
	})
}

// TestAccAccessKeyRegisteredWithOptions: a key someone registered by hand
// with authorized_keys options in front imports with no change, whether the
// configuration keeps the options (as generated configuration does) or
// drops them: the options rule stops only a key the provider would send.
func TestAccAccessKeyRegisteredWithOptions(t *testing.T) {
	t.Parallel()
	srv := startEmulator(t, emulator.DataCenter)
	public, _, err := generateKeyPair("ED25519")
	if err != nil {
		t.Fatal(err)
	}
	withOptions := `no-pty ` + public + ` ops@example`
	byHand, err := testClient(t, srv).CreateAccessKey(t.Context(), bitbucket.AccessKeyScope{Workspace: "PRJ"},
		bitbucket.AccessKeyInput{PublicKey: withOptions, Label: "by hand", Permission: "PROJECT_READ"})
	if err != nil {
		t.Fatal(err)
	}
	c := accessKeyCases(emulator.DataCenter)[1]
	res := c.typeName + ".test"
	importBlock := fmt.Sprintf("\nimport {\n  to = %s\n  id = %q\n}\n", res, c.importID(byHand.ID))
	asRegistered := accessKeyConfig(srv, c, `label = "by hand"`, fmt.Sprintf("public_key = %q", withOptions))
	withoutOptions := accessKeyConfig(srv, c, `label = "by hand"`, fmt.Sprintf("public_key = %q", public))
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{Config: asRegistered + importBlock, ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(res, plancheck.ResourceActionNoop)}}},
			{Config: asRegistered, PlanOnly: true},
			{Config: withoutOptions, PlanOnly: true},
			{Config: withoutOptions, ConfigStateChecks: []statecheck.StateCheck{keyTracksEmulator{t, srv, res, false}}},
		},
	})
}
