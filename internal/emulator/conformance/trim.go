package conformance

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// pathParamPattern finds the {name} segments of a path template.
var pathParamPattern = regexp.MustCompile(`\{([^{}]+)\}`)

// TrimFile reads a published description from sourceDir (f.Source, or its
// gzip copy f.Source+".gz" as committed under PublishedDir) and returns the
// trimmed copy for f, as TrimSpec writes it.
func TrimFile(sourceDir string, f SpecFile) ([]byte, []string, error) {
	raw, err := ReadPublished(sourceDir, f)
	if err != nil {
		return nil, nil, err
	}
	return TrimSpec(RoutesOf(f.Product), f.Source, raw)
}

// ReadPublished returns the published description of f from dir: the plain
// file when present, else its gzip copy.
func ReadPublished(dir string, f SpecFile) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(dir, f.Source))
	if err == nil {
		return raw, nil
	}
	gz, gzErr := os.Open(filepath.Join(dir, f.Source+".gz"))
	if gzErr != nil {
		return nil, err
	}
	defer func() { _ = gz.Close() }()
	r, err := gzip.NewReader(gz)
	if err != nil {
		return nil, fmt.Errorf("%s.gz: %w", f.Source, err)
	}
	return io.ReadAll(r)
}

// TrimSpec keeps, of the OpenAPI 3.0 document raw, only the operations in
// routes and the components they reference
// (transitively), repairs what makes the document fail strict validation, and
// returns it pretty-printed with sorted keys, so that re-running it gives the
// same bytes. notes says what was repaired.
//
// It works on plain JSON, not on a typed model, so that nothing the model does
// not know about (x-atlassian-* extensions, examples) is lost or reordered.
func TrimSpec(routes []Route, sourceName string, raw []byte) (out []byte, notes []string, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers exactly as written
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", sourceName, err)
	}
	paths, _ := doc["paths"].(map[string]any)
	if paths == nil {
		return nil, nil, fmt.Errorf("%s: no paths", sourceName)
	}

	// Keep the listed operations; a path item keeps its own parameters etc.
	kept := map[string]any{}
	for _, r := range routes {
		item, ok := paths[r.Path].(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("%s: path %s is not described", sourceName, r.Path)
		}
		method := strings.ToLower(r.Method)
		op, ok := item[method].(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("%s: %s %s is not described", sourceName, r.Method, r.Path)
		}
		newItem, _ := kept[r.Path].(map[string]any)
		if newItem == nil {
			newItem = map[string]any{}
			for k, v := range item {
				if !slices.Contains(httpMethods, k) {
					newItem[k] = v
				}
			}
			kept[r.Path] = newItem
		}
		newItem[method] = op
	}

	notes = append(notes, declareMissingPathParams(kept)...)
	notes = append(notes, dropDeployKeyExamples(kept)...)
	notes = append(notes, dedupeOperationIDs(kept)...)

	out0 := map[string]any{"paths": kept}
	for _, k := range []string{"openapi", "info", "servers", "security", "externalDocs"} {
		if v, ok := doc[k]; ok {
			out0[k] = v
		}
	}
	// x-atlassian-narrative (the long introduction) and unused tags are dropped.
	if tags, ok := doc["tags"].([]any); ok {
		used := usedTags(kept)
		var keptTags []any
		for _, t := range tags {
			if m, ok := t.(map[string]any); ok && used[fmt.Sprint(m["name"])] {
				keptTags = append(keptTags, t)
			}
		}
		if len(keptTags) > 0 {
			out0["tags"] = keptTags
		}
	}
	comps, err := referencedComponents(doc, kept)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", sourceName, err)
	}
	notes = append(notes, nullableLastUsed(comps)...)
	out0["components"] = comps
	out0["x-trimmed-from"] = map[string]any{
		"source": sourceName,
		"by":     "go run ./internal/emulator/conformance/trimspec",
		"note":   "Only the operations the provider uses and the components they reference are kept. Do not edit: regenerate.",
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out0); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), notes, nil
}

// operations calls fn for every operation of paths in a fixed order.
func operations(paths map[string]any, fn func(path, method string, item, op map[string]any)) {
	for _, path := range sortedKeys(paths) {
		item, ok := paths[path].(map[string]any)
		if !ok {
			continue
		}
		for _, m := range httpMethods {
			if op, ok := item[m].(map[string]any); ok {
				fn(path, m, item, op)
			}
		}
	}
}

// declareMissingPathParams declares, as required strings, path parameters that
// a template names but neither the path item nor the operation declares (the
// Data Center file does this on .../secret-scanning/exempt; strict loaders
// reject it).
func declareMissingPathParams(paths map[string]any) (notes []string) {
	operations(paths, func(path, method string, item, op map[string]any) {
		declared := map[string]bool{}
		for _, list := range []any{item["parameters"], op["parameters"]} {
			params, _ := list.([]any)
			for _, p := range params {
				if m, ok := p.(map[string]any); ok && m["in"] == "path" {
					declared[fmt.Sprint(m["name"])] = true
				}
			}
		}
		for _, match := range pathParamPattern.FindAllStringSubmatch(path, -1) {
			name := match[1]
			if declared[name] {
				continue
			}
			params, _ := op["parameters"].([]any)
			op["parameters"] = append(params, map[string]any{
				"name": name, "in": "path", "required": true,
				"schema": map[string]any{"type": "string"},
			})
			declared[name] = true
			notes = append(notes, fmt.Sprintf("declared path parameter %q of %s %s", name, strings.ToUpper(method), path))
		}
	})
	return notes
}

