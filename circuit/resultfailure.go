package circuit

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// Failure from the result (issue 17 item 2): conditions on the downstream's
// successful result that make it count as a failure, for the in-line trip and
// for probes, like a thrown error. A Lambda behind an API that answers
// {"statusCode": 503} without throwing is failing; Lambda's Errors metric,
// and so the breaker's alarms, do not see it (docs/result-failures.md).
//
// They are data: evaluated here in Go (ResultFails), rendered by
// component/statemachine into Choice rules after each invocation, checked at
// preview (ResultCondition.Problems). No code of the user's runs.

// ResultOp is a condition's comparison.
type ResultOp string

const (
	ResultAtLeast ResultOp = ">="
	ResultAbove   ResultOp = ">"
	ResultAtMost  ResultOp = "<="
	ResultBelow   ResultOp = "<"
	// ResultEquals compares a number (number set) or a string (string set).
	ResultEquals ResultOp = "=="
	// ResultPresent: the field is in the result (any value, null included).
	ResultPresent ResultOp = "isPresent"
)

// ResultOps are every operator, in the order docs list them.
var ResultOps = []ResultOp{ResultAtLeast, ResultAbove, ResultAtMost, ResultBelow, ResultEquals, ResultPresent}

// numeric reports whether op compares numbers only.
func (op ResultOp) numeric() bool {
	return op == ResultAtLeast || op == ResultAbove || op == ResultAtMost || op == ResultBelow
}

// ResultCondition is one condition on the result: Path (a JSONPath into it:
// "$.statusCode", "$.body.status", or "$" for the result itself), Op, and
// the value compared with: Number or String, neither for ResultPresent.
type ResultCondition struct {
	Path   string
	Op     ResultOp
	Number *float64
	String *string
}

// MaxResultConditions bounds the list: each is one Choice rule in up to three
// Choice states.
const MaxResultConditions = 10

// resultPathRE: "$" or a dot path of up to 8 names, the form a Choice's
// Variable takes on AWS and in the local executor alike.
var resultPathRE = regexp.MustCompile(`^\$(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,8}$`)

// ResultProblem is one thing wrong with a condition: the field, named as the
// component's input names it ("path", "operator", "numberValue",
// "stringValue"), and what to do.
type ResultProblem struct {
	Field, Message string
}

// Problems are what is wrong with c, each naming its field; none when it is
// valid.
func (c ResultCondition) Problems() []ResultProblem {
	var out []ResultProblem
	bad := func(field, format string, args ...any) {
		out = append(out, ResultProblem{field, fmt.Sprintf(format, args...)})
	}
	if !resultPathRE.MatchString(c.Path) {
		bad("path", "%q is not a JSONPath into the result: use $.field or $.field.subfield (letters, digits, '_'; at most 8 levels), e.g. $.statusCode, or $ for the result itself", c.Path)
	}
	switch {
	case !slices.Contains(ResultOps, c.Op):
		ops := make([]string, len(ResultOps))
		for i, op := range ResultOps {
			ops[i] = string(op)
		}
		bad("operator", "%q is not one of %s", c.Op, strings.Join(ops, ", "))
	case c.Op == ResultPresent:
		if c.Number != nil || c.String != nil {
			bad(fieldOf(c), "isPresent compares with nothing: remove it")
		}
		if c.Path == "$" {
			bad("path", "$ is always present: name a field of the result, e.g. $.errorMessage")
		}
	case c.Op.numeric():
		if c.String != nil {
			bad("stringValue", "%s compares numbers: set numberValue instead (e.g. 500), or use == to compare a string", c.Op)
		} else if c.Number == nil {
			bad("numberValue", "%s needs a number to compare with: set numberValue, e.g. 500", c.Op)
		}
	case c.Op == ResultEquals:
		if (c.Number == nil) == (c.String == nil) {
			bad("numberValue", "== compares with exactly one of numberValue or stringValue: set one")
		}
	}
	if c.Number != nil && (math.IsNaN(*c.Number) || math.IsInf(*c.Number, 0)) {
		bad("numberValue", "is not a finite number")
	}
	return out
}

// fieldOf is the value field c sets, for a message about it.
func fieldOf(c ResultCondition) string {
	if c.String != nil {
		return "stringValue"
	}
	return "numberValue"
}

// Matches reports whether the result (decoded JSON: nil, bool, float64 or
// json.Number, string, []any, map[string]any) meets c. A field that is
// absent, or of another type than the comparison's, does not match, as the
// rendered Choice rule guards each comparison with IsPresent and IsNumeric or
// IsString.
func (c ResultCondition) Matches(result any) bool {
	v, ok := at(result, c.Path)
	if !ok {
		return false
	}
	if c.Op == ResultPresent {
		return true
	}
	if c.String != nil {
		s, isString := v.(string)
		return isString && c.Op == ResultEquals && s == *c.String
	}
	if c.Number == nil {
		return false
	}
	var n float64
	switch x := v.(type) {
	case float64:
		n = x
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return false
		}
		n = f
	default:
		return false
	}
	switch c.Op {
	case ResultAtLeast:
		return n >= *c.Number
	case ResultAbove:
		return n > *c.Number
	case ResultAtMost:
		return n <= *c.Number
	case ResultBelow:
		return n < *c.Number
	case ResultEquals:
		return n == *c.Number
	}
	return false
}

// at is the value at a dot path of a decoded JSON value.
func at(v any, path string) (any, bool) {
	for _, name := range strings.Split(strings.TrimPrefix(path, "$"), ".")[1:] {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[name]; !ok {
			return nil, false
		}
	}
	return v, true
}

// ResultFails reports whether any condition matches the result: one match
// makes the result a failure.
func ResultFails(conds []ResultCondition, result any) bool {
	return slices.ContainsFunc(conds, func(c ResultCondition) bool { return c.Matches(result) })
}

// Says is the condition for people: `$.statusCode >= 500`.
func (c ResultCondition) Says() string {
	switch {
	case c.Op == ResultPresent:
		return c.Path + " is present"
	case c.String != nil:
		return fmt.Sprintf("%s %s %q", c.Path, c.Op, *c.String)
	case c.Number != nil:
		return fmt.Sprintf("%s %s %v", c.Path, c.Op, *c.Number)
	}
	return c.Path + " " + string(c.Op)
}
