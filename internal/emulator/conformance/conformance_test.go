// Package conformance_test proves that the emulator answers the routes the
// provider uses the way Atlassian's published OpenAPI descriptions say, apart
// from the deviations (deviations_test.go) that docs/dev/bitbucket-api.md documents for the
// real servers.
package conformance_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator/conformance"
)

func init() {
	// kin-openapi checks date and date-time only; the descriptions type every
	// href and hook URL as "uri", so check that too (absolute, with a scheme).
	openapi3.DefineStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
		u, err := url.Parse(s)
		if err != nil {
			return err
		}
		if u.Scheme == "" {
			return errors.New("not an absolute URI")
		}
		return nil
	}))
}

// servedPrefix is where each product serves the paths its description lists;
// it becomes a relative server entry so that any emulator address matches.
var servedPrefix = map[conformance.Product]string{
	conformance.Cloud:      "/2.0",
	conformance.DataCenter: "/rest",
}

// specUnderTest is a trimmed description, loaded, with or without the
// deviations applied, and a router over it.
type specUnderTest struct {
	product conformance.Product
	doc     *openapi3.T
	router  routers.Router
}

var (
	specMu     sync.Mutex
	specLoaded = map[string]*specUnderTest{}
)

// loadSpec loads the trimmed description of p from testdata (the only input:
// the published files are under testdata/published), validates it, applies the deviations unless
// unpatched, validates again and builds a router. Results are cached.
func loadSpec(t testing.TB, p conformance.Product, unpatched bool) *specUnderTest {
	t.Helper()
	key := fmt.Sprint(p, unpatched)
	specMu.Lock()
	defer specMu.Unlock()
	if s := specLoaded[key]; s != nil {
		return s
	}
	var file string
	for _, f := range conformance.SpecFiles {
		if f.Product == p {
			file = filepath.Join("testdata", f.Trimmed)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	ctx := context.Background()
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("%s does not validate as published: %v", file, err)
	}
	if !unpatched {
		for _, d := range deviations {
			if d.product != p {
				continue
			}
			if err := d.apply(doc); err != nil {
				t.Fatalf("deviation %q on %s no longer applies (fixed upstream? then drop the entry): %v", d.patch, d.target, err)
			}
		}
		if err := doc.Validate(ctx); err != nil {
			t.Fatalf("%s does not validate after the deviations: %v", file, err)
		}
	}
	doc.Servers = append(doc.Servers, &openapi3.Server{URL: servedPrefix[p], Description: "the emulator, wherever it listens"})
	router, err := legacyrouter.NewRouter(doc)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	s := &specUnderTest{product: p, doc: doc, router: router}
	specLoaded[key] = s
	return s
}

// describedRequest returns a copy of req addressed as the description writes
// the path (Data Center "1.0" becomes "latest"), without scheme and host so
// that the relative server entry matches whatever address the emulator has.
func (s *specUnderTest) describedRequest(req *http.Request) *http.Request {
	r := req.Clone(context.Background())
	u := *req.URL
	u.Scheme, u.Host, u.User = "", "", nil
	if s.product == conformance.DataCenter {
		for _, a := range dcPathAliases {
			if rest, ok := strings.CutPrefix(u.Path, a.served); ok {
				u.Path = a.described + rest
				u.RawPath = ""
				if req.URL.RawPath != "" {
					u.RawPath = a.described + strings.TrimPrefix(req.URL.RawPath, a.served)
				}
			}
		}
	}
	r.URL = &u
	return r
}

// validate checks one exchange against the description: the request must map
// to a described operation, the status must be documented for it, and the
// body must match the status's schema. It returns the operation's route.
func (s *specUnderTest) validate(req *http.Request, status int, header http.Header, body []byte) (*routers.Route, error) {
	described := s.describedRequest(req)
	route, pathParams, err := s.router.FindRoute(described)
	if err != nil {
		return nil, fmt.Errorf("%s %s is not a described operation: %w", req.Method, described.URL.Path, err)
	}
	header = header.Clone()
	if ct := header.Get("Content-Type"); ct != "" {
		header.Set("Content-Type", s.describedContentType(route, status, ct))
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    described,
			PathParams: pathParams,
			Route:      route,
		},
		Status:  status,
		Header:  header,
		Options: validationOptions(),
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return route, err
	}
	// The validator skips the body of a status documented without content;
	// such a status (204) must then have none.
	if resp := route.Operation.Responses.Status(status); resp != nil && resp.Value != nil && len(resp.Value.Content) == 0 && len(body) > 0 {
		return route, fmt.Errorf("status %d is documented without a body, got %d bytes", status, len(body))
	}
	return route, nil
}

