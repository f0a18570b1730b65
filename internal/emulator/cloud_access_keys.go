package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Cloud access keys ("deploy keys"), as the Cloud OpenAPI description has
// them: /repositories/{workspace}/{repo_slug}/deploy-keys[/{key_id}] (GET,
// POST; GET, PUT, DELETE) and /workspaces/{workspace}/projects/{project_key}/deploy-keys[/{key_id}]
// (GET, POST; GET, DELETE). Create answers 200 (as documented); keys are
// read-only; the same key may be on several repositories and projects but
// not also on an account (support.atlassian.com/bitbucket-cloud/kb/why-am-i-not-able-to-add-an-ssh-key-in-bitbucket-cloud/).

const (
	cloudRepoKeys    = cloudRepoTemplate + "/deploy-keys"
	cloudProjectKeys = "/2.0/workspaces/{workspace}/projects/{project_key}/deploy-keys"
	// A user's or workspace's own SSH key (support.atlassian.com/bitbucket-cloud/kb/why-am-i-not-able-to-add-an-ssh-key-in-bitbucket-cloud/).
	msgCloudKeyRegistered = "Someone has already registered that SSH key."
	// The same key again on one repository: the real answer quoted in
	// github.com/ansible/ansible/pull/27467 (bitbucket_deploy_key); a
	// project's is worded alike (our choice, no public answer found).
	msgCloudKeyOnRepository = "Someone has already added that access key to this repository."
	msgCloudKeyOnProject    = "Someone has already added that access key to this project."
	msgCloudKeyNotFound     = "Deploy key not found."
	// The Cloud description's access-token narrative lists adding, updating
	// and deleting repository deploy keys among the APIs access tokens
	// cannot use; the real 403 for such a request is quoted in
	// github.com/DrFaust92/terraform-provider-bitbucket/issues/221.
	msgCloudKeysNoTokens = "This API is not accessible by this authentication mechanism"
)

// keyOwner is where a key route points.
type keyOwner struct {
	ws      *workspace
	project *cloudProject
	repo    *repository
}

func (o keyOwner) scope() (ws, project, repo string) {
	switch {
	case o.repo != nil:
		return o.ws.slug, "", o.repo.slug
	case o.project != nil:
		return o.ws.slug, o.project.key, ""
	}
	return o.ws.slug, "", ""
}

// cloudKeyOwner resolves the path and checks the caller administers it:
// repository admins (owners, members, the workspace's or repository's own
// access token) for repository keys, owners and members for project keys.
func cloudKeyOwner(c *call) (keyOwner, *response) {
	deny := func(msg string) (keyOwner, *response) {
		r := cloudError(http.StatusForbidden, msg)
		return keyOwner{}, &r
	}
	if _, ok := c.params["repo_slug"]; ok {
		r, fail := cloudVisibleRepo(c)
		if fail != nil {
			return keyOwner{}, fail
		}
		if !c.p.canAdminRepo(r) {
			return deny("You do not have admin access to this repository. Only repository administrators can manage its access keys.")
		}
		if c.p.cloudToken != nil && c.r.Method != http.MethodGet {
			return deny(msgCloudKeysNoTokens)
		}
		return keyOwner{ws: r.ws, repo: r}, nil
	}
	ws, fail := cloudVisibleWorkspace(c)
	if fail != nil {
		return keyOwner{}, fail
	}
	p := ws.projects[c.param("project_key")]
	if p == nil {
		r := cloudError(http.StatusNotFound, fmt.Sprintf("Project %s does not exist in workspace %s.", c.param("project_key"), ws.slug))
		return keyOwner{}, &r
	}
	if role := c.p.cloudRole(ws); role != "owner" && role != "member" {
		return deny("You do not have admin access to this project.")
	}
	return keyOwner{ws: ws, project: p}, nil
}

func cloudKeyByID(c *call, o keyOwner) *accessKey {
	ws, project, repo := o.scope()
	for _, k := range c.s.st.keyState().of(ws, project, repo) {
		if strconv.Itoa(k.id) == c.param("key_id") {
			return k
		}
	}
	return nil
}

func cloudKeySelf(c *call, k *accessKey) string {
	if k.repo != "" {
		return c.cloudAPI() + "/repositories/" + url.PathEscape(k.ws) + "/" + url.PathEscape(k.repo) + "/deploy-keys/" + strconv.Itoa(k.id)
	}
	return c.cloudAPI() + "/workspaces/" + url.PathEscape(k.ws) + "/projects/" + url.PathEscape(k.project) + "/deploy-keys/" + strconv.Itoa(k.id)
}

