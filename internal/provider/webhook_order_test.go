package provider

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// TestWebhookOrdering: the documented order of webhooks (creation time,
// then id; numeric ids as numbers) and of their events (sorted), whatever
// order the server keeps them in, on both products. Import by name, the
// connection's lookup and the list resources rely on it being stable.
func TestWebhookOrdering(t *testing.T) {
	bothProducts(t, func(t *testing.T, product emulator.Product) {
		srv := startEmulator(t, product)
		ws := seededWorkspace(product)
		cfg := bitbucket.Config{BaseURL: srv.BaseURL(), RequestTimeout: 10 * time.Second}
		events := []string{"repo:push", "pullrequest:created", "pullrequest:approved"}
		if product == emulator.Cloud {
			cfg.Product, cfg.Username, cfg.Token = bitbucket.ProductCloud, emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken
		} else {
			cfg.Product, cfg.Username, cfg.Token = bitbucket.ProductDataCenter, emulator.DCAdminUser, emulator.DCAdminPassword
			events = []string{"repo:refs_changed", "pr:opened", "pr:merged"}
		}
		ctx := context.Background()
		client, err := bitbucket.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		scope := bitbucket.WebhookScope{Workspace: ws, Repository: "api-service"}
		t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		create := func(name string, at time.Time) string {
			srv.SetNow(at)
			hook, err := client.CreateWebhook(ctx, scope, bitbucket.WebhookInput{Name: name, URL: "https://ci.example.com/" + name,
				Events: events, Active: true})
			if err != nil {
				t.Fatal(err)
			}
			return hook.ID
		}
		// Made out of creation order; then a run of hooks made at one instant.
		create("third", t0.Add(2*time.Hour))
		create("first", t0)
		create("second", t0.Add(time.Hour))
		var same []string
		for i := range 11 {
			same = append(same, create(fmt.Sprintf("same-%02d", i), t0.Add(3*time.Hour)))
		}
		hooks, err := client.ListWebhooks(ctx, scope)
		if err != nil {
			t.Fatal(err)
		}
		var names, sameIDs []string
		for _, h := range hooks {
			names = append(names, h.Name)
			if h.CreatedAt.Equal(t0.Add(3 * time.Hour)) {
				sameIDs = append(sameIDs, h.ID)
			}
			if !slices.IsSorted(h.Events) {
				t.Errorf("webhook %s: events %v are not sorted", h.ID, h.Events)
			}
		}
		if len(names) < 3 || !slices.Equal(names[:3], []string{"first", "second", "third"}) {
			t.Errorf("webhooks are not in creation order: %v", names)
		}
		want := slices.Clone(same)
		slices.SortFunc(want, func(a, b string) int {
			if product == emulator.DataCenter { // numbers: 9 before 10
				x, _ := strconv.Atoi(a)
				y, _ := strconv.Atoi(b)
				return x - y
			}
			switch {
			case a < b:
				return -1
			case a > b:
				return 1
			}
			return 0
		})
		if !slices.Equal(sameIDs, want) {
			t.Errorf("webhooks made at the same time are not ordered by id: %v, want %v", sameIDs, want)
		}
		if product == emulator.DataCenter && slices.Equal(want, slices.Sorted(slices.Values(want))) {
			t.Errorf("the ids %v do not tell numeric from text order; the test proves nothing", want)
		}
	})
}
