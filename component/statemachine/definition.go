// Package statemachine builds the request path: the Amazon States Language
// definition of the state machine that callers run instead of invoking the
// protected function directly. It reads the circuit's item with Step Functions'
// own DynamoDB integration, decides by circuit.RequestPath, then fails fast with
// CircuitOpen (or runs the fallback), invokes the downstream counting its
// outcome, or runs it as a half-open probe. The rules (the decision tables and
// the conditional writes) are package circuit's, rendered here (render.go);
// this package adds the plumbing: invocations, catches, retries, data paths.
//
// With Config.CircuitKey the definition keeps one circuit per key of the
// caller's input, reading the breaker's item and the key's in one BatchGetItem
// (perkey.go, docs/per-key.md); without it, nothing of that is emitted.
//
// The common paths touch nothing but the read and the downstream: a healthy
// closed circuit costs 1 read and 1 invocation, an open one 1 read. Counting a
// failure, joining a half-open period, counting a probe success and closing are
// conditional DynamoDB updates made by the state machine itself; only the rare
// transitions that need time arithmetic (trip, probe election, reopen) call the
// controller Lambda (functions/controller). Every one of these writes adds 1 to
// the item's version, the optimistic-concurrency token of the Lambdas' writes.
//
// The definition uses JSONPath, not JSONata, so that the local executor the tests
// run it in (aws-local-stepfunctions) evaluates it like AWS does.
//
// The package has no Pulumi dependency: the component calls Definition inside an
// apply (the table name and function ARNs are outputs).
package statemachine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// State names. They show in execution histories and logs, and tests and
// dashboards refer to them, so they are part of the contract.
const (
	// StateReadCircuit reads the circuit's item (dynamodb:getItem).
	StateReadCircuit = circuit.StepReadCircuit
	// StateCheckCircuit is circuit.RequestPath, rendered.
	StateCheckCircuit = circuit.StepCheckCircuit

	// StateInvokeDownstream invokes the downstream on a closed circuit without
	// counted failures (the healthy path), counting a failure.
	StateInvokeDownstream = circuit.StepInvokeDownstream
	// StateInvokeDownstreamAfterFailures is the same on a closed circuit with
	// failures counted: a success then clears them (StateResetFailures).
	StateInvokeDownstreamAfterFailures = circuit.StepInvokeDownstreamAfterFailures
	StateResetFailures                 = circuit.StepResetFailures
	// StateInvokeForcedClosed invokes the downstream without any accounting.
	StateInvokeForcedClosed = circuit.StepInvokeForcedClosed

	// StateRecordFailure counts a failure (ADD failures); StateCheckFailureThreshold
	// sends the one that reaches the threshold to StateTrip (controller).
	StateRecordFailure         = circuit.StepRecordFailure
	StateCheckFailureThreshold = circuit.StepCheckFailureThreshold
	StateTrip                  = circuit.StepTrip

	// The election of a new half-open period (open duration or half-open
	// period over). StatePrepareElection takes the minute of the execution's
	// start (circuit.ElectionMinute); StateCheckElectionClaim rejects a call
	// when the election was claimed that minute; StateClaimElection (or
	// StateClaimElectionUnversioned, for an item without a version) claims
	// it by a write conditioned on the version read, which one concurrent
	// caller wins; the winner alone goes on to StateElectProbe, which asks
	// the controller to admit it as the probe, and StateCheckElection reads
	// the answer. StateReleaseElection frees the claim of a winner whose
	// controller call failed, so that the next caller can elect.
	StatePrepareElection          = circuit.StepPrepareElection
	StateCheckElectionClaim       = circuit.StepCheckElectionClaim
	StateClaimElection            = circuit.StepClaimElection
	StateClaimElectionUnversioned = circuit.StepClaimElectionUnversioned
	StateElectProbe               = circuit.StepElectProbe
	StateCheckElection            = "CheckElection"
	StateReleaseElection          = circuit.StepReleaseElection
	// StateJoinProbe takes a free probe slot of the current half-open period by
	// a conditional write.
	StateJoinProbe = circuit.StepJoinProbe
	// StateInvokeProbe invokes the downstream as a probe.
	StateInvokeProbe = circuit.StepInvokeProbe
	// StateRecordProbeSuccess counts a probe success (when more than one is
	// needed); StateCheckProbeSuccesses sends the one reaching the threshold to
	// StateCloseCircuit.
	StateRecordProbeSuccess  = circuit.StepRecordProbeSuccess
	StateCheckProbeSuccesses = circuit.StepCheckProbeSuccesses
	StateCloseCircuit        = circuit.StepCloseCircuit
	// StateReleaseProbe frees the slot of a probe that failed with an ignored
	// error; StateReopen (controller) reopens after a counted probe failure.
	StateReleaseProbe = circuit.StepReleaseProbe
	StateReopen       = circuit.StepReopen
	// StateReturnResult ends a successful execution whose bookkeeping write
	// failed or was not needed, with the downstream's result as output.
	StateReturnResult = circuit.StepReturnResult

	// The rejections, one per Fail state so the history says why, and the
	// cause too: a JSON document (circuit.Cause, fastfail.go). They exist only
	// without a fallback; with one, every rejection invokes it
	// (StateInvokeFallback).
	StateRejectForcedOpen       = circuit.StepRejectForcedOpen
	StateRejectHealthcheckAlarm = circuit.StepRejectHealthcheckAlarm
	StateRejectOpen             = circuit.StepRejectOpen
	StateRejectHalfOpenFull     = circuit.StepRejectHalfOpenFull
	StateRejectProbeNotAdmitted = circuit.StepRejectProbeNotAdmitted
	// StateRejectElectionClaimed: another caller claimed the election.
	StateRejectElectionClaimed = circuit.StepRejectElectionClaimed
	StateInvokeFallback        = circuit.StepInvokeFallback
	// StateRejectCircuitUnavailable ends an execution whose circuit could not
	// be read, when the breaker fails closed (Config.FailClosed).
	StateRejectCircuitUnavailable = circuit.StepRejectCircuitUnavailable

	// StateDownstreamFailed receives the downstream's (or fallback's) error.
	StateDownstreamFailed = circuit.StepDownstreamFailed
	// StateRaiseDownstreamError ends the execution FAILED with the downstream's
	// error and cause; StateRaiseDownstreamErrorWithoutCause when it gave no cause.
	StateRaiseDownstreamError             = "RaiseDownstreamError"
	StateRaiseDownstreamErrorWithoutCause = "RaiseDownstreamErrorWithoutCause"
)

