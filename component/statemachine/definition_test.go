package statemachine

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
)

// doc decodes a definition into generic JSON, so that the assertions check the
// document AWS receives rather than this package's own structs.
func doc(t *testing.T, cfg Config) map[string]any {
	t.Helper()
	def, err := Definition(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(def), &m); err != nil {
		t.Fatalf("the definition is not JSON: %v\n%s", err, def)
	}
	return m
}

// at walks keys (string) and indexes (int) into decoded JSON.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for i, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %v", path, path[:i])
			}
			if v, ok = m[k]; !ok {
				t.Fatalf("%v: no %q at %v", path, k, path[:i])
			}
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("%v: no index %d at %v", path, k, path[:i])
			}
			v = a[k]
		}
	}
	return v
}

func jsonOf(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad expected JSON: %v\n%s", err, s)
	}
	return v
}

func assertJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	if w := jsonOf(t, want); !reflect.DeepEqual(got, w) {
		g, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("%s:\ngot  %s\nwant %s", what, g, want)
	}
}

func TestDefinitionShape(t *testing.T) {
	cfg := validConfig()
	cfg.DownstreamArn += ":live"
	d := doc(t, cfg)

	if got := at(t, d, "QueryLanguage"); got != "JSONPath" {
		t.Errorf("QueryLanguage = %v: the local executor silently ignores JSONata", got)
	}
	if got := at(t, d, "StartAt"); got != StateReadCircuit {
		t.Errorf("StartAt = %v", got)
	}
	states := at(t, d, "States").(map[string]any)
	// The default config: one probe that closes on success, no fallback, so no
	// RecordProbeSuccess or InvokeFallback (Step Functions rejects unreachable
	// states). ReleaseProbe is always there: a probe Lambda refused to invoke
	// (InvocationErrors) frees its slot.
	want := []string{StateReadCircuit, StateCheckCircuit,
		StateInvokeDownstream, StateInvokeDownstreamAfterFailures, StateResetFailures, StateInvokeForcedClosed,
		StateRecordFailure, StateCheckFailureThreshold, StateTrip,
		StatePrepareElection, StateCheckElectionClaim, StateClaimElection, StateClaimElectionUnversioned, StateReleaseElection,
		StateElectProbe, StateCheckElection, StateJoinProbe, StateInvokeProbe, StateCloseCircuit, StateReleaseProbe, StateReopen, StateReturnResult,
		StateRejectForcedOpen, StateRejectHealthcheckAlarm, StateRejectOpen, StateRejectHalfOpenFull, StateRejectProbeNotAdmitted,
		StateRejectElectionClaimed, StateDownstreamFailed, StateRaiseDownstreamError, StateRaiseDownstreamErrorWithoutCause}
	if len(states) != len(want) {
		t.Errorf("%d states, want %d", len(states), len(want))
	}
	for _, name := range want {
		if _, ok := states[name]; !ok {
			t.Errorf("no state %s", name)
		}
	}
	// No state may turn a failure into a success, as the original's Pass did:
	// the one Pass builds the election's claim (before anything is invoked),
	// the one Succeed is reached only after the downstream succeeded.
	for name, s := range states {
		typ := at(t, s, "Type")
		if (typ == "Pass" && name != StatePrepareElection) || (typ == "Succeed" && name != StateReturnResult) {
			t.Errorf("state %s is a %s", name, typ)
		}
	}
	for _, cfg := range validatorConfigs() {
		assertFailuresNeverSucceed(t, doc(t, cfg))
	}
}

