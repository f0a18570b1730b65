package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// workspaceDescription is the one line every resource and data source uses
// to say what `workspace` means on each product.
const workspaceDescription = "The owner of the repositories: a Bitbucket Cloud workspace slug, or a Bitbucket Data Center " +
	"project key. Defaults to the provider's `workspace`."

// clientErrorDiagnostic builds the diagnostic for a failed client call.
// action says what was being done ("read repository acme/api"); the detail
// adds what to do for the kinds of failure a user can act on.
func clientErrorDiagnostic(diags *diag.Diagnostics, client bitbucket.Client, action string, err error) {
	summary := "Failed to " + action
	detail := fmt.Sprintf("Could not %s on %s: %s", action, serverURL(client), err)
	switch {
	case errors.Is(err, bitbucket.ErrUnauthorized):
		detail += "\n\nBitbucket rejected the credentials. " + credentialHint(client.Product())
	case errors.Is(err, bitbucket.ErrForbidden) && httpStatus(err) == http.StatusUnauthorized:
		// Data Center answers a missing permission with 401 AuthorisationException.
		detail += "\n\nBitbucket answered 401 with an AuthorisationException: it accepted the credentials, but they " +
			"lack the permission for this (Bitbucket Data Center answers a missing permission with 401, not 403). Use an " +
			"account or token with that permission."
	case errors.Is(err, bitbucket.ErrCredentialKindRefused):
		detail += "\n\nBitbucket does not let this kind of credential use this API, whatever its permissions or " +
			"scopes (an access token, for one, may read access keys but never add, change or delete them). Configure " +
			"the provider with an API token (username + token) or OAuth client credentials of an administrator."
	case errors.Is(err, bitbucket.ErrForbidden):
		detail += "\n\nThe credentials are valid but lack the permission for this. Use an account or token with the " +
			"permission named above."
	case errors.Is(err, bitbucket.ErrRateLimited):
		detail += "\n\nBitbucket kept throttling the requests after every retry. Try again later, lower " +
			"Terraform's -parallelism, or raise max_retries."
	case bitbucket.IsUncertain(err):
		detail += "\n\nBitbucket may have made this change although its answer was lost, and the provider could not " +
			"find out. Check what Bitbucket holds before running terraform apply again."
	}
	diags.AddError(summary, detail)
}

// httpStatus is the HTTP status of the answer behind err (0 without one).
func httpStatus(err error) int {
	var apiErr *bitbucket.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	return 0
}

// serverURL is the client's base URL as users wrote it (no trailing slash).
func serverURL(client bitbucket.Client) string {
	return strings.TrimSuffix(client.BaseURL(), "/")
}

// minimumTokenVersion is the first Data Center version with each token
// level (tokenLevelSpec.minimumVersion).
var minimumTokenVersion = func() map[bitbucket.TokenLevel]string {
	m := make(map[bitbucket.TokenLevel]string, len(tokenLevels))
	for level, spec := range tokenLevels {
		m[level] = spec.minimumVersion
	}
	return m
}()

// requireServerVersion adds a plan-time error when the Data Center server
// is older than minimum. An unknown version (the server did not say) is
// let through: the server's own answer will tell.
func requireServerVersion(diags *diag.Diagnostics, client bitbucket.Client, minimum, feature string) {
	version := client.ServerVersion()
	if !client.Capabilities().VersionGated || version == "" || !versionLess(version, minimum) {
		return
	}
	diags.AddError("Bitbucket Data Center is too old for "+feature,
		fmt.Sprintf("%s needs Bitbucket Data Center %s or newer; the server at %s runs %s. Upgrade the server, or "+
			"create the object by hand and pass it in.", feature, minimum, serverURL(client), version))
}