// ErrorCircuitOpen is the error of an execution rejected without invoking the
// downstream. Callers match on it to tell "not tried" from "tried and failed".
const ErrorCircuitOpen = circuit.ErrorCircuitOpen

// ErrorCircuitUnavailable is the error of an execution that failed closed: the
// circuit's item could not be read, and nothing was invoked. Like CircuitOpen,
// it tells callers "not tried".
const ErrorCircuitUnavailable = circuit.ErrorCircuitUnavailable

// Step Functions names a DynamoDB error DynamoDB.<the Java SDK v1 exception
// class its code unmarshals to>, and every code without a class of its own
// DynamoDB.AmazonDynamoDBException: the classes are aws/aws-sdk-java's
// aws-java-sdk-dynamodb AmazonDynamoDBClient error metadata, the rule is
// recorded on AWS in LocalStack's tests/aws/services/stepfunctions/v2/
// error_handling/test_task_service_dynamodb.snapshot.json (ValidationException
// arrives as DynamoDB.AmazonDynamoDBException); the table the tests share:
// dev/sfn/dynamodb-exception-classes.json. The retry lists below use those
// names only: a wire code (RequestLimitExceeded, InternalServerError) or a
// code without a class (ThrottlingException) never matches on AWS.

// TransientDynamoDBErrors are the read's errors worth a quick retry: throttling
// of the circuit's (hot) item or of the account, the service's own 500, and a
// request that failed on the client side (SdkClientException: named by the
// rule that gives the Lambda integration its documented
// Lambda.SdkClientException; no response of DynamoDB's is recorded).
//
// Never DynamoDB.AmazonDynamoDBException: that is also the name of every
// permanent error, a missing permission, a KMS denial, a brought table whose
// key is of type N (ValidationException), and retrying it made each such
// request wait about 3 s before failing open. What it hides that is
// transient (ServiceUnavailable, and ThrottlingException, which DynamoDB
// documents for table operations only) fails open at once instead.
func TransientDynamoDBErrors() []string {
	return []string{
		"DynamoDB.ProvisionedThroughputExceededException",
		"DynamoDB.RequestLimitExceededException",
		"DynamoDB.InternalServerErrorException",
		"DynamoDB.SdkClientException",
	}
}

// DynamoDBThrottlingErrors are the writes' retried errors: a throttled request
// (item or account) was certainly not applied, whereas a 5xx or a client-side
// failure may have been, and the counters are ADDed, so retrying those could
// count one call twice.
func DynamoDBThrottlingErrors() []string {
	return []string{
		"DynamoDB.ProvisionedThroughputExceededException",
		"DynamoDB.RequestLimitExceededException",
	}
}

