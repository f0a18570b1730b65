package bitbucket

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// LogLevel is the level of a client log line.
type LogLevel int

const (
	// LogTrace lines carry request and answer headers and bodies.
	LogTrace LogLevel = iota
	// LogDebug lines say one request was sent, answered or retried.
	LogDebug
	// LogWarn lines say something the user may want to fix.
	LogWarn
)

// Logger receives the client's log lines (Config.Logger). The client masks
// secrets before it calls Log, so a Logger needs no masks of its own. ctx is
// the request's context: a Logger may read it (the provider's adapter finds
// Terraform's logger there) but must not keep it past the call.
type Logger interface {
	// Enabled reports whether lines of level would be written; the client
	// builds no fields (and reads no bodies) for a level that is not.
	Enabled(ctx context.Context, level LogLevel) bool
	Log(ctx context.Context, level LogLevel, msg string, fields map[string]any)
}

// clientLog is a client's Logger with its redactor in front.
type clientLog struct {
	logger   Logger // nil: nothing is logged
	redactor *redactor
}

func (l clientLog) enabled(ctx context.Context, level LogLevel) bool {
	return l.logger != nil && l.logger.Enabled(ctx, level)
}

// log writes one line with every secret string masked in the message and the
// string fields, and the values of credential keys replaced.
func (l clientLog) log(ctx context.Context, level LogLevel, msg string, fields map[string]any) {
	if !l.enabled(ctx, level) {
		return
	}
	masked := make(map[string]any, len(fields))
	for k, v := range fields {
		switch {
		case secretKeys[strings.ToLower(k)] || credentialHeaders[strings.ToLower(k)]:
			v = redacted
		default:
			if s, ok := v.(string); ok {
				v = l.redactor.mask(s)
			}
		}
		masked[k] = v
	}
	l.logger.Log(ctx, level, l.redactor.mask(msg), masked)
}

// credentialHeaders are the headers whose values never reach the log: they
// carry credentials or a session (a cookie logs the caller in as well).
var credentialHeaders = map[string]bool{
	"authorization":       true,
	"proxy-authorization": true,
	"cookie":              true,
	"set-cookie":          true,
}

// maxLoggedBody bounds a body written to the trace log.
const maxLoggedBody = 64 << 10

// secretKeys are JSON (and form) keys whose values are replaced in logged
// bodies, at any depth (configuration.secret, credentials.password, ...).
var secretKeys = map[string]bool{
	"token":         true,
	"secret":        true,
	"password":      true,
	"access_token":  true,
	"refresh_token": true,
	"client_secret": true,
}

const redacted = "***"

// redactor knows the secret strings of one client: the configured
// credentials and, with OAuth, the current access token.
type redactor struct {
	static  []string
	dynamic func() string
}

func newRedactor(cfg Config) *redactor {
	var s []string
	add := func(v string) {
		if v != "" {
			s = append(s, v)
		}
	}
	add(cfg.Token)
	add(cfg.AccessToken)
	add(cfg.OAuthClientSecret)
	if cfg.Username != "" && cfg.Token != "" {
		add(base64.StdEncoding.EncodeToString([]byte(cfg.Username + ":" + cfg.Token)))
	}
	if cfg.OAuthClientID != "" && cfg.OAuthClientSecret != "" {
		add(base64.StdEncoding.EncodeToString([]byte(cfg.OAuthClientID + ":" + cfg.OAuthClientSecret)))
	}
	return &redactor{static: s}
}

