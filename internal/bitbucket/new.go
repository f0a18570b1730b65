package bitbucket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults for the Config fields whose zero value means "default".
const (
	defaultRetryWaitMin = time.Second
	defaultRetryWaitMax = 30 * time.Second
)

// New validates cfg, detects the product when cfg.Product is "" and returns a
// client for it. Detection sends one unauthenticated request to Data Center's
// application-properties unless the host is a Bitbucket Cloud host.
//
// BaseURL() of the result always ends in "/": Cloud's is the REST 2.0 root
// (https://api.bitbucket.org/2.0/; a base URL given without "/2.0" gets it),
// Data Center's is the server's root including any context path.
func New(ctx context.Context, cfg Config) (Client, error) {
	if err := validateCredentials(cfg); err != nil {
		return nil, err
	}
	if err := CheckProduct(cfg.Product); err != nil {
		return nil, fmt.Errorf("product %w", err)
	}
	if problems := CheckProductRules(cfg); len(problems) > 0 {
		return nil, problems[0]
	}

	base, err := parseBaseURL(cfg)
	if err != nil {
		return nil, err
	}
	product := cfg.Product
	if product == "" && isCloudHost(base.Hostname()) {
		product = ProductCloud
	}
	if product == ProductCloud {
		base = cloudAPIRoot(base)
	} else {
		base.Path = ensureSlash(base.Path)
	}

	if cfg.OAuthClientID != "" && product == "" {
		return nil, fmt.Errorf("oauth_client_id and oauth_client_secret work only with Bitbucket Cloud, and the server at %s is not a Bitbucket Cloud host; if it is Cloud, set product = %q", base, ProductCloud)
	}

	h, err := newHTTPClient(cfg, base)
	if err != nil {
		return nil, err
	}
	if product == ProductCloud {
		h.product = ProductCloud
		return newCachingClient(&cloudClient{h: h}), nil
	}

	return newDataCenterClient(ctx, h, base, product)
}

// newDataCenterClient reads the version of a Data Center server, named or
// not. Without a product the answer is also the proof that the server is
// Bitbucket Data Center.
func newDataCenterClient(ctx context.Context, h *httpClient, base *url.URL, product Product) (Client, error) {
	h.product = ProductDataCenter
	version, err := readApplicationProperties(ctx, h)
	if err != nil {
		switch {
		case IsCertificateError(err):
			return nil, fmt.Errorf("could not connect to %s: %s (%w)", base, certificateHint, err)
		case isTransportFailure(err):
			return nil, fmt.Errorf("could not reach the server at %s (%w); check base_url and the network path to it", base, err)
		case product == "":
			return nil, &wrongProductError{err: err, msg: fmt.Sprintf(
				"the server at %s does not look like Bitbucket Data Center (%v); if it is Bitbucket Cloud, set product = %q", base, err, ProductCloud)}
		}
		// product = "datacenter" was set explicitly: trust it and go on
		// without a version, which only disables version-gated features.
		h.log.log(ctx, LogWarn, "could not read the Data Center version", map[string]any{"error": err.Error()})
	}
	return newCachingClient(&dataCenterClient{h: h, version: version}), nil
}

// validateCredentials checks that exactly one complete auth mode is set
// (CheckAuthModes).
func validateCredentials(cfg Config) error {
	set := map[string]bool{
		"username": cfg.Username != "", "token": cfg.Token != "", "access_token": cfg.AccessToken != "",
		"oauth_client_id": cfg.OAuthClientID != "", "oauth_client_secret": cfg.OAuthClientSecret != "",
	}
	uses := CheckAuthModes(func(s string) bool { return set[s] })
	var names []string
	for _, u := range uses {
		if len(u.Missing) > 0 {
			return fmt.Errorf("%s is set but %s is not: %s go together", strings.Join(u.Present, " and "),
				strings.Join(u.Missing, " and "), u.Mode.Name)
		}
		names = append(names, u.Mode.Name)
	}
	switch len(uses) {
	case 0:
		return errors.New("no credentials: set " + AuthModeNames())
	case 1:
		return nil
	default:
		return fmt.Errorf("conflicting credentials: set only one of %s (got %s)", AuthModeNames(), strings.Join(names, "; "))
	}
}

// AuthModeNames names every auth mode: "a, b, or c".
func AuthModeNames() string {
	names := make([]string, len(AuthModes))
	for i, m := range AuthModes {
		names[i] = m.Name
	}
	return strings.Join(names[:len(names)-1], ", ") + ", or " + names[len(names)-1]
}

func parseBaseURL(cfg Config) (*url.URL, error) {
	raw := strings.TrimSpace(cfg.BaseURL)
	if raw == "" {
		raw = DefaultCloudBaseURL // CheckProductRules refused it for Data Center
	}
	u, err := CheckBaseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("base_url %w", err)
	}
	u.RawPath = ""
	return u, nil
}

func isCloudHost(host string) bool {
	host = strings.ToLower(host)
	return host == "api.bitbucket.org" || host == "bitbucket.org"
}

// cloudAPIRoot turns any accepted Cloud base URL into the REST 2.0 root
// ending in "/2.0/". The web host bitbucket.org serves the API on
// api.bitbucket.org.
func cloudAPIRoot(u *url.URL) *url.URL {
	c := *u
	if strings.EqualFold(c.Host, "bitbucket.org") {
		c.Host = "api.bitbucket.org"
	}
	p := strings.TrimSuffix(c.Path, "/")
	if !strings.HasSuffix(p, "/2.0") {
		p += "/2.0"
	}
	c.Path = p + "/"
	return &c
}

func ensureSlash(p string) string {
	if strings.HasSuffix(p, "/") {
		return p
	}
	return p + "/"
}

// readApplicationProperties asks a Data Center server for its version,
// without credentials (the resource is public).
func readApplicationProperties(ctx context.Context, h *httpClient) (string, error) {
	ctx = withoutAuth(ctx)
	body, err := h.send(ctx, http.MethodGet, h.url("rest/api/1.0/application-properties", nil), nil, true)
	if err != nil {
		return "", err
	}
	var props struct {
		Version     string `json:"version"`
		DisplayName string `json:"displayName"`
	}
	if err := json.Unmarshal(body, &props); err != nil {
		return "", fmt.Errorf("GET /rest/api/1.0/application-properties answered something that is not JSON: %s", summarizeBody(body, ""))
	}
	if props.Version == "" {
		return "", errors.New("GET /rest/api/1.0/application-properties answered JSON without a version")
	}
	return props.Version, nil
}