// ErrorDataLimitExceeded is Step Functions' error for data over its 256 KiB
// quota. A downstream's result too large for it (its payload plus the
// integration's envelope) fails the invocation's Task with it, and the Task's
// Catch sees it, States.ALL included: recorded on AWS in LocalStack's
// tests/aws/services/stepfunctions/v2/error_handling/test_states_errors.snapshot.json,
// although the Developer Guide calls it uncatchable.
const ErrorDataLimitExceeded = "States.DataLimitExceeded"

// Data paths inside an execution. The state input starts as the read's result
// ({"Item": ...}, or the read's error when failing open: always an object), and
// each state adds its part under its own key, so later states still see the
// item and the downstream's result or error.
const (
	pathFailure     = "$.Failure"     // {Error, Cause} of the downstream or fallback
	pathDownstream  = "$.Downstream"  // {Payload} of a successful invocation that continues
	pathProbe       = "$.Probe"       // {admitted, halfOpenUntil} of the election or join
	pathRecorded    = "$.Recorded"    // {failures} or {successes} after counting
	pathBookkeeping = "$.Bookkeeping" // a bookkeeping state's error, kept for the history only
	pathElection    = "$.Election"    // {minute}: the election's claim (circuit.ElectionMinute)
)

// Every Task has a TimeoutSeconds, so that an execution's worst case is bounded
// and computable (WorstCaseOf); the downstream's and the fallback's come from
// the Config.
const (
	// dynamoTimeoutSeconds bounds one attempt of a single-item DynamoDB call,
	// which takes milliseconds when DynamoDB is healthy: a read timing out
	// fails open, a write timing out is bookkeeping lost, like any failed one.
	// States.Timeout is in no retry list, so a timed-out write (which may yet
	// be applied) is never sent twice.
	dynamoTimeoutSeconds = 5
	// ControllerTimeoutSeconds bounds one attempt of a controller invocation
	// (a read and a conditional write of one item, with a few retries on
	// conflict). The component gives the controller Lambda a shorter timeout of
	// its own (ControllerFunctionTimeoutSeconds), so that the function stops,
	// and with it any write, before the Task gives up on it.
	ControllerTimeoutSeconds = 10
	// ControllerFunctionTimeoutSeconds is the controller Lambda's Timeout: the
	// Task's, less the time a cold start may take before the function's own
	// clock starts (Go's init takes well under that).
	ControllerFunctionTimeoutSeconds = ControllerTimeoutSeconds - 2
)

// readRetry is short on purpose: the read is on every request's critical path,
// and when it keeps failing the request proceeds anyway (fail open), so waiting
// longer only adds latency.
var readRetry = retrier{ErrorEquals: TransientDynamoDBErrors(), IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2}

// writeRetry: the bookkeeping writes retry throttling only (see
// DynamoDBThrottlingErrors), briefly: they delay the caller's answer.
var writeRetry = retrier{ErrorEquals: DynamoDBThrottlingErrors(), IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2}

// controllerRetry: the controller's transient Lambda errors. A retried
// election that had in fact been applied admits one caller twice, which only
// uses up a probe slot: never more than HalfOpenMaxCalls probes.
var controllerRetry = retrier{ErrorEquals: TransientLambdaErrors(), IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2}

// electRetry: the election is retried once only. Its caller is the claim's
// one winner, which releases the claim when the election fails, so that the
// next caller elects: a second retry would only keep everyone waiting on one
// caller, and it would lengthen the probe's path (the half-open period, and
// with EXPRESS the 300 s budget) by more than the claim adds.
var electRetry = retrier{ErrorEquals: TransientLambdaErrors(), IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 2}

// fallbackRetry: the fallback is not the downstream: only Lambda's own
// transient errors, briefly.
var fallbackRetry = retrier{ErrorEquals: TransientLambdaErrors(), IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2}

// Definition returns the state machine's ASL document: deterministic (the same
// Config gives the same bytes), indented, JSONPath.
func Definition(cfg Config) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	b := newBuilder(cfg)
	def := b.build()
	if err := b.err(); err != nil {
		return "", err
	}
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
	errs   []error // rendering errors (render.go)
	// breakerAt, when set, is where the breaker's item sits instead of
	// $.Read.breaker (breakerHolds: the item read alone, at $.Read.Item).
	breakerAt string
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
	start := StateReadCircuit
	if b.keyed() {
		b.keyedRead()
		start = StateCheckCircuitKey
	} else {
		b.readCircuit()
	}
	b.checkCircuit()
	b.closedPath()
	b.failurePath()
	b.probePath()
	b.rejections()
	b.downstreamFailed()
	b.resultChecks()
	return definition{
		Comment: fmt.Sprintf("Circuit breaker %q: reads the circuit, then fails fast with %s (or runs the fallback), invokes the downstream counting consecutive failures, or runs it as a half-open probe.",
			b.cfg.ServiceName, ErrorCircuitOpen),
		QueryLanguage: "JSONPath",
		StartAt:       start,
		States:        b.states,
	}
}

