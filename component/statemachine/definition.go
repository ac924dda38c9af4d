// Package statemachine builds the request path: the Amazon States Language
// definition of the state machine that callers run instead of invoking the
// protected function directly. It reads the circuit's item with Step Functions'
// own DynamoDB integration, decides like circuit.Decide, and either fails fast
// with CircuitOpen or invokes the downstream.
//
// The definition uses JSONPath, not JSONata, so that the local executor the tests
// run it in (aws-local-stepfunctions) evaluates it like AWS does.
//
// The package has no Pulumi dependency: the component calls Definition inside an
// apply (the table name and function ARN are outputs).
package statemachine

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
)

// State names. They show in execution histories and logs, and tests and
// dashboards refer to them, so they are part of the contract.
const (
	// StateReadCircuit reads the circuit's item (dynamodb:getItem).
	StateReadCircuit = "ReadCircuit"
	// StateCheckCircuit is the Choice implementing circuit.Decide.
	StateCheckCircuit = "CheckCircuit"
	// StateRejectForcedOpen, StateRejectHealthcheckAlarm and StateRejectOpen fail
	// fast with ErrorCircuitOpen; one per reason, so the cause says why.
	StateRejectForcedOpen       = "RejectForcedOpen"
	StateRejectHealthcheckAlarm = "RejectHealthcheckAlarm"
	StateRejectOpen             = "RejectOpen"
	// StateInvokeDownstream invokes the protected function (lambda:invoke).
	StateInvokeDownstream = "InvokeDownstream"
	// StateDownstreamFailed receives the downstream's error after retries.
	StateDownstreamFailed = "DownstreamFailed"
	// StateRaiseDownstreamError ends the execution FAILED with the downstream's
	// error and cause; StateRaiseDownstreamErrorWithoutCause when it gave no cause.
	StateRaiseDownstreamError             = "RaiseDownstreamError"
	StateRaiseDownstreamErrorWithoutCause = "RaiseDownstreamErrorWithoutCause"
)

// ErrorCircuitOpen is the error of an execution rejected without invoking the
// downstream. Callers match on it to tell "not tried" from "tried and failed".
const ErrorCircuitOpen = "CircuitOpen"

// TransientDynamoDBErrors are the read's errors worth a quick retry: throttling
// on the circuit's (hot) item and the service's own 5xx. Anything else, such as a
// missing table or missing permissions, will not heal within a request.
func TransientDynamoDBErrors() []string {
	return []string{
		"DynamoDB.ProvisionedThroughputExceededException",
		"DynamoDB.RequestLimitExceeded",
		"DynamoDB.ThrottlingException",
		"DynamoDB.InternalServerErrorException",
		"DynamoDB.InternalServerError",
		"DynamoDB.SdkClientException",
		"DynamoDB.AmazonDynamoDBException",
	}
}

// readRetry is short on purpose: the read is on every request's critical path,
// and when it keeps failing the request proceeds anyway (fail open), so waiting
// longer only adds latency.
var readRetry = retrier{ErrorEquals: TransientDynamoDBErrors(), IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2}

