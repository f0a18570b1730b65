package emulator

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// response is a complete answer, built under the state lock and written after it.
type response struct {
	status int
	header http.Header
	body   []byte
	// then, when set, builds the answer after the state lock is released:
	// for work that waits on something else (a webhook delivery).
	then func() response
}

func (r response) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.body != nil && w.Header().Get("Content-Length") == "" {
		w.Header().Set("Content-Length", strconv.Itoa(len(r.body)))
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

// with returns r with header k set to v.
func (r response) with(k, v string) response {
	if r.header == nil {
		r.header = http.Header{}
	}
	r.header.Set(k, v)
	return r
}

// withExact sets header k keeping its spelling (e.g. X-AUSERNAME), as the
// real server sends it; HTTP clients match header names case-insensitively.
func (r response) withExact(k, v string) response {
	if r.header == nil {
		r.header = http.Header{}
	}
	r.header[k] = []string{v}
	return r
}

func jsonResponse(status int, v any) response {
	body, err := json.Marshal(v)
	if err != nil {
		panic("emulator: marshal response: " + err.Error())
	}
	return response{status: status, body: body, header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}}}
}

func textResponse(status int, text string) response {
	return response{status: status, body: []byte(text), header: http.Header{"Content-Type": {"text/plain;charset=UTF-8"}}}
}

// proxyErrorPage is the HTML page a reverse proxy answers for a failed
// upstream (nginx's default error page).
func proxyErrorPage(status int) response {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	body := "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	return response{status: status, body: []byte(body), header: http.Header{"Content-Type": {"text/html"}}}
}

func noContent() response { return response{status: http.StatusNoContent} }

// malformedJSON is a 200 whose JSON body stops mid-value.
func malformedJSON() response {
	r := jsonResponse(http.StatusOK, nil)
	r.body = []byte(`{"values":[{"type":"repository","name":"trunc`)
	return r
}

// cloudRateLimitBody is what Bitbucket Cloud sends with a 429 (text/plain, no Retry-After).
const cloudRateLimitBody = "Rate limit for this resource has been exceeded"

// Data Center exception names, as the real server reports them.
const (
	exArgumentValidation  = "com.atlassian.bitbucket.validation.ArgumentValidationException"
	exIncorrectPassword   = "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
	exAuthorisation       = "com.atlassian.bitbucket.AuthorisationException"
	exAuthRequired        = "com.atlassian.plugins.rest.api.security.exception.AuthenticationRequiredException"
	exNoSuchProject       = "com.atlassian.bitbucket.project.NoSuchProjectException"
	exNoSuchRepository    = "com.atlassian.bitbucket.repository.NoSuchRepositoryException"
	exNoSuchUser          = "com.atlassian.bitbucket.user.NoSuchUserException"
	exNoSuchEntity        = "com.atlassian.bitbucket.NoSuchEntityException"
	exNoSuchWebhook       = "com.atlassian.bitbucket.webhook.NoSuchWebhookException"
	exRateLimited         = "com.atlassian.bitbucket.throttle.ThrottledException"
	exServerError         = "com.atlassian.bitbucket.ServiceException"
	msgNotPermitted       = "You are not permitted to access this resource"
	msgAuthFailed         = "Authentication failed. Please check your credentials and try again."
	msgAuthRequired       = "Authentication required"
	msgTokensCannotCreate = "Access tokens cannot be used to create access tokens. Authenticate with your username and password instead."
	msgCloudRepoNotFound  = "You may not have access to this repository or it no longer exists in this workspace. If you think this repository exists and you have access, make sure you are authenticated."
	msgCloudInvalidToken  = "Token is invalid, expired, or not supported for this endpoint."
	msgCloudMissingScopes = "Your credentials lack one or more required privilege scopes."
	cloudWWWAuthenticate  = `Basic realm="Bitbucket.org HTTP"`
	dcRateLimitMessage    = "You have been rate limited. Please wait before trying again."
	cloudResourceNotFound = "Resource not found"
	cloudHookNotFound     = "Webhook not found."
)

// cloudError is Bitbucket Cloud's error envelope.
func cloudError(status int, message string) response {
	return jsonResponse(status, map[string]any{"type": "error", "error": map[string]any{"message": message}})
}

// cloudErrorDetail is the envelope with detail, endpoint data or per-field messages.
func cloudErrorDetail(status int, message, detail string, data map[string]any, fields map[string][]string) response {
	e := map[string]any{"message": message}
	if detail != "" {
		e["detail"] = detail
	}
	if data != nil {
		e["data"] = data
	}
	if fields != nil {
		e["fields"] = fields
	}
	return jsonResponse(status, map[string]any{"type": "error", "error": e})
}

// dcError is Data Center's errors envelope with one message.
func dcError(status int, exception, message string) response {
	return jsonResponse(status, map[string]any{"errors": []any{map[string]any{
		"context": nil, "message": message, "exceptionName": exception,
	}}})
}

// dcStatusBody is what Data Center's REST layer answers for an unknown route
// or method (not an errors envelope).
func dcStatusBody(status int) response {
	return jsonResponse(status, map[string]any{
		"message":     "HTTP " + strconv.Itoa(status) + " " + http.StatusText(status),
		"status-code": status,
		"sub-code":    -1,
	})
}

// statusResponse answers status in the product's style, for faults and limits.
func (s *Server) statusResponse(status int, retryAfter time.Duration) response {
	if s.product == Cloud {
		if status == http.StatusTooManyRequests {
			return textResponse(status, cloudRateLimitBody)
		}
		r := cloudError(status, http.StatusText(status))
		if status == http.StatusUnauthorized {
			r = r.with("WWW-Authenticate", cloudWWWAuthenticate)
		}
		return r
	}
	switch status {
	case http.StatusTooManyRequests:
		r := dcError(status, exRateLimited, dcRateLimitMessage)
		if retryAfter > 0 {
			r = r.with("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
		}
		return r
	case http.StatusUnauthorized:
		return dcError(status, exAuthorisation, msgNotPermitted)
	case http.StatusNotFound:
		return dcError(status, exNoSuchEntity, http.StatusText(status))
	}
	return dcError(status, exServerError, http.StatusText(status))
}

func (s *Server) notFoundRoute() response {
	if s.product == Cloud {
		return cloudError(http.StatusNotFound, cloudResourceNotFound)
	}
	return dcStatusBody(http.StatusNotFound)
}

func (s *Server) methodNotAllowed(allowed []string) response {
	var r response
	if s.product == Cloud {
		r = cloudError(http.StatusMethodNotAllowed, "Method not allowed")
	} else {
		r = dcStatusBody(http.StatusMethodNotAllowed)
	}
	allow := ""
	for i, m := range allowed {
		if i > 0 {
			allow += ", "
		}
		allow += m
	}
	return r.with("Allow", allow)
}