// cloudKeyJSON is a deploy_key or project_deploy_key. The key comes back
// without its comment, which is reported apart (the description's examples).
// last_used is null until the key is used, as the description's examples
// show (the trimmed description makes its date-time nullable to match).
func cloudKeyJSON(c *call, o keyOwner, k *accessKey) map[string]any {
	out := map[string]any{
		"id":         k.id,
		"key":        keyWithoutComment(k.text),
		"label":      k.label,
		"comment":    k.comment,
		"created_on": cloudTime(k.created),
		"added_on":   cloudTime(k.created),
		"links":      map[string]any{"self": href(cloudKeySelf(c, k))},
		"last_used":  nil,
	}
	if !k.lastUsed.IsZero() {
		out["last_used"] = cloudTime(k.lastUsed)
	}
	if o.repo != nil {
		out["type"] = "deploy_key"
		out["repository"] = map[string]any{
			"type": "repository", "name": o.repo.name, "full_name": o.ws.slug + "/" + o.repo.slug, "uuid": o.repo.uuid,
		}
	} else {
		out["type"] = "project_deploy_key"
		out["project"] = cloudProjectJSON(c, o.ws, o.project)
	}
	return out
}

type cloudKeyBody struct {
	Key   *string `json:"key"`
	Label *string `json:"label"`
}

func parseCloudKeyBody(body []byte) (cloudKeyBody, *response) {
	var b cloudKeyBody
	if err := json.Unmarshal(body, &b); err != nil {
		r := cloudError(http.StatusBadRequest, "The request body must be a JSON object with key and label.")
		return b, &r
	}
	return b, nil
}

func cloudKeyInvalid(msg string) response {
	return cloudErrorDetail(http.StatusBadRequest, msg, "", nil, map[string][]string{"key": {msg}})
}

func cloudListKeys(c *call) response {
	o, fail := cloudKeyOwner(c)
	if fail != nil {
		return *fail
	}
	ws, project, repo := o.scope()
	return cloudPage(c, c.s.st.keyState().of(ws, project, repo), 10, func(k *accessKey) any { return cloudKeyJSON(c, o, k) })
}

func cloudGetKey(c *call) response {
	o, fail := cloudKeyOwner(c)
	if fail != nil {
		return *fail
	}
	k := cloudKeyByID(c, o)
	if k == nil {
		return cloudError(http.StatusNotFound, msgCloudKeyNotFound)
	}
	return jsonResponse(http.StatusOK, cloudKeyJSON(c, o, k))
}

func cloudCreateKey(c *call) response {
	o, fail := cloudKeyOwner(c)
	if fail != nil {
		return *fail
	}
	b, fail := parseCloudKeyBody(c.body)
	if fail != nil {
		return *fail
	}
	text := ""
	if b.Key != nil {
		text = *b.Key
	}
	p, msg := parseAccessKey(text, cloudKeyRules)
	if msg != "" {
		return cloudKeyInvalid(msg)
	}
	ks := c.s.st.keyState()
	ws, project, repo := o.scope()
	if _, taken := ks.userKeys[p.fingerprint]; taken {
		return cloudKeyInvalid(msgCloudKeyRegistered)
	}
	for _, k := range ks.of(ws, project, repo) {
		if k.fingerprint == p.fingerprint && repo != "" {
			return cloudKeyInvalid(msgCloudKeyOnRepository)
		}
		if k.fingerprint == p.fingerprint {
			return cloudKeyInvalid(msgCloudKeyOnProject)
		}
	}
	k := &accessKey{
		id: ks.nextID, ws: ws, project: project, repo: repo, text: p.text, keyType: p.keyType, bits: p.bits,
		fingerprint: p.fingerprint, comment: p.comment, created: c.now,
	}
	ks.nextID++
	if b.Label != nil {
		k.label = *b.Label
	}
	ks.keys = append(ks.keys, k)
	return jsonResponse(http.StatusOK, cloudKeyJSON(c, o, k))
}

// cloudUpdateKey changes the label (and the comment): "The same key needs to
// be passed in but the comment and label can change."
func cloudUpdateKey(c *call) response {
	o, fail := cloudKeyOwner(c)
	if fail != nil {
		return *fail
	}
	k := cloudKeyByID(c, o)
	if k == nil {
		return cloudError(http.StatusNotFound, msgCloudKeyNotFound)
	}
	b, fail := parseCloudKeyBody(c.body)
	if fail != nil {
		return *fail
	}
	if b.Key == nil {
		return cloudKeyInvalid("The key is required: send the same key again.")
	}
	p, msg := parseAccessKey(*b.Key, cloudKeyRules)
	if msg != "" {
		return cloudKeyInvalid(msg)
	}
	if p.fingerprint != k.fingerprint {
		return cloudKeyInvalid("The key of an access key cannot be changed: delete it and add the new key.")
	}
	k.text, k.comment = p.text, p.comment
	if b.Label != nil {
		k.label = *b.Label
	}
	return jsonResponse(http.StatusOK, cloudKeyJSON(c, o, k))
}

func cloudDeleteKey(c *call) response {
	o, fail := cloudKeyOwner(c)
	if fail != nil {
		return *fail
	}
	k := cloudKeyByID(c, o)
	if k == nil {
		return cloudError(http.StatusNotFound, msgCloudKeyNotFound)
	}
	c.s.st.keyState().remove(k)
	return noContent()
}
