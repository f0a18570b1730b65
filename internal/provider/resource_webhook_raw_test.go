package provider

import (
	"context"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// populatedWebhookModel sets every field of webhookModel to a non-null value
// that differs from field to field, found by reflection so a field added to
// the model is populated too (a field of a kind not handled here fails).
func populatedWebhookModel(t *testing.T) webhookModel {
	t.Helper()
	var m webhookModel
	v := reflect.ValueOf(&m).Elem()
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Tag.Get("tfsdk")
		var value attr.Value
		switch v.Field(i).Interface().(type) {
		case types.String:
			value = types.StringValue("value of " + name)
		case types.Bool:
			value = types.BoolValue(i%2 == 0)
		case types.Int64:
			value = types.Int64Value(int64(100 + i))
		case types.Set:
			value = types.SetValueMust(types.StringType, []attr.Value{types.StringValue(name + ":a"), types.StringValue(name + ":b")})
		default:
			t.Fatalf("webhookModel.%s (%s) has a type this test cannot populate: add it here", v.Type().Field(i).Name, name)
		}
		v.Field(i).Set(reflect.ValueOf(value))
	}
	return m
}

// TestWebhookRawPathMatchesTheFramework: the raw reader and writer of the
// webhook model (resource_webhook_raw.go) agree with the framework's own
// Get/SetAttribute for every attribute of a fully populated model, so an
// attribute added to the model but missed by the raw path fails here instead
// of staying null with no error.
func TestWebhookRawPathMatchesTheFramework(t *testing.T) {
	ctx := context.Background()
	for _, repositoryLevel := range []bool{true, false} {
		r := &webhookResource{repositoryLevel: repositoryLevel}
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		empty := func() tfsdk.State {
			return tfsdk.State{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)}
		}
		want := populatedWebhookModel(t)
		fields := reflect.ValueOf(want)
		modelAttributes := map[string]bool{}
		for i := 0; i < fields.NumField(); i++ {
			modelAttributes[fields.Type().Field(i).Tag.Get("tfsdk")] = true
		}
		for name := range sr.Schema.Attributes {
			if !modelAttributes[name] && name != "repository" {
				t.Errorf("schema attribute %q is not in webhookModel", name)
			}
		}

		checkRawWriter(t, r, empty(), want, repositoryLevel)
		checkRawReader(t, r, empty(), want, repositoryLevel)
	}
}

// checkRawWriter: what the raw writer stores reads back through the
// framework's GetAttribute as want, attribute by attribute.
func checkRawWriter(t *testing.T, r *webhookResource, written tfsdk.State, want webhookModel, repositoryLevel bool) {
	t.Helper()
	ctx := context.Background()
	fields := reflect.ValueOf(want)
	var diags diag.Diagnostics
	r.setWebhookState(ctx, &written, want, "api-service", &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
	for i := 0; i < fields.NumField(); i++ {
		name := fields.Type().Field(i).Tag.Get("tfsdk")
		got := reflect.New(fields.Field(i).Type())
		diags.Append(written.GetAttribute(ctx, path.Root(name), got.Interface())...)
		if !got.Elem().Interface().(attr.Value).Equal(fields.Field(i).Interface().(attr.Value)) {
			t.Errorf("repository level %v: raw writer stored %s = %v, want %v", repositoryLevel, name, got.Elem().Interface(), fields.Field(i).Interface())
		}
	}
}

// checkRawReader: what the framework's SetAttribute stores reads back
// through the raw reader as want.
func checkRawReader(t *testing.T, r *webhookResource, set tfsdk.State, want webhookModel, repositoryLevel bool) {
	t.Helper()
	ctx := context.Background()
	fields := reflect.ValueOf(want)
	var diags diag.Diagnostics
	for i := 0; i < fields.NumField(); i++ {
		diags.Append(set.SetAttribute(ctx, path.Root(fields.Type().Field(i).Tag.Get("tfsdk")), fields.Field(i).Interface())...)
	}
	if repositoryLevel {
		diags.Append(set.SetAttribute(ctx, path.Root("repository"), types.StringValue("api-service"))...)
	}
	if diags.HasError() {
		t.Fatal(diags)
	}
	got, repository := r.webhookModelFromRaw(ctx, set.Raw, &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
	gotFields := reflect.ValueOf(got)
	for i := 0; i < fields.NumField(); i++ {
		if !gotFields.Field(i).Interface().(attr.Value).Equal(fields.Field(i).Interface().(attr.Value)) {
			t.Errorf("repository level %v: raw reader read %s = %v, want %v", repositoryLevel,
				fields.Type().Field(i).Tag.Get("tfsdk"), gotFields.Field(i).Interface(), fields.Field(i).Interface())
		}
	}
	if repositoryLevel && repository != "api-service" {
		t.Errorf("raw reader read repository %q", repository)
	}
}
