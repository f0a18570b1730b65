package conformance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator/conformance"
)

// caller is who a step authenticates as.
type caller int

const (
	anonymous caller = iota
	cloudOwner
	cloudMember   // member, not owner, of acme
	cloudNoScopes // owner of acme whose API token holds only read:user
	cloudWrongToken
	dcAdmin
	dcWrongPassword
)

// Least-privilege Cloud user added for the 403 answers.
const (
	cloudNoScopesEmail = "carol@example.com"
	cloudNoScopesToken = "carol-api-token"
)

func (c caller) authorize(req *http.Request) {
	switch c {
	case cloudOwner:
		req.SetBasicAuth(emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken)
	case cloudMember:
		req.SetBasicAuth(emulator.CloudMemberEmail, emulator.CloudMemberAPIToken)
	case cloudNoScopes:
		req.SetBasicAuth(cloudNoScopesEmail, cloudNoScopesToken)
	case cloudWrongToken:
		req.SetBasicAuth(emulator.CloudOwnerEmail, "not-the-api-token")
	case dcAdmin:
		req.SetBasicAuth(emulator.DCAdminUser, emulator.DCAdminPassword)
	case dcWrongPassword:
		req.SetBasicAuth(emulator.DCAdminUser, "not-the-password")
	}
}

// step is one request of the drive. Steps run in order; a path may name, in
// angle brackets, the id an earlier step captured (e.g. <repoHook>).
type step struct {
	as      caller
	method  string
	path    string // as the provider calls it (Data Center: the 1.0 form)
	body    string // JSON, "" = none
	status  int    // the answer this step provokes
	route   string // the described operation's path template
	capture string // store the created object's uuid/id under this name
	note    string // tells apart two steps of the same route and status
	// before, when set, runs on the emulator before the request (out-of-band
	// state such as a webhook delivery).
	before func(*emulator.Server) error
}

func (s step) name() string {
	n := fmt.Sprintf("%s %s %d", s.method, s.route, s.status)
	if s.note != "" {
		n += " (" + s.note + ")"
	}
	return n
}

// unprovoked lists documented error answers the drive does not provoke, and why.
var unprovoked = map[string]string{
	"cloud GET /repositories/{workspace} 410": "given for a workspace flagged as spam; the emulator has no such state",
	"cloud GET /user/workspaces 400":          "docs/dev/bitbucket-api.md records no parameter the server rejects",
}

const (
	cloudHookBody = `{"description":"ci","url":"https://example.com/hook","active":true,"secret":"s3cret",
 "events":["repo:push","pullrequest:created"],"skip_cert_verification":false}`
	cloudHookUpdate = `{"description":"ci (updated)","url":"https://example.com/hook2","active":false,
 "events":["repo:push"]}`
	// "events needs at least 1 item" [docs/dev/bitbucket-api.md#cloud-webhooks]
	cloudHookInvalid = `{"description":"ci","url":"https://example.com/hook","active":true,"events":[]}`
	unknownCloudHook = "%7B00000000-0000-4000-8000-000000000000%7D"

	dcWebhookBody = `{"name":"ci","url":"https://ci.example.com/hook","active":true,
 "events":["repo:refs_changed","pr:opened"],"configuration":{"secret":"s3cret"},"sslVerificationRequired":true}`
	dcWebhookUpdate = `{"name":"ci2","url":"https://ci.example.com/hook2","active":false,"events":["repo:refs_changed"]}`
	// "a live server rejected pr:to_ref_updated with 400" [docs/dev/bitbucket-api.md#datacenter-webhooks]
	dcWebhookInvalid = `{"name":"ci","url":"https://ci.example.com/hook","active":true,"events":["pr:to_ref_updated"]}`
	unknownDCId      = "987654321"

	dcTokenBody     = `{"name":"ci-token","permissions":["REPO_READ","PROJECT_READ"],"expiryDays":90}`
	dcRepoTokenBody = `{"name":"ci-token","permissions":["REPO_READ"],"expiryDays":90}`
	// "400 covers: no name; missing or empty permissions" [docs/dev/bitbucket-api.md#datacenter-access-tokens]
	dcTokenInvalid = `{"name":"ci-token","permissions":[]}`
	dcTokenUpdate  = `{"name":"ci-token-renamed"}`
	// "Tokens may not have the following permission: ADMIN" [docs/dev/bitbucket-api.md#datacenter-access-tokens]
	dcTokenUpdateInvalid = `{"permissions":["ADMIN"]}`
)

