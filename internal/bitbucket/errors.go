package bitbucket

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors. An *APIError matches exactly one of them with errors.Is,
// chosen from the HTTP status and, on Data Center, the exception name.
var (
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrConflict     = errors.New("conflict")
	ErrValidation   = errors.New("rejected by validation")
	ErrRateLimited  = errors.New("rate limited")
	ErrServer       = errors.New("server error")
	// ErrUnsupported is returned without a request when the product has no
	// API for the operation (e.g. access tokens on Cloud).
	ErrUnsupported = errors.New("not supported by this product")
	// ErrTokenAuthRefused matches, besides its status sentinel, Data
	// Center's refusal to let a caller authenticated with a token manage
	// access tokens (only password authentication may): a 401 whose message
	// says tokens cannot be used for this. A plain missing permission says
	// "not permitted" instead.
	ErrTokenAuthRefused = errors.New("token management needs password authentication")
	// ErrCredentialKindRefused matches, besides ErrForbidden, Bitbucket
	// Cloud's 403 for an API this kind of credential may never use (an
	// access token adding a deploy key): "This API is not accessible by this
	// authentication mechanism" (the answer quoted in
	// github.com/DrFaust92/terraform-provider-bitbucket/issues/221). No
	// permission or scope of that credential helps.
	ErrCredentialKindRefused = errors.New("this kind of credential may not use this API")
	// ErrWrongProduct: the server answered, but not as the configured
	// product does (a route every version of it serves is missing), so the
	// base URL or product is wrong.
	ErrWrongProduct = errors.New("the server does not look like the configured Bitbucket product")
)

// IsCertificateError reports whether err is a TLS failure to trust the
// server's certificate (unknown authority, wrong host name, expired).
func IsCertificateError(err error) bool { return isCertificateError(err) }

// certificateHint is what to do about a certificate the client cannot trust.
const certificateHint = "the server's certificate is not trusted: set ca_cert_pem to the PEM of the CA that signed it " +
	"(insecure_skip_verify = true turns the check off, for test servers only)"

// wrongProductError matches ErrWrongProduct and unwraps to the answer.
type wrongProductError struct {
	msg string
	err error
}

func (e *wrongProductError) Error() string        { return e.msg }
func (e *wrongProductError) Unwrap() error        { return e.err }
func (e *wrongProductError) Is(target error) bool { return target == ErrWrongProduct }

// wrongProduct wraps a 404 from a route the product always serves.
func wrongProduct(base string, product Product, err error) error {
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	return &wrongProductError{err: err,
		msg: fmt.Sprintf("the server at %s does not look like %s (%v); check base_url and product", base, productName(product), err)}
}

// productName is the product's name in messages.
func productName(p Product) string {
	if p == ProductCloud {
		return "Bitbucket Cloud"
	}
	return "Bitbucket Data Center"
}

// APIError is an error answer from Bitbucket.
type APIError struct {
	Method     string
	Path       string // path without query string
	StatusCode int
	// Message is the server's own message (Cloud error.message + detail, or
	// the Data Center errors[].message values joined).
	Message string
	// Exception is the Data Center exceptionName ("" on Cloud).
	Exception string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	kind       error
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message in the response"
	}
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.StatusCode, msg)
}

// Is lets errors.Is(err, ErrNotFound) and friends work.
func (e *APIError) Is(target error) bool {
	if target == ErrCredentialKindRefused {
		return e.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(e.Message), "not accessible by this authentication mechanism")
	}
	if target == ErrTokenAuthRefused {
		msg := strings.ToLower(e.Message)
		return e.StatusCode == 401 && strings.Contains(msg, "token") &&
			(strings.Contains(msg, "cannot") || strings.Contains(msg, "not allowed"))
	}
	return e.kind != nil && target == e.kind
}

// Kind is the sentinel this error matches.
func (e *APIError) Kind() error { return e.kind }

// UncertainError wraps a failure of a request that changes state (a create)
// where the server may have applied the change before the answer was lost:
// a broken connection, a timeout or a 5xx. Callers must look for the object
// before trying again, or they may create a duplicate.
type UncertainError struct{ Err error }

func (e *UncertainError) Error() string {
	return "the request may have been applied, but its answer was lost: " + e.Err.Error()
}
func (e *UncertainError) Unwrap() error { return e.Err }

// IsUncertain reports whether err says a change may have been applied.
func IsUncertain(err error) bool {
	var u *UncertainError
	return errors.As(err, &u)
}

// maxMessageLen bounds the part of a body that is not a known error
// envelope (an HTML page from a proxy, say) that goes into a Message.
const maxMessageLen = 300

