package bitbucket

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
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
	// Algorithms are the key types the product accepts (internal/catalog).
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

// PublicKey is one SSH public key read from an authorized_keys line.
type PublicKey struct {
	// Type is the key type its data encodes ("ssh-ed25519").
	Type string
	// Blob is the key data, base64 as in the line.
	Blob        string
	Comment     string
	Fingerprint string
	// RSABits is the modulus size of an RSA key (0 for other types).
	RSABits int
	// Options are authorized_keys options written before the key
	// ("no-pty", `command="…"`), as the line gives them.
	Options []string
}

// ParsePublicKey reads one public key in OpenSSH authorized_keys format. A
// type word that is not the type the key data encodes ("ssh-rsa" before an
// Ed25519 key) is an error: ssh.ParseAuthorizedKey reads the type from the
// data and would let the wrong word through into state.
func ParsePublicKey(text string) (PublicKey, error) {
	line := strings.TrimSpace(text)
	pk, comment, options, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil || strings.TrimSpace(string(rest)) != "" {
		return PublicKey{}, errors.New("it is not one SSH public key in OpenSSH authorized_keys format (\"ssh-ed25519 AAAA… comment\")")
	}
	k := PublicKey{Type: pk.Type(), Comment: comment, Fingerprint: ssh.FingerprintSHA256(pk), Options: options}
	_, k.Blob, _ = strings.Cut(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))), " ")
	fields := strings.Fields(line)
	if i := slices.Index(fields, k.Blob); i > 0 && fields[i-1] != k.Type {
		return PublicKey{}, fmt.Errorf("it says %s but its key data is a %s key; write the type the key was made with (%s %s…)",
			fields[i-1], k.Type, k.Type, k.Blob[:min(len(k.Blob), 16)])
	}
	if cpk, ok := pk.(ssh.CryptoPublicKey); ok {
		if rk, ok := cpk.CryptoPublicKey().(*rsa.PublicKey); ok {
			k.RSABits = rk.N.BitLen()
		}
	}
	return k, nil
}

// SameKey reports whether two keys are one key: the same type and data,
// whatever their comments (Cloud returns a key without its comment).
func (k PublicKey) SameKey(o PublicKey) bool { return k.Type == o.Type && k.Blob == o.Blob }

// Refuses says why the product refuses key ("" = accepted).
func (r AccessKeyRules) Refuses(k PublicKey) string {
	if len(r.Algorithms) > 0 && !slices.Contains(r.Algorithms, k.Type) {
		return fmt.Sprintf("Keys of type %s are not accepted here. Accepted types: %s.", k.Type, strings.Join(r.Algorithms, ", "))
	}
	if r.MinRSABits > 0 && k.RSABits > 0 && k.RSABits < r.MinRSABits {
		return fmt.Sprintf("RSA keys must have at least %d bits here; this one has %d.", r.MinRSABits, k.RSABits)
	}
	return ""
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
