package provider

import (
	"context"
	"slices"
	"testing"
	"time"
)

// A scope's "before" listing is shared by the creates that ask within
// beforeListingTTL and listed again after it: an object another party made
// since then must not count as new to a later create (beforeCreate).
func TestLedgerBeforeListingExpires(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := &scopeLedger[string]{claimed: map[string]bool{}, inFlight: map[*pendingCreate[string]]bool{},
		now: func() time.Time { return now }}
	objects, lists := []string{"a"}, 0
	list := func(context.Context) ([]string, error) { lists++; return slices.Clone(objects), nil }
	id := func(o string) string { return o }
	ctx := context.Background()

	if _, err := s.beforeCreate(ctx, list, id); err != nil {
		t.Fatal(err)
	}
	objects = append(objects, "b") // another party creates b
	now = now.Add(beforeListingTTL / 2)
	before, err := s.beforeCreate(ctx, list, id)
	if err != nil || lists != 1 || before["b"] {
		t.Fatalf("within the TTL: %d lists, before %v, err %v; want the first listing shared", lists, before, err)
	}
	now = now.Add(beforeListingTTL)
	before, err = s.beforeCreate(ctx, list, id)
	if err != nil || lists != 2 || !before["b"] {
		t.Errorf("after the TTL: %d lists, before %v, err %v; want a new listing that holds b", lists, before, err)
	}
}