// assertFailuresNeverSucceed walks the graph from every catcher of an
// invocation of the downstream or fallback: no path may end in success.
func assertFailuresNeverSucceed(t *testing.T, d map[string]any) {
	t.Helper()
	states := at(t, d, "States").(map[string]any)
	var walk func(name string, seen map[string]bool)
	walk = func(name string, seen map[string]bool) {
		if seen[name] {
			return
		}
		seen[name] = true
		s := states[name].(map[string]any)
		if s["Type"] == "Succeed" || s["End"] == true {
			t.Errorf("a caught downstream error can end in %s, a success", name)
			return
		}
		for _, k := range []string{"Next", "Default"} {
			if n, ok := s[k].(string); ok {
				walk(n, seen)
			}
		}
		for _, list := range []string{"Choices", "Catch"} {
			items, _ := s[list].([]any)
			for _, it := range items {
				// A result failure's rule: $.Failure is a Catch's {Error,
				// Cause} on these paths, never marked as a result's.
				if v, _ := it.(map[string]any)["Variable"].(string); v == pathFailure+"."+resultMarker {
					continue
				}
				walk(it.(map[string]any)["Next"].(string), seen)
			}
		}
	}
	for _, name := range []string{StateInvokeDownstream, StateInvokeDownstreamAfterFailures, StateInvokeForcedClosed, StateInvokeProbe, StateInvokeFallback} {
		s, ok := states[name].(map[string]any)
		if !ok {
			continue
		}
		for _, c := range s["Catch"].([]any) {
			walk(c.(map[string]any)["Next"].(string), map[string]bool{})
		}
	}
}

func TestReadCircuitState(t *testing.T) {
	d := doc(t, validConfig())
	s := at(t, d, "States", StateReadCircuit)
	assertJSON(t, "ReadCircuit", s, `{
		"Type": "Task",
		"Comment": "Read the circuit's item. No item means closed.",
		"Resource": "arn:aws:states:::dynamodb:getItem",
		"Parameters": {
			"TableName": "circuits",
			"Key": {"serviceName": {"S": "orders"}},
			"ConsistentRead": false
		},
		"TimeoutSeconds": 5,
		"Retry": [{
			"ErrorEquals": [
				"DynamoDB.ProvisionedThroughputExceededException",
				"DynamoDB.RequestLimitExceededException",
				"DynamoDB.InternalServerErrorException",
				"DynamoDB.SdkClientException"
			],
			"IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2
		}],
		"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "InvokeDownstream"}],
		"Next": "CheckCircuit"
	}`)
	// A ResultPath, InputPath or Parameters on the caller's payload would make
	// non-object payloads fail (States.ResultPathMatchFailure).
	for _, k := range []string{"ResultPath", "InputPath", "OutputPath", "ResultSelector"} {
		if _, ok := s.(map[string]any)[k]; ok {
			t.Errorf("ReadCircuit has %s", k)
		}
	}
	// Reading must not be retried on errors that cannot heal within a request.
	retried := fmt.Sprint(at(t, s, "Retry", 0, "ErrorEquals"))
	for _, never := range []string{"States.ALL", "States.TaskFailed", "ResourceNotFound", "AccessDenied", "Validation"} {
		if strings.Contains(retried, never) {
			t.Errorf("the read retries %s", never)
		}
	}
}

