package bitbucket

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// DefaultCloudBaseURL is Bitbucket Cloud's REST 2.0 API.
const DefaultCloudBaseURL = "https://api.bitbucket.org/2.0"

// DefaultCloudOAuthTokenURL is Bitbucket Cloud's OAuth2 token endpoint.
const DefaultCloudOAuthTokenURL = "https://bitbucket.org/site/oauth2/access_token"

// Defaults and bounds of the Config fields a user sets, the one place the
// provider's schema descriptions and checks take them from.
const (
	// DefaultRequestTimeout bounds one HTTP attempt when RequestTimeout is 0.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMaxRetries is the provider's default for MaxRetries.
	DefaultMaxRetries = 5
	// MaxMaxRetries is the largest MaxRetries the provider accepts.
	MaxMaxRetries = 20
)

// AuthMode is one way to authenticate, by the settings it needs (named as
// the provider's attributes).
type AuthMode struct {
	Name     string
	Settings []string
}

// AuthModes are the ways to authenticate; exactly one is set, completely.
var AuthModes = []AuthMode{
	{"username + token", []string{"username", "token"}},
	{"access_token", []string{"access_token"}},
	{"oauth_client_id + oauth_client_secret", []string{"oauth_client_id", "oauth_client_secret"}},
}

// AuthUse is one auth mode some of whose settings are set.
type AuthUse struct {
	Mode    AuthMode
	Present []string // the mode's settings that are set
	Missing []string // the mode's settings that are not
}

// CheckAuthModes is the one rule for credentials: it lists the modes of
// which has reports some setting. Valid is exactly one use with nothing
// missing.
func CheckAuthModes(has func(setting string) bool) []AuthUse {
	var uses []AuthUse
	for _, mode := range AuthModes {
		use := AuthUse{Mode: mode}
		for _, s := range mode.Settings {
			if has(s) {
				use.Present = append(use.Present, s)
			} else {
				use.Missing = append(use.Missing, s)
			}
		}
		if len(use.Present) > 0 {
			uses = append(uses, use)
		}
	}
	return uses
}

// Products are the products a client talks to.
var Products = []Product{ProductCloud, ProductDataCenter}

// CheckProduct reports whether p names a product ("" = detect it).
func CheckProduct(p Product) error {
	if p == "" || slices.Contains(Products, p) {
		return nil
	}
	return fmt.Errorf("is %q; it must be %q or %q (or unset to detect it)", p, ProductCloud, ProductDataCenter)
}

// Config is everything New needs. Exactly one auth mode is set: Username +
// Token (Basic), AccessToken (Bearer), or OAuthClientID + OAuthClientSecret
// (Cloud client credentials). The provider validates combinations before
// calling New; New validates them again and returns an error naming the
// fields.
type Config struct {
	BaseURL string
	// Product: "" detects it: the Cloud hosts (api.bitbucket.org,
	// bitbucket.org) are Cloud; anything else must answer Data Center's
	// application-properties.
	Product Product

	Username          string
	Token             string
	AccessToken       string
	OAuthClientID     string
	OAuthClientSecret string
	OAuthTokenURL     string // "" = DefaultCloudOAuthTokenURL

	CACertPEM          string
	InsecureSkipVerify bool

	// RequestTimeout bounds one HTTP attempt (0 = DefaultRequestTimeout).
	RequestTimeout time.Duration
	// MaxRetries is the number of retries after the first attempt for
	// retryable answers (negative = 0; the provider defaults it to 5).
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff when the
	// server gives no Retry-After (0 = 1s and 30s). Tests shorten them.
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration

	// Version goes into the User-Agent: terraform-provider-bitbucket/<Version>.
	Version string

	// Logger receives the request log, secrets masked (nil = no log). The
	// provider passes an adapter to Terraform's logger; a tool may pass its own.
	Logger Logger

	// Transport, when set, replaces the base transport (tests). TLS options
	// are then ignored.
	Transport http.RoundTripper
}

// ConfigProblem is a product rule a Config breaks, named by the provider
// setting to change.
type ConfigProblem struct {
	Setting string
	Summary string
	Detail  string
}

func (p ConfigProblem) Error() string { return p.Detail }

// CheckProductRules is the one statement of the rules that tie settings to a
// named product; New and the provider's configure step both call it. (A
// product that is detected, not named, is checked by New once it is known.)
func CheckProductRules(cfg Config) []ConfigProblem {
	var problems []ConfigProblem
	if cfg.Product == ProductDataCenter && strings.TrimSpace(cfg.BaseURL) == "" {
		problems = append(problems, ConfigProblem{Setting: "base_url", Summary: "Missing base_url",
			Detail: "product = \"datacenter\" needs base_url (or BITBUCKET_BASE_URL): the URL of your Bitbucket Data Center server."})
	}
	if cfg.Product == ProductDataCenter && cfg.OAuthClientID != "" {
		problems = append(problems, ConfigProblem{Setting: "oauth_client_id", Summary: "OAuth client credentials are Cloud only",
			Detail: "oauth_client_id / oauth_client_secret work with Bitbucket Cloud only. On Data Center use access_token " +
				"(an HTTP access token) or username + token."})
	}
	return problems
}
