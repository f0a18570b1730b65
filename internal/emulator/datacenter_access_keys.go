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

// Data Center access keys, as the Data Center 9.4 OpenAPI description has
// them: /keys/latest/projects/{projectKey}/repos/{repositorySlug}/ssh[/{keyId}]
// (addForRepository 201, getForRepository_1, getForRepository,
// revokeForRepository 204 "or none was found", updatePermission_1) and the
// project operations (addForProject, getSshKeysForProject, getForProject,
// revokeForProject, updatePermission). The caller needs REPO_ADMIN or
// PROJECT_ADMIN; a public key registered on several scopes keeps one id
// (revoking it on one scope leaves the others, as revokeForRepository says).

const (
	dcKeys           = "/rest/keys/1.0"
	dcProjectKeys    = dcKeys + "/projects/{projectKey}/ssh"
	dcRepoKeys       = dcKeys + "/projects/{projectKey}/repos/{repositorySlug}/ssh"
	exNoSuchSSHKey   = "com.atlassian.bitbucket.ssh.NoSuchSshKeyException"
	exDuplicateKey   = "com.atlassian.bitbucket.ssh.DuplicateAccessKeyException"
	exKeyOfUser      = "com.atlassian.bitbucket.ssh.SshKeyAlreadyExistsException"
	dcKeyPermissions = "REPO_READ REPO_WRITE PROJECT_READ PROJECT_WRITE"
)

// dcPermissionNames are the values of the description's Permission enum
// (RestSshAccessKey.permission).
var dcPermissionNames = []string{"USER_ADMIN", "PROJECT_VIEW", "REPO_READ", "REPO_WRITE", "REPO_ADMIN", "PROJECT_READ",
	"PROJECT_WRITE", "REPO_CREATE", "PROJECT_ADMIN", "LICENSED_USER", "PROJECT_CREATE", "ADMIN", "SYS_ADMIN"}

// dcKeyOwner resolves the path and checks the caller administers it.
func dcKeyOwner(c *call) (keyOwner, *response) {
	if _, ok := c.params["repositorySlug"]; ok {
		r, fail := dcRepo(c)
		if fail != nil {
			return keyOwner{}, fail
		}
		if dcRepoLevel(c.p, r) < levelAdmin {
			resp := dcNotPermitted()
			return keyOwner{}, &resp
		}
		return keyOwner{ws: r.ws, repo: r}, nil
	}
	ws, fail := dcProject(c)
	if fail != nil {
		return keyOwner{}, fail
	}
	if dcProjectLevel(c.p, ws) < levelAdmin {
		resp := dcNotPermitted()
		return keyOwner{}, &resp
	}
	return keyOwner{ws: ws}, nil
}

// dcKeyPermissionValid: REPO_READ/REPO_WRITE on a repository,
// PROJECT_READ/PROJECT_WRITE on a project.
func dcKeyPermissionValid(o keyOwner, perm string) bool {
	prefix := "PROJECT_"
	if o.repo != nil {
		prefix = "REPO_"
	}
	return strings.HasPrefix(perm, prefix) && slices.Contains(strings.Fields(dcKeyPermissions), perm)
}

func dcKeyByID(c *call, o keyOwner) *accessKey {
	ws, _, repo := o.scope()
	for _, k := range c.s.st.keyState().of(ws, "", repo) {
		if strconv.Itoa(k.id) == c.param("keyId") {
			return k
		}
	}
	return nil
}

func dcNoSuchKey(c *call) response {
	return dcError(http.StatusNotFound, exNoSuchSSHKey, fmt.Sprintf("No SSH key exists with ID %s.", c.param("keyId")))
}

// dcKeyJSON is a RestSshAccessKey. createdDate is a date-time string as
// the description types it; lastAuthenticated a string of epoch
// milliseconds, as the description's example ("1630041546434") has it;
// left out until set.
func dcKeyJSON(c *call, o keyOwner, k *accessKey) map[string]any {
	key := map[string]any{
		"id":            k.id,
		"text":          k.text,
		"label":         k.label,
		"algorithmType": catalog.SSHKeyAlgorithm(k.keyType),
		"bitLength":     k.bits,
		"fingerprint":   k.fingerprint,
		"createdDate":   cloudTime(k.created),
	}
	if !k.lastUsed.IsZero() {
		key["lastAuthenticated"] = strconv.FormatInt(k.lastUsed.UnixMilli(), 10)
	}
	out := map[string]any{"key": key, "permission": k.permission}
	// The description marks links writeOnly in the nested repository and
	// project, so they are left out here.
	if o.repo != nil {
		repo := dcRepoJSON(c, o.repo)
		delete(repo, "links")
		if p, ok := repo["project"].(map[string]any); ok {
			delete(p, "links")
		}
		out["repository"] = repo
	} else {
		project := dcProjectJSON(c, o.ws)
		delete(project, "links")
		out["project"] = project
	}
	return out
}

