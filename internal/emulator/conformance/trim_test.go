package conformance_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator/conformance"
)

// TestTrimmedSpecsAreCurrent re-trims the published descriptions committed
// under testdata/published and fails if the trimmed copies in testdata
// differ: a change to ProviderRoutes or to the trimming shows up here.
func TestTrimmedSpecsAreCurrent(t *testing.T) {
	for _, f := range conformance.SpecFiles {
		t.Run(f.Trimmed, func(t *testing.T) {
			want, _, err := conformance.TrimFile(filepath.FromSlash(conformance.PublishedDir), f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join("testdata", f.Trimmed))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("testdata/%s is stale: run `go run ./internal/emulator/conformance/trimspec` from the repository root", f.Trimmed)
			}
		})
	}
}

// TestTrimSpecRepairsAndPrunes trims a small document with the defects the
// Data Center file has (a repeated operationId, an undeclared path parameter)
// and checks what is kept.
func TestTrimSpecRepairsAndPrunes(t *testing.T) {
	// Two provider routes, each carrying one defect, plus an unrelated
	// operation and an unreferenced schema that must be dropped.
	const src = `{
 "openapi": "3.0.1", "info": {"title": "t", "version": "1"},
 "x-atlassian-narrative": {"documents": []},
 "tags": [{"name": "kept"}, {"name": "dropped"}],
 "paths": {
  "/api/latest/application-properties": {"get": {"operationId": "get", "tags": ["kept"],
    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}},
  "/api/latest/projects/{projectKey}": {
    "get": {"operationId": "get", "responses": {"200": {"description": "ok"}}},
    "delete": {"operationId": "other", "tags": ["dropped"], "responses": {"204": {"description": "gone"}}}},
  "/api/latest/unrelated": {"get": {"operationId": "unrelated", "responses": {"200": {"description": "ok",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Unused"}}}}}}}
 },
 "components": {"schemas": {
  "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
  "B": {"type": "string", "description": "kept because A references it"},
  "Unused": {"type": "string"}}}
}`
	routes := []conformance.Route{
		{Product: conformance.DataCenter, Method: "GET", Path: "/api/latest/application-properties"},
		{Product: conformance.DataCenter, Method: "GET", Path: "/api/latest/projects/{projectKey}"},
	}

	out, notes, err := conformance.TrimSpec(routes, "test.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := conformance.TrimSpec(routes, "test.json", []byte(src))
	if err != nil || !bytes.Equal(out, again) {
		t.Errorf("trimming is not deterministic (err %v)", err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string           `json:"operationId"`
			Parameters  []map[string]any `json:"parameters"`
		} `json:"paths"`
		Tags       []map[string]any `json:"tags"`
		Narrative  any              `json:"x-atlassian-narrative"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Paths) != 2 || doc.Paths["/api/latest/unrelated"] != nil {
		t.Errorf("paths kept: %v", doc.Paths)
	}
	if _, ok := doc.Paths["/api/latest/projects/{projectKey}"]["delete"]; ok {
		t.Error("an operation the provider does not use was kept")
	}
	ids := map[string]bool{}
	for _, item := range doc.Paths {
		for _, op := range item {
			if ids[op.OperationID] {
				t.Errorf("operationId %q still repeated", op.OperationID)
			}
			ids[op.OperationID] = true
		}
	}
	params := doc.Paths["/api/latest/projects/{projectKey}"]["get"].Parameters
	if len(params) != 1 || params[0]["name"] != "projectKey" || params[0]["in"] != "path" || params[0]["required"] != true {
		t.Errorf("undeclared path parameter not declared: %v", params)
	}
	if _, ok := doc.Components.Schemas["B"]; !ok {
		t.Error("a transitively referenced schema was dropped")
	}
	if _, ok := doc.Components.Schemas["Unused"]; ok {
		t.Error("an unreferenced schema was kept")
	}
	if doc.Narrative != nil || len(doc.Tags) != 1 {
		t.Errorf("narrative %v / tags %v not pruned", doc.Narrative, doc.Tags)
	}
	if len(notes) != 2 || !strings.Contains(strings.Join(notes, "\n"), "projectKey") {
		t.Errorf("repairs not reported: %q", notes)
	}
}
