package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var (
	_ action.ActionWithConfigure  = &WebhookTestAction{}
	_ action.ActionWithModifyPlan = &WebhookTestAction{}
)

// NewWebhookTestAction returns the bitbucket_webhook_test action.
func NewWebhookTestAction() action.Action { return &WebhookTestAction{} }

// WebhookTestAction has Bitbucket send a test request to a webhook's URL
// (Terraform 1.14+ actions; docs/guides/integration-alive.md).
type WebhookTestAction struct {
	data *providerData
}

type webhookTestModel struct {
	Workspace            types.String `tfsdk:"workspace"`
	Repository           types.String `tfsdk:"repository"`
	WebhookID            types.String `tfsdk:"webhook_id"`
	URL                  types.String `tfsdk:"url"`
	SkipCertVerification types.Bool   `tfsdk:"skip_cert_verification"`
}

func (a *WebhookTestAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook_test"
}

func (a *WebhookTestAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Has Bitbucket Data Center send a test request (event `diagnostics:ping`) to a webhook's URL, " +
			"or to a URL before a webhook exists, and fails unless the endpoint answers 2xx, saying what came back. " +
			"Use it from `lifecycle { action_trigger { … } }` after a webhook or connection is created or updated, or " +
			"on demand with `terraform apply -invoke=action.bitbucket_webhook_test.<name>`. Actions need Terraform 1.14 " +
			"or newer (OpenTofu has none). Bitbucket Cloud's API cannot send a test request: on Cloud the action is a " +
			"plan-time error.",
		Attributes: map[string]schema.Attribute{
			"workspace": schema.StringAttribute{Optional: true, MarkdownDescription: workspaceDescription,
				Validators: []validator.String{workspaceValidator}},
			"repository": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Repository slug, for a repository webhook. Unset: a project webhook. The test " +
					"request is sent on behalf of this repository or project (REPO_ADMIN or PROJECT_ADMIN needed).",
				Validators: []validator.String{repositoryValidator}},
			"webhook_id": schema.StringAttribute{Optional: true,
				MarkdownDescription: "An existing webhook to test: its URL, secret and credentials are used."},
			"url": schema.StringAttribute{Optional: true,
				MarkdownDescription: "The URL to send the test request to (an absolute http or https URL). With " +
					"`webhook_id`, overrides the webhook's URL. One of `url` and `webhook_id` is required."},
			"skip_cert_verification": schema.BoolAttribute{Optional: true,
				MarkdownDescription: "Accept any TLS certificate at `url`. Default: false with `url`; with `webhook_id` " +
					"alone, the webhook's own `skip_cert_verification`, so it is tested as Bitbucket delivers to it."},
		},
	}
}

func (a *WebhookTestAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan fails the plan where the product cannot test a webhook, and
// when neither url nor webhook_id is set.
func (a *WebhookTestAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m webhookTestModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if m.URL.IsNull() && m.WebhookID.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("url"), "Missing url or webhook_id",
			"bitbucket_webhook_test needs the URL to test (url) or an existing webhook (webhook_id).")
	}
	if v := m.URL.ValueString(); !m.URL.IsUnknown() && v != "" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		resp.Diagnostics.AddAttributeError(path.Root("url"), "Invalid url",
			fmt.Sprintf("url must be an absolute http or https URL, got %q.", v))
	}
	if a.data != nil {
		if !unsupportedWebhookTest(a.data.client, &resp.Diagnostics) && !m.Workspace.IsUnknown() {
			a.data.workspaceOf(m.Workspace, &resp.Diagnostics)
		}
	}
}

func (a *WebhookTestAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m webhookTestModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || a.data == nil {
		return
	}
	if unsupportedWebhookTest(a.data.client, &resp.Diagnostics) {
		return
	}
	scope := bitbucket.WebhookScope{Workspace: a.data.workspaceOf(m.Workspace, &resp.Diagnostics), Repository: m.Repository.ValueString()}
	if resp.Diagnostics.HasError() {
		return
	}
	in := bitbucket.WebhookTestInput{URL: m.URL.ValueString(), WebhookID: m.WebhookID.ValueString(), SkipCertVerification: m.SkipCertVerification.ValueBool()}
	target := in.URL
	if target == "" {
		target = "webhook " + in.WebhookID
	}
	res, err := a.data.client.TestWebhook(ctx, scope, in)
	if err != nil && in.WebhookID != "" && errors.Is(err, bitbucket.ErrNotFound) {
		resp.Diagnostics.AddAttributeError(path.Root("webhook_id"), "Webhook "+in.WebhookID+" not found",
			fmt.Sprintf("Bitbucket found no webhook %s in %s (%v). It was deleted outside Terraform, or webhook_id "+
				"names another repository's or project's webhook: run terraform apply to create a managed webhook again.",
				in.WebhookID, scope.Workspace+"/"+scope.Repository, err))
		return
	}
	if err != nil {
		clientErrorDiagnostic(&resp.Diagnostics, a.data.client, "send a test request to "+target, err)
		return
	}
	if res.URL != "" {
		target = res.URL
	}
	reportWebhookTest(target, res, resp)
}

// reportWebhookTest turns a test result into progress (2xx) or an error.
func reportWebhookTest(target string, res *bitbucket.WebhookTestResult, resp *action.InvokeResponse) {
	switch {
	case res.OK():
		if resp.SendProgress != nil {
			resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("Bitbucket's test request to %s was answered HTTP %d", target, res.StatusCode)})
		}
	case res.StatusCode != 0:
		detail := fmt.Sprintf("Bitbucket sent a test request to %s and the endpoint answered HTTP %d", target, res.StatusCode)
		if body := strings.TrimSpace(res.Body); body != "" {
			detail += ": " + truncate(strings.ToValidUTF8(body, "?"), 300)
		}
		resp.Diagnostics.AddError(fmt.Sprintf("The webhook endpoint answered HTTP %d", res.StatusCode),
			detail+"\n\nBitbucket's deliveries to this endpoint fail the same way. Check the service behind the URL.")
	default:
		resp.Diagnostics.AddError("The webhook endpoint did not answer",
			fmt.Sprintf("Bitbucket sent a test request to %s and got no answer: %s\n\nCheck that the URL is right and "+
				"that Bitbucket can reach it (DNS, firewall, TLS certificate).", target, res.Error))
	}
}

// unsupportedWebhookTest adds the product's reason when it cannot test a
// webhook and reports whether it did.
func unsupportedWebhookTest(client bitbucket.Client, diags interface {
	AddError(string, string)
}) bool {
	caps := client.Capabilities()
	if caps.WebhookDeliveries {
		return false
	}
	diags.AddError(productName(client.Product())+" cannot test a webhook", caps.WebhookDeliveriesUnsupported)
	return true
}

// truncate keeps at most n bytes of s, cut on a character boundary (a
// diagnostic is shown as text: no half of a UTF-8 sequence).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
