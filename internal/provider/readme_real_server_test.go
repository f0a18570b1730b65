package provider

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// readmeRealServerCommands are the README's "Pointing the demo at a real
// server" commands: for each product, the environment the export line sets
// and the arguments of its terraform apply.
func readmeRealServerCommands(t *testing.T) map[string]struct {
	env  []string // variable names the export line sets
	args []string // terraform apply's -var arguments, as written
} {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, found := strings.Cut(string(b), "### Pointing the demo at a real server")
	if !found {
		t.Fatal("README has no section \"Pointing the demo at a real server\"")
	}
	_, block, _ := strings.Cut(section, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	out := map[string]struct {
		env  []string
		args []string
	}{}
	var env []string
	for _, line := range strings.Split(block, "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) > 0 && fields[0] == "export":
			env = nil
			for _, f := range fields[1:] {
				name, _, _ := strings.Cut(f, "=")
				env = append(env, name)
			}
		case strings.Contains(line, "terraform apply"):
			_, apply, _ := strings.Cut(line, "terraform apply")
			var args []string
			product := ""
			words := strings.Fields(apply)
			for i := 0; i+1 < len(words); i++ {
				if words[i] == "-var" {
					args = append(args, words[i+1])
					if v, ok := strings.CutPrefix(words[i+1], "product="); ok {
						product = v
					}
				}
			}
			out[product] = struct {
				env  []string
				args []string
			}{env, args}
		}
	}
	return out
}

// TestAccReadmeRealServerCommands runs the README's commands for pointing
// the quickstart at a real server, as written, against the emulator of each
// product (the base URL swapped for the emulator's, "..." for values the
// emulator accepts): they apply, and the next plan is empty. Without one of
// the variables the README names, the example's own validation says what
// to set.
func TestAccReadmeRealServerCommands(t *testing.T) {
	commands := readmeRealServerCommands(t)
	quickstart, err := os.ReadFile(filepath.Join(examplesDir, "quickstart", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, product := range []emulator.Product{emulator.DataCenter, emulator.Cloud} {
		t.Run(string(product), func(t *testing.T) {
			t.Parallel()
			name := map[emulator.Product]string{emulator.DataCenter: "datacenter", emulator.Cloud: "cloud"}[product]
			cmd, ok := commands[name]
			if !ok {
				t.Fatalf("the README has no command with -var product=%s", name)
			}
			srv := startEmulator(t, product)
			credentials := map[string]string{"BITBUCKET_BASE_URL": srv.BaseURL()}
			if product == emulator.Cloud {
				credentials["BITBUCKET_USERNAME"], credentials["BITBUCKET_TOKEN"] = emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
				credentials["BITBUCKET_ACCESS_TOKEN"] = emulator.CloudAccessToken
			} else {
				credentials["BITBUCKET_USERNAME"], credentials["BITBUCKET_TOKEN"] = emulator.DCAdminUser, emulator.DCAdminPassword
				credentials["BITBUCKET_ACCESS_TOKEN"] = emulator.DCAdminToken
			}
			env := map[string]string{}
			for _, name := range cmd.env {
				v, known := credentials[name]
				if !known {
					t.Fatalf("the README's export line sets %s, which this test does not know", name)
				}
				env[name] = v
			}
			if product == emulator.Cloud {
				// The README relies on the default base URL (api.bitbucket.org).
				env["BITBUCKET_BASE_URL"], env["BITBUCKET_PRODUCT"] = srv.BaseURL(), "cloud"
			}
			filled := map[string]string{"webhook_secret": "readme-secret", "service_token": emulator.CloudAccessToken}
			var args []string
			for _, a := range cmd.args {
				name, value, _ := strings.Cut(a, "=")
				if value == "..." {
					value = filled[name]
				}
				args = append(args, "-var", name+"="+value)
			}
			h := newCLIHarness(t, env)
			h.writeConfig(string(quickstart))
			if out, err := h.terraform(nil, append([]string{"apply", "-auto-approve", "-input=false"}, args...)...); err != nil {
				t.Fatalf("terraform apply %s, as the README says: %v\n%s", strings.Join(cmd.args, " "), err, out)
			}
			if out, err := h.terraform(nil, append([]string{"plan", "-input=false", "-detailed-exitcode"}, args...)...); err != nil {
				t.Errorf("the plan after the apply is not empty: %v\n%s", err, out)
			}

			// Each variable the README names is needed: without it the
			// example's validation (or Terraform) names it.
			for i := 0; i < len(args); i += 2 {
				name, _, _ := strings.Cut(args[i+1], "=")
				rest := append(append([]string{}, args[:i]...), args[i+2:]...)
				out, err := h.terraform(nil, append([]string{"plan", "-input=false"}, rest...)...)
				if err == nil || !strings.Contains(out, name) {
					t.Errorf("without -var %s the plan %s:\n%s", name, map[bool]string{true: "succeeds", false: "does not name it"}[err == nil], out)
				}
			}
		})
	}
}
