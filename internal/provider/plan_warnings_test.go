package provider

import (
	"maps"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// planWarnings plans config against the harness's state and returns the
// warnings as "summary: detail" lines.
func planWarnings(t *testing.T, h *protocolHarness, config map[string]any) []string {
	t.Helper()
	if err := h.refresh(); err != nil {
		t.Fatal(err)
	}
	configValue, err := objectValue(h.schema, config)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := h.planResponse(configValue)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range plan.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityWarning {
			out = append(out, d.Summary+": "+d.Detail)
		}
	}
	return out
}

// with is config with the nested or top-level values of change replaced.
func with(config map[string]any, change map[string]any) map[string]any {
	out := maps.Clone(config)
	for k, v := range change {
		if nested, ok := v.(map[string]any); ok {
			if base, ok := out[k].(map[string]any); ok {
				merged := maps.Clone(base)
				maps.Copy(merged, nested)
				v = merged
			}
		}
		out[k] = v
	}
	return out
}

// TestPlanWarnsWhenAccessWidens: for every resource that grants access, a
// plan that widens it warns naming before and after; the same change back
// (a narrowing), and a change that grants nothing more, say nothing.
func TestPlanWarnsWhenAccessWidens(t *testing.T) {
	dcHook := map[string]any{"workspace": "PRJ", "repository": "api-service", "name": "ci", "url": "https://ci.example.com/hook",
		"events": []string{"repo:refs_changed"}}
	cloudHook := map[string]any{"workspace": emulator.CloudWorkspace, "repository": emulator.CloudRepository, "name": "ci",
		"url": "https://ci.example.com/hook", "events": []string{"repo:push"}}
	connection := map[string]any{"name": "svc", "workspace": "PRJ", "repository": "api-service",
		"managed_token": map[string]any{"level": "repository", "permissions": []string{"REPO_READ"}},
		"webhook":       map[string]any{"url": "https://svc.example.com/hook", "events": []string{"repo:refs_changed"}}}
	keyConnection := map[string]any{"name": "svc-key", "workspace": "PRJ", "repository": "api-service",
		"managed_access_key": map[string]any{"level": "repository", "permission": "REPO_READ"}}
	for _, tc := range []struct {
		name     string
		product  emulator.Product
		typeName string
		config   map[string]any
		widen    map[string]any
		same     map[string]any // a change that grants nothing more
		want     []string       // in the warning
	}{
		{"project token up a level", emulator.DataCenter, "bitbucket_project_access_token",
			map[string]any{"workspace": "PRJ", "name": "ci", "permissions": []string{"PROJECT_READ"}},
			map[string]any{"permissions": []string{"PROJECT_WRITE"}}, map[string]any{"name": "ci-renamed"},
			[]string{"the token's permissions", "from PROJECT_READ to PROJECT_WRITE"}},
		{"repository token gains a permission", emulator.DataCenter, "bitbucket_repository_access_token",
			map[string]any{"workspace": "PRJ", "repository": "api-service", "name": "ci", "permissions": []string{"REPO_READ"}},
			map[string]any{"permissions": []string{"REPO_ADMIN"}}, map[string]any{"name": "ci-renamed"},
			[]string{"from REPO_READ to REPO_ADMIN"}},
		{"user token on a new area", emulator.DataCenter, "bitbucket_user_access_token",
			map[string]any{"name": "ci", "permissions": []string{"REPO_WRITE"}},
			map[string]any{"permissions": []string{"PROJECT_READ", "REPO_WRITE"}}, map[string]any{"name": "ci-renamed"},
			[]string{"from REPO_WRITE to PROJECT_READ, REPO_WRITE (wider: PROJECT_READ)"}},
		{"Data Center webhook gains events", emulator.DataCenter, "bitbucket_repository_webhook", dcHook,
			map[string]any{"events": []string{"repo:refs_changed", "pr:opened"}}, map[string]any{"name": "ci-renamed"},
			[]string{"the events the webhook delivers", "from repo:refs_changed to pr:opened, repo:refs_changed (wider: pr:opened)"}},
		{"Cloud webhook gains events", emulator.Cloud, "bitbucket_repository_webhook", cloudHook,
			map[string]any{"events": []string{"repo:push", "pullrequest:created"}}, map[string]any{"url": "https://ci.example.com/other"},
			[]string{"(wider: pullrequest:created)"}},
		{"connection token up a level", emulator.DataCenter, "bitbucket_connection", connection,
			map[string]any{"managed_token": map[string]any{"permissions": []string{"REPO_WRITE"}}},
			map[string]any{"webhook": map[string]any{"url": "https://svc.example.com/other"}},
			[]string{"the managed token's permissions", "from REPO_READ to REPO_WRITE"}},
		{"connection token to a broader level", emulator.DataCenter, "bitbucket_connection", connection,
			map[string]any{"managed_token": map[string]any{"level": "project"}}, nil,
			[]string{"the managed token's level", "from repository to project"}},
		{"connection webhook gains events", emulator.DataCenter, "bitbucket_connection", connection,
			map[string]any{"webhook": map[string]any{"events": []string{"repo:refs_changed", "repo:modified"}}}, nil,
			[]string{"(wider: repo:modified)"}},
		{"repository key from read to write", emulator.DataCenter, "bitbucket_repository_access_key",
			map[string]any{"workspace": "PRJ", "repository": "api-service", "label": "ci", "permission": "REPO_READ"},
			map[string]any{"permission": "REPO_WRITE"}, nil,
			[]string{"the key's permission", "from REPO_READ to REPO_WRITE"}},
		{"project key from read to write", emulator.DataCenter, "bitbucket_project_access_key",
			map[string]any{"workspace": "PRJ", "label": "ci", "permission": "PROJECT_READ"},
			map[string]any{"permission": "PROJECT_WRITE"}, nil,
			[]string{"the key's permission", "from PROJECT_READ to PROJECT_WRITE"}},
		{"connection key from read to write", emulator.DataCenter, "bitbucket_connection", keyConnection,
			map[string]any{"managed_access_key": map[string]any{"permission": "REPO_WRITE"}}, nil,
			[]string{"the access key's permission", "from REPO_READ to REPO_WRITE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startEmulator(t, tc.product)
			h := newProtocolHarness(t, tc.typeName, matrixProviderConfig(srv))
			if w := planWarnings(t, h, tc.config); len(w) != 0 {
				t.Errorf("a create warns: %q", w)
			}
			if err := h.apply(tc.config); err != nil {
				t.Fatal(err)
			}
			widened := with(tc.config, tc.widen)
			w := planWarnings(t, h, widened)
			if len(w) != 1 || !strings.HasPrefix(w[0], "Applying widens access: ") {
				t.Fatalf("widening plan: warnings %q, want one \"Applying widens access\"", w)
			}
			for _, want := range tc.want {
				if !strings.Contains(w[0], want) {
					t.Errorf("warning %q does not say %q", w[0], want)
				}
			}
			if tc.same != nil {
				if w := planWarnings(t, h, with(tc.config, tc.same)); len(w) != 0 {
					t.Errorf("a change that grants nothing more warns: %q", w)
				}
			}
			if err := h.apply(widened); err != nil {
				t.Fatal(err)
			}
			if w := planWarnings(t, h, tc.config); len(w) != 0 {
				t.Errorf("the narrowing back warns: %q", w)
			}
		})
	}
}

