package provider

import (
	"context"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// TestAccessKeyLevelSpecs: the one table of access-key levels matches the
// resources: each level's parent attribute is in the resource's schema and
// the list resource's filters, each identity attribute is a state attribute
// of the resource and an import-ID part (plus workspace), and an unknown
// level is never taken for another one.
func TestAccessKeyLevelSpecs(t *testing.T) {
	t.Parallel()
	levels := []bitbucket.AccessKeyLevel{bitbucket.AccessKeyLevelRepository, bitbucket.AccessKeyLevelProject}
	if len(accessKeyLevels) != len(levels) {
		t.Fatalf("%d access key level specs for %d levels", len(accessKeyLevels), len(levels))
	}
	ctx := context.Background()
	for _, level := range levels {
		spec := accessKeyLevel(level)
		r := &accessKeyResource{spec: spec}
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		if _, ok := resp.Schema.Attributes[spec.parent]; !ok {
			t.Errorf("%s: the schema has no parent attribute %q", level, spec.parent)
		}
		var listResp list.ListResourceSchemaResponse
		(&accessKeyListResource{*r}).ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &listResp)
		if _, ok := listResp.Schema.Attributes[spec.parent]; !ok {
			t.Errorf("%s: the list resource has no %q filter", level, spec.parent)
		}
		var idResp resource.IdentitySchemaResponse
		r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &idResp)
		for name := range idResp.IdentitySchema.Attributes {
			if _, ok := resp.Schema.Attributes[name]; !ok {
				t.Errorf("%s: identity attribute %q is not a state attribute", level, name)
			}
		}
		// The longest import ID names workspace, the parent where it is one, and id.
		var parts []string
		for _, p := range spec.importParts("ws/parent/1") {
			parts = append(parts, p.attribute)
		}
		if want := []string{"workspace", spec.parent, "id"}; !slices.Equal(parts, want) {
			t.Errorf("%s: import ID parts %v, want %v", level, parts, want)
		}
		if spec.read == "" || spec.write == "" || spec.description == "" || spec.listDescription == "" {
			t.Errorf("%s: incomplete spec %+v", level, spec)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown access key level was accepted")
		}
	}()
	accessKeyLevel("workspace")
}
