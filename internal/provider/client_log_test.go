package provider

import (
	"bytes"
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// The client's lines reach Terraform's log under the provider.bitbucket
// module, at their level, with their fields.
func TestTflogLoggerWritesTheClientsLines(t *testing.T) {
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)
	var l tflogLogger
	for _, level := range []bitbucket.LogLevel{bitbucket.LogTrace, bitbucket.LogDebug, bitbucket.LogWarn} {
		if !l.Enabled(ctx, level) {
			t.Errorf("level %d disabled under a trace root logger", level)
		}
	}
	l.Log(ctx, bitbucket.LogTrace, "t-line", map[string]any{"status": 200})
	l.Log(ctx, bitbucket.LogDebug, "d-line", nil)
	l.Log(ctx, bitbucket.LogWarn, "w-line", nil)
	entries, err := tflogtest.MultilineJSONDecode(&out)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ msg, level string }{{"t-line", "trace"}, {"d-line", "debug"}, {"w-line", "warn"}}
	if len(entries) != len(want) {
		t.Fatalf("%d lines, want %d: %v", len(entries), len(want), entries)
	}
	for i, w := range want {
		e := entries[i]
		if e["@message"] != w.msg || e["@level"] != w.level || e["@module"] != "provider.bitbucket" {
			t.Errorf("line %d = %v, want %s at %s in provider.bitbucket", i, e, w.msg, w.level)
		}
	}
	if entries[0]["status"] != float64(200) {
		t.Errorf("fields lost: %v", entries[0])
	}
	// Without Terraform's logger in the context nothing is enabled.
	if l.Enabled(context.Background(), bitbucket.LogWarn) {
		t.Error("enabled without a logger in the context")
	}
}