// item is the JSONPath of a string attribute of the circuit's item, as returned
// by getItem (DynamoDB JSON: {"Item": {"state": {"S": "OPEN"}}}).
func item(attr string) string { return "$.Item." + attr + ".S" }

func itemNumber(attr string) string { return "$.Item." + attr + ".N" }

func (b *builder) key() map[string]any {
	return map[string]any{circuit.KeyAttribute: b.itemKey()}
}

func (b *builder) readCircuit() {
	b.states[StateReadCircuit] = &state{
		Type:     "Task",
		Comment:  "Read the circuit's item. No item means closed.",
		Resource: b.arn("dynamodb", "getItem"),
		Parameters: map[string]any{
			"TableName": b.cfg.TableName,
			"Key":       b.key(),
			// Eventually consistent: half the cost of a strong read on every
			// request, and a state change seen a moment late is harmless here:
			// every write after it is conditional on what it expects.
			"ConsistentRead": false,
		},
		TimeoutSeconds: dynamoTimeoutSeconds,
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
	b.failClosedOnReadError()
}

// failClosedOnReadError: FAIL CLOSED, by the user's choice (Config.FailClosed).
// A downstream that must never be called unguarded (it is the one the breaker
// protects from overload) is not called when its circuit cannot be read. The
// read's error stays in the history (its TaskFailed event); the caller sees
// ours. The keyed read answers its store errors in keyedRead, after reading
// the breaker's item alone, with the same Fail state.
func (b *builder) failClosedOnReadError() {
	if !b.cfg.FailClosed {
		return
	}
	b.states[StateReadCircuit].Catch = []catcher{{ErrorEquals: []string{"States.ALL"}, Next: b.storeUnavailable()}}
}

// rejectCircuitUnavailable is the Fail state of a read error when failing closed.
func (b *builder) rejectCircuitUnavailable() {
	b.states[StateRejectCircuitUnavailable] = b.fastFail(StateRejectCircuitUnavailable)
}

// checkCircuit is circuit.RequestPath, rendered: every rejection goes to its
// Fail state, or to the fallback when there is one.
func (b *builder) checkCircuit() {
	b.states[StateCheckCircuit] = choiceState(b, circuit.RequestPath,
		circuit.Params{circuit.ParamHalfOpenMaxCalls: circuit.N(int64(b.cfg.HalfOpenMaxCalls))},
		func(r circuit.Row[circuit.Verdict]) string {
			if r.Then == circuit.Reject {
				return b.reject(r.Step)
			}
			return r.Step
		})
}

func withNext(r rule, next string) rule {
	r.Next = next
	return r
}

// invoke is a lambda:invoke Task on the downstream with the caller's payload.
func (b *builder) invoke(functionArn string) *state {
	s := &state{
		Type:     "Task",
		Resource: b.arn("lambda", "invoke"),
		Parameters: map[string]any{
			"FunctionName": functionArn,
			// The caller's input, untouched and whatever its JSON type: the
			// state's own input is by now the circuit's item or a read error.
			"Payload.$": "$$.Execution.Input",
		},
		TimeoutSeconds: b.cfg.DownstreamTimeoutSeconds,
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
	return s
}

// end makes an invocation the execution's last state: the caller gets exactly
// what the function returned, not the integration's envelope (StatusCode,
// ExecutedVersion, headers). OutputPath leaves nothing of the envelope in the
// state's output; a ResultSelector would shrink nothing that counts against
// the payload quota either, which applies to the integration's result before
// ResultSelector (docs/limits.md).
func end(s *state) *state {
	s.OutputPath = "$.Payload"
	s.End = true
	return s
}

// keep makes an invocation continue with its result kept under $.Downstream,
// beside the item, for the bookkeeping states that follow.
func keep(s *state, next string) *state {
	s.ResultSelector = map[string]any{"Payload.$": "$.Payload"}
	s.ResultPath = path(pathDownstream)
	s.Next = next
	return s
}

// failures routes the downstream's errors, after its Retry: the uncounted ones
// to uncounted, every other one (States.Timeout included) to counted. The
// error goes under $.Failure so the item stays visible.
func (b *builder) failures(uncounted, counted string) []catcher {
	return []catcher{
		{ErrorEquals: b.uncounted(), ResultPath: path(pathFailure), Next: uncounted},
		{ErrorEquals: []string{"States.ALL"}, ResultPath: path(pathFailure), Next: counted},
	}
}

// uncounted are the errors that neither count as a failure nor as a success:
// the user's ignored errors, the invocation's own (InvocationErrors: the
// breaker could not invoke the downstream, which says nothing of its health),
// and a result over the payload quota (ErrorDataLimitExceeded: the downstream
// answered; without this, States.ALL would count it, and a service that
// answers too much would trip its own circuit).
func (b *builder) uncounted() []string {
	names := slices.Clone(b.cfg.IgnoreErrors)
	for _, e := range append(InvocationErrors(), ErrorDataLimitExceeded) {
		if !slices.Contains(names, e) {
			names = append(names, e)
		}
	}
	return names
}

// catchAll sends any error of a bookkeeping state to next, keeping the input:
// a failed bookkeeping write must never hide the downstream's own outcome.
func catchAll(next string) []catcher {
	return []catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: path(pathBookkeeping), Next: next}}
}

