package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// objectAsOptions reads nested blocks into their models.
var objectAsOptions = basetypes.ObjectAsOptions{}

// accessLevels are the levels verified_permissions holds, weakest first.
var accessLevels = []string{bitbucket.AccessRead, bitbucket.AccessWrite, bitbucket.AccessAdmin}

// levelsUpTo is every level up to and including level ("" = none).
func levelsUpTo(level string) []string {
	i := slices.Index(accessLevels, level)
	if i < 0 {
		return []string{}
	}
	return slices.Clone(accessLevels[:i+1])
}

// levelsForPermissions is what a token with these Data Center permissions
// should be able to do with a repository: a project permission implies the
// same on the project's repositories.
func levelsForPermissions(perms []string) []string {
	strongest := ""
	for _, p := range perms {
		var l string
		switch {
		case strings.HasSuffix(p, "_ADMIN"):
			l = bitbucket.AccessAdmin
		case strings.HasSuffix(p, "_WRITE"):
			l = bitbucket.AccessWrite
		case strings.HasSuffix(p, "_READ"):
			l = bitbucket.AccessRead
		}
		if slices.Index(accessLevels, l) > slices.Index(accessLevels, strongest) {
			strongest = l
		}
	}
	return levelsUpTo(strongest)
}

func describeLevels(levels []string) string {
	if len(levels) == 0 {
		return "nothing"
	}
	return strings.Join(levels, ", ")
}

// privateBaseline is the private-state key of the levels a supplied
// credential was verified with at the last apply: a refresh that finds
// otherwise is drift.
const privateBaseline = "verified_baseline"

func readBaseline(ctx context.Context, private privateGetKey, diags *diag.Diagnostics) ([]string, bool) {
	if private == nil {
		return nil, false
	}
	raw, d := private.GetKey(ctx, privateBaseline)
	diags.Append(d...)
	var levels []string
	if len(raw) == 0 || json.Unmarshal(raw, &levels) != nil {
		return nil, false
	}
	return levels, true
}

func writeBaseline(ctx context.Context, private privateSetKey, levels []string, diags *diag.Diagnostics) {
	var raw []byte
	if levels != nil {
		raw, _ = json.Marshal(levels)
	}
	diags.Append(private.SetKey(ctx, privateBaseline, raw)...)
}

// checkResult is the outcome of calling Bitbucket with the connection's
// credential.
type checkResult struct {
	// levels is what the credential can do (empty when it cannot read).
	levels []string
	// failure says what failed, "" when the credential does what it should.
	failure string
	// rejected: Bitbucket did not accept the credential at all (401).
	rejected bool
	// repository as the credential sees it (repository connections).
	repository *bitbucket.Repository
	// localhostBaseURL is the server's base URL when it is on localhost.
	localhostBaseURL string
}

// credentialOf is the connection's credential for the check: the managed
// token (Bearer), or a supplied token (Basic with username, else Bearer).
// ok is false when there is none to check (a write-only token outside the
// apply that sends it).
func credentialOf(m connectionModel, remote remoteConnection, writeOnly types.String) (bitbucket.Credentials, bool) {
	if remote.token != nil {
		return bitbucket.Credentials{AccessToken: remote.token.value}, remote.token.value != ""
	}
	token := m.Token.ValueString()
	if m.Token.IsUnknown() || token == "" {
		token = writeOnly.ValueString()
	}
	switch {
	case token == "" || !m.ManagedToken.IsNull():
		return bitbucket.Credentials{}, false
	case m.Username.ValueString() == "":
		return bitbucket.Credentials{AccessToken: token}, true
	default:
		return bitbucket.Credentials{Username: m.Username.ValueString(), Token: token}, true
	}
}

