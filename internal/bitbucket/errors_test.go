package bitbucket

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestErrorAnswersMapToTypedErrors(t *testing.T) {
	long := strings.Repeat("upstream exploded ", 500)
	tests := []struct {
		name        string
		product     Product
		status      int
		contentType string
		header      map[string]string
		body        string
		kind        error
		message     string // substring of APIError.Message
		exception   string
		retryAfter  time.Duration
	}{
		{name: "cloud 400 with fields", product: ProductCloud, status: 400,
			body: `{"type":"error","error":{"fields":{"name":["You already have a repository with this name."]},"message":"Repository with this Slug and Owner already exists."}}`,
			kind: ErrValidation, message: "Repository with this Slug and Owner already exists.; name: You already have a repository with this name."},
		{name: "cloud 400 with detail", product: ProductCloud, status: 400,
			body: `{"type":"error","error":{"message":"Bad request","detail":"url: Enter a valid URL."}}`,
			kind: ErrValidation, message: "Bad request; url: Enter a valid URL."},
		{name: "cloud 401", product: ProductCloud, status: 401,
			body: `{"type":"error","error":{"message":"Unauthorized"}}`, kind: ErrUnauthorized, message: "Unauthorized"},
		{name: "cloud 403", product: ProductCloud, status: 403,
			body: `{"type":"error","error":{"message":"Your credentials lack one or more required privilege scopes."}}`, kind: ErrForbidden, message: "privilege scopes"},
		{name: "cloud 404", product: ProductCloud, status: 404,
			body: `{"type":"error","error":{"message":"No workspace with identifier 'nope'."}}`, kind: ErrNotFound, message: "No workspace with identifier 'nope'."},
		{name: "cloud 409", product: ProductCloud, status: 409,
			body: `{"type":"error","error":{"message":"conflict"}}`, kind: ErrConflict, message: "conflict"},
		{name: "cloud 422", product: ProductCloud, status: 422,
			body: `{"type":"error","error":{"message":"unprocessable"}}`, kind: ErrValidation, message: "unprocessable"},
		{name: "cloud 429 plain text", product: ProductCloud, status: 429, contentType: "text/plain",
			body: "Rate limit for this resource has been exceeded", kind: ErrRateLimited, message: "Rate limit for this resource has been exceeded"},
		{name: "cloud 500", product: ProductCloud, status: 500,
			body: `{"type":"error","error":{"message":"Something went wrong"}}`, kind: ErrServer, message: "Something went wrong"},
		{name: "cloud 502 HTML from a proxy", product: ProductCloud, status: 502, contentType: "text/html",
			body: "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>", kind: ErrServer, message: "HTML page: 502 Bad Gateway"},
		{name: "dc 400", product: ProductDataCenter, status: 400,
			body: `{"errors":[{"context":"name","message":"The name must be specified.","exceptionName":"com.atlassian.bitbucket.validation.ArgumentValidationException"}]}`,
			kind: ErrValidation, message: "name: The name must be specified.", exception: "com.atlassian.bitbucket.validation.ArgumentValidationException"},
		{name: "dc 401 bad password", product: ProductDataCenter, status: 401,
			body: `{"errors":[{"context":null,"message":"Authentication failed. Please check your credentials and try again.","exceptionName":"com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}]}`,
			kind: ErrUnauthorized, message: "Authentication failed", exception: "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"},
		{name: "dc 401 missing permission", product: ProductDataCenter, status: 401,
			body: `{"errors":[{"context":null,"message":"You are not permitted to access this resource","exceptionName":"com.atlassian.bitbucket.AuthorisationException"}]}`,
			kind: ErrForbidden, message: "You are not permitted to access this resource", exception: "com.atlassian.bitbucket.AuthorisationException"},
		{name: "dc 403", product: ProductDataCenter, status: 403,
			body: `{"errors":[{"message":"archived","exceptionName":"x.RepositoryArchivedException"}]}`, kind: ErrForbidden, message: "archived"},
		{name: "dc 404", product: ProductDataCenter, status: 404,
			body: `{"errors":[{"context":null,"message":"Repository PRJ/r does not exist.","exceptionName":"com.atlassian.bitbucket.repository.NoSuchRepositoryException"}]}`,
			kind: ErrNotFound, message: "Repository PRJ/r does not exist."},
		{name: "dc 404 unknown route JSON", product: ProductDataCenter, status: 404,
			body: `{"message":"HTTP 404 Not Found","status-code":404,"sub-code":-1}`, kind: ErrNotFound, message: "HTTP 404 Not Found"},
		{name: "dc 404 unknown route XML", product: ProductDataCenter, status: 404, contentType: "application/xml",
			body: `<status><status-code>404</status-code><message>null for uri: /rest/api/1.0/nope</message></status>`, kind: ErrNotFound, message: "null for uri"},
		{name: "dc 409", product: ProductDataCenter, status: 409,
			body: `{"errors":[{"message":"The project \"X\" cannot be deleted because it has repositories.","exceptionName":"com.atlassian.bitbucket.IntegrityException"}]}`,
			kind: ErrConflict, message: "cannot be deleted because it has repositories"},
		{name: "dc 429 with Retry-After", product: ProductDataCenter, status: 429, header: map[string]string{"Retry-After": "7"},
			body: `{"errors":[{"message":"Too many requests"}]}`, kind: ErrRateLimited, message: "Too many requests", retryAfter: 7 * time.Second},
		{name: "dc 500", product: ProductDataCenter, status: 500,
			body: `{"errors":[{"message":"NullPointerException"}]}`, kind: ErrServer, message: "NullPointerException"},
		{name: "dc 500 long text", product: ProductDataCenter, status: 500, contentType: "text/plain",
			body: long, kind: ErrServer, message: "upstream exploded upstream exploded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, tt.product, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ct := tt.contentType
				if ct == "" {
					ct = "application/json"
				}
				w.Header().Set("Content-Type", ct)
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}), func(cfg *Config) { cfg.MaxRetries = 0 })

			_, err := c.GetRepository(context.Background(), "ws", "r")
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("want *APIError, got %T %v", err, err)
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), errors.Is(s, tt.kind); got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
				}
			}
			if apiErr.StatusCode != tt.status || apiErr.Method != http.MethodGet || !strings.HasSuffix(apiErr.Path, "/r") {
				t.Errorf("APIError %+v", apiErr)
			}
			if !strings.Contains(apiErr.Message, tt.message) {
				t.Errorf("Message %q does not contain %q", apiErr.Message, tt.message)
			}
			if utf8.RuneCountInString(apiErr.Message) > maxMessageLen+1 {
				t.Errorf("Message is %d characters, want at most %d", utf8.RuneCountInString(apiErr.Message), maxMessageLen+1)
			}
			if tt.exception != "" && apiErr.Exception != tt.exception {
				t.Errorf("Exception %q, want %q", apiErr.Exception, tt.exception)
			}
			if apiErr.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter %s, want %s", apiErr.RetryAfter, tt.retryAfter)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d: ", tt.status)) {
				t.Errorf("Error() %q", err.Error())
			}
		})
	}
}