// newAPIError builds the error for a non-2xx answer from its body, whichever
// product's envelope it is in.
func newAPIError(method, path string, resp *http.Response, body []byte, r *redactor) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: resp.StatusCode}
	var exceptions []string
	e.Message, exceptions = errorMessage(body, resp.Header.Get("Content-Type"))
	for _, ex := range exceptions {
		if ex != "" {
			e.Exception = ex
			break
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	e.kind = errorKind(resp.StatusCode, exceptions)
	e.Message = r.mask(e.Message)
	return e
}

// errorKind picks the sentinel for a status. Data Center answers a missing
// permission with 401 AuthorisationException, which is a forbidden, not a
// failed login. 410 (a Cloud repository removed as spam) counts as not
// found; other 4xx as rejected by validation; anything else as a server
// error.
func errorKind(status int, exceptions []string) error {
	switch {
	case status == http.StatusUnauthorized:
		for _, ex := range exceptions {
			if strings.Contains(ex, "AuthorisationException") {
				return ErrForbidden
			}
		}
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound, status == http.StatusGone:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status >= 400 && status < 500:
		return ErrValidation
	default:
		return ErrServer
	}
}

// errorMessage reads the Cloud envelope {"type":"error","error":{...}}, the
// Data Center envelope {"errors":[...]}, a bare {"message":...}, an OAuth
// error {"error":"...","error_description":"..."} or, failing those, a
// summary of the body. It also returns the Data Center exception names.
func errorMessage(body []byte, contentType string) (string, []string) {
	var env struct {
		Error  json.RawMessage `json:"error"`
		Errors []struct {
			Context       *string `json:"context"`
			Message       string  `json:"message"`
			ExceptionName string  `json:"exceptionName"`
		} `json:"errors"`
		Message          string `json:"message"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return summarizeBody(body, contentType), nil
	}

	if len(env.Error) > 0 && env.Error[0] == '{' {
		var ce struct {
			Message string                     `json:"message"`
			Detail  string                     `json:"detail"`
			Fields  map[string]json.RawMessage `json:"fields"`
		}
		if json.Unmarshal(env.Error, &ce) == nil {
			parts := nonEmpty(ce.Message)
			if ce.Detail != "" && ce.Detail != ce.Message {
				parts = append(parts, ce.Detail)
			}
			parts = append(parts, cloudFieldMessages(ce.Fields)...)
			if len(parts) > 0 {
				return strings.Join(parts, "; "), nil
			}
		}
	}

	if len(env.Errors) > 0 {
		var msgs, exceptions []string
		for _, e := range env.Errors {
			msg := e.Message
			if e.Context != nil && *e.Context != "" {
				msg = *e.Context + ": " + msg
			}
			msgs = append(msgs, msg)
			exceptions = append(exceptions, e.ExceptionName)
		}
		return strings.Join(nonEmpty(msgs...), "; "), exceptions
	}

	if env.ErrorDescription != "" {
		return env.ErrorDescription, nil
	}
	if env.Message != "" {
		return env.Message, nil
	}
	var code string
	if json.Unmarshal(env.Error, &code) == nil && code != "" {
		return code, nil
	}
	return summarizeBody(body, contentType), nil
}

// cloudFieldMessages turns Cloud's {"fields":{"name":["msg", ...]}} into
// "name: msg" lines in field order.
func cloudFieldMessages(fields map[string]json.RawMessage) []string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []string
	for _, name := range names {
		var list []string
		if json.Unmarshal(fields[name], &list) != nil {
			var one string
			if json.Unmarshal(fields[name], &one) != nil {
				continue
			}
			list = []string{one}
		}
		for _, msg := range list {
			out = append(out, name+": "+msg)
		}
	}
	return out
}

var htmlTitle = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// summarizeBody makes a one-line, bounded description of a body that is not
// a known envelope.
func summarizeBody(body []byte, contentType string) string {
	text := string(body)
	if strings.Contains(contentType, "html") || strings.HasPrefix(strings.TrimSpace(strings.ToLower(text)), "<!doctype html") || strings.HasPrefix(strings.TrimSpace(strings.ToLower(text)), "<html") {
		if m := htmlTitle.FindStringSubmatch(text); m != nil {
			text = "HTML page: " + m[1]
		}
	}
	text = strings.Join(strings.Fields(text), " ")
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "?")
	}
	if r := []rune(text); len(r) > maxMessageLen {
		text = string(r[:maxMessageLen]) + "…"
	}
	return text
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			secs = 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// notSentError wraps a failure that happened before the request reached the
// server (a wait that was cancelled, a failed OAuth token request), so even
// a create can safely be retried or reported as certain.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// maskedError hides secret strings in an error's text while keeping the
// error chain for errors.Is and errors.As.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }
