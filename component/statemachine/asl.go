package statemachine

import (
	"encoding/json"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// The ASL document as Go values. States are built as structs rather than text
// templates so that later states (half-open probes, in-line trips) are added by
// code that the compiler checks, and so that every value from the user (service
// name, ARNs) is JSON-escaped by encoding/json instead of by hand.
//
// Field order in these structs is the key order of the output; maps (States,
// Parameters) are written with sorted keys by encoding/json. Both make the
// document byte-for-byte stable, which keeps `pulumi preview` free of spurious
// diffs on the state machine's definition.

type definition struct {
	Comment       string            `json:"Comment,omitempty"`
	QueryLanguage string            `json:"QueryLanguage"`
	StartAt       string            `json:"StartAt"`
	States        map[string]*state `json:"States"`
}

type state struct {
	Type    string `json:"Type"`
	Comment string `json:"Comment,omitempty"`

	// Task
	Resource       string         `json:"Resource,omitempty"`
	Parameters     map[string]any `json:"Parameters,omitempty"`
	ResultSelector map[string]any `json:"ResultSelector,omitempty"`
	// ResultPath is raw so that it can be the JSON null ("discard the result"),
	// which the next states' conditional writes will need.
	ResultPath     json.RawMessage `json:"ResultPath,omitempty"`
	OutputPath     string          `json:"OutputPath,omitempty"`
	TimeoutSeconds int             `json:"TimeoutSeconds,omitempty"`
	Retry          []retrier       `json:"Retry,omitempty"`
	Catch          []catcher       `json:"Catch,omitempty"`

	// Choice
	Choices []rule `json:"Choices,omitempty"`
	Default string `json:"Default,omitempty"`

	// Fail
	Error     string `json:"Error,omitempty"`
	ErrorPath string `json:"ErrorPath,omitempty"`
	Cause     string `json:"Cause,omitempty"`
	CausePath string `json:"CausePath,omitempty"`

	Next string `json:"Next,omitempty"`
	End  bool   `json:"End,omitempty"`
}

type retrier struct {
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds int      `json:"IntervalSeconds"`
	MaxAttempts     int      `json:"MaxAttempts"`
	BackoffRate     float64  `json:"BackoffRate"`
	MaxDelaySeconds int      `json:"MaxDelaySeconds,omitempty"`
}

type catcher struct {
	ErrorEquals []string        `json:"ErrorEquals"`
	ResultPath  json.RawMessage `json:"ResultPath,omitempty"`
	Next        string          `json:"Next"`
}

// rule is a Choice rule. Pointers for the comparison values, because "" and
// false are meaningful operands that omitempty would otherwise drop.
type rule struct {
	Variable                 string   `json:"Variable,omitempty"`
	And                      []rule   `json:"And,omitempty"`
	Or                       []rule   `json:"Or,omitempty"`
	Not                      *rule    `json:"Not,omitempty"`
	IsPresent                *bool    `json:"IsPresent,omitempty"`
	IsString                 *bool    `json:"IsString,omitempty"`
	IsTimestamp              *bool    `json:"IsTimestamp,omitempty"`
	IsNumeric                *bool    `json:"IsNumeric,omitempty"`
	StringEquals             *string  `json:"StringEquals,omitempty"`
	StringMatches            *string  `json:"StringMatches,omitempty"`
	StringEqualsPath         string   `json:"StringEqualsPath,omitempty"`
	BooleanEquals            *bool    `json:"BooleanEquals,omitempty"`
	NumericGreaterThanEquals *float64 `json:"NumericGreaterThanEquals,omitempty"`
	// The other numeric comparisons, for result conditions (resultcheck.go).
	NumericGreaterThan       *float64 `json:"NumericGreaterThan,omitempty"`
	NumericLessThanEquals    *float64 `json:"NumericLessThanEquals,omitempty"`
	NumericLessThan          *float64 `json:"NumericLessThan,omitempty"`
	NumericEquals            *float64 `json:"NumericEquals,omitempty"`
	TimestampGreaterThanPath string   `json:"TimestampGreaterThanPath,omitempty"`
	Comment                  string   `json:"Comment,omitempty"`
	Next                     string   `json:"Next,omitempty"`
}

func ptr[T any](v T) *T { return &v }

// discard is ResultPath null: the state's output is its input, the result is
// dropped (bookkeeping writes whose answer nobody needs).
var discard = json.RawMessage("null")

// path is a JSONPath ResultPath value.
func path(p string) json.RawMessage {
	b, _ := json.Marshal(p)
	return b
}

func isPresent(variable string) rule { return rule{Variable: variable, IsPresent: ptr(true)} }

func stringEquals(variable, value string) rule {
	return rule{Variable: variable, StringEquals: ptr(value)}
}

// not negates r. Absence is written Not(IsPresent: true), never IsPresent:
// false, which the local executor evaluates as false whatever the input.
func not(r rule) rule { return rule{Not: &r} }

// and conjoins rules, flattening nested conjunctions so that the document
// reads as one list of conditions.
func and(rules ...rule) rule {
	var flat []rule
	for _, r := range rules {
		if len(r.And) > 0 && r.Variable == "" && r.Next == "" && r.Comment == "" {
			flat = append(flat, r.And...)
			continue
		}
		flat = append(flat, r)
	}
	return rule{And: flat}
}

// contains is a StringMatches of text anywhere in variable's string, text
// taken literally (circuit.MatchLiteral).
func contains(variable, text string) rule {
	return rule{Variable: variable, StringMatches: ptr("*" + circuit.MatchLiteral(text) + "*")}
}

// presentAndEquals guards the comparison with IsPresent: comparing an absent
// attribute is a runtime error (States.Runtime), not a false. And-ing IsPresent
// before the comparison is the pattern AWS documents for optional fields.
func presentAndEquals(variable, value string) rule {
	return and(isPresent(variable), stringEquals(variable, value))
}

// atLeast is a guarded numeric comparison: a value that is absent or not a
// number does not match (comparing it would be a States.Runtime error on AWS,
// and the local executor would coerce a string).
func atLeast(variable string, n int) rule {
	return and(isPresent(variable), rule{Variable: variable, IsNumeric: ptr(true)}, rule{Variable: variable, NumericGreaterThanEquals: ptr(float64(n))})
}

// after is a guarded "variable is a timestamp later than the execution's start".
func after(variable string) rule {
	return and(isPresent(variable), rule{Variable: variable, IsTimestamp: ptr(true)}, rule{Variable: variable, TimestampGreaterThanPath: decidedAt})
}
