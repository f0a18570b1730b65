package main

import (
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	events := strings.Join([]string{
		`{"Action":"run","Package":"m/internal/p","Test":"TestSlow"}`,
		`{"Action":"output","Package":"m/internal/p","Test":"TestSlow","Output":"=== RUN   TestSlow\n"}`,
		`{"Action":"output","Package":"m/internal/p","Test":"TestSlow","Output":"    slow_test.go:9: chatter of a passing test\n"}`,
		`{"Action":"pass","Package":"m/internal/p","Test":"TestSlow","Elapsed":12.5}`,
		`{"Action":"output","Package":"m/internal/p","Test":"TestBroken/sub","Output":"    broken_test.go:7: want 2, got 3\n"}`,
		`{"Action":"fail","Package":"m/internal/p","Test":"TestBroken/sub","Elapsed":0.5}`,
		`{"Action":"fail","Package":"m/internal/p","Test":"TestBroken","Elapsed":0.75}`,
		`{"Action":"pass","Package":"m/internal/p","Test":"TestQuick","Elapsed":0.01}`,
		`{"Action":"output","Package":"m/internal/p","Output":"FAIL\n"}`,
		`{"Action":"output","Package":"m/internal/p","Output":"FAIL\tm/internal/p\t13.3s\n"}`,
		`{"Action":"fail","Package":"m/internal/p","Elapsed":13.3}`,
		`{"Action":"output","Package":"m/internal/q","Output":"ok  \tm/internal/q\t0.1s\n"}`,
		`{"Action":"pass","Package":"m/internal/q","Elapsed":0.1}`,
	}, "\n")
	var out strings.Builder
	failed, err := report(strings.NewReader(events), &out, 2)
	if err != nil || !failed {
		t.Fatalf("failed %v, err %v; want a failure reported", failed, err)
	}
	got := out.String()
	for _, want := range []string{"want 2, got 3", "FAIL\tm/internal/p\t13.3s", "ok  \tm/internal/q", "    12.5  p TestSlow\n     0.8  p TestBroken\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"chatter of a passing test", "TestQuick", "=== RUN"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("report has %q:\n%s", unwanted, got)
		}
	}
	failed, _ = report(strings.NewReader(`{"Action":"pass","Package":"m/internal/q","Elapsed":0.1}`), &out, 2)
	if failed {
		t.Error("a passing run reported as failed")
	}
	// A test the timeout killed has no end event: its output is shown.
	out.Reset()
	failed, _ = report(strings.NewReader(`{"Action":"output","Package":"m/internal/p","Test":"TestHangs","Output":"    hang_test.go:3: waiting\n"}`), &out, 2)
	if !failed || !strings.Contains(out.String(), "DID NOT FINISH: p TestHangs") || !strings.Contains(out.String(), "waiting") {
		t.Errorf("an unfinished test: failed %v, report:\n%s", failed, out.String())
	}
}