// update is a dynamodb:updateItem Task on the circuit's item. Every update
// adds 1 to version, like every writer of the item: the Lambdas' writes are
// conditional on the version they read, and must see this one.
func (b *builder) update(comment, expr, cond string, names map[string]string, values map[string]any) *state {
	names["#version"] = circuit.AttrVersion
	values[":one"] = map[string]any{"N": "1"}
	return &state{
		Type:     "Task",
		Comment:  comment,
		Resource: b.arn("dynamodb", "updateItem"),
		Parameters: map[string]any{
			"TableName":                 b.cfg.TableName,
			"Key":                       b.key(),
			"UpdateExpression":          expr,
			"ConditionExpression":       cond,
			"ExpressionAttributeNames":  names,
			"ExpressionAttributeValues": values,
		},
		TimeoutSeconds: dynamoTimeoutSeconds,
		Retry:          []retrier{writeRetry},
	}
}

// The controller's "now" ("at") for each kind of transition.
const (
	// decidedAt is the execution's start, the instant CheckCircuit compared the
	// deadlines with: an election must agree with that comparison, or a call
	// rejected as "still open" and one elected as "open duration over" could
	// disagree about the same deadline.
	decidedAt = "$$.Execution.StartTime"
	// failedAt is when the state reporting a failure was entered, right after
	// the downstream (or probe) failed: an opening counts from the failure, not
	// from the start of a call that may have spent its whole timeout and retries
	// before failing (a 30 s timeout would otherwise rest a 60 s open duration
	// for 30 s, and a timeout of 60 s or more not at all). State.EnteredTime is
	// documented for every state ("Format: ISO 8601",
	// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html)
	// and is the service's clock, like the start time.
	failedAt = "$$.State.EnteredTime"
)

// controller is a lambda:invoke Task on the controller Lambda, with "at" (the
// controller's now) taken from the context path at.
func (b *builder) controller(payload map[string]any, at string) *state {
	payload["at.$"] = at
	if b.keyed() {
		// The circuit acted on: a key's, or "" for the breaker's own item.
		payload["key.$"] = pathCircuit + ".key"
	}
	return &state{
		Type:     "Task",
		Resource: b.arn("lambda", "invoke"),
		Parameters: map[string]any{
			"FunctionName": b.cfg.ControllerArn,
			"Payload":      payload,
		},
		TimeoutSeconds: ControllerTimeoutSeconds,
		Retry:          []retrier{controllerRetry},
	}
}

// attrS and attrN are DynamoDB JSON values.
func attrS(v string) map[string]any { return map[string]any{"S": v} }
func attrN(v int) map[string]any    { return map[string]any{"N": strconv.Itoa(v)} }

// closedPath: counted invocations on a closed circuit, and the forced-closed one.
func (b *builder) closedPath() {
	// The healthy path: one read, one invocation, nothing written.
	inv := end(b.invoke(b.cfg.DownstreamArn))
	inv.Catch = b.failures(StateDownstreamFailed, StateRecordFailure)
	b.states[StateInvokeDownstream] = inv

	inv = keep(b.invoke(b.cfg.DownstreamArn), StateResetFailures)
	inv.Catch = b.failures(StateDownstreamFailed, StateRecordFailure)
	b.states[StateInvokeDownstreamAfterFailures] = inv

	reset := b.updateTask(circuit.ResetFailures, nil)
	reset.ResultPath = discard
	reset.OutputPath = pathDownstream + ".Payload"
	reset.End = true
	reset.Catch = catchAll(StateReturnResult)
	b.states[StateResetFailures] = reset

	inv = end(b.invoke(b.cfg.DownstreamArn))
	inv.Comment = "Forced closed by an operator: invoke without counting anything."
	inv.Catch = []catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: path(pathFailure), Next: StateDownstreamFailed}}
	b.states[StateInvokeForcedClosed] = inv

	b.states[StateReturnResult] = &state{
		Type:       "Succeed",
		Comment:    "The downstream succeeded; only bookkeeping is left undone or unneeded.",
		OutputPath: pathDownstream + ".Payload",
	}
}