func (r *redactor) secrets() []string {
	if r == nil {
		return nil
	}
	out := append([]string(nil), r.static...)
	if r.dynamic != nil {
		if v := r.dynamic(); v != "" {
			out = append(out, v)
		}
	}
	// Longest first, so a secret containing another is masked whole.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// mask replaces every secret string in s.
func (r *redactor) mask(s string) string {
	for _, secret := range r.secrets() {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

// maskError hides secret strings in err's text, keeping its chain.
func (r *redactor) maskError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if masked := r.mask(msg); masked != msg {
		return &maskedError{msg: masked, err: err}
	}
	return err
}

// loggingTransport logs every attempt at debug (method, URL, status,
// duration, attempt) and, at trace, the headers and bodies with secrets
// redacted. The Authorization header is never logged.
type loggingTransport struct {
	next http.RoundTripper
	log  clientLog
}

func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if !t.log.enabled(ctx, LogDebug) {
		// Nothing would be written: build no fields, mask nothing.
		return t.next.RoundTrip(req)
	}
	fields := map[string]any{
		"method": req.Method,
		"url":    req.URL.Redacted(),
	}
	if a, ok := ctx.Value(attemptKey).(int); ok {
		fields["attempt"] = a
	}
	trace := t.log.enabled(ctx, LogTrace)
	if trace {
		reqFields := copyFields(fields)
		reqFields["headers"] = headerText(req.Header)
		if body := requestBodyForLog(req); body != "" {
			reqFields["body"] = redactBody([]byte(body), req.Header.Get("Content-Type"))
		}
		t.log.log(ctx, LogTrace, "Sending Bitbucket API request", reqFields)
	}

	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	fields["duration_ms"] = time.Since(start).Milliseconds()
	if err != nil {
		fields["error"] = err.Error()
		t.log.log(ctx, LogDebug, "Bitbucket API request failed", fields)
		return nil, err
	}
	fields["status"] = resp.StatusCode
	t.log.log(ctx, LogDebug, "Bitbucket API response", fields)

	if trace {
		body, readErr := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if readErr != nil {
			// Hand the failure on: the caller sees the same broken body.
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{readErr}))
		}
		respFields := copyFields(fields)
		respFields["headers"] = headerText(resp.Header)
		respFields["body"] = redactBody(body, resp.Header.Get("Content-Type"))
		t.log.log(ctx, LogTrace, "Bitbucket API response body", respFields)
	}
	return resp, nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func copyFields(f map[string]any) map[string]any {
	out := make(map[string]any, len(f)+2)
	for k, v := range f {
		out[k] = v
	}
	return out
}

func requestBodyForLog(req *http.Request) string {
	if req.Body == nil || req.Body == http.NoBody {
		return ""
	}
	if req.GetBody == nil {
		return "(body not logged: it cannot be read twice)"
	}
	rc, err := req.GetBody()
	if err != nil {
		return ""
	}
	defer func() { _ = rc.Close() }()
	b, _ := io.ReadAll(io.LimitReader(rc, maxLoggedBody+1))
	return string(b)
}

// headerText renders headers for the trace log with credentials hidden.
func headerText(h http.Header) string {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		value := strings.Join(h[name], ", ")
		if credentialHeaders[strings.ToLower(name)] {
			value = "[redacted]"
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(name + ": " + value)
	}
	return b.String()
}

// redactBody returns body for the log with the values of secret keys
// replaced, for JSON and form bodies; other bodies are returned as text.
func redactBody(body []byte, contentType string) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	out := string(body)
	if json.Valid(body) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			if b, err := json.Marshal(redactJSON(v)); err == nil {
				out = string(b)
			}
		}
	} else if strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		if vals, err := url.ParseQuery(string(body)); err == nil {
			for k := range vals {
				if secretKeys[strings.ToLower(k)] {
					vals[k] = []string{redacted}
				}
			}
			out = vals.Encode()
		}
	}
	if len(out) > maxLoggedBody {
		out = out[:maxLoggedBody] + "…(truncated)"
	}
	return out
}

func redactJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if secretKeys[strings.ToLower(k)] && val != nil {
				x[k] = redacted
				continue
			}
			x[k] = redactJSON(val)
		}
		return x
	case []any:
		for i := range x {
			x[i] = redactJSON(x[i])
		}
		return x
	default:
		return v
	}
}
