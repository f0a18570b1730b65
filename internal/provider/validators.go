package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// authSource records one auth attribute that has a value and where it came
// from ("configuration" or the environment variable's name).
type authSource struct {
	attribute string
	source    string
}

// authSettings is the set of auth attributes that have values.
type authSettings struct {
	sources []authSource
}

func (a authSettings) has(attribute string) bool {
	for _, s := range a.sources {
		if s.attribute == attribute {
			return true
		}
	}
	return false
}

func (a authSettings) describe(attributes ...string) string {
	var parts []string
	for _, name := range attributes {
		for _, s := range a.sources {
			if s.attribute == name {
				if s.source == "configuration" {
					parts = append(parts, name)
				} else {
					parts = append(parts, fmt.Sprintf("%s (from %s)", name, s.source))
				}
			}
		}
	}
	return strings.Join(parts, " + ")
}

// checkAuthMode reports conflicting modes and incomplete pairs by the
// client's one rule (bitbucket.CheckAuthModes), naming the attributes and
// where their values came from. requireOne also reports incomplete pairs
// and no mode at all (at validation the environment may still complete
// them).
func checkAuthMode(a authSettings, requireOne bool) diag.Diagnostics {
	var diags diag.Diagnostics
	var used []string
	for _, use := range bitbucket.CheckAuthModes(a.has) {
		used = append(used, a.describe(use.Mode.Settings...))
		if len(use.Missing) > 0 && requireOne {
			missing := use.Missing[0]
			diags.AddAttributeError(path.Root(missing), "Incomplete Bitbucket credentials",
				fmt.Sprintf("%s is set but %s is not. Set %s (or BITBUCKET_%s) as well.",
					a.describe(use.Present...), missing, missing, strings.ToUpper(missing)))
		}
	}
	if len(used) > 1 {
		diags.AddError("Conflicting Bitbucket credentials",
			fmt.Sprintf("More than one way to authenticate is set: %s. Set only one of: %s (a value from a BITBUCKET_* "+
				"environment variable counts as set).", strings.Join(used, "; "), bitbucket.AuthModeNames()))
	}
	if len(used) == 0 && requireOne {
		diags.AddError("Missing Bitbucket credentials",
			fmt.Sprintf("No credentials are configured. Set %s in the provider block, or the matching BITBUCKET_* "+
				"environment variables.", bitbucket.AuthModeNames()))
	}
	return diags
}

// authModeValidator rejects, at plan time, a provider block that sets more
// than one auth mode itself. Incomplete pairs are checked at configure time,
// when the environment can complete them.
type authModeValidator struct{}

var _ provider.ConfigValidator = authModeValidator{}

func (authModeValidator) Description(context.Context) string {
	return "at most one of " + bitbucket.AuthModeNames() + " is set"
}

func (v authModeValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (authModeValidator) ValidateProvider(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var a authSettings
	for _, setting := range providerSettings {
		if setting.kind != settingCredential {
			continue
		}
		name := setting.name
		var value types.String
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(name), &value)...)
		// Unknown values count as set: they will hold a value at apply time.
		if !value.IsNull() && (value.IsUnknown() || value.ValueString() != "") {
			a.sources = append(a.sources, authSource{attribute: name, source: "configuration"})
		}
	}
	resp.Diagnostics.Append(checkAuthMode(a, false)...)
}

// webhookURLDescription describes every webhook `url`.
const webhookURLDescription = "The absolute `http://` or `https://` URL events are delivered to (a port from 1 to " +
	"65535, no white space). A user name or password in it (`https://user:pass@…`) is shown in clear in plans and " +
	"kept in state; the provider warns about it. Prefer a secret (`secret_wo`) the receiver checks."

// httpURLValidator checks a URL attribute with the client's rule
// (bitbucket.CheckHTTPURL) and warns when it holds credentials, which
// plan output and state show in clear.
type httpURLValidator struct{}

