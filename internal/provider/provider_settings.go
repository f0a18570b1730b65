package provider

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// The provider block's settings, each written once: its schema, its
// environment variable, how its text is read and where it goes.
//
// Precedence, the same for every setting: a value in the configuration wins;
// otherwise BITBUCKET_<NAME> from the environment. Two exceptions, both kept
// from the settings' kinds below:
//   - credentials (settingCredential) keep their exact bytes (a line break
//     in one is refused, refuseLineBreak), and when the
//     block sets a credential itself the environment may only complete that
//     block's auth mode (token = … with BITBUCKET_TOKEN), so an aliased block
//     with access_token works while BITBUCKET_USERNAME/BITBUCKET_TOKEN
//     configure the default one;
//   - other text from the environment is trimmed of white space (a shell
//     `export` often carries a newline); configuration text is checked by the
//     attribute's validators instead.

// settingKind is how a setting's text is read.
type settingKind int

const (
	settingText        settingKind = iota // a string
	settingCredential                     // a string that belongs to an auth mode (bitbucket.AuthModes)
	settingBool                           // true / false
	settingWholeNumber                    // an int64 attribute
)

// providerSetting is one attribute of the provider block.
type providerSetting struct {
	name      string
	kind      settingKind
	sensitive bool
	// description is the attribute's documentation; the environment
	// variable is appended to it.
	description string
	// stringValidators or int64Validators check the configured value.
	stringValidators []validator.String
	int64Validators  []validator.Int64
	// apply stores the merged text in s; an error is reported on the
	// attribute, naming where the text came from.
	apply func(s *resolvedSettings, text string) error
}

func (p providerSetting) envName() string { return "BITBUCKET_" + strings.ToUpper(p.name) }