// TestWideningRules: the rules on their own, including values the
// resources never send together.
func TestWideningRules(t *testing.T) {
	for _, tc := range []struct {
		name          string
		rule          func(before, after []string) (bool, []string)
		before, after []string
		want          bool
	}{
		{"read to write", widerPermissions, []string{"REPO_READ"}, []string{"REPO_WRITE"}, true},
		{"write to read", widerPermissions, []string{"REPO_WRITE"}, []string{"REPO_READ"}, false},
		{"admin to admin plus nothing", widerPermissions, []string{"PROJECT_ADMIN", "REPO_ADMIN"}, []string{"PROJECT_ADMIN"}, false},
		{"a new area", widerPermissions, []string{"REPO_ADMIN"}, []string{"REPO_ADMIN", "PROJECT_READ"}, true},
		{"one up, one down", widerPermissions, []string{"PROJECT_WRITE", "REPO_READ"}, []string{"PROJECT_READ", "REPO_WRITE"}, true},
		{"events dropped", moreEvents, []string{"a", "b"}, []string{"a"}, false},
		{"events swapped", moreEvents, []string{"a"}, []string{"b"}, true},
		{"repository to user", broaderLevel, []string{"repository"}, []string{"user"}, true},
		{"user to project", broaderLevel, []string{"user"}, []string{"project"}, false},
	} {
		if got, _ := tc.rule(tc.before, tc.after); got != tc.want {
			t.Errorf("%s: widens = %v, want %v", tc.name, got, tc.want)
		}
	}
	// A value not known yet is not compared.
	unknown := tftypes.NewValue(tftypes.Object{AttributeTypes: map[string]tftypes.Type{"permissions": tftypes.Set{ElementType: tftypes.String}}},
		map[string]tftypes.Value{"permissions": tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, tftypes.UnknownValue)})
	if _, ok := stringsAt(unknown, []string{"permissions"}); ok {
		t.Error("an unknown set was read as known")
	}
}

