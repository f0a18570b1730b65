package bitbucket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Webhook delivery history and test requests. Data Center records every
// invocation of a webhook and can send a test request (routes and shapes with
// their sources: docs/dev/bitbucket-api.md#datacenter-webhook-deliveries);
// Bitbucket Cloud's REST API has neither, so the Cloud client returns an
// error matching ErrUnsupported without a request.

// Outcomes of a webhook invocation, as Data Center names them.
const (
	DeliverySuccess = "SUCCESS" // the receiver answered 2xx
	DeliveryFailure = "FAILURE" // the receiver answered something else
	DeliveryError   = "ERROR"   // no answer: refused, timed out, TLS, DNS
)

// cloudNoDeliveries says why Cloud has neither, for a diagnostic. The Cloud
// OpenAPI file has no path under /hooks/{uid} but the hook itself, and the
// web UI's request history is not in the REST API.
const cloudNoDeliveries = "Bitbucket Cloud's REST API has no webhook delivery history and cannot send a test request " +
	"(the webhook's request history is shown only in the web UI: repository or workspace settings > Webhooks > View requests). " +
	"Webhook delivery checks work with Bitbucket Data Center only."

// WebhookInvocation is one delivery of a webhook request.
type WebhookInvocation struct {
	ID         string
	Event      string
	Outcome    string // DeliverySuccess, DeliveryFailure or DeliveryError
	StatusCode int    // the receiver's answer; 0 when there was none
	// Description is the server's text for the result: the status code of
	// an answer, or why there was none.
	Description string
	Start       time.Time
	Duration    time.Duration
}

// WebhookDeliveries is what the server reports about a webhook's deliveries.
type WebhookDeliveries struct {
	// LastSuccess, LastFailure, LastError are the latest invocation of each
	// outcome; nil when there was none.
	LastSuccess, LastFailure, LastError *WebhookInvocation
	// Counts over every event since WindowStart (zero time: no invocation).
	Successes, Failures, Errors int
	WindowStart                 time.Time
}

// WebhookTestInput is what a test request is sent to: an existing webhook
// (WebhookID, its URL unless URL is set) or a URL alone.
type WebhookTestInput struct {
	URL                  string
	WebhookID            string
	SkipCertVerification bool
}

// WebhookTestResult is what came back from the receiver.
type WebhookTestResult struct {
	URL        string
	StatusCode int    // 0 when nothing answered
	Body       string // the receiver's answer, as the server reports it
	Error      string // why nothing answered
}

// OK reports whether the receiver answered 2xx.
func (r WebhookTestResult) OK() bool { return r.StatusCode >= 200 && r.StatusCode <= 299 }

func (c *cloudClient) WebhookDeliveries(context.Context, WebhookScope, string) (*WebhookDeliveries, error) {
	return nil, fmt.Errorf("webhook deliveries: %w: %s", ErrUnsupported, cloudNoDeliveries)
}

func (c *cloudClient) TestWebhook(context.Context, WebhookScope, WebhookTestInput) (*WebhookTestResult, error) {
	return nil, fmt.Errorf("webhook test: %w: %s", ErrUnsupported, cloudNoDeliveries)
}

// dcInvocation is a RestDetailedInvocation.
type dcInvocation struct {
	ID       json.Number `json:"id"`
	Event    string      `json:"event"`
	Duration int64       `json:"duration"`
	Start    int64       `json:"start"`
	Result   struct {
		Description string `json:"description"`
		Outcome     string `json:"outcome"`
		StatusCode  int    `json:"statusCode"`
	} `json:"result"`
}

func (i dcInvocation) model() *WebhookInvocation {
	status := i.Result.StatusCode
	if status == 0 && i.Result.Outcome != DeliveryError {
		// Clients that read only description get the status there.
		status, _ = strconv.Atoi(i.Result.Description)
	}
	return &WebhookInvocation{ID: i.ID.String(), Event: i.Event, Outcome: i.Result.Outcome, StatusCode: status,
		Description: i.Result.Description, Start: time.UnixMilli(i.Start).UTC(), Duration: time.Duration(i.Duration) * time.Millisecond}
}

// dcCounts is an InvocationCounts; the summary carries it under "counts" or,
// as some clients read it, at the top of each event's entry.
type dcCounts struct {
	Successes int `json:"successes"`
	Failures  int `json:"failures"`
	Errors    int `json:"errors"`
	Window    struct {
		Start int64 `json:"start"`
	} `json:"window"`
}

type dcEventHistory struct {
	Counts *dcCounts `json:"counts"`
	dcCounts
}

