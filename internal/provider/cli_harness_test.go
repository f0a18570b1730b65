package provider

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// cliHarness runs the real terraform CLI against the real provider binary
// (built once per test binary, loaded through dev_overrides), the way a user
// does. The secrets audit needs what a user sees (plan output, diagnostics,
// TF_LOG files) and the benchmarks need a separate provider process; the
// in-process factories of terraform-plugin-testing give neither.
type cliHarness struct {
	tb  testing.TB
	dir string
	env []string
	bin string // terraform binary; "" = terraform on PATH
}

var builtProvider struct {
	once sync.Once
	dir  string
	err  error
}

// providerBinaryDir builds the provider into a temporary directory once.
func providerBinaryDir(tb testing.TB) string {
	tb.Helper()
	builtProvider.once.Do(func() {
		// Shared by every test in the binary, so not tb.TempDir (which
		// vanishes with the first test).
		dir, err := os.MkdirTemp("", "bitbucket-provider-bin") //nolint:usetesting
		if err != nil {
			builtProvider.err = err
			return
		}
		_, thisFile, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(thisFile), "..", "..")
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "terraform-provider-bitbucket"), ".")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			builtProvider.err = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		builtProvider.dir = dir
	})
	if builtProvider.err != nil {
		tb.Fatal(builtProvider.err)
	}
	return builtProvider.dir
}

// newCLIHarness prepares a working directory whose terraform uses the built
// provider, with env (e.g. BITBUCKET_* settings) added to the environment.
func newCLIHarness(tb testing.TB, env map[string]string) *cliHarness {
	tb.Helper()
	if os.Getenv("TF_ACC") == "" {
		tb.Skip("drives the terraform CLI: set TF_ACC=1 (make test does)")
	}
	bin := providerBinaryDir(tb)
	dir := tb.TempDir()
	rc := filepath.Join(dir, "terraformrc")
	rcText := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"bitbucket-iac/bitbucket\" = %q\n  }\n  direct {}\n}\n", bin)
	if err := os.WriteFile(rc, []byte(rcText), 0o600); err != nil {
		tb.Fatal(err)
	}
	h := &cliHarness{tb: tb, dir: dir}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "BITBUCKET_") || strings.HasPrefix(name, "TF_") {
			continue
		}
		h.env = append(h.env, kv)
	}
	h.env = append(h.env, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	for k, v := range env {
		h.env = append(h.env, k+"="+v)
	}
	return h
}

// writeConfig replaces the working directory's configuration.
func (h *cliHarness) writeConfig(hcl string) {
	h.tb.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, "main.tf"), []byte(hcl), 0o600); err != nil {
		h.tb.Fatal(err)
	}
}

// terraform runs one command with extra environment and returns everything
// it printed; err is non-nil when it exited non-zero.
func (h *cliHarness) terraform(extraEnv []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := h.bin
	if bin == "" {
		bin = "terraform"
	}
	cmd := exec.CommandContext(ctx, bin, append(args, "-no-color")...)
	cmd.Dir = h.dir
	cmd.Env = append(append([]string{}, h.env...), extraEnv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