func TestErrorMessagesNeverCarryTheCredentials(t *testing.T) {
	c, _ := newTestClient(t, ProductDataCenter, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A server (or proxy) that echoes what it was sent.
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []any{map[string]any{"message": "bad token tester-token"}}})
	}), func(cfg *Config) { cfg.MaxRetries = 0 })

	_, err := c.GetWorkspace(context.Background(), "PRJ")
	if err == nil || strings.Contains(err.Error(), "tester-token") {
		t.Fatalf("error shows the token: %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"-1", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTokenAuthRefusedIsRecognised(t *testing.T) {
	refusal := &APIError{StatusCode: 401, Message: "Access tokens cannot be used to create access tokens; authenticate with a password.", kind: ErrForbidden}
	permission := &APIError{StatusCode: 401, Message: "You are not permitted to access this resource", kind: ErrForbidden}
	validation := &APIError{StatusCode: 400, Message: "Tokens may not have the following permission: ADMIN", kind: ErrValidation}
	if !errors.Is(fmt.Errorf("create: %w", refusal), ErrTokenAuthRefused) || !errors.Is(refusal, ErrForbidden) {
		t.Error("the token-auth refusal is not recognised (or lost its status sentinel)")
	}
	if errors.Is(permission, ErrTokenAuthRefused) || errors.Is(validation, ErrTokenAuthRefused) {
		t.Error("a missing permission or a validation error was taken for the token-auth refusal")
	}
}