// Access keys: an Ed25519 public key (with a comment) and a second one.
const (
	testPublicKey      = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF8LLyHClvJpUMKUnOH49Ps0YIM8zlK7zOOObLSjYSCp ci@example"
	otherTestPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIKLuvbXsidzBa2Rrirad/moZkPgqrmB1UeGzlG2UvBK"
	cloudKeyBody       = `{"key":"` + testPublicKey + `","label":"ci"}`
	cloudKeyUpdate     = `{"key":"` + testPublicKey + `","label":"ci (renamed)"}`
	// Cloud: "Invalid deploy key inputs" (a key that is not a key).
	cloudKeyInvalid = `{"key":"ssh-ed25519 not-base64","label":"ci"}`
	// Cloud: "The same key needs to be passed in" on update.
	cloudKeyChanged = `{"key":"` + otherTestPublicKey + `","label":"ci"}`
	unknownKeyID    = "987654321"
	dcRepoKeyBody   = `{"key":{"text":"` + testPublicKey + `","label":"ci"},"permission":"REPO_READ"}`
	dcProjKeyBody   = `{"key":{"text":"` + testPublicKey + `","label":"ci"},"permission":"PROJECT_READ"}`
	// A repository key cannot carry a project permission.
	dcKeyInvalid = `{"key":{"text":"` + testPublicKey + `","label":"ci"},"permission":"PROJECT_ADMIN"}`
)

// cloudKeySteps drives one Cloud deploy-key collection; update is false for
// project keys, which have no PUT.
func cloudKeySteps(list, listTemplate, missingList, capture string, update bool) []step {
	one := listTemplate + "/{key_id}"
	key := list + "/<" + capture + ">"
	steps := []step{
		{as: cloudOwner, method: "POST", path: list, body: cloudKeyBody, status: 200, route: listTemplate, capture: capture},
		{as: cloudOwner, method: "POST", path: list, body: cloudKeyInvalid, status: 400, route: listTemplate},
		{as: cloudNoScopes, method: "POST", path: list, body: cloudKeyBody, status: 403, route: listTemplate},
		{as: cloudOwner, method: "POST", path: missingList, body: cloudKeyBody, status: 404, route: listTemplate},
		{as: cloudOwner, method: "GET", path: list, status: 200, route: listTemplate},
		{as: cloudNoScopes, method: "GET", path: list, status: 403, route: listTemplate},
		{as: cloudOwner, method: "GET", path: missingList, status: 404, route: listTemplate},
		{as: cloudOwner, method: "GET", path: key, status: 200, route: one},
		{as: cloudNoScopes, method: "GET", path: key, status: 403, route: one},
		{as: cloudOwner, method: "GET", path: list + "/" + unknownKeyID, status: 404, route: one},
	}
	if update {
		steps = append(steps,
			step{as: cloudOwner, method: "PUT", path: key, body: cloudKeyUpdate, status: 200, route: one},
			step{as: cloudOwner, method: "PUT", path: key, body: cloudKeyChanged, status: 400, route: one},
			step{as: cloudNoScopes, method: "PUT", path: key, body: cloudKeyUpdate, status: 403, route: one},
			step{as: cloudOwner, method: "PUT", path: list + "/" + unknownKeyID, body: cloudKeyUpdate, status: 404, route: one},
		)
	}
	return append(steps,
		step{as: cloudNoScopes, method: "DELETE", path: key, status: 403, route: one},
		step{as: cloudOwner, method: "DELETE", path: key, status: 204, route: one},
		step{as: cloudOwner, method: "DELETE", path: key, status: 404, route: one, note: "already deleted"},
	)
}

