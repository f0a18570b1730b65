package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// The connection's optional delivery check (check_webhook_delivery, off by
// default like managed_access_key.check_ssh): on refresh, a warning when
// Bitbucket's latest delivery of the connection's webhook failed. Where the
// product records no deliveries it is a plan-time error (the capability's
// reason). Self-contained: the connection calls checkDeliveryPlan from
// checkProductSupports and warnDeliveryHealth from Read.

func checkWebhookDeliveryAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		Optional: true,
		MarkdownDescription: "Bitbucket Data Center: on every refresh, read the webhook's delivery history and warn when " +
			"its latest delivery failed (the receiver's HTTP status, or why nothing answered, and when). Off by default; " +
			"needs `webhook`. Bitbucket Cloud's API has no delivery history: setting it there is a plan-time error. " +
			"For a check in CI, see the data source `bitbucket_webhook_deliveries`.",
	}
}

// checkDeliveryPlan refuses check_webhook_delivery where it cannot work.
func checkDeliveryPlan(client bitbucket.Client, config connectionModel, diags *diag.Diagnostics) {
	if !config.CheckWebhookDelivery.ValueBool() {
		return
	}
	at := path.Root("check_webhook_delivery")
	if caps := client.Capabilities(); !caps.WebhookDeliveries {
		diags.AddAttributeError(at, "No webhook delivery history on "+productName(client.Product()),
			caps.WebhookDeliveriesUnsupported+"\n\nRemove check_webhook_delivery from this connection.")
		return
	}
	if config.Webhook.IsNull() {
		diags.AddAttributeError(at, "The delivery check needs a webhook",
			"check_webhook_delivery reads the deliveries of the connection's webhook: set webhook, or remove check_webhook_delivery.")
	}
}

// warnDeliveryHealth warns when the webhook's latest delivery failed; a
// history it cannot read is a warning too (the check must not block a plan).
func (r *connectionResource) warnDeliveryHealth(ctx context.Context, state connectionModel, remote remoteConnection, diags *diag.Diagnostics) {
	if !state.CheckWebhookDelivery.ValueBool() || remote.hook == nil || !r.data.client.Capabilities().WebhookDeliveries {
		return
	}
	scope := bitbucket.WebhookScope{Workspace: state.Workspace.ValueString(), Repository: state.Repository.ValueString()}
	got, err := r.data.client.WebhookDeliveries(ctx, scope, remote.hook.id)
	if err != nil {
		diags.AddAttributeWarning(path.Root("check_webhook_delivery"), "Cannot read the webhook's deliveries",
			fmt.Sprintf("Reading the deliveries of webhook %s of %s failed: %s", remote.hook.id, describeConnection(state), err))
		return
	}
	last := latestInvocation(got)
	if last == nil || last.Outcome == bitbucket.DeliverySuccess {
		return
	}
	what := fmt.Sprintf("HTTP %d", last.StatusCode)
	if last.StatusCode == 0 {
		what = "no answer (" + last.Description + ")"
	}
	since := "No delivery has succeeded yet."
	if got.LastSuccess != nil {
		since = "The last successful delivery was at " + got.LastSuccess.Start.UTC().Format(time.RFC3339) + "."
	}
	diags.AddAttributeWarning(path.Root("check_webhook_delivery"), "The webhook's last delivery failed",
		fmt.Sprintf("Bitbucket's latest delivery of webhook %s of %s got %s at %s (event %s). %s\n\nEvents are not reaching "+
			"the service: check the URL, the service and the network path from Bitbucket to it.",
			remote.hook.id, describeConnection(state), what, last.Start.UTC().Format(time.RFC3339), last.Event, since))
}
