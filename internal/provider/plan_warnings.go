package provider

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Plans are reviewed in pull requests: a change that widens access (a
// higher permission, a broader token level, a webhook delivering more
// events) gets a plan-time warning naming before and after, so a reviewer
// sees it without reading every attribute. A narrowing says nothing, and
// neither does a create (the whole object is new in the plan).

// wideningRule is one attribute whose change can widen access.
type wideningRule struct {
	// attribute is the path of a string or a set of strings, through
	// nested objects only.
	attribute []string
	// widens reports whether going from before to after grants more, and
	// what is new.
	widens func(before, after []string) (bool, []string)
	// what names the kind of access in the warning.
	what string
}

// The rules of each resource, called from its ModifyPlan.
var (
	tokenWidening = []wideningRule{{attribute: []string{"permissions"}, widens: widerPermissions, what: "the token's permissions"}}

	webhookWidening = []wideningRule{{attribute: []string{"events"}, widens: moreEvents, what: "the events the webhook delivers"}}

	accessKeyWidening = []wideningRule{{attribute: []string{"permission"}, widens: widerPermissions, what: "the key's permission"}}

	connectionWidening = []wideningRule{
		{attribute: []string{"managed_token", "level"}, widens: broaderLevel, what: "the managed token's level"},
		{attribute: []string{"managed_token", "permissions"}, widens: widerPermissions, what: "the managed token's permissions"},
		{attribute: []string{"managed_access_key", "level"}, widens: broaderLevel, what: "the access key's level"},
		{attribute: []string{"managed_access_key", "permission"}, widens: widerPermissions, what: "the access key's permission"},
		{attribute: []string{"webhook", "events"}, widens: moreEvents, what: "the events the webhook delivers"},
	}
)

// warnWidening adds a warning for each rule whose attribute widens access
// from state to plan. Unknown or null values (a credential that is new or
// chosen later) are not compared.
func warnWidening(state tfsdk.State, plan tfsdk.Plan, diags *diag.Diagnostics, rules []wideningRule) {
	if state.Raw.IsNull() || plan.Raw.IsNull() {
		return
	}
	for _, rule := range rules {
		before, ok := stringsAt(state.Raw, rule.attribute)
		if !ok {
			continue
		}
		after, ok := stringsAt(plan.Raw, rule.attribute)
		if !ok {
			continue
		}
		wider, added := rule.widens(before, after)
		if !wider {
			continue
		}
		attr := path.Root(rule.attribute[0])
		for _, name := range rule.attribute[1:] {
			attr = attr.AtName(name)
		}
		diags.AddAttributeWarning(attr, "Applying widens access",
			fmt.Sprintf("This change widens %s: from %s to %s (wider: %s). Check that whoever holds the credential or "+
				"receives the deliveries should have it.", rule.what, listOf(before), listOf(after), strings.Join(added, ", ")))
	}
}

// stringsAt reads a known, non-null string or set of strings at the
// attribute path of an object value.
func stringsAt(raw tftypes.Value, attribute []string) ([]string, bool) {
	p := tftypes.NewAttributePath()
	for _, name := range attribute {
		p = p.WithAttributeName(name)
	}
	found, _, err := tftypes.WalkAttributePath(raw, p)
	v, isValue := found.(tftypes.Value)
	if err != nil || !isValue || !v.IsFullyKnown() || v.IsNull() {
		return nil, false
	}
	var s string
	if v.Type().Is(tftypes.String) && v.As(&s) == nil {
		return []string{s}, true
	}
	var elems []tftypes.Value
	if v.As(&elems) != nil {
		return nil, false
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		if e.As(&s) != nil {
			return nil, false
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out, true
}

func listOf(values []string) string {
	if len(values) == 0 {
		return "none"
	}
	return strings.Join(values, ", ")
}

// permissionRank orders a permission within its area (PROJECT_, REPO_):
// READ < WRITE < ADMIN, as Data Center's permission levels do.
func permissionRank(p string) (area string, rank int) {
	area, level, found := strings.Cut(p, "_")
	if !found {
		area, level = "", p
	}
	switch strings.ToUpper(level) {
	case "READ":
		return area, 1
	case "WRITE":
		return area, 2
	case "ADMIN":
		return area, 3
	}
	return area, 0
}

// widerPermissions: some area gains a higher permission than it had (an
// area it had none in counts as nothing).
func widerPermissions(before, after []string) (bool, []string) {
	had := map[string]int{}
	for _, p := range before {
		area, rank := permissionRank(p)
		had[area] = max(had[area], rank)
	}
	var wider []string
	for _, p := range after {
		if area, rank := permissionRank(p); rank > had[area] {
			wider = append(wider, p)
		}
	}
	return len(wider) > 0, wider
}

// moreEvents: the set gains an event.
func moreEvents(before, after []string) (bool, []string) {
	var added []string
	for _, e := range after {
		if !slices.Contains(before, e) {
			added = append(added, e)
		}
	}
	return len(added) > 0, added
}

// credentialLevels are token and key levels, narrowest first: a
// repository credential reaches one repository, a project one every
// repository of the project, a user (personal) token everything its user
// can reach.
var credentialLevels = []string{"repository", "project", "user"}

// broaderLevel: the level reaches more than before.
func broaderLevel(before, after []string) (bool, []string) {
	if len(before) != 1 || len(after) != 1 {
		return false, nil
	}
	if slices.Index(credentialLevels, after[0]) > slices.Index(credentialLevels, before[0]) {
		return true, after
	}
	return false, nil
}