// dcKeySteps drives one Data Center access-key collection.
func dcKeySteps(list, listTemplate, missingList, capture, create, permission string) []step {
	one := listTemplate + "/{keyId}"
	key := list + "/<" + capture + ">"
	perm := one + "/permission/{permission}"
	return []step{
		{as: dcAdmin, method: "POST", path: list, body: create, status: 201, route: listTemplate, capture: capture},
		{as: dcAdmin, method: "POST", path: list, body: dcKeyInvalid, status: 400, route: listTemplate},
		{as: dcWrongPassword, method: "POST", path: list, body: create, status: 401, route: listTemplate},
		{as: dcAdmin, method: "POST", path: missingList, body: create, status: 404, route: listTemplate},
		{as: dcAdmin, method: "GET", path: list, status: 200, route: listTemplate},
		{as: dcWrongPassword, method: "GET", path: list, status: 401, route: listTemplate},
		{as: dcAdmin, method: "GET", path: missingList, status: 404, route: listTemplate},
		{as: dcAdmin, method: "GET", path: key, status: 200, route: one},
		{as: dcWrongPassword, method: "GET", path: key, status: 401, route: one},
		{as: dcAdmin, method: "GET", path: list + "/" + unknownKeyID, status: 404, route: one},
		{as: dcAdmin, method: "PUT", path: key + "/permission/" + permission, status: 200, route: perm},
		{as: dcWrongPassword, method: "PUT", path: key + "/permission/" + permission, status: 401, route: perm},
		{as: dcAdmin, method: "PUT", path: list + "/" + unknownKeyID + "/permission/" + permission, status: 404, route: perm},
		{as: dcWrongPassword, method: "DELETE", path: key, status: 401, route: one},
		{as: dcAdmin, method: "DELETE", path: key, status: 204, route: one},
		{as: dcAdmin, method: "DELETE", path: key, status: 204, route: one, note: "already deleted: still 204"},
	}
}

// cloudHookSteps drives one hook collection (repository or workspace).
func cloudHookSteps(list, listTemplate, missingList, capture string, notOwner caller) []step {
	one := listTemplate + "/{uid}"
	hook := list + "/<" + capture + ">"
	return []step{
		{as: cloudOwner, method: "POST", path: list, body: cloudHookBody, status: 201, route: listTemplate, capture: capture},
		{as: cloudOwner, method: "POST", path: list, body: cloudHookInvalid, status: 400, route: listTemplate},
		{as: notOwner, method: "POST", path: list, body: cloudHookBody, status: 403, route: listTemplate},
		{as: cloudOwner, method: "POST", path: missingList, body: cloudHookBody, status: 404, route: listTemplate},
		{as: cloudOwner, method: "GET", path: list, status: 200, route: listTemplate},
		{as: cloudNoScopes, method: "GET", path: list, status: 403, route: listTemplate},
		{as: cloudOwner, method: "GET", path: missingList, status: 404, route: listTemplate},
		{as: cloudOwner, method: "GET", path: hook, status: 200, route: one},
		{as: cloudOwner, method: "GET", path: list + "/" + unknownCloudHook, status: 404, route: one},
		{as: cloudOwner, method: "PUT", path: hook, body: cloudHookUpdate, status: 200, route: one},
		{as: cloudNoScopes, method: "PUT", path: hook, body: cloudHookUpdate, status: 403, route: one},
		{as: cloudOwner, method: "PUT", path: list + "/" + unknownCloudHook, body: cloudHookUpdate, status: 404, route: one},
		{as: cloudNoScopes, method: "DELETE", path: hook, status: 403, route: one},
		{as: cloudOwner, method: "DELETE", path: hook, status: 204, route: one},
		{as: cloudOwner, method: "DELETE", path: hook, status: 404, route: one, note: "already deleted"},
	}
}