// dropDeployKeyExamples removes the response examples of the Cloud deploy-key
// operations, which contradict their own schemas (a project with links.self,
// which the project schema does not allow; a page of keys as the example of
// "Get a project deploy key"), so strict loaders reject the document. The
// emulator's answers are still validated against the schemas.
func dropDeployKeyExamples(paths map[string]any) (notes []string) {
	operations(paths, func(path, method string, _, op map[string]any) {
		if !strings.Contains(path, "/deploy-keys") {
			return
		}
		responses, _ := op["responses"].(map[string]any)
		codes := make([]string, 0, len(responses))
		for code := range responses {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, code := range codes {
			r, _ := responses[code].(map[string]any)
			content, _ := r["content"].(map[string]any)
			for _, media := range content {
				if m, ok := media.(map[string]any); ok && m["examples"] != nil {
					delete(m, "examples")
					notes = append(notes, fmt.Sprintf("dropped the %s example of %s %s (it contradicts its schema)", code, strings.ToUpper(method), path))
				}
			}
		}
	})
	return notes
}

// nullableLastUsed lets the Cloud deploy keys' last_used be null: the
// description's own examples of every deploy-key operation show
// "last_used": null (a key never used), which its date-time type rejects.
func nullableLastUsed(comps map[string]any) (notes []string) {
	schemas, _ := comps["schemas"].(map[string]any)
	for _, name := range []string{"deploy_key", "project_deploy_key"} {
		s, _ := schemas[name].(map[string]any)
		parts, _ := s["allOf"].([]any)
		for _, part := range parts {
			m, _ := part.(map[string]any)
			props, _ := m["properties"].(map[string]any)
			if lu, ok := props["last_used"].(map[string]any); ok && lu["nullable"] != true {
				lu["nullable"] = true
				notes = append(notes, fmt.Sprintf("made schemas/%s last_used nullable (its examples show null)", name))
			}
		}
	}
	return notes
}

// dedupeOperationIDs renames repeated operationIds (the Data Center file repeats
// getStatus, authenticate and get) by appending _dupN.
func dedupeOperationIDs(paths map[string]any) (notes []string) {
	seen := map[string]bool{}
	operations(paths, func(path, method string, _, op map[string]any) {
		id, ok := op["operationId"].(string)
		if !ok {
			return
		}
		if !seen[id] {
			seen[id] = true
			return
		}
		for n := 2; ; n++ {
			candidate := fmt.Sprintf("%s_dup%d", id, n)
			if !seen[candidate] {
				op["operationId"] = candidate
				seen[candidate] = true
				notes = append(notes, fmt.Sprintf("renamed repeated operationId %q of %s %s to %q", id, strings.ToUpper(method), path, candidate))
				return
			}
		}
	})
	return notes
}

func usedTags(paths map[string]any) map[string]bool {
	used := map[string]bool{}
	operations(paths, func(_, _ string, _, op map[string]any) {
		tags, _ := op["tags"].([]any)
		for _, t := range tags {
			used[fmt.Sprint(t)] = true
		}
	})
	return used
}

// referencedComponents returns the components that paths reference, directly
// or through other components, plus the security schemes the operations name.
func referencedComponents(doc, paths map[string]any) (map[string]any, error) {
	src, _ := doc["components"].(map[string]any)
	out := map[string]any{}
	type ref struct{ kind, name string }
	var queue []ref
	seen := map[ref]bool{}
	var badRef error
	enqueue := func(v any) {
		walkRefs(v, func(s string) {
			rest, ok := strings.CutPrefix(s, "#/components/")
			if !ok {
				badRef = fmt.Errorf("reference %q is not local to components", s)
				return
			}
			parts := strings.SplitN(rest, "/", 3)
			if len(parts) < 2 {
				badRef = fmt.Errorf("malformed reference %q", s)
				return
			}
			r := ref{parts[0], unescapePointer(parts[1])}
			if !seen[r] {
				seen[r] = true
				queue = append(queue, r)
			}
		})
	}
	enqueue(paths)
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		kind, _ := src[r.kind].(map[string]any)
		v, ok := kind[r.name]
		if !ok {
			return nil, fmt.Errorf("reference to missing component %s/%s", r.kind, r.name)
		}
		dst, _ := out[r.kind].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			out[r.kind] = dst
		}
		dst[r.name] = v
		enqueue(v)
	}
	if badRef != nil {
		return nil, badRef
	}

	// Security schemes are named, not referenced.
	schemes, _ := src["securitySchemes"].(map[string]any)
	named := map[string]bool{}
	collect := func(reqs any) {
		list, _ := reqs.([]any)
		for _, req := range list {
			if m, ok := req.(map[string]any); ok {
				for name := range m {
					named[name] = true
				}
			}
		}
	}
	collect(doc["security"])
	operations(paths, func(_, _ string, _, op map[string]any) { collect(op["security"]) })
	for name := range named {
		s, ok := schemes[name]
		if !ok {
			return nil, fmt.Errorf("security scheme %q is not defined", name)
		}
		dst, _ := out["securitySchemes"].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			out["securitySchemes"] = dst
		}
		dst[name] = s
	}
	return out, nil
}

// walkRefs calls fn with the target of every "$ref" in v.
func walkRefs(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["$ref"].(string); ok {
			fn(s)
		}
		for _, k := range sortedKeys(x) {
			walkRefs(x[k], fn)
		}
	case []any:
		for _, e := range x {
			walkRefs(e, fn)
		}
	}
}

func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
