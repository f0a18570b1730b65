package provider

import (
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"golang.org/x/crypto/ssh"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// connectionKeyMatches checks that state's managed access key is the
// emulator's one key, labelled with the connection's name, and that the
// private key in state belongs to it.
func connectionKeyMatches(t *testing.T, srv *emulator.Server, name string) tfresource.TestCheckFunc {
	return func(s *terraform.State) error {
		key := onlyAccessKey(t, srv)
		attrs := s.RootModule().Resources[connectionName].Primary.Attributes
		if attrs["access_key_id"] != key.ID || key.Label != name {
			return fmt.Errorf("state access_key_id %q, emulator key %+v (want label %q)", attrs["access_key_id"], key, name)
		}
		signer, err := ssh.ParsePrivateKey([]byte(attrs["private_key_openssh"]))
		if err != nil {
			return fmt.Errorf("private_key_openssh is not an OpenSSH private key: %w", err)
		}
		if got := ssh.FingerprintSHA256(signer.PublicKey()); got != key.Fingerprint {
			return fmt.Errorf("the private key belongs to %s, the registered key is %s", got, key.Fingerprint)
		}
		return nil
	}
}

// TestAccConnectionAccessKey: a connection whose credential is an SSH access
// key the provider makes, on both products: create (with a webhook), read,
// update (Data Center: permission in place; Cloud: a new key for a new
// algorithm), import, drift (the key deleted, or its permission lowered, out
// of band), delete.
func TestAccConnectionAccessKey(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		ws := seededWorkspace(product)
		lines := func(key string) []string {
			return []string{`name = "appcircle"`, fmt.Sprintf("workspace = %q", ws), `repository = "api-service"`,
				"managed_access_key = " + key,
				fmt.Sprintf(`webhook = { url = "https://hooks.example.com/a", events = %s }`, pushEvents(product))}
		}
		base := connectionConfig(srv, lines(`{ level = "repository" }`)...)
		updated := connectionConfig(srv, lines(`{ level = "repository", permission = "REPO_WRITE" }`)...)
		updatedLevels := levelsCheck("read", "write")
		updateAction := plancheck.ResourceActionUpdate
		if product == emulator.Cloud {
			updated = connectionConfig(srv, lines(`{ level = "repository", key_algorithm = "ECDSA" }`)...)
			updatedLevels = levelsCheck("read")
		}
		var firstKey string
		tfresource.Test(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			CheckDestroy: func(*terraform.State) error {
				if keys, hooks := srv.AccessKeys(), srv.Webhooks(); len(keys)+len(hooks) > 0 {
					return fmt.Errorf("left after destroy: keys %+v, webhooks %+v", keys, hooks)
				}
				return nil
			},
			Steps: []tfresource.TestStep{
				{
					Config: base,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), levelsCheck("read")),
						statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("token"), knownvalue.Null()),
					},
					Check: tfresource.ComposeTestCheckFunc(
						connectionKeyMatches(t, srv, "appcircle"),
						func(s *terraform.State) error {
							firstKey = s.RootModule().Resources[connectionName].Primary.Attributes["access_key_id"]
							if len(srv.Webhooks()) != 1 {
								return fmt.Errorf("%d webhooks, want 1", len(srv.Webhooks()))
							}
							return nil
						},
					),
				},
				{Config: base, PlanOnly: true}, // read: nothing to change
				{
					Config:           updated,
					ConfigPlanChecks: planAction(connectionName, updateAction),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), updatedLevels),
					},
					Check: tfresource.ComposeTestCheckFunc(
						connectionKeyMatches(t, srv, "appcircle"),
						func(s *terraform.State) error {
							id := s.RootModule().Resources[connectionName].Primary.Attributes["access_key_id"]
							if sameKey := id == firstKey; sameKey != (product == emulator.DataCenter) {
								return fmt.Errorf("key %s after the update, %s before: want the same key only on Data Center", id, firstKey)
							}
							if product == emulator.DataCenter && onlyAccessKey(t, srv).Permission != "REPO_WRITE" {
								return fmt.Errorf("permission %s, want REPO_WRITE", onlyAccessKey(t, srv).Permission)
							}
							return nil
						},
					),
				},
				{
					ResourceName: connectionName, ImportState: true, ImportStateId: ws + "/api-service/appcircle",
					ImportStateVerify: true, ImportStateVerifyIdentifierAttribute: "id",
					ImportStateVerifyIgnore: []string{"private_key_openssh", "verified_permissions"}, // never in Bitbucket; checked on the next refresh
				},
				{
					// Deleted outside Terraform: a new key pair on the next apply.
					PreConfig: func() {
						if err := srv.DeleteAccessKey(onlyAccessKey(t, srv)); err != nil {
							t.Fatal(err)
						}
					},
					Config:           updated,
					ConfigPlanChecks: planAction(connectionName, plancheck.ResourceActionUpdate),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(connectionName, tfjsonpath.New("verified_permissions"), updatedLevels),
					},
					Check: connectionKeyMatches(t, srv, "appcircle"),
				},
			},
		})
	})
}

