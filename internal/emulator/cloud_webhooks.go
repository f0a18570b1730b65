package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/catalog"
)

// cloudHookEvents is the webhook_subscription events enum of the Cloud spec
// (internal/catalog, tied to the OpenAPI file by its test), shared by
// repository and workspace hooks.
var cloudHookEvents = catalog.CloudWebhookEvents

const cloudSecretMaxLen = 128

// cloudHookOwner resolves the hook's subject from the path and checks that
// the caller may manage its hooks: repository admins for repository hooks,
// workspace owners only for workspace hooks.
func cloudHookOwner(c *call) (ws *workspace, repo string, fail *response) {
	deny := func(r response) (*workspace, string, *response) { return nil, "", &r }
	if _, ok := c.params["repo_slug"]; ok {
		r, f := cloudVisibleRepo(c)
		if f != nil {
			return nil, "", f
		}
		if !c.p.canAdminRepo(r) {
			return deny(cloudError(http.StatusForbidden, "You do not have admin access to this repository. Only repository administrators can manage its webhooks."))
		}
		return r.ws, r.slug, nil
	}
	ws, f := cloudVisibleWorkspace(c)
	if f != nil {
		return nil, "", f
	}
	if c.p.cloudRole(ws) != "owner" {
		return deny(cloudError(http.StatusForbidden, fmt.Sprintf("%s is not an owner of the workspace '%s'. Only workspace owners can manage workspace webhooks.", c.p.cloudName(), ws.slug)))
	}
	return ws, "", nil
}

// cloudHookByUID finds {uid} (with or without braces) among the subject's hooks.
func cloudHookByUID(c *call, ws *workspace, repo string) *webhook {
	h := c.s.st.lookupHook(c.param("uid"))
	if h == nil || h.ws != ws.slug || h.repo != repo {
		return nil
	}
	return h
}

func cloudListHooks(c *call) response {
	ws, repo, fail := cloudHookOwner(c)
	if fail != nil {
		return *fail
	}
	return cloudPage(c, c.s.st.hooksOf(ws.slug, repo), 10, func(h *webhook) any { return cloudHookJSON(c, h) })
}

func cloudGetHook(c *call) response {
	ws, repo, fail := cloudHookOwner(c)
	if fail != nil {
		return *fail
	}
	h := cloudHookByUID(c, ws, repo)
	if h == nil {
		return cloudError(http.StatusNotFound, cloudHookNotFound)
	}
	return jsonResponse(http.StatusOK, cloudHookJSON(c, h))
}

func cloudCreateHook(c *call) response {
	ws, repo, fail := cloudHookOwner(c)
	if fail != nil {
		return *fail
	}
	h := &webhook{id: newUUID(), ws: ws.slug, repo: repo, active: true, created: c.now, updated: c.now}
	if resp := applyCloudHookBody(c.body, h, true); resp != nil {
		return *resp
	}
	c.s.st.addHook(h)
	return jsonResponse(http.StatusCreated, cloudHookJSON(c, h)).with("Location", cloudHookSelf(c, h))
}

func cloudUpdateHook(c *call) response {
	ws, repo, fail := cloudHookOwner(c)
	if fail != nil {
		return *fail
	}
	h := cloudHookByUID(c, ws, repo)
	if h == nil {
		return cloudError(http.StatusNotFound, cloudHookNotFound)
	}
	// Validate on a copy so a rejected update changes nothing.
	next := *h
	if resp := applyCloudHookBody(c.body, &next, false); resp != nil {
		return *resp
	}
	next.updated = c.now
	*h = next
	return jsonResponse(http.StatusOK, cloudHookJSON(c, h))
}

func cloudDeleteHook(c *call) response {
	ws, repo, fail := cloudHookOwner(c)
	if fail != nil {
		return *fail
	}
	h := cloudHookByUID(c, ws, repo)
	if h == nil {
		return cloudError(http.StatusNotFound, cloudHookNotFound)
	}
	c.s.st.removeHook(h.id)
	return noContent()
}