// The Choice is circuit.Decide, rule for rule and in order.
func TestCheckCircuitState(t *testing.T) {
	cfg := validConfig()
	cfg.HalfOpenMaxCalls = 3
	cfg.SuccessThreshold = 2
	d := doc(t, cfg)
	assertJSON(t, "CheckCircuit", at(t, d, "States", StateCheckCircuit), `{
		"Type": "Choice",
		"Comment": "circuit.Decide: override, healthcheck alarm, OPEN until openUntil then elect (unless claimed this minute), HALF_OPEN until halfOpenUntil (join while slots are free) then elect, else invoke counted.",
		"Choices": [
			{"And": [
				{"Variable": "$.Item.override.S", "IsPresent": true},
				{"Variable": "$.Item.override.S", "StringEquals": "FORCED_OPEN"}
			], "Next": "RejectForcedOpen"},
			{"And": [
				{"Variable": "$.Item.override.S", "IsPresent": true},
				{"Variable": "$.Item.override.S", "StringEquals": "FORCED_CLOSED"}
			], "Next": "InvokeForcedClosed"},
			{"And": [
				{"Variable": "$.Item.healthcheckAlarm.S", "IsPresent": true},
				{"Variable": "$.Item.healthcheckAlarm.S", "StringEquals": "ALARM"}
			], "Next": "RejectHealthcheckAlarm"},
			{"And": [
				{"Variable": "$.Item.state.S", "IsPresent": true},
				{"Variable": "$.Item.state.S", "StringEquals": "OPEN"},
				{"Variable": "$.Item.openUntil.S", "IsPresent": true},
				{"Variable": "$.Item.openUntil.S", "IsTimestamp": true},
				{"Variable": "$.Item.openUntil.S", "TimestampGreaterThanPath": "$$.Execution.StartTime"}
			], "Next": "RejectOpen"},
			{"And": [
				{"Variable": "$.Item.state.S", "IsPresent": true},
				{"Variable": "$.Item.state.S", "StringEquals": "OPEN"}
			], "Next": "PrepareElection"},
			{"And": [
				{"Variable": "$.Item.state.S", "IsPresent": true},
				{"Variable": "$.Item.state.S", "StringEquals": "HALF_OPEN"},
				{"Not": {"And": [
					{"Variable": "$.Item.halfOpenUntil.S", "IsPresent": true},
					{"Variable": "$.Item.halfOpenUntil.S", "IsTimestamp": true},
					{"Variable": "$.Item.halfOpenUntil.S", "TimestampGreaterThanPath": "$$.Execution.StartTime"}
				]}}
			], "Next": "PrepareElection"},
			{"And": [
				{"Variable": "$.Item.state.S", "IsPresent": true},
				{"Variable": "$.Item.state.S", "StringEquals": "HALF_OPEN"},
				{"Variable": "$.Item.probes.N", "IsPresent": true},
				{"Variable": "$.Item.probes.N", "StringEquals": "3"}
			], "Next": "RejectHalfOpenFull"},
			{"And": [
				{"Variable": "$.Item.state.S", "IsPresent": true},
				{"Variable": "$.Item.state.S", "StringEquals": "HALF_OPEN"}
			], "Next": "JoinProbe"},
			{"And": [
				{"Variable": "$.Item.failures.N", "IsPresent": true},
				{"Variable": "$.Item.failures.N", "IsString": true},
				{"Not": {"Variable": "$.Item.failures.N", "StringEquals": "0"}}
			], "Next": "InvokeDownstreamAfterFailures"}
		],
		"Default": "InvokeDownstream"
	}`)
	// Absence is never IsPresent: false, which the local executor evaluates as
	// false whatever the input (and so would hide a divergence from AWS).
	def, _ := Definition(cfg)
	if strings.Contains(def, `"IsPresent": false`) {
		t.Error("the definition uses IsPresent: false")
	}
}

// TestRejectStates: every rejection fails with its error and a cause that is
// a JSON document (circuit.Cause): constant where nothing is read at run
// time, built by the Fail state's CausePath where the deadline is.
func TestRejectStates(t *testing.T) {
	cfg := validConfig()
	cfg.ServiceName = `pay "v2" {x}`
	d := doc(t, cfg)
	for _, name := range []string{StateRejectForcedOpen, StateRejectHealthcheckAlarm, StateRejectProbeNotAdmitted, StateRejectElectionClaimed} {
		s := at(t, d, "States", name).(map[string]any)
		if s["Type"] != "Fail" || s["Error"] != ErrorCircuitOpen {
			t.Errorf("%s: %v", name, s)
		}
		f, _ := circuit.FastFailOf(name)
		cause, err := circuit.ParseCause(fmt.Sprint(s["Cause"]))
		if err != nil || cause != (circuit.Cause{Reason: f.Reason, ServiceName: cfg.ServiceName}) {
			t.Errorf("%s: cause %q: %+v, %v", name, s["Cause"], cause, err)
		}
	}
	// The deadline is read at run time; the service name is spliced as JSON,
	// escaped for the intrinsic's string literal (\ before ' { } and \).
	assertJSON(t, "RejectOpen", at(t, d, "States", StateRejectOpen), `{"Type": "Fail", "Error": "CircuitOpen",
		"CausePath": "States.Format('\\{\"reason\":\"open\",\"retryAt\":\"{}\",\"serviceName\":\"pay \\\\\"v2\\\\\" \\{x\\}\"\\}', $.Item.openUntil.S)"}`)
	assertJSON(t, "RejectHalfOpenFull", at(t, d, "States", StateRejectHalfOpenFull), `{"Type": "Fail", "Error": "CircuitOpen",
		"CausePath": "States.Format('\\{\"reason\":\"halfOpenNotElected\",\"retryAt\":\"{}\",\"serviceName\":\"pay \\\\\"v2\\\\\" \\{x\\}\"\\}', $.Item.halfOpenUntil.S)"}`)
}