// TestAccConnectionAccessKeyPermissionDrift: a Data Center key whose
// permission is lowered out of band shows as a diff (verified_permissions)
// and the apply puts it back in place.
func TestAccConnectionAccessKeyPermissionDrift(t *testing.T) {
	srv := startEmulator(t, emulator.DataCenter)
	config := connectionConfig(srv, `name = "mirror"`, `workspace = "PRJ"`, `repository = "api-service"`,
		`managed_access_key = { level = "repository", permission = "REPO_WRITE" }`)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(),
		Steps: []tfresource.TestStep{
			{Config: config, Check: connectionKeyMatches(t, srv, "mirror")},
			{
				PreConfig: func() {
					if err := srv.UpdateAccessKey(onlyAccessKey(t, srv), func(k *emulator.AccessKey) { k.Permission = "REPO_READ" }); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config,
				ConfigPlanChecks: planAction(connectionName, plancheck.ResourceActionUpdate),
				Check: func(*terraform.State) error {
					if p := onlyAccessKey(t, srv).Permission; p != "REPO_WRITE" {
						return fmt.Errorf("permission %s after the apply, want REPO_WRITE", p)
					}
					return nil
				},
			},
		},
	})
}

// TestAccConnectionAccessKeyLostCreateAnswer: the key's create answer is
// lost; the key with the same fingerprint is adopted: one key, one POST.
func TestAccConnectionAccessKeyLostCreateAnswer(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		c := accessKeyCases(product)[0]
		tfresource.Test(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []tfresource.TestStep{{
				PreConfig: func() {
					srv.InjectFault(emulator.Fault{Method: "POST", Route: c.route, Kind: emulator.FaultDropResponse, Times: 1})
				},
				Config: connectionConfig(srv, `name = "lost"`, fmt.Sprintf("workspace = %q", seededWorkspace(product)),
					`repository = "api-service"`, `managed_access_key = { level = "repository" }`),
				Check: tfresource.ComposeTestCheckFunc(
					connectionKeyMatches(t, srv, "lost"),
					func(*terraform.State) error {
						if n := srv.RequestCount("POST", c.route); n != 1 {
							return fmt.Errorf("%d creates sent, want 1", n)
						}
						return nil
					},
				),
			}},
		})
	})
}

// TestAccConnectionAccessKeyPlanTimeChecks: the product's rules at plan time.
func TestAccConnectionAccessKeyPlanTimeChecks(t *testing.T) {
	cloud := startEmulator(t, emulator.Cloud)
	dc := startEmulator(t, emulator.DataCenter)
	cases := map[string]struct {
		config string
		want   string
	}{
		"cloud keys are read-only": {connectionConfig(cloud, `name = "x"`, `workspace = "acme"`, `repository = "api-service"`,
			`managed_access_key = { level = "repository", permission = "REPO_WRITE" }`), `read-only`},
		"cloud project key needs a project": {connectionConfig(cloud, `name = "x"`, `workspace = "acme"`,
			`managed_access_key = { level = "project" }`), `On Bitbucket Cloud a project lives inside a workspace`},
		"data center refuses a project": {connectionConfig(dc, `name = "x"`, `workspace = "PRJ"`,
			`managed_access_key = { level = "project", project = "PRJ" }`), `the project is the workspace`},
		"a repository key needs a repository": {connectionConfig(dc, `name = "x"`, `workspace = "PRJ"`,
			`managed_access_key = { level = "repository" }`), `A repository key needs a repository`},
		"one credential": {connectionConfig(dc, `name = "x"`, `workspace = "PRJ"`, `repository = "api-service"`, `token = "t"`,
			`managed_access_key = { level = "repository" }`), `managed_access_key`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tfresource.Test(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories(),
				Steps:                    []tfresource.TestStep{{Config: tc.config, PlanOnly: true, ExpectError: errorText(tc.want)}},
			})
		})
	}
}

// TestAccConnectionAccessKeySSHCheck: with check_ssh the apply signs in over
// SSH with the new private key (the emulator's SSH endpoint records the
// use); where the SSH port cannot be reached the apply fails and says so.
func TestAccConnectionAccessKeySSHCheck(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		if _, err := srv.ServeSSH(); err != nil {
			t.Fatal(err)
		}
		tfresource.Test(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []tfresource.TestStep{{
				Config: connectionConfig(srv, `name = "ssh"`, fmt.Sprintf("workspace = %q", seededWorkspace(product)),
					`repository = "api-service"`, `managed_access_key = { level = "repository", check_ssh = true }`),
				Check: tfresource.ComposeTestCheckFunc(
					connectionKeyMatches(t, srv, "ssh"),
					func(*terraform.State) error {
						if onlyAccessKey(t, srv).LastUsed.IsZero() {
							return fmt.Errorf("the SSH check did not sign in with the key")
						}
						return nil
					},
				),
			}},
		})
	})
	t.Run("unreachable", func(t *testing.T) {
		srv := startEmulator(t, emulator.DataCenter) // no SSH endpoint: clone_ssh names port 7999
		tfresource.Test(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories(),
			Steps: []tfresource.TestStep{{
				Config: connectionConfig(srv, `name = "ssh"`, `workspace = "PRJ"`, `repository = "api-service"`,
					`managed_access_key = { level = "repository", check_ssh = true }`),
				ExpectError: errorText(`The access key does not work over SSH`, `set check_ssh = false`),
			}},
		})
	})
}