var cloudSteps = concat(
	[]step{
		{as: cloudOwner, method: "GET", path: "/2.0/user", status: 200, route: "/user"},
		{as: cloudWrongToken, method: "GET", path: "/2.0/user", status: 401, route: "/user"},
		{as: cloudOwner, method: "GET", path: "/2.0/user/workspaces", status: 200, route: "/user/workspaces"},
		{as: cloudWrongToken, method: "GET", path: "/2.0/user/workspaces", status: 401, route: "/user/workspaces"},
		{as: cloudOwner, method: "GET", path: "/2.0/workspaces/acme", status: 200, route: "/workspaces/{workspace}"},
		{as: cloudOwner, method: "GET", path: "/2.0/workspaces/nonexistentworkspace", status: 404, route: "/workspaces/{workspace}"},
		{as: cloudOwner, method: "GET", path: "/2.0/repositories/acme", status: 200, route: "/repositories/{workspace}"},
		{as: cloudOwner, method: "GET", path: "/2.0/repositories/acme?pagelen=1", status: 200, route: "/repositories/{workspace}", note: "pagelen=1, so next is set"},
		{as: cloudOwner, method: "GET", path: "/2.0/repositories/nonexistentworkspace", status: 404, route: "/repositories/{workspace}"},
		{as: cloudOwner, method: "GET", path: "/2.0/repositories/acme/api-service", status: 200, route: "/repositories/{workspace}/{repo_slug}"},
		{as: cloudNoScopes, method: "GET", path: "/2.0/repositories/acme/api-service", status: 403, route: "/repositories/{workspace}/{repo_slug}"},
		{as: cloudOwner, method: "GET", path: "/2.0/repositories/acme/no-such-repo", status: 404, route: "/repositories/{workspace}/{repo_slug}"},
	},
	cloudHookSteps("/2.0/repositories/acme/api-service/hooks", "/repositories/{workspace}/{repo_slug}/hooks",
		"/2.0/repositories/acme/no-such-repo/hooks", "repoHook", cloudNoScopes),
	// "403: not an owner (only workspace owners may install hooks)" [docs/dev/bitbucket-api.md#cloud-webhooks]
	cloudHookSteps("/2.0/workspaces/acme/hooks", "/workspaces/{workspace}/hooks",
		"/2.0/workspaces/nonexistentworkspace/hooks", "workspaceHook", cloudMember),
	cloudKeySteps("/2.0/repositories/acme/api-service/deploy-keys", "/repositories/{workspace}/{repo_slug}/deploy-keys",
		"/2.0/repositories/acme/no-such-repo/deploy-keys", "repoKey", true),
	cloudKeySteps("/2.0/workspaces/acme/projects/API/deploy-keys", "/workspaces/{workspace}/projects/{project_key}/deploy-keys",
		"/2.0/workspaces/acme/projects/NOPE/deploy-keys", "projectKey", false),
)

