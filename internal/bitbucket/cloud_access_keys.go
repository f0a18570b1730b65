package bitbucket

import (
	"context"
	"net/http"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/catalog"
)

// Cloud access keys are the "deploy keys" of the Cloud OpenAPI description:
// /repositories/{workspace}/{repo_slug}/deploy-keys[/{key_id}] (GET, POST;
// GET, PUT, DELETE) and /workspaces/{workspace}/projects/{project_key}/deploy-keys[/{key_id}]
// (GET, POST; GET, DELETE: a project key cannot be updated). They are
// read-only: Cloud has no permission on them.

func (c *cloudClient) AccessKeyRules(level AccessKeyLevel) AccessKeyRules {
	perm := "REPO_READ"
	if level == AccessKeyLevelProject {
		perm = "PROJECT_READ"
	}
	return AccessKeyRules{
		Permissions: []string{perm},
		ReadOnlyReason: "Bitbucket Cloud access keys are read-only: they can clone and pull, never push. For write " +
			"access over SSH on Cloud, add the key to a user or workspace instead.",
		LabelUpdatable:      level == AccessKeyLevelRepository,
		PermissionUpdatable: false,
		ProjectInWorkspace:  true,
		ReportsLastUsed:     true,
		Algorithms:          catalog.CloudSSHKeyTypes(),
		MinRSABits:          catalog.CloudMinRSABits,
	}
}

type cloudAccessKey struct {
	ID        flexString `json:"id"`
	Key       string     `json:"key"`
	Label     string     `json:"label"`
	Comment   string     `json:"comment"`
	CreatedOn apiTime    `json:"created_on"`
	AddedOn   apiTime    `json:"added_on"`
	LastUsed  apiTime    `json:"last_used"`
}

func (k cloudAccessKey) model(level AccessKeyLevel) AccessKey {
	created := k.CreatedOn.Time
	if created.IsZero() {
		created = k.AddedOn.Time
	}
	return AccessKey{
		ID:          string(k.ID),
		PublicKey:   k.Key,
		Fingerprint: fingerprintOf(k.Key),
		Label:       k.Label,
		Comment:     k.Comment,
		Permission:  (&cloudClient{}).AccessKeyRules(level).Permissions[0],
		CreatedAt:   created,
		LastUsed:    k.LastUsed.Time,
	}
}

func cloudKeysPath(s AccessKeyScope) (string, error) {
	if err := required("workspace", s.Workspace); err != nil {
		return "", err
	}
	if s.Repository != "" {
		return "repositories/" + seg(s.Workspace) + "/" + seg(s.Repository) + "/deploy-keys", nil
	}
	if err := required("project (the project key inside the Cloud workspace)", s.Project); err != nil {
		return "", err
	}
	return "workspaces/" + seg(s.Workspace) + "/projects/" + seg(s.Project) + "/deploy-keys", nil
}

func cloudKeyPath(s AccessKeyScope, id string) (string, error) {
	p, err := cloudKeysPath(s)
	if err != nil {
		return "", err
	}
	if err := required("access key id", id); err != nil {
		return "", err
	}
	return p + "/" + seg(id), nil
}

// CreateAccessKey POSTs {key, label} once. A lost answer is the caller's
// to resolve (the provider's create recovery, which lists the scope).
func (c *cloudClient) CreateAccessKey(ctx context.Context, scope AccessKeyScope, in AccessKeyInput) (*AccessKey, error) {
	p, err := cloudKeysPath(scope)
	if err != nil {
		return nil, err
	}
	body := map[string]string{"key": in.PublicKey, "label": in.Label}
	var k cloudAccessKey
	if err := c.h.sendJSON(ctx, http.MethodPost, p, body, &k, false); err != nil {
		return nil, err
	}
	m := k.model(scope.Level())
	return &m, nil
}

func (c *cloudClient) GetAccessKey(ctx context.Context, scope AccessKeyScope, id string) (*AccessKey, error) {
	p, err := cloudKeyPath(scope, id)
	if err != nil {
		return nil, err
	}
	var k cloudAccessKey
	if err := c.h.getManagedJSON(ctx, p, &k); err != nil {
		return nil, err
	}
	m := k.model(scope.Level())
	return &m, nil
}

// ListAccessKeys reads every page, oldest key first.
func (c *cloudClient) ListAccessKeys(ctx context.Context, scope AccessKeyScope) ([]AccessKey, error) {
	p, err := cloudKeysPath(scope)
	if err != nil {
		return nil, err
	}
	items, err := listCloud[cloudAccessKey](ctx, c.h, p, nil)
	if err != nil {
		return nil, err
	}
	out := make([]AccessKey, 0, len(items))
	for _, k := range items {
		out = append(out, k.model(scope.Level()))
	}
	sortAccessKeys(out)
	return out, nil
}

// UpdateAccessKey PUTs a new label; Cloud wants the same key sent again.
// Only repository keys can be updated, and only their label.
func (c *cloudClient) UpdateAccessKey(ctx context.Context, scope AccessKeyScope, id string, in AccessKeyInput) (*AccessKey, error) {
	rules := c.AccessKeyRules(scope.Level())
	if !rules.LabelUpdatable || (in.Permission != "" && in.Permission != rules.Permissions[0]) {
		return nil, errUnsupportedKeyUpdate(scope)
	}
	p, err := cloudKeyPath(scope, id)
	if err != nil {
		return nil, err
	}
	body := map[string]string{"key": in.PublicKey, "label": in.Label}
	var k cloudAccessKey
	if err := c.h.sendJSON(ctx, http.MethodPut, p, body, &k, true); err != nil {
		return nil, err
	}
	m := k.model(scope.Level())
	return &m, nil
}

func (c *cloudClient) DeleteAccessKey(ctx context.Context, scope AccessKeyScope, id string) error {
	p, err := cloudKeyPath(scope, id)
	if err != nil {
		return err
	}
	return deleteConfirmed(ctx, "access key "+id,
		func(ctx context.Context) error {
			_, err := c.h.send(ctx, http.MethodDelete, c.h.url(p, nil), nil, true)
			return err
		},
		func(ctx context.Context) error { return c.h.getJSON(ctx, p, nil, &cloudAccessKey{}) })
}