func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		IncludeResponseStatus: true, // an undocumented status is a failure
		MultiError:            true, // report every mismatch at once
		// one line per mismatch, without dumping schema and value
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
	}
}

// validateRequestBody checks a body the drive sends against the operation's
// requestBody, so that a success is not owed to a lenient emulator.
func (s *specUnderTest) validateRequestBody(req *http.Request, body []byte) error {
	described := s.describedRequest(req)
	route, pathParams, err := s.router.FindRoute(described)
	if err != nil {
		return err
	}
	rb := route.Operation.RequestBody
	if rb == nil || rb.Value == nil {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		// A body the description does not document cannot be checked: a
		// gap in the description (record it in deviations_test.go with its
		// source), not a pass.
		return fmt.Errorf("%s %s: the description documents no requestBody, yet the request sends one", req.Method, route.Path)
	}
	described.Body = io.NopCloser(bytes.NewReader(body))
	return openapi3filter.ValidateRequestBody(context.Background(), &openapi3filter.RequestValidationInput{
		Request: described, PathParams: pathParams, Route: route, Options: validationOptions(),
	}, rb.Value)
}

// describedContentType returns the media type key the description uses for
// ct when the two are the same media type written differently (kin-openapi
// compares the strings, but "application/json; charset=utf-8" and the Data
// Center spec's "application/json;charset=UTF-8" are equal per RFC 9110
// 8.3.1). Otherwise ct is returned unchanged and the validator judges it.
func (s *specUnderTest) describedContentType(route *routers.Route, status int, ct string) string {
	resp := route.Operation.Responses.Status(status)
	if resp == nil || resp.Value == nil {
		return ct
	}
	gotType, gotParams, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct
	}
	for key := range resp.Value.Content {
		wantType, wantParams, err := mime.ParseMediaType(key)
		if err != nil || wantType != gotType || len(wantParams) != len(gotParams) {
			continue
		}
		same := true
		for k, v := range wantParams {
			if !strings.EqualFold(gotParams[k], v) {
				same = false
			}
		}
		if same {
			return key
		}
	}
	return ct
}

// validateCanned validates a response that no server sent.
func (s *specUnderTest) validateCanned(c cannedResponse) error {
	req := httptest.NewRequest(c.method, c.path, nil)
	ct := c.contentType
	if ct == "" {
		ct = "application/json"
	}
	h := http.Header{}
	if c.body != "" {
		h.Set("Content-Type", ct)
	}
	_, err := s.validate(req, c.status, h, []byte(c.body))
	return err
}

func TestTrimmedSpecsLoadAndDeviationsApply(t *testing.T) {
	for _, f := range conformance.SpecFiles {
		t.Run(string(f.Product), func(t *testing.T) {
			s := loadSpec(t, f.Product, false)
			for _, r := range conformance.RoutesOf(f.Product) {
				if _, err := operation(s.doc, r.Method, r.Path); err != nil {
					t.Errorf("trimmed spec lacks a provider route: %v", err)
				}
			}
		})
	}
}

// TestDeviationsMatchTheReference feeds each deviation the responses
// docs/dev/bitbucket-api.md shows: the patched spec must accept them all, and for a patch
// that relaxes the spec the published one must reject at least one of them.
func TestDeviationsMatchTheReference(t *testing.T) {
	for _, d := range deviations {
		if d.why == "" || d.patch == "" || d.target == "" {
			t.Errorf("deviation %+v must say what it patches and quote why", d)
		}
		if d.relaxes && len(d.evidence) == 0 {
			t.Errorf("deviation %q on %s relaxes the spec but shows no evidence", d.patch, d.target)
		}
		t.Run(string(d.product)+" "+d.target, func(t *testing.T) {
			patched := loadSpec(t, d.product, false)
			unpatched := loadSpec(t, d.product, true)
			rejected := false
			for _, e := range d.evidence {
				if err := patched.validateCanned(e); err != nil {
					t.Errorf("%s %s %d: the patched spec rejects the example docs/dev/bitbucket-api.md records: %v", e.method, e.path, e.status, err)
				}
				if unpatched.validateCanned(e) != nil {
					rejected = true
				}
			}
			if d.relaxes && !rejected {
				t.Errorf("the published spec already accepts the evidence: the patch %q is not needed", d.patch)
			}
		})
	}
}

