// Package release checks what `goreleaser release --snapshot` wrote: the
// files the Terraform registry needs from a provider release.
package release

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseArtefacts runs when RELEASE_DIST names goreleaser's dist
// folder (make release-check and make release-snapshot set it). For every
// platform built it wants the zip the registry expects
// (<name>_<version>_<os>_<arch>.zip holding exactly the provider binary
// <name>_v<version>, .exe on Windows, of that OS), the SHA256SUMS listing
// every zip and the manifest with their true hashes, the manifest being
// terraform-registry-manifest.json (protocol 6.0).
func TestReleaseArtefacts(t *testing.T) {
	dist := os.Getenv("RELEASE_DIST")
	if dist == "" {
		t.Skip("checks a goreleaser dist folder: run make release-check (part of make test)")
	}
	var meta struct {
		ProjectName string `json:"project_name"`
		Version     string `json:"version"`
	}
	readJSON(t, filepath.Join(dist, "metadata.json"), &meta)
	if meta.ProjectName != "terraform-provider-bitbucket" || meta.Version == "" {
		t.Fatalf("metadata.json: project %q version %q", meta.ProjectName, meta.Version)
	}
	var artifacts []struct {
		Name   string `json:"name"`
		Path   string `json:"path"`
		Goos   string `json:"goos"`
		Goarch string `json:"goarch"`
		Type   string `json:"type"`
	}
	readJSON(t, filepath.Join(dist, "artifacts.json"), &artifacts)

	prefix := meta.ProjectName + "_" + meta.Version
	sums := readSums(t, filepath.Join(dist, prefix+"_SHA256SUMS"))
	zips := 0
	for _, a := range artifacts {
		if a.Type != "Archive" {
			continue
		}
		zips++
		want := fmt.Sprintf("%s_%s_%s.zip", prefix, a.Goos, a.Goarch)
		if a.Name != want {
			t.Errorf("archive %q, want the registry's name %q", a.Name, want)
		}
		checkZip(t, filepath.Join(dist, a.Name), meta.ProjectName+"_v"+meta.Version, a.Goos)
		checkSum(t, sums, dist, a.Name)
	}
	if zips == 0 {
		t.Fatal("artifacts.json lists no archive")
	}
	// The manifest is uploaded (release.extra_files) under this name from
	// terraform-registry-manifest.json; a snapshot does not copy it to dist,
	// but SHA256SUMS must list it with that file's hash.
	manifest := prefix + "_manifest.json"
	got, err := os.ReadFile("../../terraform-registry-manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(got)
	if sums[manifest] != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256SUMS has %q for %s, terraform-registry-manifest.json hashes to %x", sums[manifest], manifest, sum)
	}
	var m struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(got, &m); err != nil || m.Version != 1 || strings.Join(m.Metadata.ProtocolVersions, ",") != "6.0" {
		t.Errorf("manifest %s: want version 1, protocol_versions [6.0] (the provider serves protocol 6)", got)
	}
	if len(sums) != zips+1 {
		t.Errorf("SHA256SUMS has %d entries, want %d zips + the manifest", len(sums), zips)
	}
}

func readJSON(t *testing.T, file string, into any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// readSums reads a SHA256SUMS file: "<hex>  <name>" per line.
func readSums(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			t.Fatalf("%s: malformed line %q", file, sc.Text())
		}
		sums[name] = sum
	}
	return sums
}

func checkSum(t *testing.T, sums map[string]string, dist, name string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dist, name))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); sums[name] != got {
		t.Errorf("SHA256SUMS has %q for %s, the file's hash is %s", sums[name], name, got)
	}
}

// checkZip wants exactly one file, the provider binary for goos.
func checkZip(t *testing.T, file, binary, goos string) {
	t.Helper()
	if goos == "windows" {
		binary += ".exe"
	}
	r, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
	}
	if len(r.File) != 1 || r.File[0].Name != binary {
		t.Fatalf("%s holds %v, want only %s", filepath.Base(file), names, binary)
	}
	rc, err := r.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	head := make([]byte, 4)
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatal(err)
	}
	magic := map[string][]byte{"windows": []byte("MZ"), "darwin": {0xcf, 0xfa, 0xed, 0xfe}}[goos]
	if magic == nil {
		magic = []byte("\x7fELF")
	}
	if !bytes.HasPrefix(head, magic) {
		t.Errorf("%s in %s is not a %s executable (starts %x)", binary, filepath.Base(file), goos, head)
	}
}