func dcListKeys(c *call) response {
	o, fail := dcKeyOwner(c)
	if fail != nil {
		return *fail
	}
	ws, _, repo := o.scope()
	return dcPage(c, c.s.st.keyState().of(ws, "", repo), func(k *accessKey) any { return dcKeyJSON(c, o, k) })
}

func dcGetKey(c *call) response {
	o, fail := dcKeyOwner(c)
	if fail != nil {
		return *fail
	}
	k := dcKeyByID(c, o)
	if k == nil {
		return dcNoSuchKey(c)
	}
	return jsonResponse(http.StatusOK, dcKeyJSON(c, o, k))
}

func dcCreateKey(c *call) response {
	o, fail := dcKeyOwner(c)
	if fail != nil {
		return *fail
	}
	bad := func(ex, msg string) response { return dcError(http.StatusBadRequest, ex, msg) }
	var b struct {
		Key *struct {
			Text  string `json:"text"`
			Label string `json:"label"`
		} `json:"key"`
		Permission string `json:"permission"`
	}
	if err := json.Unmarshal(c.body, &b); err != nil || b.Key == nil {
		return bad(exArgumentValidation, "The request must name the key to add: {\"key\":{\"text\":\"…\"},\"permission\":\"…\"}.")
	}
	if !dcKeyPermissionValid(o, b.Permission) {
		valid := "PROJECT_READ, PROJECT_WRITE"
		if o.repo != nil {
			valid = "REPO_READ, REPO_WRITE"
		}
		return bad(exArgumentValidation, fmt.Sprintf("%q is not a valid access key permission here; use one of %s.", b.Permission, valid))
	}
	p, msg := parseAccessKey(b.Key.Text, dcKeyRules)
	if msg != "" {
		return bad(exArgumentValidation, msg)
	}
	ks := c.s.st.keyState()
	if user, taken := ks.userKeys[p.fingerprint]; taken {
		return bad(exKeyOfUser, fmt.Sprintf("This SSH key is already associated with the user %s and cannot be used as an access key.", user))
	}
	ws, _, repo := o.scope()
	id, label := 0, b.Key.Label
	for _, k := range ks.keys {
		if k.fingerprint != p.fingerprint {
			continue
		}
		if k.holds(ws, "", repo) {
			return bad(exDuplicateKey, "This SSH key already has access here.")
		}
		// One public key is one key (RestSshKey: one id, one label) on
		// every scope it has access to; a second registration keeps its
		// label.
		id, label = k.id, k.label
	}
	if id == 0 {
		id = ks.nextID
		ks.nextID++
	}
	k := &accessKey{
		id: id, ws: ws, repo: repo, text: p.text, keyType: p.keyType, bits: p.bits, fingerprint: p.fingerprint,
		label: label, comment: p.comment, permission: b.Permission, created: c.now,
	}
	ks.keys = append(ks.keys, k)
	return jsonResponse(http.StatusCreated, dcKeyJSON(c, o, k))
}

// dcDeleteKey answers 204 whether or not the key was there
// ("The access key was deleted (or none was found matching the given id)").
func dcDeleteKey(c *call) response {
	o, fail := dcKeyOwner(c)
	if fail != nil {
		return *fail
	}
	if k := dcKeyByID(c, o); k != nil {
		c.s.st.keyState().remove(k)
	}
	return noContent()
}

func dcUpdateKeyPermission(c *call) response {
	o, fail := dcKeyOwner(c)
	if fail != nil {
		return *fail
	}
	k := dcKeyByID(c, o)
	if k == nil {
		return dcNoSuchKey(c)
	}
	perm := c.param("permission")
	if !slices.Contains(dcPermissionNames, perm) {
		// A path parameter that does not convert (here: to the Permission
		// enum) is 404 Not Found under JAX-RS, which Data Center's REST
		// layer runs on (Jakarta RESTful Web Services 3.1, section 3.2); the
		// description lists 404 for this operation.
		return dcStatusBody(http.StatusNotFound)
	}
	if !dcKeyPermissionValid(o, perm) {
		return dcError(http.StatusBadRequest, exArgumentValidation, fmt.Sprintf("%q is not a valid access key permission here.", perm))
	}
	k.permission = perm
	return jsonResponse(http.StatusOK, dcKeyJSON(c, o, k))
}