// TestValidatorIsNotVacuous feeds the validator responses that are wrong in
// one way each; every one must be rejected.
func TestValidatorIsNotVacuous(t *testing.T) {
	wrong := []struct {
		name    string
		product conformance.Product
		resp    cannedResponse
	}{
		{"status not documented for the operation", conformance.Cloud,
			cannedResponse{"GET", "/2.0/user", http.StatusTeapot, "", `{"type":"error","error":{"message":"teapot"}}`}},
		{"documented status, body of the wrong type", conformance.Cloud,
			cannedResponse{"GET", "/2.0/repositories/acme/api-service", 200, "", `{"type":"repository","is_private":"yes"}`}},
		{"required property missing", conformance.Cloud,
			cannedResponse{"GET", "/2.0/workspaces/nope", 404, "", `{"error":{"message":"No workspace with identifier 'nope'."}}`}},
		{"event outside the enum", conformance.Cloud,
			cannedResponse{"GET", "/2.0/workspaces/acme/hooks/%7Bx%7D", 200, "", `{"type":"webhook_subscription","events":["repo:exploded"]}`}},
		{"link href that is not a URI", conformance.Cloud,
			cannedResponse{"GET", "/2.0/workspaces/acme", 200, "", `{"type":"workspace","links":{"self":{"href":"not a uri"}}}`}},
		{"content type not documented", conformance.Cloud,
			cannedResponse{"GET", "/2.0/workspaces/acme", 200, "text/html", `<html></html>`}},
		{"route not in the description", conformance.Cloud,
			cannedResponse{"GET", "/2.0/snippets", 200, "", `{}`}},
		{"Data Center: status not documented", conformance.DataCenter,
			cannedResponse{"GET", "/rest/api/1.0/projects/PRJ", http.StatusForbidden, "", `{"errors":[{"message":"no"}]}`}},
		{"Data Center: id of the wrong type", conformance.DataCenter,
			cannedResponse{"GET", "/rest/api/1.0/projects/PRJ", 200, "application/json;charset=UTF-8", `{"key":"PRJ","id":"one"}`}},
		{"Data Center: token date as ISO string (epoch ms expected)", conformance.DataCenter,
			cannedResponse{"GET", "/rest/access-tokens/1.0/users/admin/1", 200, "application/json;charset=UTF-8", `{"id":"1","createdDate":"2024-01-01T00:00:00Z"}`}},
		{"Data Center: webhook list item of the wrong type", conformance.DataCenter,
			cannedResponse{"GET", "/rest/api/1.0/projects/PRJ/webhooks", 200, "application/json;charset=UTF-8", `{"values":[{"id":"ten"}]}`}},
		{"Data Center: charset the description does not list", conformance.DataCenter,
			cannedResponse{"GET", "/rest/api/1.0/application-properties", 200, "application/json;charset=ISO-8859-1", `{"version":"9.4.2"}`}},
	}
	for _, w := range wrong {
		t.Run(w.name, func(t *testing.T) {
			err := loadSpec(t, w.product, false).validateCanned(w.resp)
			if err == nil {
				t.Fatalf("%s %s %d was accepted", w.resp.method, w.resp.path, w.resp.status)
			}
			t.Logf("rejected as expected: %v", firstLine(err))
		})
	}
	// The same checks pass a right answer, so the rejections above are about
	// the one thing each case gets wrong.
	right := cannedResponse{"GET", "/rest/api/1.0/application-properties", 200, "application/json; charset=utf-8",
		`{"version":"9.4.2","buildNumber":"9004002","buildDate":"1700000000000","displayName":"Bitbucket"}`}
	if err := loadSpec(t, conformance.DataCenter, false).validateCanned(right); err != nil {
		t.Errorf("a conforming answer was rejected: %v", err)
	}
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
