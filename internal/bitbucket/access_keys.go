package bitbucket

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSH access keys: a public key registered on a repository or a project so
// that a service can clone (and on Data Center push) over SSH without a user
// account. Facts and their sources: internal/emulator/README.md ("SSH access keys").

// AccessKeyLevel is what an access key is registered on.
type AccessKeyLevel string

const (
	AccessKeyLevelRepository AccessKeyLevel = "repository"
	AccessKeyLevelProject    AccessKeyLevel = "project"
)

// AccessKeyScope says where access keys live: a repository when Repository
// is set, otherwise a project. Workspace is the Cloud workspace or the Data
// Center project key; Project is the Cloud project key inside the workspace
// (Data Center has none: its project is the workspace).
type AccessKeyScope struct {
	Workspace  string
	Project    string
	Repository string
}

// Level is the scope's level.
func (s AccessKeyScope) Level() AccessKeyLevel {
	if s.Repository != "" {
		return AccessKeyLevelRepository
	}
	return AccessKeyLevelProject
}

// String names the scope in messages: "repository acme/api", "project acme/API", "project PRJ".
func (s AccessKeyScope) String() string {
	switch {
	case s.Repository != "":
		return "repository " + s.Workspace + "/" + s.Repository
	case s.Project != "":
		return "project " + s.Project + " of workspace " + s.Workspace
	}
	return "project " + s.Workspace
}

// AccessKeyRules is what a product allows for access keys at one level:
// the resources ask these instead of asking which product they talk to.
type AccessKeyRules struct {
	// Permissions are the values `permission` may take; the first is the
	// default. Cloud access keys are read-only, so Cloud has one.
	Permissions []string
	// ReadOnlyReason explains a single-permission list ("" otherwise).
	ReadOnlyReason string
	// LabelUpdatable: the label can change in place (else: a new key).
	LabelUpdatable bool
	// PermissionUpdatable: the permission can change in place.
	PermissionUpdatable bool
	// ProjectInWorkspace: a project-level key names a project inside the
	// workspace (Cloud). When false the workspace is the project (Data
	// Center) and a project must not be given.
	ProjectInWorkspace bool
	// ReportsLastUsed: the server says when a key last authenticated.
	ReportsLastUsed bool
	// Algorithms are the key types the product accepts, with the minimum
	// size in bits for RSA ("" = any size).
	Algorithms []string
	// MinRSABits is the smallest RSA key the product accepts (0 = not checked).
	MinRSABits int
}

// AccessKeyInput is what Create and Update send. On Update, Label "" keeps
// the label and Permission "" keeps the permission; PublicKey is the key in
// OpenSSH authorized_keys format (Cloud needs it again on update).
type AccessKeyInput struct {
	PublicKey  string
	Label      string
	Permission string
}

// AccessKey is an access key as the server reports it.
type AccessKey struct {
	ID string
	// PublicKey is the key text as the server returns it (Cloud drops the
	// comment, Data Center keeps it).
	PublicKey string
	// Fingerprint is computed here from PublicKey (SHA256:…), the same way
	// on both products, so keys can be matched whatever the server sends.
	Fingerprint string
	Label       string
	// Comment is the comment parsed from the key, where the server says.
	Comment    string
	Permission string
	CreatedAt  time.Time
	// LastUsed is when the key last authenticated; zero when never or not
	// reported.
	LastUsed time.Time
}

// KeyFingerprint is the SHA256 fingerprint (as ssh-keygen -l prints it) of a
// public key in authorized_keys format.
func KeyFingerprint(publicKey string) (string, error) {
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(publicKey)))
	if err != nil {
		return "", fmt.Errorf("not an SSH public key in OpenSSH authorized_keys format: %w", err)
	}
	return ssh.FingerprintSHA256(pk), nil
}

// fingerprintOf is KeyFingerprint or "" for text that does not parse.
func fingerprintOf(publicKey string) string {
	fp, err := KeyFingerprint(publicKey)
	if err != nil {
		return ""
	}
	return fp
}

// sortAccessKeys orders keys by creation time, then id.
func sortAccessKeys(keys []AccessKey) {
	sort.SliceStable(keys, func(i, j int) bool {
		if !keys[i].CreatedAt.Equal(keys[j].CreatedAt) {
			return keys[i].CreatedAt.Before(keys[j].CreatedAt)
		}
		return lessID(keys[i].ID, keys[j].ID)
	})
}
