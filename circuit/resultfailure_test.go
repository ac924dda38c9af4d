package circuit

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func num(v float64) *float64 { return &v }
func str(v string) *string   { return &v }

// Problems names the field of every condition the definition could not
// render, and none of a valid one.
func TestResultConditionProblems(t *testing.T) {
	for _, tc := range []struct {
		c     ResultCondition
		field string // "" when valid
		says  string
	}{
		{ResultCondition{Path: "$.statusCode", Op: ResultAtLeast, Number: num(500)}, "", ""},
		{ResultCondition{Path: "$", Op: ResultEquals, String: str("DOWN")}, "", ""},
		{ResultCondition{Path: "$.a.b.c", Op: ResultPresent}, "", ""},
		{ResultCondition{Path: "$.code", Op: ResultEquals, Number: num(-1.5)}, "", ""},
		{ResultCondition{Path: "statusCode", Op: ResultAtLeast, Number: num(500)}, "path", "use $.field"},
		{ResultCondition{Path: "$.items[0]", Op: ResultPresent}, "path", "not a JSONPath into the result"},
		{ResultCondition{Path: "$..x", Op: ResultPresent}, "path", "not a JSONPath"},
		{ResultCondition{Path: "$.a.b.c.d.e.f.g.h.i", Op: ResultPresent}, "path", "at most 8 levels"},
		{ResultCondition{Path: "$", Op: ResultPresent}, "path", "always present"},
		{ResultCondition{Path: "$.x", Op: "!=", Number: num(1)}, "operator", "not one of"},
		{ResultCondition{Path: "$.x", Op: ResultBelow, String: str("1")}, "stringValue", "set numberValue instead"},
		{ResultCondition{Path: "$.x", Op: ResultAbove}, "numberValue", "needs a number"},
		{ResultCondition{Path: "$.x", Op: ResultEquals}, "numberValue", "exactly one"},
		{ResultCondition{Path: "$.x", Op: ResultEquals, Number: num(1), String: str("1")}, "numberValue", "exactly one"},
		{ResultCondition{Path: "$.x", Op: ResultPresent, Number: num(1)}, "numberValue", "compares with nothing"},
		{ResultCondition{Path: "$.x", Op: ResultAtMost, Number: num(math.Inf(1))}, "numberValue", "not a finite number"},
	} {
		ps := tc.c.Problems()
		if tc.field == "" {
			if len(ps) > 0 {
				t.Errorf("%s: %+v", tc.c.Says(), ps)
			}
			continue
		}
		found := false
		for _, p := range ps {
			found = found || p.Field == tc.field && strings.Contains(p.Message, tc.says)
		}
		if !found {
			t.Errorf("%+v: want %s (%q), got %+v", tc.c, tc.field, tc.says, ps)
		}
	}
}

// Matches reads decoded JSON as json.Unmarshal and a json.Decoder with
// UseNumber give it, and never panics on any shape.
func TestResultConditionMatches(t *testing.T) {
	c := ResultCondition{Path: "$.statusCode", Op: ResultAtLeast, Number: num(500)}
	for _, doc := range []string{`{"statusCode": 503}`, `{"statusCode": 500.0}`} {
		var v any
		_ = json.Unmarshal([]byte(doc), &v)
		d := json.NewDecoder(strings.NewReader(doc))
		d.UseNumber()
		var n any
		_ = d.Decode(&n)
		if !c.Matches(v) || !c.Matches(n) {
			t.Errorf("%s does not meet %s", doc, c.Says())
		}
	}
	for _, v := range []any{nil, true, "x", 3.0, []any{1.0}, map[string]any{}, map[string]any{"statusCode": nil},
		map[string]any{"statusCode": map[string]any{"x": 1.0}}, map[string]any{"statusCode": json.Number("nope")}} {
		for _, op := range ResultOps {
			for _, cond := range []ResultCondition{{Path: "$.statusCode", Op: op, Number: num(1)}, {Path: "$.statusCode.x.y", Op: op, String: str("x")}} {
				_ = cond.Matches(v) // must not panic
			}
		}
		if c.Matches(v) {
			t.Errorf("%#v meets %s", v, c.Says())
		}
	}
	present := ResultCondition{Path: "$.errorMessage", Op: ResultPresent}
	if !present.Matches(map[string]any{"errorMessage": nil}) || present.Matches(map[string]any{}) {
		t.Error("isPresent: a field holding null is present, an absent one is not")
	}
}