// versionLess compares dotted numeric versions ("9.4.2" < "10.0").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x = leadingNumber(as[i])
		}
		if i < len(bs) {
			y = leadingNumber(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// leadingNumber reads the digits a version part starts with ("1-rc1" -> 1).
func leadingNumber(part string) int {
	end := strings.IndexFunc(part, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(part)
	}
	n, _ := strconv.Atoi(part[:end])
	return n
}

// importPart is one part of a composite import ID: the attribute it sets,
// what it is, and the rule its value must pass.
type importPart struct {
	attribute string
	meaning   string
	check     func(string) error
}

// Parts of import IDs, each checked by the same rule as its attribute.
var (
	importWorkspace = importPart{"workspace", "the Cloud workspace ID or Data Center project key",
		func(v string) error { return bitbucket.CheckIdentifier(bitbucket.IdentifierWorkspace, v) }}
	importProjectKey = importPart{"workspace", "the Data Center project key",
		func(v string) error { return bitbucket.CheckIdentifier(bitbucket.IdentifierWorkspace, v) }}
	importCloudProject = importPart{"project", "the Cloud project key",
		func(v string) error { return bitbucket.CheckIdentifier(bitbucket.IdentifierWorkspace, v) }}
	importRepository = importPart{"repository", "the repository slug",
		func(v string) error { return bitbucket.CheckIdentifier(bitbucket.IdentifierRepository, v) }}
	importUser = importPart{"user", "the user's slug",
		func(v string) error { return bitbucket.CheckIdentifier(bitbucket.IdentifierUser, v) }}
	importTokenID        = importPart{"id", "the token's number", bitbucket.CheckObjectNumber}
	importConnectionName = importPart{"name", "the connection's name", func(v string) error {
		if strings.TrimSpace(v) == "" {
			return errors.New("must not be empty or only white space")
		}
		return nil
	}}
)

// parseImportID splits a composite import ID into parts and checks each,
// before any request: a wrong shape shows the format and what its parts
// mean, a wrong part names its attribute.
func parseImportID(diags *diag.Diagnostics, id string, parts ...importPart) []string {
	names := make([]string, len(parts))
	meanings := make([]string, len(parts))
	for i, p := range parts {
		names[i] = "<" + p.attribute + ">"
		meanings[i] = p.attribute + " = " + p.meaning
	}
	format := strings.Join(names, "/")
	values := strings.Split(id, "/")
	if len(values) != len(parts) {
		diags.AddError("Invalid import ID", fmt.Sprintf("Expected %s (%s), got %q.", format, strings.Join(meanings, "; "), id))
		return nil
	}
	for i, p := range parts {
		if err := p.check(values[i]); err != nil {
			diags.AddAttributeError(path.Root(p.attribute), "Invalid import ID",
				fmt.Sprintf("In import ID %q (%s), %s %s.", id, format, p.attribute, err))
		}
	}
	if diags.HasError() {
		return nil
	}
	return values
}

// importIntoState parses an import ID (parseImportID) and writes each part
// to the attribute it names, the workspace as Bitbucket spells it
// (canonicalWorkspace); it returns the parts, or nil after an error.
func importIntoState(ctx context.Context, pd *providerData, id string, resp *resource.ImportStateResponse, parts ...importPart) []string {
	values := parseImportID(&resp.Diagnostics, id, parts...)
	for i, part := range parts[:len(values)] {
		switch part.attribute {
		case "workspace":
			values[i] = canonicalWorkspace(ctx, pd, values[i], &resp.Diagnostics)
		case "repository":
			values[i] = canonicalRepository(ctx, pd, values[0], values[i], &resp.Diagnostics)
		}
		if resp.Diagnostics.HasError() {
			return nil
		}
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(part.attribute), values[i])...)
	}
	return values
}

// canonicalWorkspace is the workspace an import names, spelt as Bitbucket
// returns it. Both products match workspace slugs and project keys without
// regard to case (docs/dev/bitbucket-api.md#case-of-keys-and-slugs), so an import ID may spell it otherwise; state
// must hold Bitbucket's spelling, or a configuration that uses it plans a
// replacement. A workspace that does not exist is an error naming it; any
// other failure keeps the spelling given (the read that follows reports
// what is wrong), as does a personal project ("~user").
func canonicalWorkspace(ctx context.Context, pd *providerData, workspace string, diags *diag.Diagnostics) string {
	if pd == nil || strings.HasPrefix(workspace, "~") {
		return workspace
	}
	ws, err := pd.client.GetWorkspace(ctx, workspace)
	switch {
	case errors.Is(err, bitbucket.ErrNotFound):
		diags.AddAttributeError(path.Root("workspace"), "Cannot import: no such workspace",
			fmt.Sprintf("The import names workspace %q, which %s does not have (or these credentials cannot see): "+
				"a Cloud workspace slug or a Data Center project key.", workspace, serverURL(pd.client)))
		return workspace
	case err != nil || ws.Slug == "" || !strings.EqualFold(ws.Slug, workspace):
		return workspace
	}
	return ws.Slug
}

// canonicalRepository is canonicalWorkspace for a repository slug of
// workspace (spelt as Bitbucket returns it), by one read of the repository.
func canonicalRepository(ctx context.Context, pd *providerData, workspace, repository string, diags *diag.Diagnostics) string {
	if pd == nil {
		return repository
	}
	repo, err := pd.client.GetRepository(ctx, workspace, repository)
	switch {
	case errors.Is(err, bitbucket.ErrNotFound):
		diags.AddAttributeError(path.Root("repository"), "Cannot import: no such repository",
			fmt.Sprintf("The import names repository %s/%s, which %s does not have (or these credentials cannot see).",
				workspace, repository, serverURL(pd.client)))
		return repository
	case err != nil || repo.Slug == "" || !strings.EqualFold(repo.Slug, repository):
		return repository
	}
	return repo.Slug
}

