package catalog

// SSHKeyType is one SSH public key type an access key may have, by the name
// in its authorized_keys line and its blob.
type SSHKeyType struct {
	// Name is the type as OpenSSH writes it ("ssh-ed25519").
	Name string
	// Algorithm is the type as Data Center's RestSshKey.algorithmType names
	// it; the provider's key_algorithm reports the same word.
	Algorithm string
	// Cloud and DataCenter: the product accepts the type for access keys.
	Cloud, DataCenter bool
}

// SSHKeyTypes are the key types of access keys. Sources (recorded in
// internal/emulator/README.md "SSH access keys", which
// TestSSHKeyTypesMatchTheRecordedSources reads): Bitbucket Cloud accepts
// Ed25519, ECDSA, RSA and DSA in authorized_keys format
// (https://support.atlassian.com/bitbucket-cloud/docs/supported-ssh-key-formats/);
// Data Center also the security-key types ED25519-SK and ECDSA-SK
// (https://confluence.atlassian.com/bitbucketserver0814/ssh-access-keys-for-system-use-1305643425.html),
// and its administrators may narrow the list (not modelled).
var SSHKeyTypes = []SSHKeyType{
	{Name: "ssh-ed25519", Algorithm: "ED25519", Cloud: true, DataCenter: true},
	{Name: "ecdsa-sha2-nistp256", Algorithm: "ECDSA", Cloud: true, DataCenter: true},
	{Name: "ecdsa-sha2-nistp384", Algorithm: "ECDSA", Cloud: true, DataCenter: true},
	{Name: "ecdsa-sha2-nistp521", Algorithm: "ECDSA", Cloud: true, DataCenter: true},
	{Name: "ssh-rsa", Algorithm: "RSA", Cloud: true, DataCenter: true},
	{Name: "ssh-dss", Algorithm: "DSA", Cloud: true, DataCenter: true},
	{Name: "sk-ssh-ed25519@openssh.com", Algorithm: "ED25519_SK", DataCenter: true},
	{Name: "sk-ecdsa-sha2-nistp256@openssh.com", Algorithm: "ECDSA_SK", DataCenter: true},
}

// CloudMinRSABits is the smallest RSA access key Bitbucket Cloud accepts
// (same Cloud page: "RSA (rsa) 2048"). Data Center sets no minimum unless
// an administrator does.
const CloudMinRSABits = 2048

// CloudSSHKeyTypes are the Names Bitbucket Cloud accepts.
func CloudSSHKeyTypes() []string { return sshKeyNames(func(k SSHKeyType) bool { return k.Cloud }) }

// DataCenterSSHKeyTypes are the Names Bitbucket Data Center accepts.
func DataCenterSSHKeyTypes() []string {
	return sshKeyNames(func(k SSHKeyType) bool { return k.DataCenter })
}

func sshKeyNames(keep func(SSHKeyType) bool) []string {
	var out []string
	for _, k := range SSHKeyTypes {
		if keep(k) {
			out = append(out, k.Name)
		}
	}
	return out
}

// SSHKeyAlgorithm is the Algorithm of the type name ("" when unknown).
func SSHKeyAlgorithm(name string) string {
	for _, k := range SSHKeyTypes {
		if k.Name == name {
			return k.Algorithm
		}
	}
	return ""
}