// providerSettings lists every provider attribute, in the order they are
// documented and reported.
var providerSettings = []providerSetting{
	{name: "base_url", kind: settingText,
		description: "Base URL of the Bitbucket API. Bitbucket Cloud: `" + bitbucket.DefaultCloudBaseURL + "` (the default). " +
			"Data Center / Server: the server's base URL, e.g. `https://bitbucket.example.com` (with the context path, if any).",
		stringValidators: []validator.String{baseURLValidator{}},
		apply:            func(s *resolvedSettings, v string) error { s.cfg.BaseURL = strings.TrimRight(v, "/"); return nil }},
	{name: "product", kind: settingText,
		description: "`cloud` or `datacenter`. Detected when unset: the Cloud hosts are Cloud, any other server must answer " +
			"Data Center's `application-properties` (its version is then used for feature checks).",
		stringValidators: []validator.String{stringvalidator.OneOf(productNames()...)},
		apply: func(s *resolvedSettings, v string) error {
			s.cfg.Product = bitbucket.Product(v)
			return bitbucket.CheckProduct(s.cfg.Product)
		}},
	{name: "workspace", kind: settingText,
		description: "Default `workspace` for resources and data sources that omit it: a Cloud workspace slug or a Data " +
			"Center project key.",
		stringValidators: []validator.String{workspaceValidator},
		apply: func(s *resolvedSettings, v string) error {
			s.workspace = v
			if v == "" {
				return nil
			}
			return bitbucket.CheckIdentifier(bitbucket.IdentifierWorkspace, v)
		}},
	{name: "username", kind: settingCredential,
		description: "Basic auth user, used with `token`: the Atlassian account email on Cloud (with an API token), or the " +
			"user name on Data Center (with a password or personal access token).",
		apply: func(s *resolvedSettings, v string) error { s.cfg.Username = strings.TrimSpace(v); return nil }},
	{name: "token", kind: settingCredential, sensitive: true,
		description: "Secret for `username`: a Cloud API token, or a Data Center password or personal access token. " +
			"Managing Data Center access tokens needs a password here (Bitbucket does not let a token create tokens).",
		apply: func(s *resolvedSettings, v string) error { s.cfg.Token = v; return refuseLineBreak(v, "\r\n") }},
	{name: "access_token", kind: settingCredential, sensitive: true,
		description: "Bearer token: a Cloud workspace, project or repository access token, or a Data Center HTTP access " +
			"token. Conflicts with `username`/`token` and the OAuth settings.",
		apply: func(s *resolvedSettings, v string) error { s.cfg.AccessToken = v; return refuseLineBreak(v, " \t\r\n") }},
	{name: "oauth_client_id", kind: settingCredential,
		description: "Cloud OAuth consumer key for the client-credentials grant; needs `oauth_client_secret`.",
		apply:       func(s *resolvedSettings, v string) error { s.cfg.OAuthClientID = strings.TrimSpace(v); return nil }},
	{name: "oauth_client_secret", kind: settingCredential, sensitive: true,
		description: "Cloud OAuth consumer secret.",
		apply: func(s *resolvedSettings, v string) error {
			s.cfg.OAuthClientSecret = v
			return refuseLineBreak(v, "\r\n")
		}},
	{name: "oauth_token_url", kind: settingText,
		description:      "OAuth token endpoint; defaults to `" + bitbucket.DefaultCloudOAuthTokenURL + "`.",
		stringValidators: []validator.String{httpURLValidator{}},
		apply:            func(s *resolvedSettings, v string) error { s.cfg.OAuthTokenURL = v; return nil }},
	{name: "ca_cert_pem", kind: settingText,
		description: "PEM-encoded CA certificate(s) trusted in addition to the system's, for a self-hosted server with a " +
			"private CA.",
		apply: func(s *resolvedSettings, v string) error { s.cfg.CACertPEM = v; return nil }},
	{name: "insecure_skip_verify", kind: settingBool,
		description: "Skip TLS certificate verification. Only for testing: it lets anyone on the path read your credentials.",
		apply: func(s *resolvedSettings, v string) error {
			if v == "" {
				return nil
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("is %q; use true or false", v)
			}
			s.cfg.InsecureSkipVerify = b
			return nil
		}},
	{name: "request_timeout", kind: settingText,
		description: fmt.Sprintf("Time limit of one HTTP request, as a Go duration such as `%s` (the default) or `2m`.",
			bitbucket.DefaultRequestTimeout),
		stringValidators: []validator.String{durationValidator{}},
		apply: func(s *resolvedSettings, v string) error {
			s.cfg.RequestTimeout = bitbucket.DefaultRequestTimeout
			if v == "" {
				return nil
			}
			d, err := parseDuration(v)
			s.cfg.RequestTimeout = d
			return err
		}},
	{name: "max_retries", kind: settingWholeNumber,
		description: fmt.Sprintf("Retries of a throttled (429) or failed (5xx, network) request that is safe to repeat; "+
			"default %d. A request that creates something is never repeated after a 5xx or a lost answer.", bitbucket.DefaultMaxRetries),
		int64Validators: []validator.Int64{int64validator.Between(0, bitbucket.MaxMaxRetries)},
		apply: func(s *resolvedSettings, v string) error {
			s.cfg.MaxRetries = bitbucket.DefaultMaxRetries
			if v == "" {
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > bitbucket.MaxMaxRetries {
				return fmt.Errorf("is %q; use a whole number from 0 to %d", v, bitbucket.MaxMaxRetries)
			}
			s.cfg.MaxRetries = n
			return nil
		}},
}

// refuseLineBreak: credentials keep their exact bytes (a password may hold
// spaces), but none holds a line break, and an access token (an HTTP header
// value) no white space at all. Such a value is nearly always the newline
// at the end of a file or of a CRLF .env line; sent, it fails as a 401, or
// as an access token cannot be sent at all and looks like an unreachable
// server. The error never shows the value.
func refuseLineBreak(v, refused string) error {
	if strings.ContainsAny(v, refused) {
		return fmt.Errorf("has a line break or white space that no Bitbucket credential holds (often the newline at " +
			"the end of a file, or a CRLF line of an .env file): remove it")
	}
	return nil
}

// providerSchemaAttributes is the provider block's schema, from the table.
func providerSchemaAttributes() map[string]schema.Attribute {
	attrs := make(map[string]schema.Attribute, len(providerSettings))
	for _, p := range providerSettings {
		doc := p.description + " Environment: `" + p.envName() + "`."
		switch p.kind {
		case settingBool:
			attrs[p.name] = schema.BoolAttribute{Optional: true, MarkdownDescription: doc}
		case settingWholeNumber:
			attrs[p.name] = schema.Int64Attribute{Optional: true, MarkdownDescription: doc, Validators: p.int64Validators}
		default:
			attrs[p.name] = schema.StringAttribute{Optional: true, Sensitive: p.sensitive, MarkdownDescription: doc,
				Validators: p.stringValidators}
		}
	}
	return attrs
}

// providerValues is the provider block as Terraform sends it, by attribute
// name (every setting of the table is present).
type providerValues map[string]attr.Value

// readProviderConfig reads every setting of the table from config.
func readProviderConfig(ctx context.Context, config tfsdk.Config) (providerValues, diag.Diagnostics) {
	var diags diag.Diagnostics
	c := make(providerValues, len(providerSettings))
	for _, p := range providerSettings {
		var v attr.Value
		switch p.kind {
		case settingBool:
			var b types.Bool
			diags.Append(config.GetAttribute(ctx, path.Root(p.name), &b)...)
			v = b
		case settingWholeNumber:
			var n types.Int64
			diags.Append(config.GetAttribute(ctx, path.Root(p.name), &n)...)
			v = n
		default:
			var s types.String
			diags.Append(config.GetAttribute(ctx, path.Root(p.name), &s)...)
			v = s
		}
		c[p.name] = v
	}
	return c, diags
}

// configuredText is a set value as text ("" when null or unknown).
func configuredText(v attr.Value) (string, bool) {
	if v == nil || v.IsNull() || v.IsUnknown() {
		return "", false
	}
	switch v := v.(type) {
	case types.String:
		return v.ValueString(), true
	case types.Bool:
		return strconv.FormatBool(v.ValueBool()), true
	case types.Int64:
		return strconv.FormatInt(v.ValueInt64(), 10), true
	}
	return "", false
}

// unknownAttributes lists the provider attributes whose values are unknown.
func unknownAttributes(c providerValues) []string {
	var unknown []string
	for _, p := range providerSettings {
		if v := c[p.name]; v != nil && v.IsUnknown() {
			unknown = append(unknown, p.name)
		}
	}
	return unknown
}

// resolvedSettings is the provider block merged with the environment.
type resolvedSettings struct {
	cfg       bitbucket.Config
	workspace string
}

// resolveSettings merges the configuration with BITBUCKET_* environment
// variables by the table's precedence and checks the combination, naming
// attributes in every error.
func resolveSettings(c providerValues, lookupEnv func(string) (string, bool)) (resolvedSettings, diag.Diagnostics) {
	var diags diag.Diagnostics
	var s resolvedSettings
	configured := configuredAuthModes(c)
	auth := authSettings{}
	for _, p := range providerSettings {
		text, source := mergedText(p, c[p.name], lookupEnv, configured)
		if p.kind == settingCredential && text != "" {
			auth.sources = append(auth.sources, authSource{attribute: p.name, source: source})
		}
		if err := p.apply(&s, text); err != nil {
			summary, where := "Invalid "+p.name, p.name+" (or "+p.envName()+")"
			if source == p.envName() {
				summary, where = "Invalid "+p.envName(), p.envName()
			}
			diags.AddAttributeError(path.Root(p.name), summary, where+" "+err.Error()+".")
		}
	}
	if s.cfg.BaseURL == "" && s.cfg.Product != bitbucket.ProductDataCenter {
		s.cfg.BaseURL = bitbucket.DefaultCloudBaseURL
	}
	if s.cfg.BaseURL != "" && s.cfg.BaseURL != bitbucket.DefaultCloudBaseURL {
		diags.Append(checkResolvedBaseURL(s.cfg)...)
	}
	diags.Append(checkAuthMode(auth, true)...)
	for _, problem := range bitbucket.CheckProductRules(s.cfg) {
		diags.AddAttributeError(path.Root(problem.Setting), problem.Summary, problem.Detail)
	}
	return s, diags
}

// mergedText is a setting's text by the table's precedence, and where it
// came from ("configuration" or the environment variable; "" when unset).
func mergedText(p providerSetting, v attr.Value, lookupEnv func(string) (string, bool), configured []bitbucket.AuthUse) (string, string) {
	if text, ok := configuredText(v); ok {
		return text, "configuration"
	}
	env, ok := lookupEnv(p.envName())
	if !ok || env == "" {
		return "", ""
	}
	if p.kind == settingCredential {
		if !envCompletes(configured, p.name) {
			return "", ""
		}
		return env, p.envName()
	}
	return strings.TrimSpace(env), p.envName()
}

// envCompletes says whether the environment may supply credential name: when
// the block sets no credential, or name belongs to a mode the block uses.
func envCompletes(configured []bitbucket.AuthUse, name string) bool {
	if len(configured) == 0 {
		return true
	}
	for _, use := range configured {
		if slices.Contains(use.Mode.Settings, name) {
			return true
		}
	}
	return false
}

// checkResolvedBaseURL checks a base URL given by the user with the client's
// rule, and warns when Basic credentials would travel over plain http.
func checkResolvedBaseURL(cfg bitbucket.Config) diag.Diagnostics {
	var diags diag.Diagnostics
	u, err := bitbucket.CheckBaseURL(cfg.BaseURL)
	switch {
	case err != nil:
		diags.AddAttributeError(path.Root("base_url"), "Invalid base_url", "base_url (or BITBUCKET_BASE_URL) "+err.Error()+".")
	case u.Scheme == "http" && !bitbucket.IsLoopbackURL(cfg.BaseURL) && cfg.Username != "" && cfg.Token != "":
		diags.AddAttributeWarning(path.Root("base_url"), "Credentials travel in clear",
			"base_url is a plain http:// URL and the provider signs in with username + token (HTTP Basic): anyone on the "+
				"network path can read them. Use the server's https:// URL.")
	}
	return diags
}

// configuredAuthModes are the auth modes of which the provider block sets
// at least one attribute.
func configuredAuthModes(c providerValues) []bitbucket.AuthUse {
	return bitbucket.CheckAuthModes(func(name string) bool {
		v := c[name]
		return v != nil && !v.IsNull()
	})
}

// secretValues are the configured credentials, masked in every log line.
func secretValues(cfg bitbucket.Config) []string {
	var out []string
	for _, v := range []string{cfg.Token, cfg.AccessToken, cfg.OAuthClientSecret} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
