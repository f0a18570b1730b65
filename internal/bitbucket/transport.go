package bitbucket

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// newHTTPClient builds the transport chain, outermost first:
//
//	retry (shared 429 gate, backoff, per-attempt timeout)
//	 -> User-Agent
//	  -> credentials (Basic, Bearer or OAuth with refresh on 401)
//	   -> logging (one line per attempt, bodies at trace)
//	    -> *http.Transport (or cfg.Transport)
//
// Logging sits below the retry layer so that every attempt is logged.
func newHTTPClient(cfg Config, base *url.URL) (*httpClient, error) {
	cfg = withDefaults(cfg)

	baseRT := cfg.Transport
	if baseRT == nil {
		t, err := newBaseTransport(cfg)
		if err != nil {
			return nil, err
		}
		baseRT = t
	}

	red := newRedactor(cfg)
	userAgent := "terraform-provider-bitbucket/" + cfg.Version
	log := clientLog{logger: cfg.Logger, redactor: red}
	logged := &loggingTransport{next: baseRT, log: log}

	h := &httpClient{base: base, redactor: red, log: log, cfg: cfg, transport: baseRT}
	var auth http.RoundTripper
	switch {
	case cfg.Username != "":
		auth = &headerAuthTransport{next: logged, base: base, value: basicAuth(cfg.Username, cfg.Token)}
	case cfg.AccessToken != "":
		auth = &headerAuthTransport{next: logged, base: base, value: "Bearer " + cfg.AccessToken}
	default:
		ts, err := newOAuthTokenSource(cfg, &userAgentTransport{next: logged, userAgent: userAgent})
		if err != nil {
			return nil, err
		}
		h.oauth = ts
		red.dynamic = ts.current
		auth = &oauthTransport{next: logged, base: base, tokens: ts}
	}

	retry := &retryTransport{
		next:           &userAgentTransport{next: auth, userAgent: userAgent},
		gate:           &rateGate{},
		maxRetries:     cfg.MaxRetries,
		waitMin:        cfg.RetryWaitMin,
		waitMax:        cfg.RetryWaitMax,
		attemptTimeout: cfg.RequestTimeout,
		redactor:       red,
		log:            log,
	}
	h.retry = retry
	h.http = &http.Client{Transport: retry}
	return h, nil
}

func withDefaults(cfg Config) Config {
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = defaultRetryWaitMin
	}
	if cfg.RetryWaitMax <= 0 {
		cfg.RetryWaitMax = defaultRetryWaitMax
	}
	if cfg.RetryWaitMax < cfg.RetryWaitMin {
		cfg.RetryWaitMax = cfg.RetryWaitMin
	}
	if cfg.OAuthTokenURL == "" {
		cfg.OAuthTokenURL = DefaultCloudOAuthTokenURL
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	return cfg
}

// newBaseTransport is the one connection pool of a client. Terraform runs
// 10 operations in parallel by default, so keep more idle connections per
// host than Go's default of 2.
func newBaseTransport(cfg Config) (*http.Transport, error) {
	def, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, errors.New("http.DefaultTransport is not an *http.Transport")
	}
	t := def.Clone()
	t.Proxy = http.ProxyFromEnvironment
	t.MaxIdleConns = 100
	t.MaxIdleConnsPerHost = 32
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACertPEM != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(cfg.CACertPEM)) {
			return nil, errors.New("ca_cert_pem holds no PEM-encoded certificate")
		}
		tlsConfig.RootCAs = pool
	}
	if cfg.InsecureSkipVerify {
		tlsConfig.InsecureSkipVerify = true //nolint:gosec // the user asked for it; the provider warns
	}
	t.TLSClientConfig = tlsConfig
	return t, nil
}

// userAgentTransport sets the User-Agent.
type userAgentTransport struct {
	next      http.RoundTripper
	userAgent string
}

func (t *userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("User-Agent", t.userAgent)
	return t.next.RoundTrip(r)
}

// headerAuthTransport sets a fixed Authorization header (Basic or Bearer),
// only on requests to the configured server: a redirect or a paging link to
// another host never carries the credentials.
type headerAuthTransport struct {
	next  http.RoundTripper
	base  *url.URL
	value string
}

func (t *headerAuthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !shouldAuthenticate(req, t.base) {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", t.value)
	return t.next.RoundTrip(r)
}

func shouldAuthenticate(req *http.Request, base *url.URL) bool {
	if skip, _ := req.Context().Value(noAuthKey).(bool); skip {
		return false
	}
	return sameOrigin(req.URL, base)
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

func basicAuth(user, password string) string {
	r := &http.Request{Header: http.Header{}}
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}
