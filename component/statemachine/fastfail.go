package statemachine

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// The fast-fail cause (circuit.Cause, docs/fast-fail.md): each rejection's
// Fail state gives a JSON document, {"reason", "retryAt"?, "serviceName",
// "circuitKey"?}, instead of prose, with no state added to the path.
//
// A cause with nothing to read at run time is a constant (Cause). One that
// carries the item's deadline or the caller's key is built by the Fail state
// itself: CausePath takes an intrinsic function that returns a string,
// States.Format and States.JsonToString among them (Fail state, CausePath:
// https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html),
// nested as the intrinsics page allows ("You can nest up to 10 intrinsic
// functions", https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html).
// This removed DescribeOpen, the Pass state that built RejectOpen's cause:
// an open circuit's fast fail is one state shorter.
//
// Every value spliced into the document is JSON by construction: the
// service name is encoded here (and escaped for the intrinsic's string
// literal); the deadline is a timestamp (the RequestPath row that rejects
// has just compared it as one: IsTimestamp); the caller's key goes through
// States.JsonToString, which quotes and escapes a string (recorded on AWS:
// localstack/localstack tests/aws/services/stepfunctions/v2/
// intrinsic_functions/test_json_manipulation.snapshot.json, test_json_to_string,
// "HelloWorld" -> "\"HelloWorld\"").

// fastFails emits the rejections' Fail states of circuit.FastFails (without a
// fallback), but for RejectCircuitUnavailable, which exists only when the
// breaker fails closed (rejectCircuitUnavailable).
func (b *builder) fastFails() {
	for _, f := range circuit.FastFails {
		if f.Step == StateRejectCircuitUnavailable {
			continue
		}
		b.states[f.Step] = b.fastFail(f.Step)
	}
}

// fastFail is the Fail state of the rejection at step.
func (b *builder) fastFail(step string) *state {
	f, ok := circuit.FastFailOf(step)
	if !ok {
		b.fail(fmt.Errorf("statemachine: %s is not a rejection of circuit.FastFails", step))
		return &state{Type: "Fail", Error: ErrorCircuitOpen}
	}
	s := &state{Type: "Fail", Error: f.Error}
	template, args := b.causeTemplate(f)
	if len(args) == 0 {
		s.Cause = circuit.Cause{Reason: f.Reason, ServiceName: b.cfg.ServiceName}.Marshal()
		return s
	}
	s.CausePath = fmt.Sprintf("States.Format('%s', %s)", template, strings.Join(args, ", "))
	return s
}

// causeTemplate is the document as a States.Format template, its fields in
// circuit.Cause's order, and the arguments of its placeholders.
func (b *builder) causeTemplate(f circuit.FastFail) (string, []string) {
	var fields, args []string
	field := func(name, value string) {
		fields = append(fields, intrinsicLiteral(jsonString(name)+":")+value)
	}
	field(circuit.CauseFieldReason, intrinsicLiteral(jsonString(string(f.Reason))))
	if f.RetryAt != "" {
		field(circuit.CauseFieldRetryAt, `"{}"`)
		args = append(args, item(f.RetryAt))
	}
	field(circuit.CauseFieldServiceName, intrinsicLiteral(jsonString(b.cfg.ServiceName)))
	if b.keyed() {
		field(circuit.CauseFieldCircuitKey, "{}")
		args = append(args, fmt.Sprintf("States.JsonToString(%s)", inputPath(b.cfg.CircuitKey)))
	}
	return `\{` + strings.Join(fields, ",") + `\}`, args
}

// inputPath is the execution input's field at keyPath ($.provider) as a
// context path ($$.Execution.Input.provider): the state's own input no longer
// holds the caller's payload, and in a breaker-wide rejection $.Circuit.key
// is "" (the breaker's item governs).
func inputPath(keyPath string) string { return "$$.Execution.Input" + strings.TrimPrefix(keyPath, "$") }

// jsonString is s as a JSON string, HTML characters left as they are (the
// document is the definition's, encoded the same way).
func jsonString(s string) string {
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// intrinsicLiteral escapes s for an intrinsic's string literal: ', {, } and
// \ are reserved there and take a backslash (intrinsics page, "Reserved
// characters in intrinsic functions"; an escaped brace is a literal brace in
// States.Format's template, aws/aws-cdk pull request 29267, which stopped
// CDK from escaping it twice: the doubled escape deployed and then failed
// at run time).
func intrinsicLiteral(s string) string {
	var out strings.Builder
	for _, r := range s {
		switch r {
		case '\'', '{', '}', '\\':
			out.WriteRune('\\')
		}
		out.WriteRune(r)
	}
	return out.String()
}
