// Package conformance holds what the emulator's OpenAPI conformance test needs
// outside the test itself: the list of routes the provider uses and the code
// that trims Atlassian's published OpenAPI descriptions down to them.
//
// The trimmed copies live in testdata/ and are regenerated with
//
//	go run ./internal/emulator/conformance/trimspec
//
// from the repository root.
package conformance

// Product names a Bitbucket product, spelled as emulator.Product spells it.
type Product string

const (
	Cloud      Product = "cloud"
	DataCenter Product = "datacenter"
)

// Route is one operation of the Bitbucket REST API that the provider calls,
// written as its published OpenAPI description writes it: Cloud paths relative
// to https://api.bitbucket.org/2.0, Data Center paths relative to {baseurl}/rest
// with "latest" as the version segment.
type Route struct {
	Product Product
	Method  string
	Path    string
}

func (r Route) String() string { return string(r.Product) + " " + r.Method + " " + r.Path }

// ProviderRoutes lists every operation the provider uses. The trimmed specs keep
// exactly these, and the conformance test must drive each of them.
var ProviderRoutes = []Route{
	{Cloud, "GET", "/user"},
	{Cloud, "GET", "/user/workspaces"},
	{Cloud, "GET", "/workspaces/{workspace}"},
	{Cloud, "GET", "/repositories/{workspace}"},
	{Cloud, "GET", "/repositories/{workspace}/{repo_slug}"},
	{Cloud, "GET", "/repositories/{workspace}/{repo_slug}/hooks"},
	{Cloud, "POST", "/repositories/{workspace}/{repo_slug}/hooks"},
	{Cloud, "GET", "/repositories/{workspace}/{repo_slug}/hooks/{uid}"},
	{Cloud, "PUT", "/repositories/{workspace}/{repo_slug}/hooks/{uid}"},
	{Cloud, "DELETE", "/repositories/{workspace}/{repo_slug}/hooks/{uid}"},
	{Cloud, "GET", "/workspaces/{workspace}/hooks"},
	{Cloud, "POST", "/workspaces/{workspace}/hooks"},
	{Cloud, "GET", "/workspaces/{workspace}/hooks/{uid}"},
	{Cloud, "PUT", "/workspaces/{workspace}/hooks/{uid}"},
	{Cloud, "DELETE", "/workspaces/{workspace}/hooks/{uid}"},
	{Cloud, "GET", "/repositories/{workspace}/{repo_slug}/deploy-keys"},
	{Cloud, "POST", "/repositories/{workspace}/{repo_slug}/deploy-keys"},
	{Cloud, "GET", "/repositories/{workspace}/{repo_slug}/deploy-keys/{key_id}"},
	{Cloud, "PUT", "/repositories/{workspace}/{repo_slug}/deploy-keys/{key_id}"},
	{Cloud, "DELETE", "/repositories/{workspace}/{repo_slug}/deploy-keys/{key_id}"},
	{Cloud, "GET", "/workspaces/{workspace}/projects/{project_key}/deploy-keys"},
	{Cloud, "POST", "/workspaces/{workspace}/projects/{project_key}/deploy-keys"},
	{Cloud, "GET", "/workspaces/{workspace}/projects/{project_key}/deploy-keys/{key_id}"},
	{Cloud, "DELETE", "/workspaces/{workspace}/projects/{project_key}/deploy-keys/{key_id}"},

	{DataCenter, "GET", "/api/latest/application-properties"},
	{DataCenter, "GET", "/api/latest/projects"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}/repos"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}/repos/{repositorySlug}"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}/repos/{repositorySlug}/default-branch"},
	{DataCenter, "GET", "/api/latest/repos"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks"},
	{DataCenter, "POST", "/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}"},
	{DataCenter, "PUT", "/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}"},
	{DataCenter, "DELETE", "/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}/latest"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/{webhookId}/statistics/summary"},
	{DataCenter, "POST", "/api/latest/projects/{projectKey}/repos/{repositorySlug}/webhooks/test"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}/webhooks"},
	{DataCenter, "POST", "/api/latest/projects/{projectKey}/webhooks"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}/webhooks/{webhookId}"},
	{DataCenter, "PUT", "/api/latest/projects/{projectKey}/webhooks/{webhookId}"},
	{DataCenter, "DELETE", "/api/latest/projects/{projectKey}/webhooks/{webhookId}"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}/webhooks/{webhookId}/latest"},
	{DataCenter, "GET", "/api/latest/projects/{projectKey}/webhooks/{webhookId}/statistics/summary"},
	{DataCenter, "POST", "/api/latest/projects/{projectKey}/webhooks/test"},
	{DataCenter, "PUT", "/access-tokens/latest/users/{userSlug}"},
	{DataCenter, "GET", "/access-tokens/latest/users/{userSlug}"},
	{DataCenter, "GET", "/access-tokens/latest/users/{userSlug}/{tokenId}"},
	{DataCenter, "POST", "/access-tokens/latest/users/{userSlug}/{tokenId}"},
	{DataCenter, "DELETE", "/access-tokens/latest/users/{userSlug}/{tokenId}"},
	{DataCenter, "PUT", "/access-tokens/latest/projects/{projectKey}"},
	{DataCenter, "GET", "/access-tokens/latest/projects/{projectKey}"},
	{DataCenter, "GET", "/access-tokens/latest/projects/{projectKey}/{tokenId}"},
	{DataCenter, "POST", "/access-tokens/latest/projects/{projectKey}/{tokenId}"},
	{DataCenter, "DELETE", "/access-tokens/latest/projects/{projectKey}/{tokenId}"},
	{DataCenter, "PUT", "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}"},
	{DataCenter, "GET", "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}"},
	{DataCenter, "GET", "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}"},
	{DataCenter, "POST", "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}"},
	{DataCenter, "DELETE", "/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}"},
	{DataCenter, "GET", "/keys/latest/projects/{projectKey}/repos/{repositorySlug}/ssh"},
	{DataCenter, "POST", "/keys/latest/projects/{projectKey}/repos/{repositorySlug}/ssh"},
	{DataCenter, "GET", "/keys/latest/projects/{projectKey}/repos/{repositorySlug}/ssh/{keyId}"},
	{DataCenter, "DELETE", "/keys/latest/projects/{projectKey}/repos/{repositorySlug}/ssh/{keyId}"},
	{DataCenter, "PUT", "/keys/latest/projects/{projectKey}/repos/{repositorySlug}/ssh/{keyId}/permission/{permission}"},
	{DataCenter, "GET", "/keys/latest/projects/{projectKey}/ssh"},
	{DataCenter, "POST", "/keys/latest/projects/{projectKey}/ssh"},
	{DataCenter, "GET", "/keys/latest/projects/{projectKey}/ssh/{keyId}"},
	{DataCenter, "DELETE", "/keys/latest/projects/{projectKey}/ssh/{keyId}"},
	{DataCenter, "PUT", "/keys/latest/projects/{projectKey}/ssh/{keyId}/permission/{permission}"},
}

// PublishedDir holds Atlassian's published descriptions, gzipped, as
// committed (relative to this package's directory):
//   - bitbucket-cloud.openapi3.json: https://dac-static.atlassian.com/cloud/bitbucket/swagger.v3.json
//     (OpenAPI 3.0.0, x-revision b62ea302637b, fetched 2026-06-22)
//   - bitbucket-datacenter-9.4.openapi3.json: https://dac-static.atlassian.com/server/bitbucket/9.4.swagger.v3.json
//     (OpenAPI 3.0.1, Bitbucket Data Center 9.4, unmodified)
const PublishedDir = "testdata/published"

// SpecFile pairs a product with Atlassian's published description of it and
// the trimmed copy committed under testdata/.
type SpecFile struct {
	Product Product
	Source  string // file name under PublishedDir (gzipped there, with ".gz")
	Trimmed string // file name under testdata/
}

// SpecFiles lists the two descriptions, Cloud first.
var SpecFiles = []SpecFile{
	{Cloud, "bitbucket-cloud.openapi3.json", "cloud.openapi3.json"},
	{DataCenter, "bitbucket-datacenter-9.4.openapi3.json", "datacenter.openapi3.json"},
}

// RoutesOf returns the provider routes of one product, in ProviderRoutes order.
func RoutesOf(p Product) []Route {
	var out []Route
	for _, r := range ProviderRoutes {
		if r.Product == p {
			out = append(out, r)
		}
	}
	return out
}