// applyCloudHookBody applies a POST (create) or PUT (partial update) body to
// h. Secret: on create absent/null/"" = none; on update absent keeps it,
// null or "" clears it.
func applyCloudHookBody(body []byte, h *webhook, create bool) *response {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		r := cloudError(http.StatusBadRequest, "The request body must be a JSON object describing the webhook.")
		return &r
	}
	fields := map[string][]string{}
	fail := func(field, msg string) { fields[field] = append(fields[field], msg) }
	isNull := func(v json.RawMessage) bool { return strings.TrimSpace(string(v)) == "null" }

	if v, ok := raw["url"]; ok {
		var s string
		if json.Unmarshal(v, &s) != nil || !validHookURL(s) {
			fail("url", "Enter a valid URL: an absolute http or https URL.")
		} else {
			h.url = s
		}
	} else if create {
		fail("url", "This field is required.")
	}
	if v, ok := raw["description"]; ok {
		var s string
		if isNull(v) {
			h.name = ""
		} else if json.Unmarshal(v, &s) != nil {
			fail("description", "Must be a string.")
		} else {
			h.name = s
		}
	}
	boolField := func(name string, dst *bool) {
		if v, ok := raw[name]; ok {
			if json.Unmarshal(v, dst) != nil || isNull(v) {
				fail(name, "Must be true or false.")
			}
		}
	}
	boolField("active", &h.active)
	boolField("skip_cert_verification", &h.skipCert)
	boolField("history_enabled", &h.historyEnabled)
	if v, ok := raw["events"]; ok {
		if events, msg := validCloudEvents(v); msg != "" {
			fail("events", msg)
		} else {
			h.events = events
		}
	} else if create {
		fail("events", "This field is required.")
	}
	if v, ok := raw["secret"]; ok {
		var s string
		switch {
		case isNull(v):
			h.secret = ""
		case json.Unmarshal(v, &s) != nil:
			fail("secret", "Must be a string or null.")
		case len(s) > cloudSecretMaxLen:
			fail("secret", fmt.Sprintf("Ensure this value has at most %d characters (it has %d).", cloudSecretMaxLen, len(s)))
		default:
			h.secret = s
		}
	}
	if len(fields) == 0 {
		return nil
	}
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	slices.Sort(names)
	var parts []string
	for _, f := range names {
		parts = append(parts, f+": "+strings.Join(fields[f], " "))
	}
	r := cloudErrorDetail(http.StatusBadRequest, "Invalid webhook. "+strings.Join(parts, "; "), "", nil, fields)
	return &r
}

// validCloudEvents checks events: at least one, no duplicates, each in the
// spec's enum. It returns them sorted, as Bitbucket does.
func validCloudEvents(v json.RawMessage) ([]string, string) {
	var events []string
	if json.Unmarshal(v, &events) != nil {
		return nil, "Must be a list of event names."
	}
	if len(events) == 0 {
		return nil, "At least one event is required."
	}
	seen := map[string]bool{}
	for _, e := range events {
		if seen[e] {
			return nil, fmt.Sprintf("Duplicate event %q.", e)
		}
		seen[e] = true
		if !slices.Contains(cloudHookEvents, e) {
			return nil, fmt.Sprintf("%q is not a valid event. Valid events are: %s.", e, strings.Join(cloudHookEvents, ", "))
		}
	}
	slices.Sort(events)
	return events, ""
}

// validHookURL accepts absolute http and https URLs with a host.
func validHookURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// GET /2.0/hook_events
func cloudHookEventTypes(c *call) response {
	return jsonResponse(http.StatusOK, map[string]any{
		"repository": map[string]any{"links": map[string]any{"events": href(c.cloudAPI() + "/hook_events/repository")}},
		"workspace":  map[string]any{"links": map[string]any{"events": href(c.cloudAPI() + "/hook_events/workspace")}},
	})
}

// GET /2.0/hook_events/{subject_type}: repository or workspace; pagelen 30.
func cloudListHookEvents(c *call) response {
	subject := c.param("subject_type")
	if subject != "repository" && subject != "workspace" {
		return cloudError(http.StatusNotFound, "Subject type '"+subject+"' does not exist. Valid subject types are repository and workspace.")
	}
	var events []string
	for _, e := range cloudHookEvents {
		if subject == "repository" && e == "project:updated" {
			continue // a project event reaches workspace hooks only
		}
		events = append(events, e)
	}
	return cloudPage(c, events, 30, func(e string) any {
		category, action, _ := strings.Cut(e, ":")
		categories := map[string]string{"repo": "Repository", "pullrequest": "Pull Request", "issue": "Issue", "pipeline": "Pipeline", "project": "Project"}
		label := strings.ReplaceAll(action, "_", " ")
		label = strings.ToUpper(label[:1]) + label[1:]
		return map[string]any{
			"event":       e,
			"category":    categories[category],
			"label":       label,
			"description": categories[category] + " " + strings.ReplaceAll(action, "_", " "),
		}
	})
}
