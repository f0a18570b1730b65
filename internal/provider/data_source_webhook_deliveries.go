package provider

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var _ datasource.DataSourceWithConfigure = &WebhookDeliveriesDataSource{}

// NewWebhookDeliveriesDataSource returns the bitbucket_webhook_deliveries data source.
func NewWebhookDeliveriesDataSource() datasource.DataSource { return &WebhookDeliveriesDataSource{} }

// WebhookDeliveriesDataSource reads how a webhook's deliveries went, for
// check blocks in a scheduled plan (docs/guides/integration-alive.md).
type WebhookDeliveriesDataSource struct {
	data *providerData
}

type webhookDeliveriesModel struct {
	Workspace    types.String `tfsdk:"workspace"`
	Repository   types.String `tfsdk:"repository"`
	WebhookID    types.String `tfsdk:"webhook_id"`
	LastSuccess  types.Object `tfsdk:"last_success"`
	LastFailure  types.Object `tfsdk:"last_failure"`
	LastError    types.Object `tfsdk:"last_error"`
	LastDelivery types.Object `tfsdk:"last_delivery"`
	Healthy      types.Bool   `tfsdk:"healthy"`
	Successes    types.Int64  `tfsdk:"successes"`
	Failures     types.Int64  `tfsdk:"failures"`
	Errors       types.Int64  `tfsdk:"errors"`
	CountedSince types.String `tfsdk:"counted_since"`
}

// invocationTypes are the attributes of one delivery.
var invocationTypes = map[string]attr.Type{
	"time":        types.StringType,
	"event":       types.StringType,
	"outcome":     types.StringType,
	"status_code": types.Int64Type,
	"error":       types.StringType,
	"duration_ms": types.Int64Type,
}

func invocationSchema(what string) schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Computed:            true,
		MarkdownDescription: what + " Null when there was none.",
		Attributes: map[string]schema.Attribute{
			"time":    schema.StringAttribute{Computed: true, MarkdownDescription: "When it was sent (RFC 3339, UTC)."},
			"event":   schema.StringAttribute{Computed: true, MarkdownDescription: "The event it delivered, e.g. `repo:refs_changed`."},
			"outcome": schema.StringAttribute{Computed: true, MarkdownDescription: "`SUCCESS` (2xx), `FAILURE` (another answer) or `ERROR` (no answer)."},
			"status_code": schema.Int64Attribute{Computed: true,
				MarkdownDescription: "The receiver's HTTP status; null when nothing answered."},
			"error": schema.StringAttribute{Computed: true,
				MarkdownDescription: "Why nothing answered (refused, timed out, TLS); null when the receiver answered."},
			"duration_ms": schema.Int64Attribute{Computed: true, MarkdownDescription: "How long the delivery took, in milliseconds."},
		},
	}
}

func (d *WebhookDeliveriesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook_deliveries"
}

func (d *WebhookDeliveriesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "How a webhook's deliveries went, as Bitbucket Data Center records them: the latest success, " +
			"failure and error, and counts. Read it in a `check` block so that a scheduled `terraform plan` warns when the " +
			"last delivery failed or nothing was delivered successfully for a while (guide: \"Is my integration alive?\"). " +
			"Bitbucket Cloud's API has no delivery history: on Cloud this data source is a plan-time error.",
		Attributes: map[string]schema.Attribute{
			"workspace": schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: workspaceDescription,
				Validators: []validator.String{workspaceValidator}},
			"repository": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Repository slug of a repository webhook. Unset: a project webhook (`bitbucket_workspace_webhook`).",
				Validators:          []validator.String{repositoryValidator}},
			"webhook_id": schema.StringAttribute{Required: true,
				MarkdownDescription: "The webhook's id (`bitbucket_repository_webhook.<name>.id`, `bitbucket_workspace_webhook.<name>.id`, " +
					"or a connection's `webhook.id`)."},
			"last_success":  invocationSchema("The latest delivery the receiver answered with 2xx."),
			"last_failure":  invocationSchema("The latest delivery the receiver answered with something other than 2xx."),
			"last_error":    invocationSchema("The latest delivery that got no answer (connection refused, timeout, TLS)."),
			"last_delivery": invocationSchema("The latest of the three above: how the most recent delivery went."),
			"healthy": schema.BoolAttribute{Computed: true,
				MarkdownDescription: "True when the most recent delivery succeeded, or nothing was delivered yet; false when it failed or got no answer."},
			"successes": schema.Int64Attribute{Computed: true, MarkdownDescription: "Deliveries answered 2xx since `counted_since`."},
			"failures":  schema.Int64Attribute{Computed: true, MarkdownDescription: "Deliveries answered otherwise since `counted_since`."},
			"errors":    schema.Int64Attribute{Computed: true, MarkdownDescription: "Deliveries without an answer since `counted_since`."},
			"counted_since": schema.StringAttribute{Computed: true,
				MarkdownDescription: "Start of the window Bitbucket counts over (RFC 3339); null before the first delivery."},
		},
	}
}

