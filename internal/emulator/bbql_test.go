package emulator

import (
	"testing"
	"time"
)

func TestBBQL(t *testing.T) {
	fields := bbqlFields{"name": bbqlString, "is_private": bbqlBool, "size": bbqlNumber, "created_on": bbqlTime, "project.key": bbqlString}
	rec := func(field string) any {
		return map[string]any{
			"name": "Api-Service", "is_private": true, "size": float64(10),
			"created_on": time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), "project.key": "API",
		}[field]
	}
	cases := map[string]bool{
		`name ~ "api"`:                               true,
		`name !~ "api"`:                              false,
		`name = "api-service"`:                       false, // = is exact
		`name = "Api-Service"`:                       true,
		`name != "x" AND is_private = true`:          true,
		`is_private = false OR size > 5`:             true,
		`size >= 10 AND size < 11`:                   true,
		`size <= 9`:                                  false,
		`project.key IN ("OPS", "API")`:              true,
		`project.key NOT IN ("OPS", "API")`:          false,
		`created_on > 2024-01-01T00:00:00`:           true,
		`created_on < "2024-01-01"`:                  false,
		`name = null`:                                false,
		`(name ~ "x" OR name ~ "api") and size = 10`: true,
		`name ~ "say \"hi\""`:                        false,
	}
	for q, want := range cases {
		expr, err := parseBBQL(q, fields)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if got := expr.match(rec); got != want {
			t.Errorf("%s = %v, want %v", q, got, want)
		}
	}
	for _, q := range []string{``, `name`, `name =`, `name ~ 5`, `is_private ~ "t"`, `size > "x"`, `owner = "x"`,
		`name = "x" OR`, `(name = "x"`, `name = "x")`, `name = "unterminated`, `name ! "x"`, `name IN "x"`} {
		if _, err := parseBBQL(q, fields); err == nil {
			t.Errorf("%q parsed", q)
		}
	}
}
