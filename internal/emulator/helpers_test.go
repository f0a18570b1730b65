package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// auth sets a request's credentials.
type auth func(*http.Request)

func basic(user, secret string) auth {
	return func(r *http.Request) { r.SetBasicAuth(user, secret) }
}

func bearer(token string) auth {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

var anonymous auth = func(*http.Request) {}

var (
	alice   = basic(emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken)
	bob     = basic(emulator.CloudMemberEmail, emulator.CloudMemberAPIToken)
	admin   = basic(emulator.DCAdminUser, emulator.DCAdminPassword)
	dev     = basic(emulator.DCDevUser, emulator.DCDevPassword)
	adminTk = bearer(emulator.DCAdminToken)
)

type result struct {
	status int
	header http.Header
	body   []byte
}

// object decodes the body as a JSON object.
func (r result) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object (%v): %s", err, r.body)
	}
	return m
}

// values decodes a paged body's values.
func (r result) values(t *testing.T) []map[string]any {
	t.Helper()
	raw, _ := r.object(t)["values"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, v := range raw {
		out = append(out, v.(map[string]any))
	}
	return out
}

// cloudMessage is error.message of a Cloud error envelope.
func (r result) cloudMessage(t *testing.T) string {
	t.Helper()
	m := r.object(t)
	if m["type"] != "error" {
		t.Fatalf("not a Cloud error envelope: %s", r.body)
	}
	return m["error"].(map[string]any)["message"].(string)
}

// dcError is the first error of a Data Center errors envelope.
func (r result) dcError(t *testing.T) (exception, message string) {
	t.Helper()
	errs, ok := r.object(t)["errors"].([]any)
	if !ok || len(errs) == 0 {
		t.Fatalf("not a Data Center errors envelope: %s", r.body)
	}
	e := errs[0].(map[string]any)
	exception, _ = e["exceptionName"].(string)
	message, _ = e["message"].(string)
	return exception, message
}

func (r result) expect(t *testing.T, status int) result {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// do sends one request to srv (path relative to srv.URL()); body is JSON-encoded
// unless it is a string, which is sent as is.
func do(t *testing.T, srv *emulator.Server, method, path string, a auth, body any) result {
	t.Helper()
	res, err := try(srv, method, path, a, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

func try(srv *emulator.Server, method, path string, a auth, body any) (result, error) {
	return tryWith(http.DefaultClient, srv, method, path, a, body)
}

func tryWith(client *http.Client, srv *emulator.Server, method, path string, a auth, body any) (result, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return result{}, err
		}
		rd = bytes.NewReader(buf)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = srv.URL() + path
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return result{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	a(req)
	resp, err := client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	return result{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

func cloudServer(t *testing.T) *emulator.Server {
	return emulator.NewTestServer(t, emulator.Options{Product: emulator.Cloud})
}

func dcServer(t *testing.T) *emulator.Server {
	return emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
}

func slugs(vals []map[string]any, key string) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		out = append(out, v[key].(string))
	}
	return out
}