func TestFallbackReplacesEveryRejection(t *testing.T) {
	cfg := validConfig()
	cfg.FallbackArn = "arn:aws:lambda:us-east-1:123456789012:function:orders-fallback:2"
	d := doc(t, cfg)
	states := at(t, d, "States").(map[string]any)
	for _, gone := range []string{StateRejectForcedOpen, StateRejectHealthcheckAlarm, StateRejectOpen, StateRejectHalfOpenFull, StateRejectProbeNotAdmitted} {
		if _, ok := states[gone]; ok {
			t.Errorf("%s is still there with a fallback", gone)
		}
	}
	for name, st := range states {
		if st.(map[string]any)["Error"] == ErrorCircuitOpen {
			t.Errorf("%s fails with CircuitOpen despite the fallback", name)
		}
	}
	assertJSON(t, "InvokeFallback", states[StateInvokeFallback], `{
		"Type": "Task",
		"Comment": "The circuit rejects this call: the fallback answers instead, with the caller's payload.",
		"Resource": "arn:aws:states:::lambda:invoke",
		"Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:orders-fallback:2", "Payload.$": "$$.Execution.Input"},
		"TimeoutSeconds": 5,
		"OutputPath": "$.Payload",
		"Retry": [{
			"ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"],
			"IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2
		}],
		"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.Failure", "Next": "DownstreamFailed"}],
		"End": true
	}`)
}

