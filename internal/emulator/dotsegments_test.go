package emulator_test

import (
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// A dot segment in a repository's place reaches the project route, as it
// does behind Tomcat and nginx: a "repository" token becomes a project one.
func TestDotSegmentsResolveLikeTomcat(t *testing.T) {
	for _, repo := range []string{"..", "%2e%2e", "%2E.", "..;jsessionid=1"} {
		t.Run(repo, func(t *testing.T) {
			srv := dcServer(t)
			do(t, srv, "PUT", "/rest/access-tokens/1.0/projects/PRJ/repos/"+repo, admin, map[string]any{
				"name": "ci", "permissions": []string{"REPO_ADMIN"},
			}).expect(t, 200)
			tokens := srv.AccessTokens()
			last := tokens[len(tokens)-1]
			if last.Level != "project" || last.Workspace != emulator.DCProject || last.Repository != "" {
				t.Fatalf("token made at %+v, want the project token a normalizing server makes", last)
			}
		})
	}
}

func TestDotSegmentsResolveInBothProducts(t *testing.T) {
	srv := cloudServer(t)
	// /repositories/acme/./api-service/../api-service is /repositories/acme/api-service.
	do(t, srv, "GET", "/2.0/repositories/acme/./api-service/../api-service", alice, nil).expect(t, 200)
}

func TestDotSegmentAboveRootIsBadRequest(t *testing.T) {
	srv := dcServer(t)
	do(t, srv, "GET", "/../../rest/api/1.0/projects", admin, nil).expect(t, 400)
}
