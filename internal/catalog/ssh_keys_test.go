package catalog

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestSSHKeyTypesMatchTheRecordedSources: the key types of each product
// are exactly those the emulator README's "Key types and sizes" note
// records from Atlassian's pages (with their addresses), and Cloud's RSA
// minimum is the one it quotes; a change on either side fails here.
func TestSSHKeyTypesMatchTheRecordedSources(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "emulator", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(raw)), " ")
	note := regexp.MustCompile(`\*\*Key types and sizes\.\*\* Cloud: (.*?), in OpenSSH authorized_keys format only \((https://support\.atlassian\.com/[^)]+)\)\. Data Center: (.*?); an administrator`).FindStringSubmatch(text)
	if note == nil {
		t.Fatal(`emulator README has no "Key types and sizes" note in the expected form`)
	}
	// "Ed25519 (256), RSA (at least 2048)" -> ED25519, RSA; the RSA minimum.
	words := func(list string) []string {
		var out []string
		for _, item := range strings.Split(list, ",") {
			w, _, _ := strings.Cut(strings.TrimSpace(item), " ")
			out = append(out, strings.ReplaceAll(strings.ToUpper(w), "-", "_"))
		}
		return slices.Sorted(slices.Values(out))
	}
	algorithms := func(keep func(SSHKeyType) bool) []string {
		var out []string
		for _, k := range SSHKeyTypes {
			if keep(k) && !slices.Contains(out, k.Algorithm) {
				out = append(out, k.Algorithm)
			}
		}
		return slices.Sorted(slices.Values(out))
	}
	if got, want := algorithms(func(k SSHKeyType) bool { return k.Cloud }), words(note[1]); !slices.Equal(got, want) {
		t.Errorf("Cloud key types %v, the recorded source lists %v", got, want)
	}
	if got, want := algorithms(func(k SSHKeyType) bool { return k.DataCenter }), words(note[3]); !slices.Equal(got, want) {
		t.Errorf("Data Center key types %v, the recorded source lists %v", got, want)
	}
	minimum := regexp.MustCompile(`RSA \(at least (\d+)\)`).FindStringSubmatch(note[1])
	if minimum == nil {
		t.Fatal("the Cloud note gives no RSA minimum")
	}
	if n, _ := strconv.Atoi(minimum[1]); n != CloudMinRSABits {
		t.Errorf("CloudMinRSABits = %d, the recorded source says %d", CloudMinRSABits, n)
	}
}

// TestSSHKeyTypesAreASet: one entry per type name, and Algorithm is
// defined for every name.
func TestSSHKeyTypesAreASet(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range SSHKeyTypes {
		if seen[k.Name] || k.Algorithm == "" || (!k.Cloud && !k.DataCenter) {
			t.Errorf("bad or repeated entry %+v", k)
		}
		seen[k.Name] = true
		if SSHKeyAlgorithm(k.Name) != k.Algorithm {
			t.Errorf("SSHKeyAlgorithm(%q) = %q", k.Name, SSHKeyAlgorithm(k.Name))
		}
	}
}
