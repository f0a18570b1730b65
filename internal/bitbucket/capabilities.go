package bitbucket

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// cloudTokensUnsupported says why access tokens are not managed on Cloud and
// what to do instead. Cloud's REST 2.0 has no operation on access tokens
// (the Cloud OpenAPI file in internal/emulator/conformance/testdata has no
// access-token path); they are made in the web UI:
// https://support.atlassian.com/bitbucket-cloud/docs/create-a-repository-access-token/
// The reason only: what to do instead depends on where the user is, so
// the caller says it.
const cloudTokensUnsupported = "Bitbucket Cloud has no API for access tokens: they are created, listed and revoked " +
	"in the Bitbucket web UI only (workspace, project or repository settings > Access tokens)."

func (c *cloudClient) Capabilities() Capabilities {
	return Capabilities{
		AccessTokensUnsupported: cloudTokensUnsupported,
		// Cloud reports only secret_set (webhook_subscription schema).
		WebhookSecretReturned: false,
		// "Workspace webhooks ... can only be managed by workspace owners"
		// (Cloud OpenAPI, POST /workspaces/{workspace}/hooks).
		WorkspaceWebhooksOwnerOnly:   true,
		WorkspacePermissionFilters:   []string{AccessRead, AccessAdmin},
		WebhookDeliveriesUnsupported: cloudNoDeliveries,
	}
}

func (d *dataCenterClient) Capabilities() Capabilities {
	return Capabilities{
		AccessTokens: true,
		// Data Center returns configuration.secret on every read.
		WebhookSecretReturned:      true,
		WorkspacePermissionFilters: []string{AccessRead, AccessWrite, AccessAdmin},
		VersionGated:               true,
		WebhookDeliveries:          true,
	}
}

func (c *cloudClient) Now() time.Time      { return c.h.serverNow() }
func (d *dataCenterClient) Now() time.Time { return d.h.serverNow() }

func (c *cloudClient) WebhookEvents(repositoryHook bool) []string {
	return WebhookEvents(ProductCloud, repositoryHook)
}

func (d *dataCenterClient) WebhookEvents(repositoryHook bool) []string {
	return WebhookEvents(ProductDataCenter, repositoryHook)
}

func (c *cloudClient) WithCredentials(cred Credentials) (Client, error) {
	h, err := c.h.withCredentials(cred)
	if err != nil {
		return nil, err
	}
	return &cloudClient{h: h}, nil
}

func (d *dataCenterClient) WithCredentials(cred Credentials) (Client, error) {
	h, err := d.h.withCredentials(cred)
	if err != nil {
		return nil, err
	}
	return &dataCenterClient{h: h, version: d.version}, nil
}

func (c *cloudClient) CheckAccess(ctx context.Context, workspace, repository string) (*Access, error) {
	return c.checkAccess(ctx, workspace, repository)
}

func (d *dataCenterClient) CheckAccess(ctx context.Context, workspace, repository string) (*Access, error) {
	return d.checkAccess(ctx, workspace, repository)
}

// dcProjectPermission maps a WorkspaceFilter.MinPermission to Data Center's
// project permission (GET /rest/api/1.0/projects?permission=, Data Center
// OpenAPI operation getProjects).
func dcProjectPermission(level string) (string, error) {
	switch level {
	case AccessRead, AccessWrite, AccessAdmin:
		return "PROJECT_" + strings.ToUpper(level), nil
	case "PROJECT_READ", "PROJECT_WRITE", "PROJECT_ADMIN":
		return level, nil
	}
	return "", fmt.Errorf("min permission %q is not one of %q, %q, %q", level, AccessRead, AccessWrite, AccessAdmin)
}
