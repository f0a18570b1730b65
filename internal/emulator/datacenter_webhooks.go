package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/catalog"
)

// dcHookEvents is the set of event keys a Data Center server accepts
// (internal/catalog, with its source); project:modified only on project
// hooks is not enforced.
var dcHookEvents = append(slices.Clone(catalog.DataCenterRepositoryWebhookEvents), catalog.DataCenterProjectOnlyWebhookEvents...)

// dcHookOwner resolves the project or repository in the path and checks the
// caller administers it: PROJECT_ADMIN for project hooks, REPO_ADMIN for
// repository hooks.
func dcHookOwner(c *call) (ws *workspace, repo string, fail *response) {
	if _, ok := c.params["repositorySlug"]; ok {
		r, f := dcRepo(c)
		if f != nil {
			return nil, "", f
		}
		if dcRepoLevel(c.p, r) < levelAdmin {
			resp := dcNotPermitted()
			return nil, "", &resp
		}
		return r.ws, r.slug, nil
	}
	ws, f := dcProject(c)
	if f != nil {
		return nil, "", f
	}
	if dcProjectLevel(c.p, ws) < levelAdmin {
		resp := dcNotPermitted()
		return nil, "", &resp
	}
	return ws, "", nil
}

func dcHookByID(c *call, ws *workspace, repo string) (*webhook, *response) {
	id := c.param("webhookId")
	h := c.s.st.webhooks[id]
	if _, err := strconv.Atoi(id); err != nil || h == nil || h.ws != ws.slug || h.repo != repo {
		r := dcError(http.StatusNotFound, exNoSuchWebhook, fmt.Sprintf("No webhook with id %s exists.", id))
		return nil, &r
	}
	return h, nil
}

// GET .../webhooks?event=: paged.
func dcListHooks(c *call) response {
	ws, repo, fail := dcHookOwner(c)
	if fail != nil {
		return *fail
	}
	event := c.r.URL.Query().Get("event")
	var hooks []*webhook
	for _, h := range c.s.st.hooksOf(ws.slug, repo) {
		if event == "" || slices.Contains(h.events, event) {
			hooks = append(hooks, h)
		}
	}
	return dcPage(c, hooks, func(h *webhook) any { return dcHookJSON(h) })
}

// POST .../webhooks answers 200 (not 201).
func dcCreateHook(c *call) response {
	ws, repo, fail := dcHookOwner(c)
	if fail != nil {
		return *fail
	}
	num := c.s.st.nextHookNum
	h := &webhook{num: num, id: strconv.Itoa(num), ws: ws.slug, repo: repo, created: c.now, updated: c.now}
	if resp := applyDCHookBody(c.body, h); resp != nil {
		return *resp
	}
	c.s.st.nextHookNum++
	c.s.st.addHook(h)
	return jsonResponse(http.StatusOK, dcHookJSON(h))
}

func dcGetHook(c *call) response {
	ws, repo, fail := dcHookOwner(c)
	if fail != nil {
		return *fail
	}
	h, fail := dcHookByID(c, ws, repo)
	if fail != nil {
		return *fail
	}
	out := dcHookJSON(h)
	if strings.EqualFold(c.r.URL.Query().Get("statistics"), "true") {
		out["statistics"] = hookStatisticsJSON(c, h)
	}
	return jsonResponse(http.StatusOK, out)
}

// PUT .../webhooks/{webhookId} replaces the whole webhook.
func dcReplaceHook(c *call) response {
	ws, repo, fail := dcHookOwner(c)
	if fail != nil {
		return *fail
	}
	h, fail := dcHookByID(c, ws, repo)
	if fail != nil {
		return *fail
	}
	next := &webhook{num: h.num, id: h.id, ws: h.ws, repo: h.repo, created: h.created, updated: c.now,
		credUser: h.credUser, credPass: h.credPass}
	if resp := applyDCHookBody(c.body, next); resp != nil {
		return *resp
	}
	*h = *next
	return jsonResponse(http.StatusOK, dcHookJSON(h))
}

func dcDeleteHook(c *call) response {
	ws, repo, fail := dcHookOwner(c)
	if fail != nil {
		return *fail
	}
	h, fail := dcHookByID(c, ws, repo)
	if fail != nil {
		return *fail
	}
	c.s.st.removeHook(h.id)
	return noContent()
}

// dcHookBody is the request body of create and replace.
type dcHookBody struct {
	Name          *string        `json:"name"`
	URL           *string        `json:"url"`
	Active        *bool          `json:"active"`
	Events        []string       `json:"events"`
	Configuration map[string]any `json:"configuration"`
	Credentials   *struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
	} `json:"credentials"`
	SSLVerificationRequired *bool           `json:"sslVerificationRequired"`
	ScopeType               json.RawMessage `json:"scopeType"` // ignored, the path decides
}

// applyDCHookBody sets every field of h from body, as create and PUT both
// do: an omitted field gets its default (active and sslVerificationRequired
// true, everything else empty), an omitted configuration removes the secret,
// and credentials with only a username keep the stored password.
func applyDCHookBody(body []byte, h *webhook) *response {
	bad := func(msg string) *response {
		r := dcError(http.StatusBadRequest, exArgumentValidation, msg)
		return &r
	}
	var b dcHookBody
	if err := json.Unmarshal(body, &b); err != nil {
		return bad("The request body is not a valid webhook: " + err.Error())
	}
	if b.Name == nil || strings.TrimSpace(*b.Name) == "" {
		return bad("A webhook name is required.")
	}
	if b.URL == nil || !validHookURL(*b.URL) {
		return bad("A webhook URL is required and must be an absolute http or https URL.")
	}
	var events []string
	for _, e := range b.Events {
		if !slices.Contains(dcHookEvents, e) {
			return bad(fmt.Sprintf("the event %s is unknown", e))
		}
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	configuration := map[string]string{}
	for k, v := range b.Configuration {
		switch v := v.(type) {
		case string:
			configuration[k] = v
		case nil:
		default:
			configuration[k] = fmt.Sprint(v)
		}
	}
	h.name, h.url, h.events = *b.Name, *b.URL, events
	h.active = b.Active == nil || *b.Active
	h.skipCert = b.SSLVerificationRequired != nil && !*b.SSLVerificationRequired
	h.configuration = configuration
	h.secret = configuration["secret"]
	if b.Credentials == nil {
		h.credUser, h.credPass = "", ""
	} else {
		user := ""
		if b.Credentials.Username != nil {
			user = *b.Credentials.Username
		}
		if b.Credentials.Password != nil {
			h.credPass = *b.Credentials.Password
		} else if user == "" {
			h.credPass = ""
		}
		h.credUser = user
	}
	return nil
}
