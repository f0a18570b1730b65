package emulator

import (
	"crypto/rsa"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/catalog"
)

// SSH access keys of both products (Cloud "deploy keys"). Facts, their
// sources and the decisions where the sources are silent: README.md
// ("SSH access keys").

// accessKey is one public key registered on one repository or project.
// Data Center gives a public key one id wherever it is registered (the same
// key on two repositories is one key with two grants); Cloud numbers every
// registration.
type accessKey struct {
	id          int
	ws          string // Cloud workspace / Data Center project key
	project     string // Cloud project key (project keys); "" on Data Center
	repo        string // "" = a project key
	text        string // as sent, comment included
	keyType     string // ssh type, e.g. ssh-ed25519
	bits        int
	fingerprint string // SHA256:…
	label       string
	comment     string
	permission  string // Data Center REPO_*/PROJECT_*; "" on Cloud
	created     time.Time
	lastUsed    time.Time
}

// keyState is the access keys plus users' own SSH keys (fingerprint → user),
// which may not also be access keys on either product.
type keyState struct {
	keys     []*accessKey
	nextID   int
	userKeys map[string]string
	ssh      *sshState // the SSH endpoint, once ServeSSH started it
}

// keyStateOf returns the server's key state, made on first use.
func (st *state) keyState() *keyState {
	if st.accessKeys == nil {
		st.accessKeys = &keyState{nextID: 1, userKeys: map[string]string{}}
	}
	return st.accessKeys
}

// holds reports whether k is registered on exactly this scope.
func (k *accessKey) holds(ws, project, repo string) bool {
	return k.ws == ws && k.project == project && k.repo == repo
}

func (ks *keyState) of(ws, project, repo string) []*accessKey {
	var out []*accessKey
	for _, k := range ks.keys {
		if k.holds(ws, project, repo) {
			out = append(out, k)
		}
	}
	return out
}

func (ks *keyState) remove(k *accessKey) {
	ks.keys = slices.DeleteFunc(ks.keys, func(x *accessKey) bool { return x == k })
}

// parsedKey is a public key as the server reads it.
type parsedKey struct {
	text, keyType, comment, fingerprint string
	bits                                int
}

// keyAlgoDSA is "ssh-dss" (x/crypto deprecates its constant).
const keyAlgoDSA = "ssh-dss"

// keyRules is what one product accepts: the algorithms, and the smallest RSA
// key (0 = any).
type keyRules struct {
	algorithms []string
	minRSABits int
}

// The key types and sizes each product accepts, from internal/catalog
// (with their sources); administrators' narrowing on Data Center is not
// modelled.
var (
	cloudKeyRules = keyRules{algorithms: catalog.CloudSSHKeyTypes(), minRSABits: catalog.CloudMinRSABits}
	dcKeyRules    = keyRules{algorithms: catalog.DataCenterSSHKeyTypes()}
)

// parseAccessKey reads text as an OpenSSH authorized_keys line and checks
// it against the product's rules; the string is the reason it is refused.
func parseAccessKey(text string, rules keyRules) (parsedKey, string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return parsedKey{}, "An SSH key is required."
	}
	pk, comment, _, rest, err := ssh.ParseAuthorizedKey([]byte(text))
	if err != nil || len(strings.TrimSpace(string(rest))) > 0 {
		return parsedKey{}, "That SSH key is invalid: it is not a public key in OpenSSH format."
	}
	p := parsedKey{text: text, keyType: pk.Type(), comment: comment, fingerprint: ssh.FingerprintSHA256(pk)}
	if !slices.Contains(rules.algorithms, p.keyType) {
		return parsedKey{}, fmt.Sprintf("SSH keys of type %s are not supported.", p.keyType)
	}
	if cpk, ok := pk.(ssh.CryptoPublicKey); ok {
		if rk, ok := cpk.CryptoPublicKey().(*rsa.PublicKey); ok {
			p.bits = rk.N.BitLen()
			if rules.minRSABits > 0 && p.bits < rules.minRSABits {
				return parsedKey{}, fmt.Sprintf("RSA keys must be at least %d bits long; this one has %d.", rules.minRSABits, p.bits)
			}
		}
	}
	if p.bits == 0 {
		p.bits = map[string]int{ssh.KeyAlgoECDSA384: 384, ssh.KeyAlgoECDSA521: 521, keyAlgoDSA: 1024}[p.keyType]
		if p.bits == 0 {
			p.bits = 256
		}
	}
	return p, ""
}

// keyWithoutComment is "type base64", the form Cloud returns.
func keyWithoutComment(text string) string {
	f := strings.Fields(text)
	if len(f) < 2 {
		return text
	}
	return f[0] + " " + f[1]
}

// --- out-of-band access --------------------------------------------------------

// AccessKey is an SSH access key as the emulator holds it.
type AccessKey struct {
	ID          string
	Workspace   string // Cloud workspace / Data Center project key
	Project     string // Cloud project key of a project key ("" otherwise)
	Repository  string // "" = a project key
	PublicKey   string // as registered, comment included
	Fingerprint string // SHA256:…
	Label       string
	Permission  string // Data Center only
	CreatedAt   time.Time
	LastUsed    time.Time
}

func (k *accessKey) export() AccessKey {
	return AccessKey{
		ID: fmt.Sprint(k.id), Workspace: k.ws, Project: k.project, Repository: k.repo, PublicKey: k.text,
		Fingerprint: k.fingerprint, Label: k.label, Permission: k.permission, CreatedAt: k.created, LastUsed: k.lastUsed,
	}
}

// AccessKeys returns every access key, oldest first.
func (s *Server) AccessKeys() []AccessKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AccessKey
	for _, k := range s.st.keyState().keys {
		out = append(out, k.export())
	}
	return out
}

// findKey finds the registration with id on the scope of ref (ID plus
// Workspace, Project, Repository).
func (s *Server) findKey(ref AccessKey) *accessKey {
	for _, k := range s.st.keyState().keys {
		if fmt.Sprint(k.id) == ref.ID && k.holds(ref.Workspace, ref.Project, ref.Repository) {
			return k
		}
	}
	return nil
}

// UpdateAccessKey changes a key out of band (its label, permission or last
// use), as an administrator would in the web UI.
func (s *Server) UpdateAccessKey(ref AccessKey, mutate func(*AccessKey)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.findKey(ref)
	if k == nil {
		return fmt.Errorf("%w: access key %s", ErrNotFound, ref.ID)
	}
	a := k.export()
	mutate(&a)
	k.label, k.permission, k.lastUsed = a.Label, a.Permission, a.LastUsed
	if s.product == DataCenter {
		// One Data Center key id is one key: its label is the same on every scope.
		for _, other := range s.st.keyState().keys {
			if other.id == k.id {
				other.label = k.label
			}
		}
	}
	return nil
}

// DeleteAccessKey removes a key from its scope out of band.
func (s *Server) DeleteAccessKey(ref AccessKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.findKey(ref)
	if k == nil {
		return fmt.Errorf("%w: access key %s", ErrNotFound, ref.ID)
	}
	s.st.keyState().remove(k)
	return nil
}

// AddUserSSHKey registers publicKey as a user's own SSH key: neither
// product then accepts it as an access key.
func (s *Server) AddUserSSHKey(user, publicKey string) error {
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(publicKey))
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.keyState().userKeys[ssh.FingerprintSHA256(pk)] = user
	return nil
}
