package catalog

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCloudWebhookEventsMatchTheOpenAPIEnum: the Cloud event catalogue is
// exactly the enum of the Cloud OpenAPI file the repository holds, so a new
// or removed event in a refreshed file fails here.
func TestCloudWebhookEventsMatchTheOpenAPIEnum(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "emulator", "conformance", "testdata", "cloud.openapi3.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				WebhookSubscription struct {
					AllOf []struct {
						Properties struct {
							Events struct {
								Items struct {
									Enum []string `json:"enum"`
								} `json:"items"`
							} `json:"events"`
						} `json:"properties"`
					} `json:"allOf"`
				} `json:"webhook_subscription"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var enum []string
	for _, part := range doc.Components.Schemas.WebhookSubscription.AllOf {
		enum = append(enum, part.Properties.Events.Items.Enum...)
	}
	if len(enum) == 0 {
		t.Fatal("no events enum in webhook_subscription")
	}
	got, want := slices.Sorted(slices.Values(CloudWebhookEvents)), slices.Sorted(slices.Values(enum))
	if !slices.Equal(got, want) {
		t.Errorf("CloudWebhookEvents = %v\nOpenAPI enum       = %v", got, want)
	}
}

// TestDataCenterCatalogueHasNoDuplicates keeps the lists sets.
func TestDataCenterCatalogueHasNoDuplicates(t *testing.T) {
	all := append(slices.Clone(DataCenterRepositoryWebhookEvents), DataCenterProjectOnlyWebhookEvents...)
	all = append(all, CloudWebhookEvents...)
	seen := map[string]bool{}
	for _, e := range all {
		if seen[e] {
			t.Errorf("%q listed twice", e)
		}
		seen[e] = true
	}
}