// TestPlanSaysWebhookSecretChangedOutsideTerraform: a secret the
// configuration sets but that was changed (Data Center returns it) or
// removed outside Terraform plans `secret_set = false -> true`; the plan
// warns which happened and that nothing is removed. After the apply the
// plan is clean and silent.
func TestPlanSaysWebhookSecretChangedOutsideTerraform(t *testing.T) {
	for _, tc := range []struct {
		name    string
		product emulator.Product
		secret  map[string]any
		handSet string // the secret set by hand ("" removes it)
		want    string
	}{
		{"Data Center write-only, changed", emulator.DataCenter, map[string]any{"secret_wo": "configured-secret", "secret_wo_version": 1}, "changed-by-hand", "Webhook secret changed outside Terraform"},
		{"Data Center write-only, removed", emulator.DataCenter, map[string]any{"secret_wo": "configured-secret", "secret_wo_version": 1}, "", "Webhook secret removed outside Terraform"},
		{"Cloud write-only, removed", emulator.Cloud, map[string]any{"secret_wo": "configured-secret", "secret_wo_version": 1}, "", "Webhook secret removed outside Terraform"},
		{"Cloud secret, removed", emulator.Cloud, map[string]any{"secret": "configured-secret"}, "", "Webhook secret removed outside Terraform"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startEmulator(t, tc.product)
			config := map[string]any{"workspace": seededWorkspace(tc.product), "repository": "api-service", "name": "ci",
				"url": "https://ci.example.com/hook", "events": []string{strings.Trim(pushEvents(tc.product), `["]`)}}
			maps.Copy(config, tc.secret)
			h := newProtocolHarness(t, "bitbucket_repository_webhook", matrixProviderConfig(srv))
			if err := h.apply(config); err != nil {
				t.Fatal(err)
			}
			_, id := h.inState()
			if err := srv.UpdateWebhook(id, func(w *emulator.Webhook) { w.Secret = tc.handSet }); err != nil {
				t.Fatal(err)
			}
			w := planWarnings(t, h, config)
			if len(w) != 1 || !strings.HasPrefix(w[0], tc.want+": ") || !strings.Contains(w[0], "secret_set = false -> true") ||
				!strings.Contains(w[0], "Nothing is removed") {
				t.Fatalf("plan after the secret was set by hand to %q: warnings %q, want one %q that explains secret_set", tc.handSet, w, tc.want)
			}
			if strings.Contains(w[0], "configured-secret") || (tc.handSet != "" && strings.Contains(w[0], tc.handSet)) {
				t.Errorf("the warning shows a secret: %s", w[0])
			}
			if err := h.apply(config); err != nil {
				t.Fatal(err)
			}
			if w := planWarnings(t, h, config); len(w) != 0 {
				t.Errorf("after the apply the plan still warns: %q", w)
			}
		})
	}
}
