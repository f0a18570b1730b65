package bitbucket_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestCapabilities: what each product can do, as the provider sees it, and
// the webhook secret's "not returned" on Cloud against a real read.
func TestCapabilities(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		product            emulator.Product
		cfg                bitbucket.Config
		tokens, secretBack bool
		workspace          string
	}{
		{emulator.Cloud, bitbucket.Config{Product: bitbucket.ProductCloud, Username: emulator.CloudOwnerEmail, Token: emulator.CloudOwnerAPIToken}, false, false, emulator.CloudWorkspace},
		{emulator.DataCenter, bitbucket.Config{Username: emulator.DCAdminUser, Token: emulator.DCAdminPassword}, true, true, emulator.DCProject},
	} {
		t.Run(string(tc.product), func(t *testing.T) {
			srv := emulator.NewTestServer(t, emulator.Options{Product: tc.product})
			tc.cfg.BaseURL = srv.BaseURL()
			c, err := bitbucket.New(ctx, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			caps := c.Capabilities()
			if caps.AccessTokens != tc.tokens || (caps.AccessTokensUnsupported == "") == !tc.tokens {
				t.Errorf("AccessTokens = %v (%q), want %v with a reason exactly when false", caps.AccessTokens, caps.AccessTokensUnsupported, tc.tokens)
			}
			if caps.WebhookSecretReturned != tc.secretBack || caps.VersionGated != tc.tokens || caps.WorkspaceWebhooksOwnerOnly == tc.tokens {
				t.Errorf("Capabilities = %+v", caps)
			}
			if _, err := c.CreateAccessToken(ctx, bitbucket.TokenScope{Level: bitbucket.TokenLevelProject, Workspace: tc.workspace},
				bitbucket.AccessTokenInput{Name: "x", Permissions: []string{"PROJECT_READ"}}); errors.Is(err, bitbucket.ErrUnsupported) == tc.tokens {
				t.Errorf("CreateAccessToken = %v, but AccessTokens = %v", err, tc.tokens)
			}
			secret := "s3cret"
			events := c.WebhookEvents(false)
			hook, err := c.CreateWebhook(ctx, bitbucket.WebhookScope{Workspace: tc.workspace},
				bitbucket.WebhookInput{Name: "h", URL: "https://ci.example.com/hook", Events: events[:1], Active: true, Secret: &secret})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.GetWebhook(ctx, bitbucket.WebhookScope{Workspace: tc.workspace}, hook.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.SecretReturned != caps.WebhookSecretReturned || !got.SecretSet || (got.Secret == secret) != got.SecretReturned {
				t.Errorf("read hook: SecretReturned=%v SecretSet=%v Secret returned=%v, capability %v",
					got.SecretReturned, got.SecretSet, got.Secret == secret, caps.WebhookSecretReturned)
			}
			if !slices.Equal(c.WebhookEvents(true), bitbucket.WebhookEvents(c.Product(), true)) {
				t.Error("client's repository catalogue differs from the package's")
			}
		})
	}
}

// TestWorkspacePermissionFilter: the filters a product lists in its
// capabilities work; the others are ErrUnsupported and send no request.
func TestWorkspacePermissionFilter(t *testing.T) {
	ctx := context.Background()
	cloud := emulator.NewTestServer(t, emulator.Options{Product: emulator.Cloud})
	cc, err := bitbucket.New(ctx, bitbucket.Config{BaseURL: cloud.BaseURL(), Product: bitbucket.ProductCloud,
		Username: emulator.CloudOwnerEmail, Token: emulator.CloudOwnerAPIToken})
	if err != nil {
		t.Fatal(err)
	}
	dc := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
	dcc, err := bitbucket.New(ctx, bitbucket.Config{BaseURL: dc.BaseURL(), Username: emulator.DCAdminUser, Token: emulator.DCAdminPassword})
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []string{bitbucket.AccessRead, bitbucket.AccessWrite, bitbucket.AccessAdmin} {
		for _, c := range []bitbucket.Client{cc, dcc} {
			cloud.ResetCounts()
			_, err := c.ListWorkspaces(ctx, bitbucket.WorkspaceFilter{MinPermission: level})
			supported := slices.Contains(c.Capabilities().WorkspacePermissionFilters, level)
			switch {
			case supported && err != nil:
				t.Errorf("%s min %s: %v", c.Product(), level, err)
			case !supported && !errors.Is(err, bitbucket.ErrUnsupported):
				t.Errorf("%s min %s = %v, want ErrUnsupported", c.Product(), level, err)
			case !supported && cloud.RequestCount("GET", "/2.0/user/workspaces") != 0:
				t.Errorf("%s min %s sent a request", c.Product(), level)
			}
		}
	}
	dc.ResetCounts()
	if _, err := dcc.ListWorkspaces(ctx, bitbucket.WorkspaceFilter{MinPermission: bitbucket.AccessWrite}); err != nil {
		t.Fatal(err)
	}
	reqs := dc.Requests()
	if len(reqs) != 1 || reqs[0].RawQuery == "" || !strings.Contains(reqs[0].RawQuery, "permission=PROJECT_WRITE") {
		t.Errorf("Data Center requests = %+v, want one with permission=PROJECT_WRITE", reqs)
	}
}

// fakeClient is a Client that is not made by New: only what a test needs.
type fakeClient struct {
	bitbucket.Client
	with   []bitbucket.Credentials
	access *bitbucket.Access
}

func (f *fakeClient) WithCredentials(cred bitbucket.Credentials) (bitbucket.Client, error) {
	f.with = append(f.with, cred)
	return f, nil
}

func (f *fakeClient) CheckAccess(context.Context, string, string) (*bitbucket.Access, error) {
	return f.access, nil
}

// TestFakeClient: NewWithCredentials and CheckAccess work on any Client,
// so the provider can be tested with a fake.
func TestFakeClient(t *testing.T) {
	want := &bitbucket.Access{Repositories: map[string]string{"r": bitbucket.AccessAdmin}}
	f := &fakeClient{access: want}
	c, err := bitbucket.NewWithCredentials(f, bitbucket.Credentials{AccessToken: "t"})
	if err != nil || c != f || len(f.with) != 1 || f.with[0].AccessToken != "t" {
		t.Fatalf("NewWithCredentials = %v, %v; calls %+v", c, err, f.with)
	}
	got, err := bitbucket.CheckAccess(context.Background(), c, "ws", "r")
	if err != nil || got != want {
		t.Errorf("CheckAccess = %+v, %v", got, err)
	}
}

// TestNowIsTheServersClock: after an answer, Now follows the server's Date
// header, not the local clock.
func TestNowIsTheServersClock(t *testing.T) {
	ctx := context.Background()
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.Cloud})
	c, err := bitbucket.New(ctx, bitbucket.Config{BaseURL: srv.BaseURL(), Product: bitbucket.ProductCloud,
		Username: emulator.CloudOwnerEmail, Token: emulator.CloudOwnerAPIToken})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(c.Now()); d < -time.Minute || d > time.Minute {
		t.Errorf("Now before any answer is %s away from the local clock", d)
	}
	future := time.Date(2031, 6, 1, 8, 0, 0, 0, time.UTC)
	srv.SetNow(future)
	if _, err := c.GetWorkspace(ctx, emulator.CloudWorkspace); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); got.Before(future) || got.After(future.Add(time.Minute)) {
		t.Errorf("Now = %s, want the server's %s", got, future)
	}
}

// TestWrongProductSaysSo: a product that does not match the server at
// base_url is reported as such, not as a network problem.
func TestWrongProductSaysSo(t *testing.T) {
	ctx := context.Background()
	dc := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter})
	cloud := emulator.NewTestServer(t, emulator.Options{Product: emulator.Cloud})
	for _, tc := range []struct {
		cfg  bitbucket.Config
		want string
	}{
		{bitbucket.Config{BaseURL: dc.URL(), Product: bitbucket.ProductCloud, Username: emulator.DCAdminUser, Token: emulator.DCAdminPassword}, "does not look like Bitbucket Cloud"},
		{bitbucket.Config{BaseURL: cloud.URL(), Product: bitbucket.ProductDataCenter, Username: emulator.CloudOwnerEmail, Token: emulator.CloudOwnerAPIToken}, "does not look like Bitbucket Data Center"},
	} {
		c, err := bitbucket.New(ctx, tc.cfg)
		if err != nil {
			t.Fatalf("%s: New: %v", tc.cfg.Product, err)
		}
		err = c.CheckCredentials(ctx)
		if !errors.Is(err, bitbucket.ErrWrongProduct) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: CheckCredentials = %v, want %q", tc.cfg.Product, err, tc.want)
		}
	}
}
