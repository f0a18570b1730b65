package bitbucket_test

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

func TestNewWithCredentialsDataCenter(t *testing.T) {
	ctx := context.Background()
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.DataCenter, PublicURL: "http://localhost:7990"})
	admin, err := bitbucket.New(ctx, bitbucket.Config{BaseURL: srv.BaseURL(), Username: emulator.DCAdminUser, Token: emulator.DCAdminPassword})
	if err != nil {
		t.Fatal(err)
	}
	repoToken, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "repository", Workspace: emulator.DCProject,
		Repository: emulator.DCRepository, Name: "ci", Permissions: []string{"REPO_READ"}})
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCounts()

	asToken, err := bitbucket.NewWithCredentials(admin, bitbucket.Credentials{AccessToken: repoToken.Token})
	if err != nil {
		t.Fatal(err)
	}
	if asToken.Product() != bitbucket.ProductDataCenter || asToken.ServerVersion() != admin.ServerVersion() || asToken.BaseURL() != admin.BaseURL() {
		t.Errorf("child client = %s %s %s, want the parent's", asToken.Product(), asToken.ServerVersion(), asToken.BaseURL())
	}
	got, err := bitbucket.CheckAccess(ctx, asToken, emulator.DCProject, emulator.DCRepository)
	if err != nil {
		t.Fatalf("CheckAccess: %v", err)
	}
	if want := map[string]string{emulator.DCRepository: bitbucket.AccessRead}; !maps.Equal(got.Repositories, want) {
		t.Errorf("Repositories = %v, want %v", got.Repositories, want)
	}
	if got.ReportedBaseURL != "http://localhost:7990" || !bitbucket.IsLoopbackURL(got.ReportedBaseURL) {
		t.Errorf("ReportedBaseURL = %q, want the localhost base URL", got.ReportedBaseURL)
	}
	if got.Repository == nil || got.Repository.CloneHTTPS == "" {
		t.Errorf("Repository = %+v, want the repository with its clone links", got.Repository)
	}
	if n := srv.RequestCount("GET", "/rest/api/1.0/application-properties"); n != 0 {
		t.Errorf("the child client read application-properties %d times; it must reuse the parent's detection", n)
	}

	// The token reads its repository and the public web-app, nothing more.
	ws, err := bitbucket.CheckAccess(ctx, asToken, emulator.DCProject, "")
	if err != nil {
		t.Fatalf("CheckAccess(workspace): %v", err)
	}
	if want := map[string]string{emulator.DCRepository: bitbucket.AccessRead, "web-app": bitbucket.AccessRead}; !maps.Equal(ws.Repositories, want) {
		t.Errorf("workspace Repositories = %v, want %v", ws.Repositories, want)
	}

	// A personal token with Basic auth: the lesser of its own and its owner's permissions.
	personal, err := srv.AddDCAccessToken(emulator.AccessToken{Level: "user", User: emulator.DCAdminUser, Name: "xcode",
		Permissions: []string{"PROJECT_READ", "REPO_WRITE"}})
	if err != nil {
		t.Fatal(err)
	}
	asUser, err := bitbucket.NewWithCredentials(admin, bitbucket.Credentials{Username: emulator.DCAdminUser, Token: personal.Token})
	if err != nil {
		t.Fatal(err)
	}
	all, err := bitbucket.CheckAccess(ctx, asUser, emulator.DCProject, "")
	if err != nil {
		t.Fatalf("CheckAccess(personal): %v", err)
	}
	if want := map[string]string{"api-service": bitbucket.AccessWrite, "web-app": bitbucket.AccessWrite}; !maps.Equal(all.Repositories, want) {
		t.Errorf("personal token Repositories = %v, want %v", all.Repositories, want)
	}

	if err := srv.RevokeAccessToken(repoToken.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := bitbucket.CheckAccess(ctx, asToken, emulator.DCProject, emulator.DCRepository); !errors.Is(err, bitbucket.ErrUnauthorized) {
		t.Errorf("CheckAccess with a revoked token = %v, want ErrUnauthorized", err)
	}
	if _, err := bitbucket.NewWithCredentials(admin, bitbucket.Credentials{Username: "dev"}); err == nil {
		t.Error("NewWithCredentials accepted a username without a token")
	}
}

func TestNewWithCredentialsCloud(t *testing.T) {
	ctx := context.Background()
	srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.Cloud})
	owner, err := bitbucket.New(ctx, bitbucket.Config{BaseURL: srv.BaseURL(), Product: bitbucket.ProductCloud,
		Username: emulator.CloudOwnerEmail, Token: emulator.CloudOwnerAPIToken})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddCloudAccessToken("repo-token", emulator.CloudWorkspace, emulator.CloudRepository, []string{"repository"}); err != nil {
		t.Fatal(err)
	}
	asToken, err := bitbucket.NewWithCredentials(owner, bitbucket.Credentials{AccessToken: "repo-token"})
	if err != nil {
		t.Fatal(err)
	}
	if asToken.Product() != bitbucket.ProductCloud || asToken.BaseURL() != owner.BaseURL() {
		t.Errorf("child client = %s %s, want the parent's", asToken.Product(), asToken.BaseURL())
	}
	got, err := bitbucket.CheckAccess(ctx, asToken, emulator.CloudWorkspace, emulator.CloudRepository)
	if err != nil {
		t.Fatalf("CheckAccess: %v", err)
	}
	if got.Repository == nil || got.Repositories[emulator.CloudRepository] != bitbucket.AccessRead || got.ReportedBaseURL != "" {
		t.Errorf("CheckAccess = %+v", got)
	}
	ws, err := bitbucket.CheckAccess(ctx, asToken, emulator.CloudWorkspace, "")
	if err != nil {
		t.Fatalf("CheckAccess(workspace): %v", err)
	}
	if want := map[string]string{emulator.CloudRepository: bitbucket.AccessRead}; !maps.Equal(ws.Repositories, want) {
		t.Errorf("workspace Repositories = %v, want only the token's repository", ws.Repositories)
	}
	if _, err := bitbucket.CheckAccess(ctx, asToken, emulator.CloudWorkspace, "web-app"); !errors.Is(err, bitbucket.ErrNotFound) && !errors.Is(err, bitbucket.ErrForbidden) {
		t.Errorf("CheckAccess of another repository = %v, want not found or forbidden", err)
	}
	wrong, err := bitbucket.NewWithCredentials(owner, bitbucket.Credentials{Username: emulator.CloudOwnerEmail, Token: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bitbucket.CheckAccess(ctx, wrong, emulator.CloudWorkspace, emulator.CloudRepository); !errors.Is(err, bitbucket.ErrUnauthorized) {
		t.Errorf("CheckAccess with a wrong token = %v, want ErrUnauthorized", err)
	}
}

func TestIsLoopbackURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://localhost:7990":            true,
		"http://127.0.0.1:7990/bitbucket":  true,
		"http://[::1]:7990":                true,
		"https://bitbucket.example.com":    false,
		"https://localhost.example.com:80": false,
		"":                                 false,
	} {
		if got := bitbucket.IsLoopbackURL(raw); got != want {
			t.Errorf("IsLoopbackURL(%q) = %v, want %v", raw, got, want)
		}
	}
}