func (httpURLValidator) Description(context.Context) string {
	return "must be an absolute http:// or https:// URL"
}
func (v httpURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (httpURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	u, err := bitbucket.CheckHTTPURL(req.ConfigValue.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid URL", fmt.Sprintf("%s %s.", req.Path, err))
		return
	}
	if u.User != nil {
		resp.Diagnostics.AddAttributeWarning(req.Path, "URL holds credentials",
			fmt.Sprintf("%s holds a user name or password (user:password@). Terraform shows it in clear in plans and "+
				"keeps it in state; prefer a secret (secret_wo) that the receiver checks.", req.Path))
	}
}

// baseURLValidator checks base_url with the client's one rule
// (bitbucket.CheckBaseURL), at validation, before anything logs it.
type baseURLValidator struct{}

func (baseURLValidator) Description(context.Context) string {
	return "must be an absolute http:// or https:// URL without credentials, query or fragment"
}
func (v baseURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (baseURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := bitbucket.CheckBaseURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid base_url", fmt.Sprintf("%s %s.", req.Path, err))
	}
}

// durationValidator checks a string attribute is a positive Go duration.
type durationValidator struct{}

func (durationValidator) Description(context.Context) string {
	return fmt.Sprintf("must be a positive duration such as %q or \"2m\"", bitbucket.DefaultRequestTimeout)
}
func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseDuration(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration", fmt.Sprintf("%s %s.", req.Path, err))
	}
}

// parseDuration is the one rule for a duration setting: a positive Go
// duration.
func parseDuration(raw string) (time.Duration, error) {
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return d, fmt.Errorf("is %q; use a positive Go duration such as %q or \"2m\"", raw, bitbucket.DefaultRequestTimeout)
	}
	return d, nil
}

// productNames are the values product accepts, from the client's list.
func productNames() []string {
	names := make([]string, len(bitbucket.Products))
	for i, p := range bitbucket.Products {
		names[i] = string(p)
	}
	return names
}

// identifierValidator checks a workspace, repository or user attribute with
// the client's rule for that kind (bitbucket.CheckIdentifier), so "." and
// ".." and anything else that is not a slug or key fail at plan time.
type identifierValidator struct {
	kind bitbucket.IdentifierKind
}

// identifierKinds are the attributes that name a path segment, by name.
var identifierKinds = map[string]bitbucket.IdentifierKind{
	"workspace": bitbucket.IdentifierWorkspace, "repository": bitbucket.IdentifierRepository, "user": bitbucket.IdentifierUser,
}

var (
	workspaceValidator  = identifierValidator{bitbucket.IdentifierWorkspace}
	repositoryValidator = identifierValidator{bitbucket.IdentifierRepository}
	userValidator       = identifierValidator{bitbucket.IdentifierUser}
)

func (v identifierValidator) Description(context.Context) string {
	return fmt.Sprintf("must be a %s identifier Bitbucket accepts in a path", v.kind)
}
func (v identifierValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v identifierValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := bitbucket.CheckIdentifier(v.kind, req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+string(v.kind), fmt.Sprintf("%s %s.", req.Path, err))
	}
}

// nameValidators check a display name: 1 to maxLength characters (not
// bytes), not only white space.
func nameValidators(maxLength int) []validator.String {
	return []validator.String{stringvalidator.UTF8LengthBetween(1, maxLength), notBlankValidator{}}
}

// notBlankValidator rejects a value of only white space, which Data Center
// refuses at apply time and Cloud stores as a blank name.
type notBlankValidator struct{}

func (notBlankValidator) Description(context.Context) string {
	return "must not be only white space"
}
func (v notBlankValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (notBlankValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || req.ConfigValue.ValueString() == "" {
		return
	}
	if strings.TrimSpace(req.ConfigValue.ValueString()) == "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Blank "+req.Path.String(),
			fmt.Sprintf("%s is only white space; give it a visible name.", req.Path))
	}
}

// preferWriteOnly warns, where Terraform supports write-only attributes
// (1.11+), that a secret set in attribute would be kept out of state by
// writeOnly. It does what resourcevalidator.PreferWriteOnlyAttribute does,
// but its warning names no attribute path: Terraform prints the source line
// of a path, and that line holds the secret (the secrets audit caught it).
type preferWriteOnly struct {
	attribute, writeOnly string
	// tradeOff is what the write-only attribute costs ("" for nothing), so
	// the advice is not one-sided.
	tradeOff string
}

func (v preferWriteOnly) Description(context.Context) string {
	return fmt.Sprintf("prefer %s to %s", v.writeOnly, v.attribute)
}
func (v preferWriteOnly) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v preferWriteOnly) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	if !req.ClientCapabilities.WriteOnlyAttributesAllowed {
		return
	}
	var value types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(v.attribute), &value)...)
	if value.IsNull() {
		return
	}
	detail := fmt.Sprintf("%s is kept in plan and state. This Terraform supports write-only attributes: set %s (with its "+
		"version attribute) instead, and the secret is never stored.", v.attribute, v.writeOnly)
	if v.tradeOff != "" {
		detail += " " + v.tradeOff
	}
	resp.Diagnostics.AddWarning("Prefer the write-only "+v.writeOnly, detail)
}
