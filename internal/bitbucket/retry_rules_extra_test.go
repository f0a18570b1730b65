package bitbucket

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// The gate learns a rate from a refusal with Retry-After and forgets it
// when no refusal confirmed it for rateForget (rateGate): afterwards
// requests start without waiting again.
func TestRateGateForgetsAnUnconfirmedRate(t *testing.T) {
	clk := newFakeClock()
	g := &rateGate{clock: clk}
	ctx := context.Background()
	start := func() bool {
		t.Helper()
		ticket, waited, err := g.wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		g.answered(ticket)
		return waited
	}
	start()
	refusedTicket, _, err := g.wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := g.refused(refusedTicket); n != 1 {
		t.Fatalf("learned %d requests per window, want 1", n)
	}
	if !start() {
		t.Fatal("a second start within the window of the learned rate did not wait: the rate was not learned")
	}

	_ = clk.Sleep(ctx, rateForget+time.Second)
	start()
	if start() {
		t.Errorf("after %s without a refusal, a second start within a window still waited for the old rate", rateForget)
	}
}

// A Retry-After date already past asks for no wait, never a negative one.
func TestParseRetryAfterPastDate(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	d, ok := parseRetryAfter(now.Add(-time.Minute).Format(http.TimeFormat), now)
	if !ok || d != 0 {
		t.Errorf("parseRetryAfter(a minute ago) = %s, %v; want 0, true", d, ok)
	}
}
