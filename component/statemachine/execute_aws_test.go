//go:build emulators

package statemachine

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
)

// Behaviours only real AWS would otherwise show, executed against the local
// integrations (dev/sfn/run.mjs), which reproduce them from responses
// recorded on AWS; each test names its source.

// A brought table whose key is of type N fails every item operation with
// ValidationException, which Step Functions raises as
// DynamoDB.AmazonDynamoDBException (LocalStack's AWS-recorded
// tests/aws/services/stepfunctions/v2/error_handling/
// test_task_service_dynamodb.snapshot.json). It cannot heal within a request:
// the read fails open at once instead of retrying, and the bookkeeping write
// is tried once.
func TestNumberKeyedTableFailsOpenAtOnce(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.TableName = testenv.CreateTableKeyedBy(t, testenv.DynamoClient(t, dynaliteEndpoint(t)), types.ScalarAttributeTypeN)
	})
	r := e.run(t, "x", sfnlocal.Exec{})
	succeeded(t, r, `{"echoed": "x"}`)
	budget(t, r, 1, 0, 1, 0)
	if got := statesOf(r); got != "ReadCircuit,InvokeDownstream" {
		t.Errorf("states = %s", got)
	}
	r = e.run(t, boom("down"), sfnlocal.Exec{})
	failedWith(t, r, "DownstreamBoom", "down")
	budget(t, r, 1, 0, 1, 1)
}

// Account-level throttling is DynamoDB.RequestLimitExceededException on AWS
// (the Java SDK's class for the RequestLimitExceeded code: aws/aws-sdk-java
// AmazonDynamoDBClient; dev/sfn/dynamodb-exception-classes.json): the read
// retries it, and so does counting a failure, so a throttled account still
// counts the failures that trip the circuit.
func TestAccountThrottlingIsRetried(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FailureThreshold = 5 })
	e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrFailures: "1"})
	throttle := sfnlocal.Fault{Error: "DynamoDB.RequestLimitExceededException", Cause: "Throughput exceeds the current throughput limit for your account."}
	// One throttle for the read (retried), one for RecordFailure (retried).
	r := e.run(t, boom("down"), sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{throttle}})
	failedWith(t, r, "DownstreamBoom", "down")
	if r.InjectedFaults != 1 || r.DynamoReads != 1 {
		t.Fatalf("the read was not retried: %s", r)
	}
	if c := e.circuit(t); c.Failures != 2 {
		t.Fatalf("failures = %d after a throttled read", c.Failures)
	}
	// The read's 3 attempts throttled (it fails open), then RecordFailure's first.
	r = e.run(t, boom("down"), sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{throttle, throttle, throttle, throttle}})
	failedWith(t, r, "DownstreamBoom", "down")
	if r.InjectedFaults != 4 || r.DynamoReads != 0 || r.DynamoWrites != 1 {
		t.Fatalf("want 4 throttles and a retried write: %s", r)
	}
	if got := statesOf(r); !strings.Contains(got, "InvokeDownstream,RecordFailure,CheckFailureThreshold") {
		t.Errorf("states = %s", got)
	}
	if c := e.circuit(t); c.Failures != 3 {
		t.Fatalf("failures = %d: the throttled count was lost", c.Failures)
	}
}