func TestInvokeDownstreamState(t *testing.T) {
	cfg := validConfig()
	cfg.DownstreamArn += ":7"
	cfg.DownstreamTimeoutSeconds = 30
	d := doc(t, cfg)
	assertJSON(t, "InvokeDownstream", at(t, d, "States", StateInvokeDownstream), `{
		"Type": "Task",
		"Resource": "arn:aws:states:::lambda:invoke",
		"Parameters": {
			"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:orders:7",
			"Payload.$": "$$.Execution.Input"
		},
		"TimeoutSeconds": 30,
		"OutputPath": "$.Payload",
		"Retry": [{
			"ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"],
			"IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2
		}],
		"Catch": [
			{"ErrorEquals": ["Lambda.AWSLambdaException", "Lambda.ResourceNotFoundException", "Lambda.InvalidParameterValueException", "Lambda.InvalidRequestContentException", "Lambda.UnsupportedMediaTypeException", "Lambda.RequestTooLargeException", "States.DataLimitExceeded"], "ResultPath": "$.Failure", "Next": "DownstreamFailed"},
			{"ErrorEquals": ["States.ALL"], "ResultPath": "$.Failure", "Next": "RecordFailure"}
		],
		"End": true
	}`)
	// Ignored errors and the invocation's own are caught first, straight to
	// raising them, uncounted; a name in both is listed once.
	cfg.IgnoreErrors = []string{"ValidationError", "NotFound", "Lambda.ResourceNotFoundException"}
	d = doc(t, cfg)
	assertJSON(t, "Catch with ignored errors", at(t, d, "States", StateInvokeDownstream, "Catch"), `[
		{"ErrorEquals": ["ValidationError", "NotFound", "Lambda.ResourceNotFoundException", "Lambda.AWSLambdaException", "Lambda.InvalidParameterValueException", "Lambda.InvalidRequestContentException", "Lambda.UnsupportedMediaTypeException", "Lambda.RequestTooLargeException", "States.DataLimitExceeded"], "ResultPath": "$.Failure", "Next": "DownstreamFailed"},
		{"ErrorEquals": ["States.ALL"], "ResultPath": "$.Failure", "Next": "RecordFailure"}
	]`)
	assertJSON(t, "probe Catch with ignored errors", at(t, d, "States", StateInvokeProbe, "Catch"), `[
		{"ErrorEquals": ["ValidationError", "NotFound", "Lambda.ResourceNotFoundException", "Lambda.AWSLambdaException", "Lambda.InvalidParameterValueException", "Lambda.InvalidRequestContentException", "Lambda.UnsupportedMediaTypeException", "Lambda.RequestTooLargeException", "States.DataLimitExceeded"], "ResultPath": "$.Failure", "Next": "ReleaseProbe"},
		{"ErrorEquals": ["States.ALL"], "ResultPath": "$.Failure", "Next": "Reopen"}
	]`)
	// A result over the payload quota is uncounted too (the downstream
	// answered), and listed once when the user also ignores it.
	cfg.IgnoreErrors = []string{"States.DataLimitExceeded"}
	d = doc(t, cfg)
	assertJSON(t, "Catch ignoring the data limit", at(t, d, "States", StateInvokeDownstream, "Catch", 0, "ErrorEquals"),
		`["States.DataLimitExceeded", "Lambda.AWSLambdaException", "Lambda.ResourceNotFoundException", "Lambda.InvalidParameterValueException", "Lambda.InvalidRequestContentException", "Lambda.UnsupportedMediaTypeException", "Lambda.RequestTooLargeException"]`)
}

func TestInvokeDownstreamRetryPolicy(t *testing.T) {
	cfg := validConfig()
	cfg.Retry = &RetryPolicy{MaxAttempts: 5, IntervalSeconds: 2, BackoffRate: 1.5, MaxDelaySeconds: 20, Errors: []string{"Lambda.TooManyRequestsException", "DownstreamBusy"}}
	d := doc(t, cfg)
	assertJSON(t, "Retry", at(t, d, "States", StateInvokeDownstream, "Retry"), `[{
		"ErrorEquals": ["Lambda.TooManyRequestsException", "DownstreamBusy"],
		"IntervalSeconds": 2, "MaxAttempts": 5, "BackoffRate": 1.5, "MaxDelaySeconds": 20
	}]`)

	cfg.Retry = &RetryPolicy{MaxAttempts: 1, IntervalSeconds: 1, BackoffRate: 1}
	d = doc(t, cfg)
	assertJSON(t, "Retry with default errors", at(t, d, "States", StateInvokeDownstream, "Retry", 0, "ErrorEquals"),
		`["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"]`)

	cfg.Retry = &RetryPolicy{MaxAttempts: 0}
	d = doc(t, cfg)
	if r, ok := at(t, d, "States", StateInvokeDownstream).(map[string]any)["Retry"]; ok {
		t.Errorf("MaxAttempts 0 still has a Retry: %v", r)
	}
	// The catch must stay: without retries, errors still end FAILED with their name.
	if c := at(t, d, "States", StateInvokeDownstream, "Catch", 1); !reflect.DeepEqual(c, jsonOf(t, `{"ErrorEquals": ["States.ALL"], "ResultPath": "$.Failure", "Next": "RecordFailure"}`)) {
		t.Errorf("Catch without retries: %v", c)
	}
}

