package bitbucket

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/catalog"
)

// Data Center access keys: /rest/keys/1.0/projects/{key}/repos/{slug}/ssh[/{keyId}]
// (GET, POST; GET, DELETE) with REPO_READ or REPO_WRITE, and
// /rest/keys/1.0/projects/{key}/ssh[/{keyId}] with PROJECT_READ or
// PROJECT_WRITE; the permission changes in place with
// PUT …/ssh/{keyId}/permission/{permission} (OpenAPI: addForRepository,
// getForRepository, revokeForRepository, updatePermission_1, and the
// project operations). A DELETE answers 204 even for a key that is not
// there, so a delete is confirmed by a read.

const dcKeys = "rest/keys/1.0/"

func (d *dataCenterClient) AccessKeyRules(level AccessKeyLevel) AccessKeyRules {
	perms := []string{"REPO_READ", "REPO_WRITE"}
	if level == AccessKeyLevelProject {
		perms = []string{"PROJECT_READ", "PROJECT_WRITE"}
	}
	return AccessKeyRules{
		Permissions:         perms,
		LabelUpdatable:      false,
		PermissionUpdatable: true,
		ProjectInWorkspace:  false,
		ReportsLastUsed:     true,
		Algorithms:          catalog.DataCenterSSHKeyTypes(),
	}
}

type dcSSHAccessKey struct {
	Key struct {
		ID                flexString `json:"id"`
		Text              string     `json:"text"`
		Label             string     `json:"label"`
		CreatedDate       apiTime    `json:"createdDate"`
		LastAuthenticated apiTime    `json:"lastAuthenticated"`
	} `json:"key"`
	Permission string `json:"permission"`
}

func (k dcSSHAccessKey) model() AccessKey {
	return AccessKey{
		ID:          string(k.Key.ID),
		PublicKey:   k.Key.Text,
		Fingerprint: fingerprintOf(k.Key.Text),
		Label:       k.Key.Label,
		Permission:  k.Permission,
		CreatedAt:   k.Key.CreatedDate.Time,
		LastUsed:    k.Key.LastAuthenticated.Time,
	}
}

func dcKeysPath(s AccessKeyScope) (string, error) {
	if err := required("workspace (project key)", s.Workspace); err != nil {
		return "", err
	}
	if s.Project != "" {
		return "", fmt.Errorf("project %q: %w: on Bitbucket Data Center the project is the workspace; leave project unset", s.Project, ErrUnsupported)
	}
	if s.Repository != "" {
		return dcKeys + "projects/" + seg(s.Workspace) + "/repos/" + seg(s.Repository) + "/ssh", nil
	}
	return dcKeys + "projects/" + seg(s.Workspace) + "/ssh", nil
}

func dcKeyPath(s AccessKeyScope, id string) (string, error) {
	p, err := dcKeysPath(s)
	if err != nil {
		return "", err
	}
	if err := required("access key id", id); err != nil {
		return "", err
	}
	return p + "/" + seg(id), nil
}

// CreateAccessKey POSTs the key once. A lost answer is the caller's to
// resolve (the provider's create recovery, which lists the scope).
func (d *dataCenterClient) CreateAccessKey(ctx context.Context, scope AccessKeyScope, in AccessKeyInput) (*AccessKey, error) {
	p, err := dcKeysPath(scope)
	if err != nil {
		return nil, err
	}
	perm := in.Permission
	if perm == "" {
		perm = d.AccessKeyRules(scope.Level()).Permissions[0]
	}
	body := map[string]any{"key": map[string]string{"text": in.PublicKey, "label": in.Label}, "permission": perm}
	var k dcSSHAccessKey
	if err := d.h.sendJSON(ctx, http.MethodPost, p, body, &k, false); err != nil {
		return nil, err
	}
	m := k.model()
	return &m, nil
}

func (d *dataCenterClient) GetAccessKey(ctx context.Context, scope AccessKeyScope, id string) (*AccessKey, error) {
	p, err := dcKeyPath(scope, id)
	if err != nil {
		return nil, err
	}
	var k dcSSHAccessKey
	if err := d.h.getManagedJSON(ctx, p, &k); err != nil {
		return nil, err
	}
	m := k.model()
	return &m, nil
}

// ListAccessKeys reads every page of the keys registered on the scope
// itself (a repository's list leaves out its project's keys), oldest first.
func (d *dataCenterClient) ListAccessKeys(ctx context.Context, scope AccessKeyScope) ([]AccessKey, error) {
	p, err := dcKeysPath(scope)
	if err != nil {
		return nil, err
	}
	items, err := listDC[dcSSHAccessKey](ctx, d.h, p, nil)
	if err != nil {
		return nil, err
	}
	out := make([]AccessKey, 0, len(items))
	for _, k := range items {
		out = append(out, k.model())
	}
	sortAccessKeys(out)
	return out, nil
}

// UpdateAccessKey changes the permission (PUT …/permission/{permission},
// which sets an absolute value and so is safe to repeat). Data Center cannot
// change a label.
func (d *dataCenterClient) UpdateAccessKey(ctx context.Context, scope AccessKeyScope, id string, in AccessKeyInput) (*AccessKey, error) {
	if in.Label != "" {
		current, err := d.GetAccessKey(ctx, scope, id)
		if err != nil {
			return nil, err
		}
		if current.Label != in.Label {
			return nil, errUnsupportedKeyUpdate(scope)
		}
	}
	p, err := dcKeyPath(scope, id)
	if err != nil {
		return nil, err
	}
	if err := required("permission", in.Permission); err != nil {
		return nil, err
	}
	var k dcSSHAccessKey
	err = d.h.sendJSON(ctx, http.MethodPut, p+"/permission/"+seg(in.Permission), nil, &k, true)
	if errors.Is(err, ErrNotFound) {
		// A permission name Data Center does not know is a path parameter
		// that does not convert: 404, like a missing key (JAX-RS). Only a
		// read tells them apart.
		if _, gerr := d.GetAccessKey(ctx, scope, id); gerr == nil {
			return nil, fmt.Errorf("%w: Bitbucket Data Center does not accept the permission %q for access key %s of %s "+
				"(it answered %v)", ErrValidation, in.Permission, id, scope, err)
		}
	}
	if err != nil {
		return nil, err
	}
	m := k.model()
	return &m, nil
}

func (d *dataCenterClient) DeleteAccessKey(ctx context.Context, scope AccessKeyScope, id string) error {
	p, err := dcKeyPath(scope, id)
	if err != nil {
		return err
	}
	return deleteConfirmed(ctx, "access key "+id,
		func(ctx context.Context) error {
			_, err := d.h.send(ctx, http.MethodDelete, d.h.url(p, nil), nil, true)
			return err
		},
		func(ctx context.Context) error { return d.h.getJSON(ctx, p, nil, &dcSSHAccessKey{}) })
}

// errUnsupportedKeyUpdate: the change needs a new key on this product.
func errUnsupportedKeyUpdate(scope AccessKeyScope) error {
	return fmt.Errorf("changing this access key of %s in place: %w", scope, ErrUnsupported)
}