// checkOnApply checks the credential after create or update (unless verify
// is off) and records the result and the repository it read in remote. A
// failure is an error: the credential does not do what the connection
// needs. The clone URLs come from the provider's own read when the check
// did not give them.
func (r *connectionResource) checkOnApply(ctx context.Context, plan, config connectionModel, remote *remoteConnection, private privateSetKey, diags *diag.Diagnostics) {
	switch {
	case !plan.Verify.ValueBool():
	case remote.key != nil:
		remote.check = keyCheck(remote.key) // an SSH key: registered, with its permission
	default:
		if !r.checkTokenOnApply(ctx, plan, config, remote, private, diags) {
			return
		}
	}
	if repository := plan.Repository.ValueString(); repository != "" && remote.repo == nil && plan.CloneHTTPS.IsUnknown() && !diags.HasError() {
		repo, err := r.data.client.GetRepository(ctx, plan.Workspace.ValueString(), repository)
		if err != nil {
			clientErrorDiagnostic(diags, r.data.client, "read the repository of "+describeConnection(plan), err)
			return
		}
		remote.repo = repo
	}
}

// checkTokenOnApply checks a token credential against what the plan says
// it should do; false when it could not be checked at all.
func (r *connectionResource) checkTokenOnApply(ctx context.Context, plan, config connectionModel, remote *remoteConnection, private privateSetKey, diags *diag.Diagnostics) bool {
	cred, ok := credentialOf(plan, *remote, config.TokenWO)
	if !ok {
		diags.AddAttributeError(path.Root("token_wo"), "No credential to check",
			"The connection has no token value to check (token_wo was not given in this run). Pass token_wo, or set verify = false.")
		return false
	}
	var expected []string
	if !plan.VerifiedPermissions.IsUnknown() && !plan.VerifiedPermissions.IsNull() {
		expected = knownStrings(ctx, plan.VerifiedPermissions, diags)
	}
	res, err := r.check(ctx, plan, cred, expected)
	if err != nil {
		clientErrorDiagnostic(diags, r.data.client, "check the credential of "+describeConnection(plan), err)
		return false
	}
	remote.check, remote.repo = &res, res.repository
	addCheckDiagnostics(diags, plan, res, true)
	if res.failure == "" && plan.ManagedToken.IsNull() {
		writeBaseline(ctx, private, res.levels, diags)
	}
	return true
}

// checkOnRefresh checks the credential where it is in state (a write-only
// token is checked only when it is sent): a managed token against its
// permissions, a supplied one against what it could do at the last apply.
// A failure is a warning; the plan then shows the change.
func (r *connectionResource) checkOnRefresh(ctx context.Context, state connectionModel, private privateGetKey, remote *remoteConnection, diags *diag.Diagnostics) {
	cred, ok := credentialOf(state, *remote, types.StringNull())
	if !state.Verify.ValueBool() || !ok {
		return
	}
	var expected []string
	if mt := nestedAs[managedTokenModel](ctx, state.ManagedToken, diags); mt != nil {
		expected = levelsForPermissions(knownStrings(ctx, mt.Permissions, diags))
	} else if baseline, known := readBaseline(ctx, private, diags); known {
		expected = baseline
	}
	res, err := r.check(ctx, state, cred, expected)
	if err != nil {
		clientErrorDiagnostic(diags, r.data.client, "check the credential of "+describeConnection(state), err)
		return
	}
	remote.check = &res
	if res.repository != nil {
		remote.repo = res.repository
	}
	addCheckDiagnostics(diags, state, res, false)
}