// dcWebhookSteps drives one webhook collection (repository or project).
func dcWebhookSteps(list, listTemplate, missingList, capture string) []step {
	one := listTemplate + "/{webhookId}"
	hook := list + "/<" + capture + ">"
	return []step{
		{as: dcAdmin, method: "POST", path: list, body: dcWebhookBody, status: 200, route: listTemplate, capture: capture},
		{as: dcAdmin, method: "POST", path: list, body: dcWebhookInvalid, status: 400, route: listTemplate},
		{as: dcWrongPassword, method: "POST", path: list, body: dcWebhookBody, status: 401, route: listTemplate},
		{as: dcAdmin, method: "POST", path: missingList, body: dcWebhookBody, status: 404, route: listTemplate},
		{as: dcAdmin, method: "GET", path: list, status: 200, route: listTemplate},
		{as: dcWrongPassword, method: "GET", path: list, status: 401, route: listTemplate},
		{as: dcAdmin, method: "GET", path: missingList, status: 404, route: listTemplate},
		{as: dcAdmin, method: "GET", path: hook, status: 200, route: one},
		{as: dcWrongPassword, method: "GET", path: hook, status: 401, route: one},
		{as: dcAdmin, method: "GET", path: list + "/" + unknownDCId, status: 404, route: one},
		// Deliveries [docs/dev/bitbucket-api.md#datacenter-webhook-deliveries]; the hook's URL
		// is off the loopback interface, so the emulator records an ERROR without sending.
		{as: dcAdmin, method: "GET", path: hook + "/latest", status: 204, route: one + "/latest", note: "nothing delivered yet"},
		{as: dcAdmin, method: "GET", path: hook + "/statistics/summary", status: 204, route: one + "/statistics/summary", note: "nothing delivered yet"},
		{as: dcAdmin, method: "GET", path: hook + "/latest?outcome=ERROR", status: 200, route: one + "/latest", before: triggerRefsChanged},
		{as: dcWrongPassword, method: "GET", path: hook + "/latest", status: 401, route: one + "/latest"},
		{as: dcAdmin, method: "GET", path: list + "/" + unknownDCId + "/latest", status: 404, route: one + "/latest"},
		{as: dcAdmin, method: "GET", path: hook + "/statistics/summary", status: 200, route: one + "/statistics/summary"},
		{as: dcWrongPassword, method: "GET", path: hook + "/statistics/summary", status: 401, route: one + "/statistics/summary"},
		{as: dcAdmin, method: "GET", path: list + "/" + unknownDCId + "/statistics/summary", status: 404, route: one + "/statistics/summary"},
		{as: dcAdmin, method: "GET", path: hook + "?statistics=true", status: 200, route: one, note: "statistics=true"},
		{as: dcAdmin, method: "POST", path: list + "/test?url=https%3A%2F%2Fci.example.com%2Fhook", status: 200, route: listTemplate + "/test"},
		{as: dcAdmin, method: "POST", path: list + "/test?webhookId=<" + capture + ">", status: 200, route: listTemplate + "/test", note: "webhookId"},
		{as: dcWrongPassword, method: "POST", path: list + "/test?url=https%3A%2F%2Fci.example.com%2Fhook", status: 401, route: listTemplate + "/test"},
		{as: dcAdmin, method: "POST", path: missingList + "/test?url=https%3A%2F%2Fci.example.com%2Fhook", status: 404, route: listTemplate + "/test"},
		{as: dcAdmin, method: "PUT", path: hook, body: dcWebhookUpdate, status: 200, route: one},
		{as: dcWrongPassword, method: "PUT", path: hook, body: dcWebhookUpdate, status: 401, route: one},
		{as: dcAdmin, method: "PUT", path: list + "/" + unknownDCId, body: dcWebhookUpdate, status: 404, route: one},
		{as: dcWrongPassword, method: "DELETE", path: hook, status: 401, route: one},
		{as: dcAdmin, method: "DELETE", path: hook, status: 204, route: one},
		{as: dcAdmin, method: "DELETE", path: hook, status: 404, route: one, note: "already deleted"},
	}
}

// triggerRefsChanged raises repo:refs_changed on the seeded repository, which
// every webhook of the drive subscribes to.
func triggerRefsChanged(srv *emulator.Server) error {
	_, err := srv.TriggerWebhookEvent("PRJ", "api-service", "repo:refs_changed")
	return err
}

