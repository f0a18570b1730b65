package provider

import (
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestAccAccessKeyParentChangeReplacesKey: a key lives on its repository or
// project; moving it to another one makes a new key there (and deletes the
// old one), never an update in place of the key on the old parent.
func TestAccAccessKeyParentChangeReplacesKey(t *testing.T) {
	t.Parallel() // every subtest starts its own emulator
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		t.Parallel()
		moves := map[string][2]string{
			`repository = "api-service"`: {`repository = "api-service"`, `repository = "web-app"`},
			`project = "API"`:            {`project = "API"`, `project = "WEB"`},
		}
		for _, c := range accessKeyCases(product) {
			var move [2]string
			for _, line := range c.scope {
				if m, ok := moves[line]; ok {
					move = m
				}
			}
			if move[0] == "" {
				continue // Data Center's project key: its parent is the workspace
			}
			t.Run(c.typeName, func(t *testing.T) {
				t.Parallel()
				srv := startEmulator(t, product)
				res := c.typeName + ".test"
				moved := c
				moved.scope = nil
				for _, line := range c.scope {
					moved.scope = append(moved.scope, strings.Replace(line, move[0], move[1], 1))
				}
				tfresource.Test(t, tfresource.TestCase{
					ProtoV6ProviderFactories: testProviderFactories(),
					CheckDestroy:             noAccessKeysLeft(srv),
					Steps: []tfresource.TestStep{
						{
							Config:            accessKeyConfig(srv, c, `label = "ci"`),
							ConfigStateChecks: []statecheck.StateCheck{keyTracksEmulator{t, srv, res, true}},
						},
						{
							Config:            accessKeyConfig(srv, moved, `label = "ci"`),
							ConfigPlanChecks:  planAction(res, plancheck.ResourceActionDestroyBeforeCreate),
							ConfigStateChecks: []statecheck.StateCheck{keyTracksEmulator{t, srv, res, true}},
						},
					},
				})
			})
		}
	})
}