// refuseCaseOnlyChange: a configured workspace that differs from the one in
// state only in case names the same object (canonicalWorkspace), and
// planning it would replace the resource for nothing: a plan-time error
// says what to write instead.
func refuseCaseOnlyChange(attribute string, configured, inState types.String, diags *diag.Diagnostics) {
	c, s := configured.ValueString(), inState.ValueString()
	if configured.IsUnknown() || inState.IsNull() || c == s || !strings.EqualFold(c, s) {
		return
	}
	diags.AddAttributeError(path.Root(attribute), "Bitbucket name differs from the state only in case",
		fmt.Sprintf("%[1]s = %[2]q names the same object as %[3]q in state: Bitbucket matches workspace slugs, project "+
			"keys and repository slugs without regard to case, and changing only the case would replace this resource. "+
			"Write %[1]s = %[3]q, the spelling in state. To switch to the spelling Bitbucket returns without "+
			"replacing anything, remove the resource from state (terraform state rm) and import it again: an "+
			"import records Bitbucket's spelling.", attribute, c, s))
}

// refuseCaseOnlyChanges applies refuseCaseOnlyChange to the configured
// workspace and repository (when the resource has one) of a resource in state.
func refuseCaseOnlyChanges(ctx context.Context, req resource.ModifyPlanRequest, diags *diag.Diagnostics) {
	if req.State.Raw.IsNull() || req.Config.Raw.IsNull() {
		return
	}
	var config, state map[string]tftypes.Value
	if req.Config.Raw.As(&config) != nil || req.State.Raw.As(&state) != nil {
		return
	}
	for _, name := range []string{"workspace", "repository"} {
		if _, ok := config[name]; !ok {
			continue
		}
		configured := rawStringAttribute(ctx, req.Config.Raw, name, diags)
		if !configured.IsNull() {
			refuseCaseOnlyChange(name, configured, rawStringAttribute(ctx, req.State.Raw, name, diags), diags)
		}
	}
}

// cloudHasNoTokens is why the token resources, the ephemeral token, the
// token list resources and managed tokens are Data Center only, in their
// descriptions. The error a Cloud plan gets is the client's capability
// reason (bitbucket.Capabilities.AccessTokensUnsupported).
const cloudHasNoTokens = "Bitbucket Cloud has no API for access tokens"

// createTokenElsewhere follows the capability's reason where a token would
// be created (the token resources, the ephemeral token).
const createTokenElsewhere = " Create the token there and pass it in where it is needed, for example to " +
	"bitbucket_connection's token_wo as a sensitive variable. The access token resources and the " +
	"bitbucket_access_token ephemeral resource work with Bitbucket Data Center only."

// goneSinceRefresh says why an update found its object missing: it went
// outside Terraform after the state was last refreshed, which is during this
// run or, with -refresh=false, before it. how is "deleted" or "revoked",
// next what the next apply does ("create it", "create a new one").
func goneSinceRefresh(what, how, next string) string {
	return fmt.Sprintf("The %s no longer exists: it was %s outside Terraform after the state was last refreshed "+
		"(during this run, or before it when the run skipped the refresh, as -refresh=false does). Run terraform "+
		"apply again (with refresh) to %s.", what, how, next)
}

// Set <-> []string, the one conversion every resource uses.

// knownStrings are the known elements of a set of strings, sorted.
func knownStrings(ctx context.Context, set types.Set, diags *diag.Diagnostics) []string {
	var elems []types.String
	diags.Append(set.ElementsAs(ctx, &elems, false)...)
	var out []string
	for _, v := range elems {
		if !v.IsNull() && !v.IsUnknown() {
			out = append(out, v.ValueString())
		}
	}
	slices.Sort(out)
	return out
}

// setEqualsStrings is whether set is known, every element known, and holds
// exactly want (in any order).
func setEqualsStrings(ctx context.Context, set types.Set, want []string) bool {
	if set.IsNull() || set.IsUnknown() {
		return false
	}
	var diags diag.Diagnostics
	got := knownStrings(ctx, set, &diags)
	if diags.HasError() || len(got) != len(set.Elements()) {
		return false
	}
	want = slices.Clone(want)
	slices.Sort(want)
	return slices.Equal(got, want)
}

// stringSet is a set of strings (empty, not null, for none).
func stringSet(values []string) types.Set {
	elems := make([]attr.Value, 0, len(values))
	for _, v := range values {
		elems = append(elems, types.StringValue(v))
	}
	return types.SetValueMust(types.StringType, elems)
}