// The downstream's result against Step Functions' 262,144-byte quota, which
// counts the integration's whole result (payload plus the lambda:invoke
// envelope) before ResultSelector: Developer Guide, service quotas and
// "Handling errors"; recorded on AWS in LocalStack's
// tests/aws/services/stepfunctions/v2/error_handling/
// test_states_errors.snapshot.json, where a States.ALL catcher catches the
// resulting States.DataLimitExceeded. The downstream succeeded: over the
// quota, the caller gets States.DataLimitExceeded with AWS's cause, and the
// circuit does not move (no failure counted, no reset, no probe verdict).
func TestResultOverThePayloadQuota(t *testing.T) {
	const quota = 262144
	const cause = "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit."
	// Under: with the ~1 KB envelope and, where the result is kept beside it,
	// the item. Over: a payload under the quota by itself, over with its envelope.
	under, over := quota-2000, quota-300
	returning := func(n int) map[string]any { return map[string]any{"returnString": n} }
	tooLarge := func(t *testing.T, r sfnlocal.Result, states string) {
		t.Helper()
		if r.Status != "FAILED" || r.Error != ErrorDataLimitExceeded || r.Cause != cause {
			t.Fatalf("want FAILED %s with AWS's cause, got %s", ErrorDataLimitExceeded, r)
		}
		if got := statesOf(r); got != states {
			t.Errorf("states = %s, want %s", got, states)
		}
	}
	wantString := func(n int) string { return `"` + strings.Repeat("a", n) + `"` }

	t.Run("healthy path", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.FailureThreshold = 1 })
		admitted(t, e.run(t, returning(under), sfnlocal.Exec{}), wantString(under))
		r := e.run(t, returning(over), sfnlocal.Exec{})
		tooLarge(t, r, "ReadCircuit,CheckCircuit,InvokeDownstream,DownstreamFailed,RaiseDownstreamError")
		budget(t, r, 1, 0, 1, 0)
		// With a threshold of 1, one counted failure would have opened it.
		if item := e.rawItem(t); len(item) != 0 {
			t.Errorf("the circuit was written: %v", item)
		}
	})

	t.Run("after failures, result kept beside the item", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.FailureThreshold = 3 })
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrFailures: "2"})
		r := e.run(t, returning(over), sfnlocal.Exec{})
		tooLarge(t, r, "ReadCircuit,CheckCircuit,InvokeDownstreamAfterFailures,DownstreamFailed,RaiseDownstreamError")
		budget(t, r, 1, 0, 1, 0)
		if c := e.circuit(t); c.State != circuit.Closed || c.Failures != 2 || c.Version != 7 {
			t.Fatalf("the circuit moved: %+v", c)
		}
		r = e.run(t, returning(under), sfnlocal.Exec{})
		succeeded(t, r, wantString(under))
		if got := statesOf(r); got != "ReadCircuit,CheckCircuit,InvokeDownstreamAfterFailures,ResetFailures" {
			t.Errorf("states = %s", got)
		}
		if c := e.circuit(t); c.Failures != 0 {
			t.Errorf("a success under the quota did not reset the failures: %+v", c)
		}
	})

	t.Run("probe", func(t *testing.T) {
		e := newEnv(t, nil)
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0), circuit.AttrOpenings: "1"})
		r := e.run(t, returning(over), sfnlocal.Exec{})
		tooLarge(t, r, "ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,ElectProbe,CheckElection,InvokeProbe,ReleaseProbe,DownstreamFailed,RaiseDownstreamError")
		budget(t, r, 1, 1, 1, 2) // claim, elect, release the slot
		// Elected, then no verdict: still half-open, its slot free again, not reopened.
		c := e.circuit(t)
		if c.State != circuit.HalfOpen || c.Probes != 0 || c.Openings != 1 || c.Successes != 0 {
			t.Fatalf("the probe's result moved the circuit: %+v", c)
		}
		// The next caller takes the freed slot; a result under the quota closes.
		r = e.at(t, time.Second, returning(under))
		succeeded(t, r, wantString(under))
		if got := statesOf(r); got != "ReadCircuit,CheckCircuit,JoinProbe,InvokeProbe,CloseCircuit" {
			t.Errorf("states = %s", got)
		}
		if c := e.circuit(t); c.State != circuit.Closed {
			t.Errorf("not closed: %+v", c)
		}
	})
}

// AWS writes $$.Execution.StartTime and $$.State.EnteredTime without the
// fraction when the milliseconds are zero (docs/aws-facts.md);
// the runner does too. Through trip, election, join and close every comparison
// still holds:
// CheckCircuit compares instants, the controller parses both forms and
// answers in our fixed width, and the period strings that JoinProbe and the
// probe's verdicts match by equality come from the controller or the item,
// never from the start time. CloseCircuit's transitionAt keeps AWS's
// rendering (see circuit.AttrTransitionAt), and reads back as the instant.
func TestZeroMillisecondStartTimes(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FailureThreshold = 1; c.HalfOpenMaxCalls = 2; c.SuccessThreshold = 2 })
	start := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	// $$.State.EnteredTime (the trip's and reopen's "now") pinned to the start,
	// in AWS's rendering, so that it has zero milliseconds too.
	exec := func(at time.Time, input any) sfnlocal.Result {
		aws := strings.Replace(circuit.FormatTime(at), ".000Z", "Z", 1)
		return e.machine.Run(t, input, sfnlocal.Exec{StartTime: at, Context: map[string]any{"State": map[string]any{"EnteredTime": aws}}})
	}
	str := func(attr string) string {
		v, _ := e.rawItem(t)[attr].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}

	// Trip: open until start + 60 s, in our fixed width.
	failedWith(t, exec(start, boom("down")), "DownstreamBoom", "down")
	if got := str(circuit.AttrOpenUntil); got != "2026-06-01T12:01:00.000Z" {
		t.Fatalf("openUntil = %q", got)
	}
	// At exactly openUntil ("...12:01:00Z" against "...12:01:00.000Z") the
	// open duration is over: elect, probe, count the first success.
	r := exec(start.Add(openFor), "first")
	succeeded(t, r, `{"echoed": "first"}`)
	if got := statesOf(r); got != "ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,ElectProbe,CheckElection,InvokeProbe,RecordProbeSuccess,CheckProbeSuccesses,ReturnResult" {
		t.Fatalf("states = %s", got)
	}
	period := str(circuit.AttrHalfOpenUntil)
	if period != "2026-06-01T12:01:30.000Z" {
		t.Fatalf("halfOpenUntil = %q", period)
	}
	// Join the same period (string equality with the item's), count, close.
	closeAt := start.Add(openFor + time.Second)
	r = exec(closeAt, "second")
	succeeded(t, r, `{"echoed": "second"}`)
	if got := statesOf(r); got != "ReadCircuit,CheckCircuit,JoinProbe,InvokeProbe,RecordProbeSuccess,CheckProbeSuccesses,CloseCircuit" {
		t.Fatalf("states = %s", got)
	}
	c := e.circuit(t)
	if c.State != circuit.Closed || !c.LastTransition.At.Equal(closeAt) {
		t.Fatalf("after close: %+v", c)
	}
	if got := str(circuit.AttrTransitionAt); got != "2026-06-01T12:01:01Z" {
		t.Errorf("transitionAt = %q, want $$.Execution.StartTime as AWS renders it", got)
	}
}