// dcTokenSteps drives one access-token collection (user, project or repository).
func dcTokenSteps(list, listTemplate, missingList, capture, create string) []step {
	one := listTemplate + "/{tokenId}"
	token := list + "/<" + capture + ">"
	return []step{
		{as: dcAdmin, method: "PUT", path: list, body: create, status: 200, route: listTemplate, capture: capture},
		{as: dcAdmin, method: "PUT", path: list, body: dcTokenInvalid, status: 400, route: listTemplate},
		{as: dcWrongPassword, method: "PUT", path: list, body: create, status: 401, route: listTemplate},
		{as: dcAdmin, method: "PUT", path: missingList, body: create, status: 404, route: listTemplate},
		{as: dcAdmin, method: "GET", path: list, status: 200, route: listTemplate},
		{as: dcWrongPassword, method: "GET", path: list, status: 401, route: listTemplate},
		{as: dcAdmin, method: "GET", path: missingList, status: 404, route: listTemplate},
		{as: dcAdmin, method: "GET", path: token, status: 200, route: one},
		{as: dcWrongPassword, method: "GET", path: token, status: 401, route: one},
		{as: dcAdmin, method: "GET", path: list + "/" + unknownDCId, status: 404, route: one},
		{as: dcAdmin, method: "POST", path: token, body: dcTokenUpdate, status: 200, route: one},
		{as: dcAdmin, method: "POST", path: token, body: dcTokenUpdateInvalid, status: 400, route: one},
		{as: dcWrongPassword, method: "POST", path: token, body: dcTokenUpdate, status: 401, route: one},
		{as: dcWrongPassword, method: "DELETE", path: token, status: 401, route: one},
		{as: dcAdmin, method: "DELETE", path: token, status: 204, route: one},
		{as: dcAdmin, method: "DELETE", path: token, status: 404, route: one, note: "already deleted"},
	}
}

var dcSteps = concat(
	[]step{
		{as: anonymous, method: "GET", path: "/rest/api/1.0/application-properties", status: 200, route: "/api/latest/application-properties"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/projects", status: 200, route: "/api/latest/projects"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/projects?limit=1", status: 200, route: "/api/latest/projects", note: "limit=1, so nextPageStart is set"},
		// "400 for an unknown permission" [docs/dev/bitbucket-api.md#datacenter-projects-and-repositories]
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/projects?permission=NO_SUCH_PERMISSION", status: 400, route: "/api/latest/projects"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/projects/PRJ", status: 200, route: "/api/latest/projects/{projectKey}"},
		{as: dcAdmin, method: "GET", path: "/rest/api/latest/projects/PRJ", status: 200, route: "/api/latest/projects/{projectKey}", note: "latest alias"},
		{as: dcWrongPassword, method: "GET", path: "/rest/api/1.0/projects/PRJ", status: 401, route: "/api/latest/projects/{projectKey}"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/projects/NOPE", status: 404, route: "/api/latest/projects/{projectKey}"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/projects/PRJ/repos", status: 200, route: "/api/latest/projects/{projectKey}/repos"},
		{as: dcWrongPassword, method: "GET", path: "/rest/api/1.0/projects/PRJ/repos", status: 401, route: "/api/latest/projects/{projectKey}/repos"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/projects/NOPE/repos", status: 404, route: "/api/latest/projects/{projectKey}/repos"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/projects/PRJ/repos/api-service", status: 200, route: "/api/latest/projects/{projectKey}/repos/{repositorySlug}"},
		{as: dcWrongPassword, method: "GET", path: "/rest/api/1.0/projects/PRJ/repos/api-service", status: 401, route: "/api/latest/projects/{projectKey}/repos/{repositorySlug}"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/projects/PRJ/repos/no-such-repo", status: 404, route: "/api/latest/projects/{projectKey}/repos/{repositorySlug}"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/projects/PRJ/repos/api-service/default-branch", status: 200, route: "/api/latest/projects/{projectKey}/repos/{repositorySlug}/default-branch"},
		{as: dcWrongPassword, method: "GET", path: "/rest/api/1.0/projects/PRJ/repos/api-service/default-branch", status: 401, route: "/api/latest/projects/{projectKey}/repos/{repositorySlug}/default-branch"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/projects/PRJ/repos/no-such-repo/default-branch", status: 404, route: "/api/latest/projects/{projectKey}/repos/{repositorySlug}/default-branch"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/repos", status: 200, route: "/api/latest/repos"},
		{as: dcAdmin, method: "GET", path: "/rest/api/1.0/repos?permission=NO_SUCH_PERMISSION", status: 400, route: "/api/latest/repos"},
	},
	dcWebhookSteps("/rest/api/1.0/projects/PRJ/repos/api-service/webhooks", dcRepoWebhooks,
		"/rest/api/1.0/projects/PRJ/repos/no-such-repo/webhooks", "repoWebhook"),
	dcWebhookSteps("/rest/api/1.0/projects/PRJ/webhooks", dcProjectWebhooks,
		"/rest/api/1.0/projects/NOPE/webhooks", "projectWebhook"),
	dcTokenSteps("/rest/access-tokens/1.0/users/admin", "/access-tokens/latest/users/{userSlug}",
		"/rest/access-tokens/1.0/users/no-such-user", "userToken", dcTokenBody),
	dcTokenSteps("/rest/access-tokens/1.0/projects/PRJ", "/access-tokens/latest/projects/{projectKey}",
		"/rest/access-tokens/1.0/projects/NOPE", "projectToken", dcTokenBody),
	dcTokenSteps("/rest/access-tokens/1.0/projects/PRJ/repos/api-service", "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}",
		"/rest/access-tokens/1.0/projects/PRJ/repos/no-such-repo", "repoToken", dcRepoTokenBody),
	dcKeySteps("/rest/keys/1.0/projects/PRJ/repos/api-service/ssh", "/keys/latest/projects/{projectKey}/repos/{repositorySlug}/ssh",
		"/rest/keys/1.0/projects/PRJ/repos/no-such-repo/ssh", "repoKey", dcRepoKeyBody, "REPO_WRITE"),
	dcKeySteps("/rest/keys/1.0/projects/PRJ/ssh", "/keys/latest/projects/{projectKey}/ssh",
		"/rest/keys/1.0/projects/NOPE/ssh", "projectKey", dcProjKeyBody, "PROJECT_WRITE"),
)

