package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-version"
)

// Tests of features newer than the provider's minimum (Terraform 1.11) run
// with a newer Terraform, found in this order:
//
//  1. TF_ACC_TERRAFORM_NEWER_PATH (make test sets it from ../shared/terraform);
//  2. shared/terraform/unpack in a folder above the repository (CI clones the
//     repository next to a copy of shared/);
//  3. terraform on PATH, when it is new enough.
//
// Otherwise the test skips and says what it needs. TF_ACC_REQUIRE_NEWER_TERRAFORM
// (set by make test when shared/ is there) turns that skip into a failure, so
// CI cannot skip them silently. Only the calling test is pointed at the newer
// binary (t.Setenv of TF_ACC_TERRAFORM_PATH): the rest of the suite keeps the
// minimum version from PATH. Such tests must not be parallel.

// Minimum Terraform versions of the features tested.
var (
	terraformIdentity = version.Must(version.NewVersion("1.12.0")) // resource identity
	terraformQuery    = version.Must(version.NewVersion("1.14.0")) // list resources, terraform query
	terraformActions  = version.Must(version.NewVersion("1.14.0")) // actions (action blocks, -invoke)
)

var newerTerraform struct {
	once    sync.Once
	path    string
	version *version.Version
	err     error
}

// findNewerTerraform looks for the newer binary once per test run.
func findNewerTerraform() (string, *version.Version, error) {
	newerTerraform.once.Do(func() {
		path := os.Getenv("TF_ACC_TERRAFORM_NEWER_PATH")
		if path == "" {
			if unpack := findSharedUnpack(); unpack != "" {
				out, err := exec.Command(unpack).Output()
				if err != nil {
					newerTerraform.err = fmt.Errorf("%s failed: %w", unpack, err)
					return
				}
				path = strings.TrimSpace(string(out))
			}
		}
		if path == "" {
			path, _ = exec.LookPath("terraform")
		}
		if path == "" {
			return
		}
		newerTerraform.path = path
		newerTerraform.version, newerTerraform.err = terraformVersionOf(path)
	})
	return newerTerraform.path, newerTerraform.version, newerTerraform.err
}

// findSharedUnpack finds shared/terraform/unpack in a parent folder.
func findSharedUnpack() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		candidate := filepath.Join(dir, "shared", "terraform", "unpack")
		if info, err := os.Stat(candidate); err == nil && !info.IsDir() {
			return candidate
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// terraformVersionOf asks a terraform (or tofu) binary its version.
func terraformVersionOf(path string) (*version.Version, error) {
	out, err := exec.Command(path, "version", "-json").Output()
	if err != nil {
		return nil, fmt.Errorf("%s version -json: %w", path, err)
	}
	var v struct {
		TerraformVersion string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return nil, fmt.Errorf("%s version -json: %w", path, err)
	}
	return version.NewVersion(v.TerraformVersion)
}

// useTerraformAtLeast points this test at a Terraform of at least minimum (for
// the feature named) or skips it, saying why. It records the outcome in the
// report file NEWER_TERRAFORM_REPORT when that is set (make test prints it),
// and returns the binary's path (for tests that run it themselves).
func useTerraformAtLeast(t *testing.T, minimum *version.Version, feature string) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	// A binary chosen by the caller (e.g. the OpenTofu run) is kept when new enough.
	if chosen := os.Getenv("TF_ACC_TERRAFORM_PATH"); chosen != "" && strings.Contains(filepath.Base(chosen), "tofu") {
		// OpenTofu numbers its versions on its own: 1.12 has resource identity
		// (these tests pass with it) but no list resources or query command.
		if minimum == terraformActions {
			msg := "skipped: OpenTofu has no actions (action blocks, -invoke)"
			reportNewerTerraform(t, msg)
			t.Skip(msg)
		}
		if minimum.Equal(terraformQuery) {
			msg := "skipped: OpenTofu has no terraform query (list resources)"
			reportNewerTerraform(t, msg)
			t.Skip(msg)
		}
		reportNewerTerraform(t, "ran with OpenTofu at "+chosen)
		return chosen
	} else if chosen != "" {
		if v, err := terraformVersionOf(chosen); err == nil && !v.LessThan(minimum) {
			reportNewerTerraform(t, fmt.Sprintf("ran with %s %s", filepath.Base(chosen), v))
			return chosen
		}
	}
	path, v, err := findNewerTerraform()
	if err != nil {
		t.Fatalf("finding a Terraform >= %s for %s: %s", minimum, feature, err)
	}
	if path == "" || v == nil || v.LessThan(minimum) {
		have := "no terraform on PATH"
		if v != nil {
			have = "the newest found is " + v.String()
		}
		msg := fmt.Sprintf("skipped: %s needs Terraform >= %s; %s. Put shared/terraform beside the repository "+
			"or set TF_ACC_TERRAFORM_NEWER_PATH to a newer terraform", feature, minimum, have)
		reportNewerTerraform(t, msg)
		if os.Getenv("TF_ACC_REQUIRE_NEWER_TERRAFORM") != "" {
			t.Fatalf("TF_ACC_REQUIRE_NEWER_TERRAFORM is set but this test would be %s", msg)
		}
		t.Skip(msg)
	}
	t.Setenv("TF_ACC_TERRAFORM_PATH", path)
	reportNewerTerraform(t, fmt.Sprintf("ran with terraform %s", v))
	return path
}

var reportMu sync.Mutex

func reportNewerTerraform(t *testing.T, line string) {
	file := os.Getenv("NEWER_TERRAFORM_REPORT")
	if file == "" {
		return
	}
	reportMu.Lock()
	defer reportMu.Unlock()
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Logf("cannot write %s: %s", file, err)
		return
	}
	if _, err := fmt.Fprintf(f, "%s: %s\n", t.Name(), line); err != nil {
		t.Logf("cannot write %s: %s", file, err)
	}
	if err := f.Close(); err != nil {
		t.Logf("cannot write %s: %s", file, err)
	}
}