func TestDownstreamFailedStates(t *testing.T) {
	d := doc(t, validConfig())
	assertJSON(t, "DownstreamFailed", at(t, d, "States", StateDownstreamFailed), `{
		"Type": "Choice",
		"Choices": [{"And": [
			{"Variable": "$.Failure.Cause", "IsPresent": true},
			{"Variable": "$.Failure.Cause", "IsString": true}
		], "Next": "RaiseDownstreamError"}],
		"Default": "RaiseDownstreamErrorWithoutCause"
	}`)
	assertJSON(t, "RaiseDownstreamError", at(t, d, "States", StateRaiseDownstreamError),
		`{"Type": "Fail", "ErrorPath": "$.Failure.Error", "CausePath": "$.Failure.Cause"}`)
	assertJSON(t, "RaiseDownstreamErrorWithoutCause", at(t, d, "States", StateRaiseDownstreamErrorWithoutCause),
		`{"Type": "Fail", "ErrorPath": "$.Failure.Error"}`)
}

// Integration ARNs follow the function's partition: a commercial ARN in China
// or GovCloud would be rejected at deployment.
func TestPartitionFollowsTheFunction(t *testing.T) {
	cfg := validConfig()
	cfg.DownstreamArn = "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:orders"
	cfg.ControllerArn = "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:orders-controller"
	d := doc(t, cfg)
	if got := at(t, d, "States", StateReadCircuit, "Resource"); got != "arn:aws-us-gov:states:::dynamodb:getItem" {
		t.Errorf("read resource = %v", got)
	}
	if got := at(t, d, "States", StateInvokeDownstream, "Resource"); got != "arn:aws-us-gov:states:::lambda:invoke" {
		t.Errorf("invoke resource = %v", got)
	}
	if got := at(t, d, "States", StateRecordFailure, "Resource"); got != "arn:aws-us-gov:states:::dynamodb:updateItem" {
		t.Errorf("update resource = %v", got)
	}
}

// The same Config gives the same bytes: anything else is a diff on every preview.
func TestDefinitionIsDeterministic(t *testing.T) {
	cfg := validConfig()
	cfg.Retry = &RetryPolicy{MaxAttempts: 2, IntervalSeconds: 1, BackoffRate: 2, Errors: []string{"B", "A"}}
	first, err := Definition(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if again, _ := Definition(cfg); again != first {
			t.Fatalf("run %d differs:\n%s\n---\n%s", i, first, again)
		}
	}
	if !strings.HasPrefix(first, "{\n  \"Comment\"") || strings.HasSuffix(first, "\n") {
		t.Errorf("not indented as expected:\n%s", first)
	}
	// User text is escaped by the encoder, never spliced: a quote in the name
	// cannot break out of its string.
	cfg.ServiceName = `x", "StartAt": "Evil`
	d := doc(t, cfg)
	if at(t, d, "StartAt") != StateReadCircuit || at(t, d, "States", StateReadCircuit, "Parameters", "Key", "serviceName", "S") != cfg.ServiceName {
		t.Error("the service name leaked into the document's structure")
	}
}

// validatorConfigs are the configs checked by asl-validator: every optional
// part on and off, since each changes which states exist.
// resultConditions are one condition of each kind (circuit.ResultOps).
func resultConditions() []circuit.ResultCondition {
	n := func(v float64) *float64 { return &v }
	str := func(v string) *string { return &v }
	return []circuit.ResultCondition{
		{Path: "$.statusCode", Op: circuit.ResultAtLeast, Number: n(500)},
		{Path: "$.latency.ms", Op: circuit.ResultAbove, Number: n(2500.5)},
		{Path: "$.remaining", Op: circuit.ResultAtMost, Number: n(0)},
		{Path: "$.score", Op: circuit.ResultBelow, Number: n(-1)},
		{Path: "$.code", Op: circuit.ResultEquals, Number: n(42)},
		{Path: "$.status", Op: circuit.ResultEquals, String: str(`ERROR "hard" {x} 'q'`)},
		{Path: "$.errorMessage", Op: circuit.ResultPresent},
		{Path: "$", Op: circuit.ResultEquals, String: str("DOWN")},
	}
}