func concat(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var stepsOf = map[conformance.Product][]step{
	conformance.Cloud:      cloudSteps,
	conformance.DataCenter: dcSteps,
}

var placeholder = regexp.MustCompile(`<([A-Za-z]+)>`)

// TestEmulatorConformsToPublishedSpecs drives every provider route on a
// seeded emulator and validates each answer against the patched description.
func TestEmulatorConformsToPublishedSpecs(t *testing.T) {
	for _, p := range []conformance.Product{conformance.Cloud, conformance.DataCenter} {
		t.Run(string(p), func(t *testing.T) {
			spec := loadSpec(t, p, false)
			srv := emulator.NewTestServer(t, emulator.Options{Product: emulator.Product(p)})
			if p == conformance.Cloud {
				err := srv.AddCloudUser(cloudNoScopesEmail, cloudNoScopesToken,
					map[string]string{"acme": "owner"}, []string{"read:user:bitbucket"})
				if err != nil {
					t.Fatal(err)
				}
			}
			client := &http.Client{Timeout: 5 * time.Second}
			captured := map[string]string{}
			for _, s := range stepsOf[p] {
				if s.before != nil {
					if err := s.before(srv); err != nil {
						t.Fatalf("%s: %v", s.name(), err)
					}
				}
				t.Run(s.name(), func(t *testing.T) { runStep(t, spec, client, srv.URL(), s, captured) })
			}
		})
	}
}

func runStep(t *testing.T, spec *specUnderTest, client *http.Client, base string, s step, captured map[string]string) {
	path := s.path
	for _, m := range placeholder.FindAllStringSubmatch(s.path, -1) {
		id, ok := captured[m[1]]
		if !ok {
			t.Fatalf("needs the id an earlier step creates as <%s>; that step failed", m[1])
		}
		path = strings.ReplaceAll(path, m[0], id)
	}
	req, err := http.NewRequest(s.method, base+path, strings.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if s.body != "" {
		req.Header.Set("Content-Type", "application/json")
		// A step that provokes 400 sends an invalid body on purpose.
		if s.status != http.StatusBadRequest {
			if err := spec.validateRequestBody(req, []byte(s.body)); err != nil {
				t.Fatalf("the drive's own request body is not as documented: %v", err)
			}
		}
	}
	if spec.product == conformance.DataCenter {
		req.Header.Set("X-Atlassian-Token", "no-check") // what a Data Center client sends on writes [docs/dev/bitbucket-api.md#datacenter-basics]
	}
	s.as.authorize(req)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", s.method, path, err)
	}
	respBody := readBody(resp)

	if resp.StatusCode != s.status {
		t.Errorf("%s %s answered %d, want %d: %s", s.method, path, resp.StatusCode, s.status, clip(respBody))
	}
	route, err := spec.validate(req, resp.StatusCode, resp.Header, respBody)
	if err != nil {
		t.Errorf("NONCONFORMANCE %s %s -> %d: %v\nbody: %s", s.method, path, resp.StatusCode, err, clip(respBody))
	}
	if route != nil && (route.Method != s.method || route.Path != s.route) {
		t.Errorf("request resolved to %s %s, not the declared %s %s", route.Method, route.Path, s.method, s.route)
	}
	if s.capture != "" && resp.StatusCode/100 == 2 {
		id, err := createdID(respBody)
		if err != nil {
			t.Fatalf("cannot capture <%s>: %v", s.capture, err)
		}
		captured[s.capture] = id
	}
}

// createdID returns a created object's id as it goes into a path: the Cloud
// uuid ("{…}", escaped) or the Data Center id.
func createdID(body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return "", err
	}
	if uuid, ok := obj["uuid"].(string); ok && uuid != "" {
		return url.PathEscape(uuid), nil
	}
	if id, ok := obj["id"]; ok && id != nil {
		return fmt.Sprint(id), nil
	}
	if key, ok := obj["key"].(map[string]any); ok && key["id"] != nil { // Data Center RestSshAccessKey
		return fmt.Sprint(key["id"]), nil
	}
	return "", fmt.Errorf("no uuid or id in %s", clip(body))
}