// check calls Bitbucket with cred and compares what it can do with
// expected (nil = only reading is required). An error is a failure to ask
// (network, server), not a credential that does not work.
func (r *connectionResource) check(ctx context.Context, m connectionModel, cred bitbucket.Credentials, expected []string) (checkResult, error) {
	client := r.data.client
	workspace, repository := m.Workspace.ValueString(), m.Repository.ValueString()
	as, err := client.WithCredentials(cred)
	if err != nil {
		return checkResult{}, fmt.Errorf("the connection's credential cannot be used: %w", err)
	}
	res := checkResult{levels: []string{}}
	access, err := as.CheckAccess(ctx, workspace, repository)
	target := "the repositories of " + workspaceNoun(client) + " " + workspace
	if repository != "" {
		target = "repository " + workspace + "/" + repository
	}
	switch {
	case errors.Is(err, bitbucket.ErrUnauthorized):
		res.rejected = true
		res.failure = fmt.Sprintf("Bitbucket rejected the connection's credential (HTTP 401) when reading %s: the "+
			"token was revoked, has expired, or is wrong", target)
		return res, nil
	case errors.Is(err, bitbucket.ErrForbidden), errors.Is(err, bitbucket.ErrNotFound):
		res.failure = fmt.Sprintf("the connection's credential is accepted but cannot read %s (%s): it lacks read "+
			"permission there", target, err)
		return res, nil
	case err != nil:
		return res, err
	}
	res.repository = access.Repository
	if reported := access.ReportedBaseURL; reported != "" && bitbucket.IsLoopbackURL(reported) && !sameHost(reported, client.BaseURL()) {
		res.localhostBaseURL = reported
	}
	if repository != "" {
		res.levels = levelsUpTo(access.Repositories[repository])
	} else if err := r.checkEveryRepository(ctx, workspace, access, expected, &res); err != nil || res.failure != "" {
		return res, err
	}
	if expected != nil && !slices.Equal(sortedCopy(res.levels), sortedCopy(expected)) {
		res.failure = fmt.Sprintf("the connection's credential can do %s with %s, but it was made for %s: its "+
			"permissions (or its owner's) were changed", describeLevels(res.levels), target, describeLevels(expected))
	}
	return res, nil
}

// checkEveryRepository fills res for a workspace connection: every
// repository the provider can see must be readable with the credential,
// and the weakest level among them is what it can do.
func (r *connectionResource) checkEveryRepository(ctx context.Context, workspace string, access *bitbucket.Access, expected []string, res *checkResult) error {
	client := r.data.client
	all, err := client.ListRepositories(ctx, workspace, bitbucket.RepositoryFilter{})
	if err != nil {
		return err
	}
	weakest := bitbucket.AccessAdmin
	var unreadable []string
	for _, repo := range all {
		level, ok := access.Repositories[repo.Slug]
		if !ok {
			unreadable = append(unreadable, repo.Slug)
			continue
		}
		if slices.Index(accessLevels, level) < slices.Index(accessLevels, weakest) {
			weakest = level
		}
	}
	switch {
	case len(unreadable) > 0:
		shown := unreadable
		if len(shown) > 5 {
			shown = append(slices.Clone(shown[:5]), fmt.Sprintf("and %d more", len(unreadable)-5))
		}
		res.failure = fmt.Sprintf("the connection's credential can read only %d of the %d repositories of %s %s "+
			"(not: %s)", len(all)-len(unreadable), len(all), workspaceNoun(client), workspace, strings.Join(shown, ", "))
	case len(all) == 0 && expected != nil:
		// Nothing to disprove: the listing was allowed.
		res.levels = slices.Clone(expected)
	case len(all) == 0:
		res.levels = []string{bitbucket.AccessRead}
	default:
		res.levels = levelsUpTo(weakest)
	}
	return nil
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// sameHost reports whether two URLs have the same scheme, host and port.
func sameHost(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}

// addCheckDiagnostics reports a check: the localhost warning, and the
// failure as an error (apply) or a warning (refresh).
func addCheckDiagnostics(diags *diag.Diagnostics, m connectionModel, res checkResult, duringApply bool) {
	if res.localhostBaseURL != "" {
		diags.AddWarning("Bitbucket's base URL is on localhost",
			fmt.Sprintf("The server's links for %s point to %s: its base URL is set to localhost. A service "+
				"connected through this connection would not be able to reach Bitbucket there (clone URLs and "+
				"links would be wrong). An administrator should set the server's base URL (Administration > "+
				"Server settings > Base URL) to the address services use.", describeConnection(m), res.localhostBaseURL))
	}
	if res.failure == "" {
		return
	}
	if duringApply {
		diags.AddError("Connection credential check failed",
			fmt.Sprintf("Checking the credential of %s with Bitbucket: %s.\n\nGive the token the permissions the "+
				"service needs (or supply another token), or set verify = false to skip the check.", describeConnection(m), res.failure))
		return
	}
	diags.AddWarning("Connection credential no longer works",
		fmt.Sprintf("Checking the credential of %s with Bitbucket: %s.\n\nThe plan shows the connection as changed: "+
			"applying creates a new managed token or restores its permissions, and checks a supplied token again "+
			"(supply a working one first).", describeConnection(m), res.failure))
}