// Definition returns the state machine's ASL document: deterministic (the same
// Config gives the same bytes), indented, JSONPath.
func Definition(cfg Config) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	def := newBuilder(cfg).build()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Service names may contain <, > or &; escaping them as \u003c would be valid
	// but needlessly unreadable in the console.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(def); err != nil {
		return "", fmt.Errorf("statemachine: encoding the definition: %w", err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

type builder struct {
	cfg    Config
	arn    func(service, action string) string
	states map[string]*state
}

func newBuilder(cfg Config) *builder {
	partition := cfg.partition()
	return &builder{
		cfg: cfg,
		arn: func(service, action string) string {
			return fmt.Sprintf("arn:%s:states:::%s:%s", partition, service, action)
		},
		states: map[string]*state{},
	}
}

func (b *builder) build() definition {
	b.readCircuit()
	b.checkCircuit()
	b.reject()
	b.invokeDownstream()
	b.downstreamFailed()
	return definition{
		Comment:       fmt.Sprintf("Circuit breaker %q: reads the circuit, then fails fast with %s or invokes the downstream.", b.cfg.ServiceName, ErrorCircuitOpen),
		QueryLanguage: "JSONPath",
		StartAt:       StateReadCircuit,
		States:        b.states,
	}
}

// item is the JSONPath of a string attribute of the circuit's item, as returned
// by getItem (DynamoDB JSON: {"Item": {"state": {"S": "OPEN"}}}).
func item(attr string) string { return "$.Item." + attr + ".S" }

func (b *builder) readCircuit() {
	b.states[StateReadCircuit] = &state{
		Type:     "Task",
		Comment:  "Read the circuit's item. No item means closed.",
		Resource: b.arn("dynamodb", "getItem"),
		Parameters: map[string]any{
			"TableName": b.cfg.TableName,
			"Key": map[string]any{
				circuit.KeyAttribute: map[string]any{"S": b.cfg.ServiceName},
			},
			// Eventually consistent: half the cost of a strong read on every
			// request, and a state change seen a moment late is harmless here.
			"ConsistentRead": false,
		},
		// The read's result replaces the state's input (ResultPath "$", the
		// default), so nothing here requires the caller's payload to be a JSON
		// object; the payload is taken back from $$.Execution.Input when invoking.
		Retry: []retrier{readRetry},
		// FAIL OPEN: when the circuit cannot be read (after the short retry), the
		// call goes through as if the circuit were closed. The breaker protects
		// callers from a failing downstream; an outage of the breaker's own store
		// must not become an outage of the service. Powertools' circuit breaker
		// makes the same choice.
		Catch: []catcher{{ErrorEquals: []string{"States.ALL"}, Next: StateInvokeDownstream}},
		Next:  StateCheckCircuit,
	}
}

// checkCircuit is circuit.Decide in ASL, rule for rule and in the same order
// (first match wins). Every attribute is guarded by IsPresent, because comparing
// an absent one is a States.Runtime error that no Catch can handle.
func (b *builder) checkCircuit() {
	openUntil := item(circuit.AttrOpenUntil)
	b.states[StateCheckCircuit] = &state{
		Type:    "Choice",
		Comment: "circuit.Decide: override, then healthcheck alarm, then OPEN until openUntil, else admit.",
		Choices: []rule{
			withNext(presentAndEquals(item(circuit.AttrOverride), string(circuit.ForcedOpen)), StateRejectForcedOpen),
			withNext(presentAndEquals(item(circuit.AttrOverride), string(circuit.ForcedClosed)), StateInvokeDownstream),
			withNext(presentAndEquals(item(circuit.AttrHealthcheckAlarm), string(circuit.AlarmStateAlarm)), StateRejectHealthcheckAlarm),
			withNext(rule{And: []rule{
				isPresent(item(circuit.AttrState)),
				stringEquals(item(circuit.AttrState), string(circuit.Open)),
				isPresent(openUntil),
				// A malformed openUntil cannot hold the circuit open: like an
				// absent one, it falls through to admit.
				{Variable: openUntil, IsTimestamp: ptr(true)},
				// The execution's start time is the request's "now"; openUntil is
				// in circuit.TimestampLayout, the same layout, and Step Functions
				// compares the two as instants.
				{Variable: openUntil, TimestampGreaterThanPath: "$$.Execution.StartTime"},
			}}, StateRejectOpen),
		},
		Default: StateInvokeDownstream,
	}
}

func withNext(r rule, next string) rule {
	r.Next = next
	return r
}

func (b *builder) reject() {
	svc := b.cfg.ServiceName
	reject := func(why string) *state {
		return &state{
			Type:  "Fail",
			Error: ErrorCircuitOpen,
			Cause: fmt.Sprintf("The circuit of %q is open (%s); the downstream was not invoked.", svc, why),
		}
	}
	b.states[StateRejectForcedOpen] = reject("forced open by an operator")
	b.states[StateRejectHealthcheckAlarm] = reject("its healthcheck alarm is in ALARM")
	b.states[StateRejectOpen] = reject("open until its open duration elapses")
}

func (b *builder) invokeDownstream() {
	s := &state{
		Type:     "Task",
		Resource: b.arn("lambda", "invoke"),
		Parameters: map[string]any{
			"FunctionName": b.cfg.DownstreamArn,
			// The caller's input, untouched and whatever its JSON type: the
			// state's own input is by now the circuit's item or a read error.
			"Payload.$": "$$.Execution.Input",
		},
		TimeoutSeconds: b.cfg.DownstreamTimeoutSeconds,
		// The caller gets exactly what the function returned, not the
		// integration's envelope (StatusCode, ExecutedVersion, headers).
		OutputPath: "$.Payload",
		// Every error after the retries, States.Timeout included, ends the
		// execution FAILED. The original module caught into a Pass state, which
		// turned failed calls into succeeded executions that no metric saw.
		Catch: []catcher{{ErrorEquals: []string{"States.ALL"}, Next: StateDownstreamFailed}},
		End:   true,
	}
	if p := b.cfg.retryPolicy(); p.MaxAttempts > 0 {
		s.Retry = []retrier{{
			ErrorEquals:     p.Errors,
			IntervalSeconds: p.IntervalSeconds,
			MaxAttempts:     p.MaxAttempts,
			BackoffRate:     p.BackoffRate,
			MaxDelaySeconds: p.MaxDelaySeconds,
		}}
	}
	b.states[StateInvokeDownstream] = s
}

// downstreamFailed re-raises the caught error as the execution's own. The ASL
// specification only says a caught error SHOULD carry a Cause, and CausePath on
// an absent Cause would itself fail (with States.Runtime, hiding the real error
// name), hence the Choice.
func (b *builder) downstreamFailed() {
	b.states[StateDownstreamFailed] = &state{
		Type: "Choice",
		Choices: []rule{withNext(rule{And: []rule{
			isPresent("$.Cause"),
			{Variable: "$.Cause", IsString: ptr(true)},
		}}, StateRaiseDownstreamError)},
		Default: StateRaiseDownstreamErrorWithoutCause,
	}
	b.states[StateRaiseDownstreamError] = &state{
		Type:      "Fail",
		ErrorPath: "$.Error",
		CausePath: "$.Cause",
	}
	b.states[StateRaiseDownstreamErrorWithoutCause] = &state{
		Type:      "Fail",
		ErrorPath: "$.Error",
	}
}