func clip(b []byte) string {
	const limit = 600
	if len(b) > limit {
		return string(b[:limit]) + "…"
	}
	return string(b)
}

// readBody reads and closes a response body.
func readBody(resp *http.Response) []byte {
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return b
}

// TestEveryProviderRouteIsExercised checks the drive table itself: every
// provider route has a success step and a step for every error answer its
// description documents (bar the listed unprovokable ones), every step names
// a provider route and a documented status, and every step's path reaches the
// operation it declares.
func TestEveryProviderRouteIsExercised(t *testing.T) {
	for _, p := range []conformance.Product{conformance.Cloud, conformance.DataCenter} {
		spec := loadSpec(t, p, false)
		driven := map[string]map[int]bool{} // "METHOD path" -> statuses
		for _, s := range stepsOf[p] {
			key := s.method + " " + s.route
			if driven[key] == nil {
				driven[key] = map[int]bool{}
			}
			driven[key][s.status] = true

			op, err := operation(spec.doc, s.method, s.route)
			if err != nil {
				t.Errorf("%s step %q: %v", p, s.name(), err)
				continue
			}
			if op.Responses.Status(s.status) == nil {
				t.Errorf("%s step %q provokes a status the description does not document", p, s.name())
			}
			path := placeholder.ReplaceAllString(s.path, "1")
			route, _, err := spec.router.FindRoute(spec.describedRequest(httptest.NewRequest(s.method, path, nil)))
			if err != nil || route.Path != s.route {
				t.Errorf("%s step %q: path %s does not reach %s (%v)", p, s.name(), s.path, s.route, err)
			}
		}
		for _, r := range conformance.RoutesOf(p) {
			key := r.Method + " " + r.Path
			op, err := operation(spec.doc, r.Method, r.Path)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			var documented []int
			for code := range op.Responses.Map() {
				var n int
				if _, err := fmt.Sscan(code, &n); err == nil {
					documented = append(documented, n)
				}
			}
			sort.Ints(documented)
			success := false
			for _, code := range documented {
				if code/100 == 2 && driven[key][code] {
					success = true
				}
				if code >= 400 && !driven[key][code] {
					if why := unprovoked[fmt.Sprintf("%s %s %d", p, key, code)]; why == "" {
						t.Errorf("%s %s: documented answer %d is not driven", p, key, code)
					}
				}
			}
			if !success {
				t.Errorf("%s %s: no success answer is driven", p, key)
			}
		}
	}
}
