package provider

import (
	"context"
	"fmt"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

var (
	_ action.ActionWithConfigure  = &ConnectionCheckAction{}
	_ action.ActionWithModifyPlan = &ConnectionCheckAction{}
)

// NewConnectionCheckAction returns the bitbucket_connection_check action.
func NewConnectionCheckAction() action.Action { return &ConnectionCheckAction{} }

// ConnectionCheckAction runs a connection's checks on demand, changing no
// state: the credential reaches the repository (or workspace), and Bitbucket
// reaches the service's webhook URL where the product can test it.
type ConnectionCheckAction struct {
	data *providerData
}

type connectionCheckModel struct {
	Workspace  types.String `tfsdk:"workspace"`
	Repository types.String `tfsdk:"repository"`
	Token      types.String `tfsdk:"token"`
	Username   types.String `tfsdk:"username"`
	WebhookID  types.String `tfsdk:"webhook_id"`
}

func (a *ConnectionCheckAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_connection_check"
}

func (a *ConnectionCheckAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Runs a connection's checks on demand, without changing state, for a CI job that must know " +
			"the integration works before it relies on it: the service's credential (`token`) can read the repository " +
			"(or the workspace's repositories), and, with `webhook_id`, Bitbucket reaches the service's webhook URL " +
			"(a test request that must be answered 2xx). Fails naming what does not work. Bitbucket Cloud's API cannot " +
			"send a test request: there `webhook_id` is a plan-time error, and the credential check still runs. " +
			"Actions need Terraform 1.14 or newer (OpenTofu has none). A managed token revoked outside Terraform is found " +
			"by the refresh of `terraform apply -invoke=…` (a warning), which leaves `token` null: the action then checks " +
			"only the webhook and warns that the credential was not checked. `-refresh=false` checks the token recorded " +
			"in state only until a run that refreshes saves the state (an apply with `-invoke` does).",
		Attributes: map[string]schema.Attribute{
			"workspace": schema.StringAttribute{Optional: true, MarkdownDescription: workspaceDescription,
				Validators: []validator.String{workspaceValidator}},
			"repository": schema.StringAttribute{Optional: true,
				MarkdownDescription: "The connection's repository slug; unset for a workspace (project) connection.",
				Validators:          []validator.String{repositoryValidator}},
			"token": schema.StringAttribute{Optional: true,
				MarkdownDescription: "The service's credential, as the connection has it: `bitbucket_connection.<name>.token` " +
					"for a managed token, or the value you pass to `token_wo`/`token`. Pass a sensitive value (that attribute, or a variable marked `sensitive`): Terraform then hides it in plan output, since action arguments cannot be marked sensitive by the provider. Sent as Bearer, or with `username` as Basic."},
			"username": schema.StringAttribute{Optional: true,
				MarkdownDescription: "With `token`: the user name (Cloud: the Atlassian account email of an API token)."},
			"webhook_id": schema.StringAttribute{Optional: true,
				MarkdownDescription: "The connection's webhook (`bitbucket_connection.<name>.webhook_id`): Bitbucket sends it a test request."},
		},
	}
}

func (a *ConnectionCheckAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (a *ConnectionCheckAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m connectionCheckModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if m.Token.IsNull() && m.WebhookID.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("token"), "Nothing to check",
			"bitbucket_connection_check checks the credential (token) and the webhook (webhook_id): set at least one. "+
				nullTokenReason)
	}
	if !m.Username.IsNull() && m.Token.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("username"), "username without token", "Set token with username, or remove username.")
	}
	if a.data != nil && !m.Workspace.IsUnknown() {
		a.data.workspaceOf(m.Workspace, &resp.Diagnostics)
	}
	if a.data != nil && !m.WebhookID.IsNull() {
		if caps := a.data.client.Capabilities(); !caps.WebhookDeliveries {
			resp.Diagnostics.AddAttributeError(path.Root("webhook_id"), productName(a.data.client.Product())+" cannot test a webhook",
				caps.WebhookDeliveriesUnsupported+"\n\nRemove webhook_id; the credential check works on both products.")
		}
	}
}

func (a *ConnectionCheckAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m connectionCheckModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || a.data == nil {
		return
	}
	workspace := a.data.workspaceOf(m.Workspace, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	repository := m.Repository.ValueString()
	where := workspace
	if repository != "" {
		where += "/" + repository
	}
	progress := func(msg string) {
		if resp.SendProgress != nil {
			resp.SendProgress(action.InvokeProgressEvent{Message: msg})
		}
	}
	if token := m.Token.ValueString(); token != "" {
		cred := bitbucket.Credentials{AccessToken: token}
		if u := m.Username.ValueString(); u != "" {
			cred = bitbucket.Credentials{Username: u, Token: token}
		}
		client, err := a.data.client.WithCredentials(cred)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("token"), "Invalid credential", err.Error())
			return
		}
		access, err := client.CheckAccess(ctx, workspace, repository)
		switch {
		case err != nil:
			resp.Diagnostics.AddAttributeError(path.Root("token"), "The connection's credential does not reach "+where,
				fmt.Sprintf("Bitbucket refused the credential for %s on %s: %s\n\nThe service cannot read what it needs: "+
					"renew or replace the credential (a managed token is renewed by the next apply that changes it).", where, serverURL(a.data.client), err))
			return
		case len(access.Repositories) == 0:
			resp.Diagnostics.AddAttributeError(path.Root("token"), "The connection's credential reads no repository",
				fmt.Sprintf("The credential authenticates, but reads no repository of %s.", where))
			return
		}
		progress(fmt.Sprintf("The credential reads %s (%s)", where, describeAccess(access)))
	} else {
		// Never a silent pass: a CI job reading only the exit code must at
		// least see that half of the check did not run.
		resp.Diagnostics.AddAttributeWarning(path.Root("token"), "The connection's credential was not checked",
			"token is null, so only the webhook is tested. "+nullTokenReason)
	}
	if id := m.WebhookID.ValueString(); id != "" {
		if unsupportedWebhookTest(a.data.client, &resp.Diagnostics) {
			return
		}
		scope := bitbucket.WebhookScope{Workspace: workspace, Repository: repository}
		res, err := a.data.client.TestWebhook(ctx, scope, bitbucket.WebhookTestInput{WebhookID: id})
		if err != nil {
			clientErrorDiagnostic(&resp.Diagnostics, a.data.client, "send a test request to webhook "+id, err)
			return
		}
		target := res.URL
		if target == "" {
			target = "webhook " + id
		}
		reportWebhookTest(target, res, resp)
	}
}

// nullTokenReason says why a token set from a connection can be null.
const nullTokenReason = "A token set from bitbucket_connection.<name>.token is null when the refresh found the " +
	"connection's managed token revoked outside Terraform (see its warning): run terraform apply to make a new " +
	"one and hand it to the service."

// describeAccess names the levels a credential holds, e.g. "api-service: read".
func describeAccess(a *bitbucket.Access) string {
	slugs := make([]string, 0, len(a.Repositories))
	for s := range a.Repositories {
		slugs = append(slugs, s)
	}
	sort.Strings(slugs)
	if len(slugs) > 3 {
		return fmt.Sprintf("%d repositories", len(slugs))
	}
	out := ""
	for i, s := range slugs {
		if i > 0 {
			out += ", "
		}
		out += s + ": " + a.Repositories[s]
	}
	return out
}
