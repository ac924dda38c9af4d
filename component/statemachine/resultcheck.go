package statemachine

import (
	"fmt"
	"strings"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// Failure from the result (Config.ResultFailureWhen, circuit.ResultCondition,
// docs/result-failures.md): after each counted invocation of the downstream,
// a Choice tests its successful result against the user's conditions; a
// match counts as a failure exactly as a thrown error does (CountFailure and
// the in-line trip on a closed circuit, Reopen for a probe), and the caller
// still gets the result, or, with FailOnResultFailure, the error
// ErrorDownstreamResultFailure. Without conditions none of this is emitted:
// the definition is byte for byte the one before.
//
//	InvokeDownstream -> CheckDownstreamResult -> ReturnResult
//	                                          -> DownstreamResultFailed -> RecordFailure ...
//	InvokeDownstreamAfterFailures -> CheckResultAfterFailures -> ResetFailures | DownstreamResultFailed
//	InvokeProbe -> CheckProbeResult -> RecordProbeSuccess | CloseCircuit | ProbeResultFailed -> Reopen
//
// The price: the healthy path enters two more states (the Choice and
// ReturnResult), which a STANDARD workflow pays for and an EXPRESS one does
// not (it is billed by duration); and the healthy path's state now holds the
// read item beside the result, so a result within about 1 KiB of Step
// Functions' 256 KiB quota fails the execution with States.DataLimitExceeded
// (docs/limits.md).
const (
	StateCheckDownstreamResult    = "CheckDownstreamResult"
	StateCheckResultAfterFailures = "CheckResultAfterFailures"
	StateCheckProbeResult         = "CheckProbeResult"
	// StateDownstreamResultFailed and StateProbeResultFailed put the result
	// failure under $.Failure, where the failure path reads a thrown error.
	StateDownstreamResultFailed = "DownstreamResultFailed"
	StateProbeResultFailed      = "ProbeResultFailed"
)

// ErrorDownstreamResultFailure is the error of an execution whose downstream
// result met a condition of ResultFailureWhen, with FailOnResultFailure. It
// is also the error the controller records as the trip's last failure.
const ErrorDownstreamResultFailure = "DownstreamResultFailure"

// resultMarker is the field of $.Failure that tells a result failure from a
// thrown error (whose $.Failure is the Catch's {Error, Cause}).
const resultMarker = "resultFailure"

// resultPayload is where keep puts the downstream's result.
const resultPayload = pathDownstream + ".Payload"

func (c Config) validateResultFailureWhen(bad func(field, format string, args ...any)) {
	if n := len(c.ResultFailureWhen); n > circuit.MaxResultConditions {
		bad("ResultFailureWhen", "has %d conditions, at most %d", n, circuit.MaxResultConditions)
	}
	for i, cond := range c.ResultFailureWhen {
		for _, p := range cond.Problems() {
			bad(fmt.Sprintf("ResultFailureWhen[%d].%s", i, p.Field), "%s", p.Message)
		}
	}
	if c.FailOnResultFailure && len(c.ResultFailureWhen) == 0 {
		bad("FailOnResultFailure", "is set without ResultFailureWhen: no result can fail")
	}
}

// resultChecks rewires the counted invocations through the result's Choice
// states; nothing without conditions.
func (b *builder) resultChecks() {
	if len(b.cfg.ResultFailureWhen) == 0 {
		return
	}
	inv := b.states[StateInvokeDownstream]
	inv.OutputPath, inv.End = "", false
	keep(inv, StateCheckDownstreamResult)
	b.states[StateCheckDownstreamResult] = b.resultChoice(StateReturnResult, StateDownstreamResultFailed)

	b.states[StateInvokeDownstreamAfterFailures].Next = StateCheckResultAfterFailures
	b.states[StateCheckResultAfterFailures] = b.resultChoice(StateResetFailures, StateDownstreamResultFailed)

	probe := b.states[StateInvokeProbe]
	b.states[StateCheckProbeResult] = b.resultChoice(probe.Next, StateProbeResultFailed)
	probe.Next = StateCheckProbeResult

	b.states[StateDownstreamResultFailed] = b.resultFailed(StateRecordFailure)
	b.states[StateProbeResultFailed] = b.resultFailed(StateReopen)

	if !b.cfg.FailOnResultFailure {
		// After its bookkeeping, a result failure returns the result.
		df := b.states[StateDownstreamFailed]
		df.Choices = append([]rule{withNext(isPresent(pathFailure+"."+resultMarker), StateReturnResult)}, df.Choices...)
	}
}

// resultChoice goes to failed when any condition meets the result, else to ok.
func (b *builder) resultChoice(ok, failed string) *state {
	var choices []rule
	var says []string
	for _, c := range b.cfg.ResultFailureWhen {
		choices = append(choices, withNext(resultRule(c), failed))
		says = append(says, c.Says())
	}
	return &state{
		Type:    "Choice",
		Comment: "The downstream's result counts as a failure when " + strings.Join(says, ", or ") + " (downstreamFailureWhen).",
		Choices: choices,
		Default: ok,
	}
}

// resultRule is one condition as a Choice rule on the result. Each
// comparison is guarded by IsPresent and the value's type (IsNumeric,
// IsString): comparing an absent field is a runtime error on AWS
// (States.Runtime), and a value of another type must not match, as
// circuit.ResultCondition.Matches says.
func resultRule(c circuit.ResultCondition) rule {
	v := resultPayload + strings.TrimPrefix(c.Path, "$")
	if c.Op == circuit.ResultPresent {
		return isPresent(v)
	}
	if c.String != nil {
		return and(isPresent(v), rule{Variable: v, IsString: ptr(true)}, rule{Variable: v, StringEquals: ptr(*c.String)})
	}
	cmp := rule{Variable: v}
	n := ptr(*c.Number)
	switch c.Op {
	case circuit.ResultAtLeast:
		cmp.NumericGreaterThanEquals = n
	case circuit.ResultAbove:
		cmp.NumericGreaterThan = n
	case circuit.ResultAtMost:
		cmp.NumericLessThanEquals = n
	case circuit.ResultBelow:
		cmp.NumericLessThan = n
	default:
		cmp.NumericEquals = n
	}
	return and(isPresent(v), rule{Variable: v, IsNumeric: ptr(true)}, cmp)
}

// resultFailed records the result failure where the failure path reads a
// thrown error's (the controller's "error", the raised error), marked as a
// result's, then goes on to next.
func (b *builder) resultFailed(next string) *state {
	var says []string
	for _, c := range b.cfg.ResultFailureWhen {
		says = append(says, c.Says())
	}
	return &state{
		Type:    "Pass",
		Comment: "The result is a failure: counted as one, like a thrown error.",
		Parameters: map[string]any{
			"Error":      ErrorDownstreamResultFailure,
			"Cause":      "The downstream's result met downstreamFailureWhen (" + strings.Join(says, ", or ") + ").",
			resultMarker: true,
		},
		ResultPath: path(pathFailure),
		Next:       next,
	}
}