func validatorConfigs() map[string]Config {
	base := validConfig()
	withAlias := base
	withAlias.DownstreamArn += ":live"
	noRetry := base
	noRetry.Retry = &RetryPolicy{}
	custom := base
	custom.Retry = &RetryPolicy{MaxAttempts: 4, IntervalSeconds: 3, BackoffRate: 1.5, MaxDelaySeconds: 9, Errors: []string{"States.ALL"}}
	china := base
	china.DownstreamArn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders:3"
	china.ControllerArn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders-controller"
	odd := base
	odd.ServiceName = `svc "quoted" <&> ünïcode $.x {} 'q' \`
	odd.TableName = "My.Table_name-1"
	tripAtOnce := base
	tripAtOnce.FailureThreshold = 1
	severalProbes := base
	severalProbes.HalfOpenMaxCalls, severalProbes.SuccessThreshold = 5, 3
	ignoring := base
	ignoring.IgnoreErrors = []string{"ValidationError", "States.Timeout"}
	fallback := base
	fallback.FallbackArn = "arn:aws:lambda:us-east-1:123456789012:function:orders-fallback:live"
	everything := severalProbes
	everything.IgnoreErrors = ignoring.IgnoreErrors
	everything.FallbackArn = fallback.FallbackArn
	everything.Retry = custom.Retry
	failClosed := base
	failClosed.FailClosed = true
	failClosedFallback := fallback
	failClosedFallback.FailClosed = true
	keyed := base
	keyed.CircuitKey = "$.provider"
	keyedEverything := everything
	keyedEverything.CircuitKey = "$.payment.provider"
	keyedEverything.TableName = "My.Table_name-1"
	keyedFailClosed := keyed
	keyedFailClosed.FailClosed = true
	results := base
	results.ResultFailureWhen = resultConditions()
	resultsFailing := severalProbes
	resultsFailing.ResultFailureWhen = resultConditions()
	resultsFailing.FailOnResultFailure = true
	resultsFailing.FallbackArn = fallback.FallbackArn
	resultsFailing.CircuitKey = "$.provider"
	return map[string]Config{
		"result failures": results, "result failures failing the execution": resultsFailing,
		"fail closed": failClosed, "fail closed with fallback": failClosedFallback,
		"keyed": keyed, "keyed everything": keyedEverything, "keyed fail closed": keyedFailClosed,
		"default": base, "alias": withAlias, "no retry": noRetry, "custom retry": custom, "china": china, "odd names": odd,
		"trip at once": tripAtOnce, "several probes": severalProbes, "ignored errors": ignoring, "fallback": fallback,
		"everything": everything,
		"shadow":     shadowOf(base), "shadow fail closed with fallback": shadowOf(failClosedFallback),
		"shadow keyed everything": shadowOf(keyedEverything), "shadow keyed fail closed": shadowOf(keyedFailClosed),
	}
}

// shadowOf is c in shadow mode.
func shadowOf(c Config) Config {
	c.Shadow = true
	return c
}

func aslValidator(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(testenv.RepoRoot(), "dev", "emulators", "node_modules", ".bin", "asl-validator")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("asl-validator is not installed at %s: run `make deps`", bin)
	}
	return bin
}

func validate(t *testing.T, bin, def string) (string, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "definition.json")
	if err := os.WriteFile(file, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--json-path", file).CombinedOutput()
	return string(out), err
}

// The DynamoDB retries name errors as Step Functions raises them on AWS:
// DynamoDB.<Java SDK v1 exception class> (the table and its sources:
// dev/sfn/dynamodb-exception-classes.json, from aws/aws-sdk-java's
// AmazonDynamoDBClient and LocalStack's AWS-recorded
// test_task_service_dynamodb.snapshot.json). A wire code that is not a class
// name (RequestLimitExceeded, InternalServerError) or a code without a class
// (ThrottlingException) would never match; the base class would retry
// permanent errors (a key of type N, a missing permission) on every request.
func TestDynamoDBRetriesNameErrorsAWSRaises(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "dev", "sfn", "dynamodb-exception-classes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		BaseClass             string            `json:"baseClass"`
		ClientClass           string            `json:"clientClass"`
		ClassByErrorCode      map[string]string `json:"classByErrorCode"`
		SDKV2OnlyClassByError map[string]string `json:"sdkV2OnlyClassByErrorCode"`
	}
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	raised := map[string]bool{"DynamoDB." + table.ClientClass: true}
	for _, class := range table.ClassByErrorCode {
		raised["DynamoDB."+class] = true
	}
	for list, names := range map[string][]string{"read": TransientDynamoDBErrors(), "write": DynamoDBThrottlingErrors()} {
		for _, n := range names {
			if !raised[n] {
				t.Errorf("the %s retries %s, which Step Functions never raises", list, n)
			}
		}
		if slices.Contains(names, "DynamoDB."+table.BaseClass) {
			t.Errorf("the %s retries DynamoDB.%s: every permanent error without a class of its own", list, table.BaseClass)
		}
	}
	// Throttling of the item and of the account, for both.
	for _, want := range []string{"ProvisionedThroughputExceeded", "RequestLimitExceeded"} {
		class := "DynamoDB." + table.ClassByErrorCode[want]
		if class == "DynamoDB." {
			class = "DynamoDB." + table.ClassByErrorCode[want+"Exception"]
		}
		for list, names := range map[string][]string{"read": TransientDynamoDBErrors(), "write": DynamoDBThrottlingErrors()} {
			if !slices.Contains(names, class) {
				t.Errorf("the %s does not retry %s", list, class)
			}
		}
	}
	// The keyed read's (the AWS SDK integration's) names: DynamoDb.<SDK v2
	// class>, which has classes for every code of the v1 table and for those
	// modelled since (ThrottlingException, issue 14 item 3), never the base
	// class DynamoDb.DynamoDbException.
	sdkRaised := map[string]bool{"DynamoDb." + table.ClientClass: true}
	for _, class := range table.ClassByErrorCode {
		sdkRaised["DynamoDb."+class] = true
	}
	for _, class := range table.SDKV2OnlyClassByError {
		sdkRaised["DynamoDb."+class] = true
	}
	for _, n := range TransientDynamoDBSDKErrors() {
		if !sdkRaised[n] {
			t.Errorf("the keyed read retries %s, which the AWS SDK integration never raises", n)
		}
	}
	if slices.Contains(TransientDynamoDBSDKErrors(), ErrorDynamoDBSDKBase) {
		t.Errorf("the keyed read retries %s: every permanent error without a class of its own", ErrorDynamoDBSDKBase)
	}
	for _, code := range []string{"ProvisionedThroughputExceededException", "RequestLimitExceeded", "ThrottlingException", "InternalServerError"} {
		class := table.ClassByErrorCode[code]
		if class == "" {
			class = table.SDKV2OnlyClassByError[code]
		}
		if class == "" || !slices.Contains(TransientDynamoDBSDKErrors(), "DynamoDb."+class) {
			t.Errorf("the keyed read does not retry %s (DynamoDb.%s)", code, class)
		}
	}
	// The optimized integration has no class for ThrottlingException: it
	// arrives as the base class, which is not retried (see above).
	if _, ok := table.ClassByErrorCode["ThrottlingException"]; ok {
		t.Error("the SDK v1 table has a class for ThrottlingException: retry it in TransientDynamoDBErrors")
	}

	// The writes ADD counters: a 5xx or a client-side failure may have been applied.
	for _, n := range DynamoDBThrottlingErrors() {
		if strings.Contains(n, "InternalServer") || strings.Contains(n, table.ClientClass) {
			t.Errorf("the writes retry %s, which may have been applied", n)
		}
	}
}
