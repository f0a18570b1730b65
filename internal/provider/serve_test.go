package provider

import (
	"maps"
	"testing"
)

// Terraform keeps a provider's log lines at TF_LOG_PROVIDER, else TF_LOG,
// else none (internal/logging of hashicorp/terraform: providerLogLevel and
// parseLogLevel, where "" is Off and JSON is trace). The provider's loggers
// follow it, unless the user set them.
func TestMatchTerraformLogLevel(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string // the variables set, beyond env
	}{
		{"no logging", map[string]string{}, map[string]string{
			"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_PROVIDER_BITBUCKET": "off"}},
		{"TF_LOG", map[string]string{"TF_LOG": "DEBUG"}, map[string]string{
			"TF_LOG_SDK": "DEBUG", "TF_LOG_SDK_PROTO": "DEBUG", "TF_LOG_SDK_FRAMEWORK": "DEBUG", "TF_LOG_PROVIDER_BITBUCKET": "DEBUG"}},
		{"TF_LOG_PROVIDER wins", map[string]string{"TF_LOG": "trace", "TF_LOG_PROVIDER": "info"}, map[string]string{
			"TF_LOG_SDK": "info", "TF_LOG_SDK_PROTO": "info", "TF_LOG_SDK_FRAMEWORK": "info", "TF_LOG_PROVIDER_BITBUCKET": "info"}},
		{"JSON is trace", map[string]string{"TF_LOG": "JSON"}, map[string]string{
			"TF_LOG_SDK": "trace", "TF_LOG_SDK_PROTO": "trace", "TF_LOG_SDK_FRAMEWORK": "trace", "TF_LOG_PROVIDER_BITBUCKET": "trace"}},
		{"the user's own setting stays", map[string]string{"TF_LOG_SDK_FRAMEWORK": "trace"}, map[string]string{
			"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_PROVIDER_BITBUCKET": "off"}},
		{"unknown level: untouched", map[string]string{"TF_LOG": "verbose"}, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(tc.env)
			got := map[string]string{}
			matchTerraformLogLevel(func(k string) (string, bool) { v, ok := env[k]; return v, ok },
				func(k, v string) error { got[k] = v; env[k] = v; return nil })
			if !maps.Equal(got, tc.want) {
				t.Errorf("set %v, want %v", got, tc.want)
			}
		})
	}
}