// failurePath counts a failure of a closed circuit and trips it at the threshold.
func (b *builder) failurePath() {
	rec := b.updateTask(circuit.CountFailure, nil)
	rec.Parameters["ReturnValues"] = "UPDATED_NEW"
	rec.ResultSelector = map[string]any{"failures.$": "States.StringToJson($.Attributes." + circuit.AttrFailures + ".N)"}
	rec.ResultPath = path(pathRecorded)
	rec.Catch = catchAll(StateDownstreamFailed)
	rec.Next = StateCheckFailureThreshold
	b.states[StateRecordFailure] = rec

	b.states[StateCheckFailureThreshold] = choiceState(b, circuit.TripAtThreshold,
		circuit.Params{circuit.ParamFailureThreshold: circuit.N(int64(b.cfg.FailureThreshold))}, stepOf)

	trip := b.controller(map[string]any{
		"action":     "trip",
		"failures.$": pathRecorded + ".failures",
		"error.$":    pathFailure + ".Error",
	}, failedAt)
	trip.Comment = "Open the circuit for its (backed-off) open duration: time arithmetic, hence the controller."
	trip.ResultPath = discard
	trip.Catch = catchAll(StateDownstreamFailed)
	trip.Next = StateDownstreamFailed
	b.states[StateTrip] = trip
}

// probePath: election, joining, the probe itself and its verdict.
func (b *builder) probePath() {
	period := pathProbe + ".halfOpenUntil"

	b.claimElection()

	elect := b.controller(map[string]any{"action": "elect"}, decidedAt)
	elect.Retry = []retrier{electRetry}
	elect.Comment = "A new half-open period (open duration or previous period over) starts at now + probe budget: time arithmetic, hence the controller. Only the claim's winner gets here."
	// Both fields are always in the controller's response: a missing path here
	// would be a States.Runtime error, which no Catch handles.
	elect.ResultSelector = map[string]any{"admitted.$": "$.Payload.admitted", "halfOpenUntil.$": "$.Payload.halfOpenUntil"}
	elect.ResultPath = path(pathProbe)
	// FAIL CLOSED, unlike the read: elections come in bursts exactly when the
	// downstream is suspect, and admitting everyone because the controller is
	// throttled would be the stampede the breaker exists to prevent. The
	// claim is released first, so that the next caller can elect.
	elect.Catch = catchAll(StateReleaseElection)
	elect.Next = StateCheckElection
	b.states[StateElectProbe] = elect

	release := b.updateTask(circuit.ReleaseClaim, map[string]any{circuit.ParamMinute: map[string]any{"S.$": pathElection + ".minute"}})
	// No retry: a release that fails leaves a claim that expires with its
	// minute, and this call is rejected either way.
	release.Retry = nil
	release.ResultPath = discard
	release.Catch = catchAll(b.reject(StateRejectProbeNotAdmitted))
	release.Next = b.reject(StateRejectProbeNotAdmitted)
	b.states[StateReleaseElection] = release

	b.states[StateCheckElection] = &state{
		Type: "Choice",
		Choices: []rule{withNext(and(isPresent(pathProbe+".admitted"), rule{Variable: pathProbe + ".admitted", BooleanEquals: ptr(true)}),
			StateInvokeProbe)},
		Default: b.reject(StateRejectProbeNotAdmitted),
	}

	join := b.updateTask(circuit.JoinProbe, map[string]any{
		circuit.ParamPeriod:           map[string]any{"S.$": item(circuit.AttrHalfOpenUntil)},
		circuit.ParamHalfOpenMaxCalls: attrN(b.cfg.HalfOpenMaxCalls),
	})
	// ALL_NEW for the period, so that InvokeProbe's followers find it where
	// ElectProbe puts it; the condition guarantees it is the one read.
	join.Parameters["ReturnValues"] = "ALL_NEW"
	join.ResultSelector = map[string]any{"admitted": true, "halfOpenUntil.$": "$.Attributes." + circuit.AttrHalfOpenUntil + ".S"}
	join.ResultPath = path(pathProbe)
	join.Catch = catchAll(b.reject(StateRejectProbeNotAdmitted))
	join.Next = StateInvokeProbe
	b.states[StateJoinProbe] = join

	next := StateRecordProbeSuccess
	if b.cfg.SuccessThreshold == 1 {
		next = StateCloseCircuit // one success closes: no count to keep
	}
	probe := keep(b.invoke(b.cfg.DownstreamArn), next)
	probe.Comment = "The probe: the caller's own call, whose outcome decides the circuit."
	// A probe that could not be invoked, or failed with an ignored error, gives
	// no verdict: its slot is freed for another probe.
	probe.Catch = b.failures(StateReleaseProbe, StateReopen)
	b.states[StateInvokeProbe] = probe

	periodValue := map[string]any{"S.$": period}

	// States are emitted only where reachable: Step Functions rejects a
	// definition with unreachable states.
	if b.cfg.SuccessThreshold > 1 {
		b.recordProbeSuccess(periodValue)
	}
	b.closeCircuit(periodValue)
	b.releaseProbe(periodValue)

	reopen := b.controller(map[string]any{
		"action":          "reopen",
		"error.$":         pathFailure + ".Error",
		"halfOpenUntil.$": period,
	}, failedAt)
	reopen.Comment = "The probe failed: open again for the next back-off duration (time arithmetic, hence the controller)."
	reopen.ResultPath = discard
	reopen.Catch = catchAll(StateDownstreamFailed)
	reopen.Next = StateDownstreamFailed
	b.states[StateReopen] = reopen
}