func (d *WebhookDeliveriesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *WebhookDeliveriesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m webhookDeliveriesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || d.data == nil {
		return
	}
	caps := d.data.client.Capabilities()
	if !caps.WebhookDeliveries {
		resp.Diagnostics.AddError("No webhook delivery history on "+productName(d.data.client.Product()), caps.WebhookDeliveriesUnsupported)
		return
	}
	m.Workspace = types.StringValue(d.data.workspaceOf(m.Workspace, &resp.Diagnostics))
	if resp.Diagnostics.HasError() {
		return
	}
	scope := bitbucket.WebhookScope{Workspace: m.Workspace.ValueString(), Repository: m.Repository.ValueString()}
	got, err := d.data.client.WebhookDeliveries(ctx, scope, m.WebhookID.ValueString())
	if err != nil {
		clientErrorDiagnostic(&resp.Diagnostics, d.data.client, fmt.Sprintf("read the deliveries of webhook %s", m.WebhookID.ValueString()), err)
		return
	}
	last := latestInvocation(got)
	m.LastSuccess = invocationObject(got.LastSuccess, &resp.Diagnostics)
	m.LastFailure = invocationObject(got.LastFailure, &resp.Diagnostics)
	m.LastError = invocationObject(got.LastError, &resp.Diagnostics)
	m.LastDelivery = invocationObject(last, &resp.Diagnostics)
	m.Healthy = types.BoolValue(last == nil || last.Outcome == bitbucket.DeliverySuccess)
	m.Successes = types.Int64Value(int64(got.Successes))
	m.Failures = types.Int64Value(int64(got.Failures))
	m.Errors = types.Int64Value(int64(got.Errors))
	m.CountedSince = rfc3339(got.WindowStart)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// latestInvocation is the most recent of the three (by start, then id).
func latestInvocation(d *bitbucket.WebhookDeliveries) *bitbucket.WebhookInvocation {
	var last *bitbucket.WebhookInvocation
	for _, inv := range []*bitbucket.WebhookInvocation{d.LastSuccess, d.LastFailure, d.LastError} {
		if inv == nil {
			continue
		}
		if last == nil || inv.Start.After(last.Start) || (inv.Start.Equal(last.Start) && idAfter(inv.ID, last.ID)) {
			last = inv
		}
	}
	return last
}

func idAfter(a, b string) bool {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA != nil || errB != nil {
		return a > b
	}
	return x > y
}

func invocationObject(inv *bitbucket.WebhookInvocation, diags *diag.Diagnostics) types.Object {
	if inv == nil {
		return types.ObjectNull(invocationTypes)
	}
	status, errText := types.Int64Null(), types.StringNull()
	if inv.StatusCode != 0 {
		status = types.Int64Value(int64(inv.StatusCode))
	} else {
		errText = types.StringValue(inv.Description)
	}
	obj, d := types.ObjectValue(invocationTypes, map[string]attr.Value{
		"time":        rfc3339(inv.Start),
		"event":       types.StringValue(inv.Event),
		"outcome":     types.StringValue(inv.Outcome),
		"status_code": status,
		"error":       errText,
		"duration_ms": types.Int64Value(inv.Duration.Milliseconds()),
	})
	diags.Append(d...)
	return obj
}