// WebhookDeliveries reads the latest invocation of each outcome (three GETs
// of …/latest?outcome=) and the per-event counts (…/statistics/summary).
func (d *dataCenterClient) WebhookDeliveries(ctx context.Context, scope WebhookScope, id string) (*WebhookDeliveries, error) {
	p, err := dcHookPath(scope, id)
	if err != nil {
		return nil, err
	}
	out := &WebhookDeliveries{}
	for _, o := range []struct {
		outcome string
		dst     **WebhookInvocation
	}{{DeliverySuccess, &out.LastSuccess}, {DeliveryFailure, &out.LastFailure}, {DeliveryError, &out.LastError}} {
		var inv dcInvocation
		found, err := d.getOptionalJSON(ctx, p+"/latest", url.Values{"outcome": {o.outcome}}, &inv)
		if err != nil {
			return nil, err
		}
		if found {
			*o.dst = inv.model()
		}
	}
	var summary map[string]dcEventHistory
	found, err := d.getOptionalJSON(ctx, p+"/statistics/summary", nil, &summary)
	if err != nil {
		return nil, err
	}
	if found {
		for _, h := range summary {
			c := h.dcCounts
			if h.Counts != nil {
				c = *h.Counts
			}
			out.Successes += c.Successes
			out.Failures += c.Failures
			out.Errors += c.Errors
			if start := time.UnixMilli(c.Window.Start).UTC(); c.Window.Start > 0 && (out.WindowStart.IsZero() || start.Before(out.WindowStart)) {
				out.WindowStart = start
			}
		}
	}
	return out, nil
}

// getOptionalJSON GETs path; a 204 (nothing recorded yet) is found=false.
func (d *dataCenterClient) getOptionalJSON(ctx context.Context, path string, query url.Values, out any) (bool, error) {
	rawURL := d.h.url(path, query)
	body, err := d.h.send(ctx, http.MethodGet, rawURL, nil, true)
	if err != nil {
		return false, err
	}
	if len(body) == 0 {
		return false, nil
	}
	return true, decodeJSON(http.MethodGet, rawURL, body, out)
}

// TestWebhook asks the server to send a test request (POST …/webhooks/test).
// Sending it again changes nothing on the server, so it may be retried.
func (d *dataCenterClient) TestWebhook(ctx context.Context, scope WebhookScope, in WebhookTestInput) (*WebhookTestResult, error) {
	p, err := dcHooksPath(scope)
	if err != nil {
		return nil, err
	}
	if in.URL == "" && in.WebhookID == "" {
		return nil, errors.New("a webhook test needs a URL or a webhook id")
	}
	q, err := d.webhookTestQuery(ctx, scope, in)
	if err != nil {
		return nil, err
	}
	rawURL := d.h.url(p+"/test", q)
	body, err := d.h.send(ctx, http.MethodPost, rawURL, nil, true)
	if err != nil {
		return nil, err
	}
	return decodeWebhookTestAnswer(rawURL, body, in.URL)
}

// webhookTestQuery builds the test route's query; kept apart because a test
// by webhook id may need one GET to learn the hook's certificate setting.
func (d *dataCenterClient) webhookTestQuery(ctx context.Context, scope WebhookScope, in WebhookTestInput) (url.Values, error) {
	q := url.Values{}
	if in.URL != "" {
		q.Set("url", in.URL)
	}
	if in.WebhookID != "" {
		q.Set("webhookId", in.WebhookID)
	}
	skipCert := in.SkipCertVerification
	if !skipCert && in.WebhookID != "" && in.URL == "" {
		// The route verifies certificates unless told not to
		// (sslVerificationRequired "Default value is true", 9.4 OpenAPI
		// testWebhook), even for a webhook whose deliveries do not: test it
		// as it is delivered.
		hook, err := d.GetWebhook(ctx, scope, in.WebhookID)
		if err != nil {
			return nil, err
		}
		skipCert = hook.SkipCertVerification
	}
	if skipCert {
		q.Set("sslVerificationRequired", "false")
	}
	return q, nil
}

// decodeWebhookTestAnswer turns the test route's answer into a result: the
// receiver's status and body, or the reason Bitbucket got none.
func decodeWebhookTestAnswer(rawURL string, body []byte, sentURL string) (*WebhookTestResult, error) {
	var answer struct {
		Request struct {
			URL string `json:"url"`
		} `json:"request"`
		Response *struct {
			Status int    `json:"status"`
			Body   string `json:"body"`
		} `json:"response"`
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := decodeJSON(http.MethodPost, rawURL, body, &answer); err != nil {
		return nil, err
	}
	res := &WebhookTestResult{URL: answer.Request.URL}
	if res.URL == "" {
		res.URL = sentURL
	}
	switch {
	case answer.Response != nil && answer.Response.Status != 0:
		res.StatusCode, res.Body = answer.Response.Status, answer.Response.Body
	case answer.Error != nil && answer.Error.Message != "":
		res.Error = answer.Error.Message
	default:
		res.Error = "Bitbucket reported no answer from the receiver"
	}
	return res, nil
}