// claimElection emits the claim before the election: of all the callers
// that find the open duration (or a half-open period) over at once, exactly
// one invokes the controller; the others fail fast. Without it, each of them
// invoked the controller's elect (200 concurrent callers made 200 controller
// invocations), which met the controller's reserved concurrency, so the fast
// fails waited on throttled invocations and their retries, and a trip or an
// operator's override could be throttled with them.
//
// The claim is a conditional write, like gobreaker's generation: it wins only
// on the version read (nobody wrote since: a caller that read an older item,
// or read after another caller's claim, loses) and if nobody claimed in the
// same minute (circuit.ElectionMinute). The minute is what makes a claim
// expire without time arithmetic, which Amazon States Language cannot do: a
// claimer that dies between its claim and the controller (or whose release
// fails) holds the election for at most the rest of its minute. The
// controller's election, and every opening and close, remove the claim, so a
// new deadline is claimed afresh; a winner whose controller call fails
// releases it at once (StateReleaseElection).
//
// The minute is States.Format of the first two parts of
// States.StringSplit($$.Execution.StartTime, ':'), nested as AWS's own
// example nests them (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html:
// "You can nest up to 10 intrinsic functions", States.ArrayGetItem of
// States.StringSplit); the start time is rendered "...T12:03:45.123Z", or
// "...T12:03:45Z" when the milliseconds are zero (docs/aws-facts.md), the
// same minute either way. The Choice compares the item's
// claim with it by StringEqualsPath (Choice state, comparison operators
// "...Path": https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html).
func (b *builder) claimElection() {
	split := "States.StringSplit($$.Execution.StartTime, ':')"
	b.states[StatePrepareElection] = &state{
		Type:    "Pass",
		Comment: "The claim is the minute of the execution's start (the first two ':'-separated parts of $$.Execution.StartTime), circuit.ElectionMinute.",
		Parameters: map[string]any{
			"minute.$": fmt.Sprintf("States.Format('{}:{}', States.ArrayGetItem(%s, 0), States.ArrayGetItem(%s, 1))", split, split),
		},
		ResultPath: path(pathElection),
		Next:       StateCheckElectionClaim,
	}
	b.states[StateCheckElectionClaim] = choiceState(b, circuit.ElectionClaimRules,
		circuit.Params{circuit.ParamMinute: atPath(pathElection + ".minute")},
		func(r circuit.Row[circuit.Verdict]) string {
			if r.Then == circuit.Reject {
				return b.reject(r.Step)
			}
			return r.Step
		})
	minute := map[string]any{"S.$": pathElection + ".minute"}
	for _, claim := range []struct {
		u    circuit.Update
		bind map[string]any
	}{
		{circuit.Claim, map[string]any{circuit.ParamMinute: minute, circuit.ParamReadVersion: map[string]any{"N.$": itemNumber(circuit.AttrVersion)}}},
		{circuit.ClaimUnversioned, map[string]any{circuit.ParamMinute: minute}},
	} {
		c := b.updateTask(claim.u, claim.bind)
		// No retry: a lost claim is the answer (another caller elects), and a
		// throttled one is rejected at once rather than making the caller wait.
		c.Retry = nil
		c.ResultPath = discard
		c.Catch = catchAll(b.reject(StateRejectElectionClaimed))
		c.Next = StateElectProbe
		b.states[claim.u.Step] = c
	}
}

// The probe's writes act only on its own half-open period (periodValue:
// the one its election or join answered).
func (b *builder) recordProbeSuccess(periodValue map[string]any) {
	rec := b.updateTask(circuit.CountProbeSuccess, map[string]any{circuit.ParamPeriod: periodValue})
	rec.Parameters["ReturnValues"] = "UPDATED_NEW"
	rec.ResultSelector = map[string]any{"successes.$": "States.StringToJson($.Attributes." + circuit.AttrSuccesses + ".N)"}
	rec.ResultPath = path(pathRecorded)
	rec.Catch = catchAll(StateReturnResult)
	rec.Next = StateCheckProbeSuccesses
	b.states[StateRecordProbeSuccess] = rec

	b.states[StateCheckProbeSuccesses] = choiceState(b, circuit.CloseAtThreshold,
		circuit.Params{circuit.ParamSuccessThreshold: circuit.N(int64(b.cfg.SuccessThreshold))}, stepOf)
}

func (b *builder) closeCircuit(periodValue map[string]any) {
	closeC := b.updateTask(circuit.CloseByProbe, map[string]any{
		circuit.ParamPeriod: periodValue,
		// The execution's start as Step Functions renders it: milliseconds
		// and Z, but no fraction when the milliseconds are zero, so not
		// always circuit.TimestampLayout. Harmless here: transitionAt is only
		// parsed, never compared as a string (see circuit.AttrTransitionAt);
		// normalising it would take intrinsics whose splitting AWS does not
		// document precisely enough to rely on.
		circuit.ParamNow:    map[string]any{"S.$": "$$.Execution.StartTime"},
		circuit.ParamReason: attrS(circuit.ProbeCloseReason(b.cfg.SuccessThreshold)),
	})
	closeC.ResultPath = discard
	closeC.OutputPath = pathDownstream + ".Payload"
	closeC.End = true
	closeC.Catch = catchAll(StateReturnResult)
	b.states[StateCloseCircuit] = closeC
}

func (b *builder) releaseProbe(periodValue map[string]any) {
	release := b.updateTask(circuit.ReleaseProbe, map[string]any{circuit.ParamPeriod: periodValue})
	release.ResultPath = discard
	release.Catch = catchAll(StateDownstreamFailed)
	release.Next = StateDownstreamFailed
	b.states[StateReleaseProbe] = release
}

// reject is where a rejection of the given kind goes: its Fail state, or the
// fallback when there is one.
func (b *builder) reject(name string) string {
	if b.cfg.Shadow {
		return circuit.Rejection[circuit.ModeShadow].Step
	}
	if b.cfg.FallbackArn != "" {
		return StateInvokeFallback
	}
	return name
}

func (b *builder) rejections() {
	if b.cfg.Shadow {
		b.wouldReject()
		return
	}
	if b.cfg.FallbackArn != "" {
		fb := end(b.invoke(b.cfg.FallbackArn))
		fb.Comment = "The circuit rejects this call: the fallback answers instead, with the caller's payload."
		// The fallback is not the downstream: its own timeout and retry.
		fb.TimeoutSeconds = b.cfg.FallbackTimeoutSeconds
		fb.Retry = []retrier{fallbackRetry}
		fb.Catch = []catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: path(pathFailure), Next: StateDownstreamFailed}}
		b.states[StateInvokeFallback] = fb
		return
	}
	b.fastFails()
}

// downstreamFailed re-raises the caught error as the execution's own. The ASL
// specification only says a caught error SHOULD carry a Cause, and CausePath on
// an absent Cause would itself fail (with States.Runtime, hiding the real error
// name), hence the Choice. Bookkeeping states on the way here only added their
// own keys: $.Failure is still the downstream's.
func (b *builder) downstreamFailed() {
	cause := pathFailure + ".Cause"
	b.states[StateDownstreamFailed] = &state{
		Type: "Choice",
		Choices: []rule{withNext(and(
			isPresent(cause),
			rule{Variable: cause, IsString: ptr(true)},
		), StateRaiseDownstreamError)},
		Default: StateRaiseDownstreamErrorWithoutCause,
	}
	b.states[StateRaiseDownstreamError] = &state{
		Type:      "Fail",
		ErrorPath: pathFailure + ".Error",
		CausePath: cause,
	}
	b.states[StateRaiseDownstreamErrorWithoutCause] = &state{
		Type:      "Fail",
		ErrorPath: pathFailure + ".Error",
	}
}
