//go:build emulators

package statemachine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
)

func TestRequestPath(t *testing.T) {
	e := newEnv(t, nil)

	t.Run("no item is closed", func(t *testing.T) {
		e.setItem(t, nil)
		r := e.run(t, map[string]any{"order": 42}, sfnlocal.Exec{})
		admitted(t, r, `{"echoed": {"order": 42}}`)
		if got := statesOf(r); got != "ReadCircuit,CheckCircuit,InvokeDownstream" {
			t.Errorf("states = %s", got)
		}
	})

	t.Run("non-object payloads pass through unchanged", func(t *testing.T) {
		e.setItem(t, nil)
		for _, in := range []string{`"just a string"`, `[1, "two", {"three": 3}, null]`, `42`, `true`, `null`, `{}`} {
			r := e.run(t, json.RawMessage(in), sfnlocal.Exec{})
			admitted(t, r, `{"echoed": `+in+`}`)
		}
	})

	t.Run("output is the function's result only", func(t *testing.T) {
		e.setItem(t, nil)
		admitted(t, e.run(t, map[string]any{"return": map[string]any{"statusCode": 200, "body": "ok"}}, sfnlocal.Exec{}), `{"statusCode": 200, "body": "ok"}`)
		admitted(t, e.run(t, map[string]any{"return": nil}, sfnlocal.Exec{}), `null`)
		admitted(t, e.run(t, map[string]any{"return": "plain"}, sfnlocal.Exec{}), `"plain"`)
	})

	t.Run("closed item", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrHealthcheckAlarm: "OK", circuit.AttrFailures: "0"})
		admitted(t, e.run(t, "x", sfnlocal.Exec{}), `{"echoed": "x"}`)
	})

	t.Run("open until later fails fast", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)})
		r := e.run(t, "x", sfnlocal.Exec{})
		rejected(t, e, r, StateRejectOpen)
		budget(t, r, 0, 0, 1, 0)
		// The cause says until when, for the caller's Retry-After.
		if want := `{"reason":"open","retryAt":"` + ts(time.Minute) + `","serviceName":"orders"}`; r.Cause != want {
			t.Errorf("cause = %q, want %q", r.Cause, want)
		}
		// One millisecond before the end is still open.
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Millisecond)})
		rejected(t, e, e.run(t, "x", sfnlocal.Exec{}), StateRejectOpen)
	})

	t.Run("open duration elapsed elects a probe", func(t *testing.T) {
		for _, until := range []string{ts(-time.Minute), ts(0)} {
			e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: until})
			r := e.run(t, "x", sfnlocal.Exec{})
			succeeded(t, r, `{"echoed": "x"}`)
			budget(t, r, 1, 1, 1, 2) // claim, close
			if got := statesOf(r); got != "ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,ElectProbe,CheckElection,InvokeProbe,CloseCircuit" {
				t.Errorf("states = %s", got)
			}
		}
	})

	t.Run("open without openUntil elects a probe", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open)})
		r := e.run(t, "x", sfnlocal.Exec{})
		succeeded(t, r, `{"echoed": "x"}`)
		if r.States[2] != StatePrepareElection {
			t.Errorf("states = %s", statesOf(r))
		}
	})

	t.Run("healthcheck alarm fails fast", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrHealthcheckAlarm: string(circuit.AlarmStateAlarm)})
		rejected(t, e, e.run(t, "x", sfnlocal.Exec{}), StateRejectHealthcheckAlarm)
	})

	t.Run("forced open fails fast", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrOverride: string(circuit.ForcedOpen)})
		r := e.run(t, "x", sfnlocal.Exec{})
		rejected(t, e, r, StateRejectForcedOpen)
		budget(t, r, 0, 0, 1, 0)
	})

	t.Run("forced closed wins over alarm and open", func(t *testing.T) {
		e.setItem(t, map[string]string{
			circuit.AttrOverride:         string(circuit.ForcedClosed),
			circuit.AttrState:            string(circuit.Open),
			circuit.AttrOpenUntil:        ts(time.Hour),
			circuit.AttrHealthcheckAlarm: string(circuit.AlarmStateAlarm),
		})
		admitted(t, e.run(t, "x", sfnlocal.Exec{}), `{"echoed": "x"}`)
	})

	t.Run("downstream error fails with its own name and cause", func(t *testing.T) {
		e.setItem(t, nil)
		r := e.run(t, boom("card declined"), sfnlocal.Exec{})
		failedWith(t, r, "DownstreamBoom", "card declined")
		// Function errors are not retried: exactly one invocation, one count.
		budget(t, r, 1, 0, 1, 1)
	})

	t.Run("transient Lambda errors are retried", func(t *testing.T) {
		e.setItem(t, nil)
		r := e.run(t, "x", sfnlocal.Exec{InjectLambda: []sfnlocal.Fault{{Error: "Lambda.TooManyRequestsException"}, {Error: "Lambda.ServiceException"}}})
		if !r.Succeeded() || r.InjectedFaults != 2 || r.LambdaInvocations != 1 {
			t.Fatalf("got %s", r)
		}
		// More than MaxAttempts (3) retries: the throttle is the execution's error.
		throttles := make([]sfnlocal.Fault, 4)
		for i := range throttles {
			throttles[i] = sfnlocal.Fault{Error: "Lambda.TooManyRequestsException", Cause: "Rate exceeded"}
		}
		r = e.run(t, "x", sfnlocal.Exec{InjectLambda: throttles})
		if r.Status != "FAILED" || r.Error != "Lambda.TooManyRequestsException" || r.Cause != "Rate exceeded" || r.InjectedFaults != 4 || r.LambdaInvocations != 0 {
			t.Fatalf("got %s", r)
		}
	})

	t.Run("throttled read is retried, then decides", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)})
		throttle := sfnlocal.Fault{Error: "DynamoDB.ProvisionedThroughputExceededException"}
		r := e.run(t, "x", sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{throttle, throttle}})
		if r.InjectedFaults != 2 {
			t.Fatalf("got %s", r)
		}
		rejected(t, e, r, StateRejectOpen)
	})

	t.Run("read failing after retries fails open", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)})
		throttle := sfnlocal.Fault{Error: "DynamoDB.ProvisionedThroughputExceededException"}
		r := e.run(t, "x", sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{throttle, throttle, throttle}})
		if !r.Succeeded() || r.InjectedFaults != 3 || r.DynamoReads != 0 || r.LambdaInvocations != 1 {
			t.Fatalf("got %s", r)
		}
		if got := statesOf(r); got != "ReadCircuit,InvokeDownstream" {
			t.Errorf("states = %s", got)
		}
	})
}

func TestTableMissingFailsOpen(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TableName = "no-such-table" })
	r := e.run(t, []any{"a"}, sfnlocal.Exec{})
	// ResourceNotFoundException cannot heal within a request: one read, no retry.
	if !r.Succeeded() || r.DynamoReads != 1 || r.LambdaInvocations != 1 || !sameJSON(r.Output, []byte(`{"echoed": ["a"]}`)) {
		t.Fatalf("got %s", r)
	}
	if got := statesOf(r); got != "ReadCircuit,InvokeDownstream" {
		t.Errorf("states = %s", got)
	}
	// Counting the failure fails too: the downstream's error still surfaces.
	r = e.run(t, boom("no table"), sfnlocal.Exec{})
	failedWith(t, r, "DownstreamBoom", "no table")
	if got := statesOf(r); got != "ReadCircuit,InvokeDownstream,RecordFailure,DownstreamFailed,RaiseDownstreamError" {
		t.Errorf("states = %s", got)
	}
}

// The budget of the common paths, which every request pays.
func TestBudget(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FailureThreshold = 2 })

	t.Run("closed, healthy: 1 invocation, 1 read, 0 writes", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrFailures: "0"})
		for range 3 {
			admitted(t, e.run(t, "x", sfnlocal.Exec{}), `{"echoed": "x"}`)
		}
		if v := e.circuit(t).Version; v != 7 {
			t.Errorf("version %d: the healthy path wrote", v)
		}
	})

	t.Run("closed, failing: 1 invocation, 1 read, 1 write", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrFailures: "0"})
		r := e.run(t, boom("first"), sfnlocal.Exec{})
		failedWith(t, r, "DownstreamBoom", "first")
		budget(t, r, 1, 0, 1, 1)
		// The tripping failure: + 1 controller call.
		r = e.run(t, boom("second"), sfnlocal.Exec{})
		failedWith(t, r, "DownstreamBoom", "second")
		budget(t, r, 1, 1, 1, 1)
		// (The item had one failure counted: a success would have cleared it.)
		if got := statesOf(r); got != "ReadCircuit,CheckCircuit,InvokeDownstreamAfterFailures,RecordFailure,CheckFailureThreshold,Trip,DownstreamFailed,RaiseDownstreamError" {
			t.Errorf("states = %s", got)
		}
	})

	t.Run("open: 0 invocations, 1 read, 0 writes", func(t *testing.T) {
		r := e.run(t, "x", sfnlocal.Exec{})
		rejected(t, e, r, StateRejectOpen)
		budget(t, r, 0, 0, 1, 0)
	})

	t.Run("closed with failures counted: a success clears them with 1 write", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrFailures: "1"})
		r := e.run(t, map[string]any{"return": []int{1, 2}}, sfnlocal.Exec{})
		succeeded(t, r, `[1, 2]`)
		budget(t, r, 1, 0, 1, 1)
		if got := statesOf(r); got != "ReadCircuit,CheckCircuit,InvokeDownstreamAfterFailures,ResetFailures" {
			t.Errorf("states = %s", got)
		}
		if c := e.circuit(t); c.Failures != 0 || c.Version != 8 {
			t.Errorf("not reset with one version: %+v", c)
		}
	})
}

// An outage trips the circuit after exactly FailureThreshold consecutive
// failures, and not before; a success in between starts the count over.
func TestOutageTripsAtTheThreshold(t *testing.T) {
	const threshold = 3
	e := newEnv(t, func(c *Config) { c.FailureThreshold = threshold })
	e.setItem(t, nil)

	// A success between failures breaks the run.
	for i, in := range []any{boom("1"), boom("2"), "ok", boom("3"), boom("4")} {
		r := e.at(t, time.Duration(i)*time.Second, in)
		if r.LambdaInvocationsByFunction[controllerArn] != 0 {
			t.Fatalf("tripped at call %d: %s", i, r)
		}
	}
	if c := e.circuit(t); c.State != circuit.Closed || c.Failures != 2 {
		t.Fatalf("after fail, fail, success, fail, fail: %+v", c)
	}

	r := e.at(t, 10*time.Second, boom("the third in a row"))
	failedWith(t, r, "DownstreamBoom", "the third in a row")
	budget(t, r, 1, 1, 1, 1)
	c := e.circuit(t)
	openedFromTheFailure(t, c, openFor, now.Add(10*time.Second))
	if c.Openings != 1 || c.Failures != 0 {
		t.Fatalf("not tripped as expected: %+v", c)
	}
	want := circuit.Transition{At: c.LastTransition.At, From: circuit.Closed, To: circuit.Open, Reason: "3 consecutive failures, last: DownstreamBoom"}
	if c.LastTransition != want {
		t.Errorf("transition %+v, want %+v", c.LastTransition, want)
	}

	// While open: fail fast, nothing invoked, nothing written.
	r = e.at(t, 10*time.Second+openFor-time.Millisecond, boom("never sent"))
	rejected(t, e, r, StateRejectOpen)
	budget(t, r, 0, 0, 1, 0)
	if cause := checkCause(t, e.cfg, r, StateRejectOpen); cause.RetryAt != circuit.FormatTime(c.OpenUntil) {
		t.Errorf("cause = %q, want retryAt %s", r.Cause, circuit.FormatTime(c.OpenUntil))
	}
}

// A timeout (States.Timeout, after the Task's Retry) is a counted failure.
func TestTimeoutCountsAsFailure(t *testing.T) {
	// TimeoutSeconds has a one-second grain, so this test waits about a second.
	e := newEnv(t, func(c *Config) { c.DownstreamTimeoutSeconds = 1; c.FailureThreshold = 1 })
	r := e.run(t, map[string]any{"sleepMs": 3000}, sfnlocal.Exec{})
	// States.Timeout is not among the retried errors: one attempt.
	if r.Status != "FAILED" || r.Error != "States.Timeout" {
		t.Fatalf("got %s", r)
	}
	budget(t, r, 1, 1, 1, 1)
	c := e.circuit(t)
	if c.State != circuit.Open || c.LastTransition.Reason != "1 consecutive failures, last: States.Timeout" {
		t.Errorf("a timeout did not trip: %+v", c)
	}
}

// Issue 7, item 1: an opening counts from the failure, not from the start of
// the call that failed. The controller's "at" for trip and reopen is the
// failing state's $$.State.EnteredTime (AWS's context object,
// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html),
// pinned here to a downstream that failed 30 s after the execution started.
func TestOpeningCountsFromTheFailure(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FailureThreshold = 1 })
	failed := now.Add(30 * time.Second)

	t.Run("trip", func(t *testing.T) {
		e.setItem(t, nil)
		r := e.run(t, boom("slow, then down"), sfnlocal.Exec{Context: failingAt(failed)})
		failedWith(t, r, "DownstreamBoom", "slow, then down")
		c := e.circuit(t)
		if c.State != circuit.Open || !c.OpenUntil.Equal(failed.Add(openFor)) || !c.LastTransition.At.Equal(failed) {
			t.Fatalf("want OPEN from %s until %s: %+v", circuit.FormatTime(failed), circuit.FormatTime(failed.Add(openFor)), c)
		}
		// The execution start still decides: a call a moment before the end
		// of the whole open duration is rejected.
		rejected(t, e, e.run(t, "x", sfnlocal.Exec{StartTime: failed.Add(openFor - time.Millisecond)}), StateRejectOpen)
	})

	t.Run("reopen", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0), circuit.AttrOpenings: "1"})
		r := e.run(t, boom("still broken"), sfnlocal.Exec{Context: failingAt(failed)})
		failedWith(t, r, "DownstreamBoom", "still broken")
		c := e.circuit(t)
		if c.State != circuit.Open || !c.OpenUntil.Equal(failed.Add(2*openFor)) || !c.LastTransition.At.Equal(failed) {
			t.Fatalf("want OPEN from %s until %s: %+v", circuit.FormatTime(failed), circuit.FormatTime(failed.Add(2*openFor)), c)
		}
	})

	t.Run("election still counts from the start", func(t *testing.T) {
		// An election agrees with CheckCircuit's comparison, made at the start:
		// its half-open period is start + probe budget whatever the state clock.
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0)})
		succeeded(t, e.run(t, map[string]any{"return": "ok"}, sfnlocal.Exec{Context: failingAt(failed)}), `"ok"`)
		if c := e.circuit(t); c.State != circuit.Closed || !c.LastTransition.At.Equal(now) {
			t.Fatalf("want closed by the probe at the start: %+v", c)
		}
	})
}

// Item 1 on the executor's running clock: a downstream that times out after
// 2 s trips a circuit whose open duration is 1 s. Counted from the execution's
// start the circuit would be open until start + 1 s, already over when the
// trip lands: open for no time at all. Counted from the failure it is open
// right after the trip.
func TestTimeoutLongerThanTheOpenDurationStillOpens(t *testing.T) {
	const timeout = 2 * time.Second
	e := newEnvWith(t, envOptions{openFor: time.Second, mutate: func(c *Config) {
		c.DownstreamTimeoutSeconds = int(timeout.Seconds())
		c.FailureThreshold = 1
	}})
	e.setItem(t, nil)
	r := e.run(t, map[string]any{"sleepMs": 10000}, sfnlocal.Exec{})
	if r.Status != "FAILED" || r.Error != "States.Timeout" {
		t.Fatalf("got %s", r)
	}
	c := e.circuit(t)
	// The failure cannot land before the Task's timeout.
	openedFromTheFailure(t, c, time.Second, now.Add(timeout))
	// A call started when the timeout fired, the earliest the trip can land, is
	// rejected (counted from the start, the circuit would already admit a probe).
	r = e.run(t, "x", sfnlocal.Exec{StartTime: now.Add(timeout)})
	rejected(t, e, r, StateRejectOpen)
	budget(t, r, 0, 0, 1, 0)
}

// Issue 7, item 3: the breaker's own misconfiguration never counts as the
// downstream failing. A denied lambda:InvokeFunction reaches the definition as
// Lambda.AWSLambdaException with AccessDeniedException in the cause (recorded
// on AWS: awslabs/aws-deployment-framework issue #460,
// aws-samples/lambda-refarch-imagerecognition issue #19); a missing function
// or alias as Lambda.ResourceNotFoundException, "Function not found: <arn>
// (Service: AWSLambda; Status Code: 404; ...)" (awslabs/lambda-streams-to-firehose
// issue #25). Each threshold here is 1, so one counted failure would trip.
func TestBreakerMisconfigurationNeverCounts(t *testing.T) {
	denied := sfnlocal.Fault{Error: "Lambda.AWSLambdaException",
		Cause: "User: arn:aws:sts::123456789012:assumed-role/orders-state-machine-role/JbYzQXqGDw is not authorized to perform: lambda:InvokeFunction on resource: " + downstreamArn +
			" because no identity-based policy allows the lambda:InvokeFunction action (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: c0c4199a-20fa-472e-a106-471bfdaa742e; Proxy: null)"}
	// A denial is retried like every AWSLambdaException (IAM propagates within
	// seconds): the default 3 retries, so 4 denials exhaust them.
	deniedEveryTime := []sfnlocal.Fault{denied, denied, denied, denied}
	failedDenied := func(t *testing.T, r sfnlocal.Result) {
		t.Helper()
		if r.Status != "FAILED" || r.Error != denied.Error || r.Cause != denied.Cause || r.InjectedFaults != 4 {
			t.Fatalf("want FAILED with the denial after its retries, got %s", r)
		}
	}
	unchanged := func(t *testing.T, e *env, want circuit.Circuit) {
		t.Helper()
		if c := e.circuit(t); c.State != want.State || c.Failures != want.Failures || c.Probes != want.Probes || c.Version != want.Version || !c.HalfOpenUntil.Equal(want.HalfOpenUntil) {
			t.Fatalf("the circuit moved: %+v, want %+v", c, want)
		}
	}

	t.Run("denied invoke", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.FailureThreshold = 1 })

		t.Run("closed", func(t *testing.T) {
			e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrFailures: "0"})
			r := e.run(t, "x", sfnlocal.Exec{InjectLambda: deniedEveryTime})
			failedDenied(t, r)
			budget(t, r, 0, 0, 1, 0)
			if got := statesOf(r); got != "ReadCircuit,CheckCircuit,InvokeDownstream,DownstreamFailed,RaiseDownstreamError" {
				t.Errorf("states = %s", got)
			}
			unchanged(t, e, circuit.Circuit{State: circuit.Closed, Version: 7})
		})

		t.Run("closed, failures counted", func(t *testing.T) {
			// Neither a failure nor a success: the count stays as it is.
			e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrFailures: "3"})
			r := e.run(t, "x", sfnlocal.Exec{InjectLambda: deniedEveryTime})
			failedDenied(t, r)
			budget(t, r, 0, 0, 1, 0)
			unchanged(t, e, circuit.Circuit{State: circuit.Closed, Failures: 3, Version: 7})
		})

		t.Run("joined probe frees its slot", func(t *testing.T) {
			period := ts(halfOpenFor)
			e.setItem(t, map[string]string{circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: period, circuit.AttrProbes: "0"})
			r := e.run(t, "x", sfnlocal.Exec{InjectLambda: deniedEveryTime})
			failedDenied(t, r)
			if got := statesOf(r); got != "ReadCircuit,CheckCircuit,JoinProbe,InvokeProbe,ReleaseProbe,DownstreamFailed,RaiseDownstreamError" {
				t.Errorf("states = %s", got)
			}
			// Joined (+1) and released (+1): half-open in the same period, slot free.
			unchanged(t, e, circuit.Circuit{State: circuit.HalfOpen, HalfOpenUntil: now.Add(halfOpenFor), Version: 9})
		})
	})

	t.Run("missing function", func(t *testing.T) {
		// The definition invokes a function the executor does not have, which
		// it answers with Lambda.ResourceNotFoundException, as Lambda does.
		const missing = "arn:aws:lambda:us-east-1:123456789012:function:deleted-downstream"
		e := newEnv(t, func(c *Config) { c.DownstreamArn = missing; c.FailureThreshold = 1 })
		notFound := func(t *testing.T, r sfnlocal.Result) {
			t.Helper()
			// Not retried: a missing function does not appear within a request.
			if r.Status != "FAILED" || r.Error != "Lambda.ResourceNotFoundException" || !strings.Contains(r.Cause, missing) || r.LambdaInvocationsByFunction[missing] != 0 {
				t.Fatalf("want FAILED with Lambda.ResourceNotFoundException, got %s", r)
			}
		}

		t.Run("closed", func(t *testing.T) {
			e.setItem(t, nil)
			for range 3 {
				notFound(t, e.run(t, "x", sfnlocal.Exec{}))
			}
			if c := e.circuit(t); c.State != circuit.Closed || c.Failures != 0 || c.Version != 0 {
				t.Fatalf("the circuit moved: %+v", c)
			}
		})

		t.Run("elected probe does not reopen", func(t *testing.T) {
			e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(-time.Second), circuit.AttrOpenings: "1"})
			r := e.run(t, "x", sfnlocal.Exec{})
			notFound(t, r)
			if got := statesOf(r); got != "ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,ElectProbe,CheckElection,InvokeProbe,ReleaseProbe,DownstreamFailed,RaiseDownstreamError" {
				t.Errorf("states = %s", got)
			}
			budget(t, r, 0, 1, 1, 2) // the claim, the election and the release
			c := e.circuit(t)
			if c.State != circuit.HalfOpen || c.Probes != 0 || c.Openings != 1 {
				t.Fatalf("want half-open with the slot free, not reopened: %+v", c)
			}
		})
	})
}

func TestIgnoredErrorsNeitherTripNorCount(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.FailureThreshold = 1
		c.IgnoreErrors = []string{"ValidationError", "NotFound"}
	})
	invalid := map[string]any{"fail": "ValidationError", "message": "amount must be positive"}

	t.Run("closed", func(t *testing.T) {
		// Failures already counted stay as they are: not a success either.
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrFailures: "2"})
		for range 3 {
			r := e.run(t, invalid, sfnlocal.Exec{})
			failedWith(t, r, "ValidationError", "amount must be positive")
			budget(t, r, 1, 0, 1, 0)
		}
		if c := e.circuit(t); c.State != circuit.Closed || c.Failures != 2 || c.Version != 7 {
			t.Errorf("an ignored error moved the circuit: %+v", c)
		}
	})

	t.Run("probe: frees its slot", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(-time.Second)})
		r := e.run(t, invalid, sfnlocal.Exec{})
		failedWith(t, r, "ValidationError", "amount must be positive")
		if got := statesOf(r); got != "ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,ElectProbe,CheckElection,InvokeProbe,ReleaseProbe,DownstreamFailed,RaiseDownstreamError" {
			t.Errorf("states = %s", got)
		}
		c := e.circuit(t)
		if c.State != circuit.HalfOpen || c.Probes != 0 {
			t.Fatalf("the slot was not freed: %+v", c)
		}
		// So the next caller probes at once, and closes the circuit.
		r = e.at(t, time.Second, "ok")
		succeeded(t, r, `{"echoed": "ok"}`)
		if got := statesOf(r); got != "ReadCircuit,CheckCircuit,JoinProbe,InvokeProbe,CloseCircuit" {
			t.Errorf("states = %s", got)
		}
		if c := e.circuit(t); c.State != circuit.Closed {
			t.Errorf("not closed: %+v", c)
		}
	})
}

func TestProbeSuccessCloses(t *testing.T) {
	t.Run("one success", func(t *testing.T) {
		e := newEnv(t, nil)
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0), circuit.AttrOpenings: "3", circuit.AttrFailures: "0"})
		r := e.run(t, "x", sfnlocal.Exec{})
		succeeded(t, r, `{"echoed": "x"}`)
		budget(t, r, 1, 1, 1, 2) // claim, elect, probe, close
		assertClosedByProbes(t, e, "probe succeeded")
		// Closed: the healthy path again.
		admitted(t, e.at(t, time.Second, "y"), `{"echoed": "y"}`)
	})

	t.Run("two successes", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.HalfOpenMaxCalls = 2; c.SuccessThreshold = 2 })
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0)})
		r := e.run(t, "first", sfnlocal.Exec{})
		succeeded(t, r, `{"echoed": "first"}`)
		budget(t, r, 1, 1, 1, 2) // claim, elect, probe, count the success
		if got := statesOf(r); got != "ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,ElectProbe,CheckElection,InvokeProbe,RecordProbeSuccess,CheckProbeSuccesses,ReturnResult" {
			t.Errorf("states = %s", got)
		}
		// 7 (as set) + the claim + the controller's election + the counted success.
		if c := e.circuit(t); c.State != circuit.HalfOpen || c.Successes != 1 || c.Probes != 1 || c.Version != 10 {
			t.Fatalf("after one success: %+v", c)
		}
		r = e.at(t, time.Second, "second")
		succeeded(t, r, `{"echoed": "second"}`)
		budget(t, r, 1, 0, 1, 3) // join, count, close
		if got := statesOf(r); got != "ReadCircuit,CheckCircuit,JoinProbe,InvokeProbe,RecordProbeSuccess,CheckProbeSuccesses,CloseCircuit" {
			t.Errorf("states = %s", got)
		}
		assertClosedByProbes(t, e, "2 probes succeeded")
		// Every write of the state machine added one: join, count, close.
		if v := e.circuit(t).Version; v != 13 {
			t.Errorf("version %d, want 13", v)
		}
	})

	// Traffic too sparse to bring both successes within one half-open period:
	// the next period keeps the first success, so the circuit still closes.
	t.Run("two successes in two periods", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.HalfOpenMaxCalls = 2; c.SuccessThreshold = 2 })
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0)})
		succeeded(t, e.run(t, "first", sfnlocal.Exec{}), `{"echoed": "first"}`)
		r := e.at(t, time.Hour, "much later")
		succeeded(t, r, `{"echoed": "much later"}`)
		if r.States[2] != StatePrepareElection {
			t.Errorf("the period was over, want a new election: %s", statesOf(r))
		}
		assertClosedByProbes(t, e, "2 probes succeeded")
	})
}

func TestProbeFailureReopensWithBackoff(t *testing.T) {
	e := newEnv(t, nil)
	// Opened once already: the next opening lasts twice as long.
	e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0), circuit.AttrOpenings: "1"})
	r := e.run(t, boom("still broken"), sfnlocal.Exec{})
	failedWith(t, r, "DownstreamBoom", "still broken")
	budget(t, r, 1, 2, 1, 1) // claim, elect, probe, reopen
	if got := statesOf(r); got != "ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,ElectProbe,CheckElection,InvokeProbe,Reopen,DownstreamFailed,RaiseDownstreamError" {
		t.Errorf("states = %s", got)
	}
	c := e.circuit(t)
	openedFromTheFailure(t, c, 2*openFor, now)
	if c.Openings != 2 || !c.HalfOpenUntil.IsZero() {
		t.Fatalf("not reopened with back-off: %+v", c)
	}
	want := circuit.Transition{At: c.LastTransition.At, From: circuit.HalfOpen, To: circuit.Open, Reason: "probe failed: DownstreamBoom"}
	if c.LastTransition != want {
		t.Errorf("transition %+v, want %+v", c.LastTransition, want)
	}
	rejected(t, e, e.at(t, 2*openFor-time.Millisecond, "x"), StateRejectOpen)
}

// A probe that never reports back (its execution died) holds the circuit
// half-open only until its period's deadline; then the next caller re-elects.
func TestStaleHalfOpenIsReelected(t *testing.T) {
	e := newEnv(t, nil)
	e.setItem(t, map[string]string{
		circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: ts(halfOpenFor),
		circuit.AttrProbes: "1", circuit.AttrOpenings: "1",
	})
	r := e.at(t, halfOpenFor-time.Millisecond, "x")
	rejected(t, e, r, StateRejectHalfOpenFull)
	budget(t, r, 0, 0, 1, 0)

	r = e.at(t, halfOpenFor, "x")
	succeeded(t, r, `{"echoed": "x"}`)
	if r.States[2] != StatePrepareElection {
		t.Errorf("states = %s", statesOf(r))
	}
	assertClosedByProbes(t, e, "probe succeeded")
}

// Many executions at once on a recovering circuit: at most HalfOpenMaxCalls
// probes reach the downstream, the others fail fast. Joining a half-open
// period with free slots (conditional writes) admits exactly
// HalfOpenMaxCalls. At the end of an open duration, exactly one caller wins
// the election's claim; the others that read the open item fail fast, and
// only those that read the half-open item it leaves can join (issue 14,
// item 12). The probes fail, so every outcome is fixed whatever the
// interleaving: the reopened circuit rejects later readers.
func TestConcurrentExecutionsAdmitExactlyMaxProbes(t *testing.T) {
	const maxCalls, callers = 3, 20
	e := newEnvWith(t, envOptions{
		mutate:      func(c *Config) { c.HalfOpenMaxCalls = maxCalls; c.SuccessThreshold = 1 },
		downstreams: maxCalls, controllers: 4,
	})
	for name, item := range map[string]map[string]string{
		"elected": {circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0), circuit.AttrOpenings: "1"},
		"joined": {circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: ts(halfOpenFor),
			circuit.AttrProbes: "0", circuit.AttrOpenings: "1"},
	} {
		t.Run(name, func(t *testing.T) {
			e.setItem(t, item)
			var probes, open int
			paths := map[string]int{}
			for _, r := range runConcurrently(t, e, callers, boom("down")) {
				paths[r.States[2]+">"+r.States[len(r.States)-1]]++
				switch r.Error {
				case "DownstreamBoom":
					probes++
					failedWith(t, r, "DownstreamBoom", "down")
				case ErrorCircuitOpen:
					open++
					if r.LambdaInvocationsByFunction[downstreamArn] != 0 || r.DynamoReads != 1 {
						t.Errorf("a rejected caller reached the downstream: %s", r)
					}
				default:
					t.Errorf("unexpected outcome %s", r)
				}
			}
			t.Logf("paths taken (first state after CheckCircuit > last state): %v", paths)
			switch {
			case probes+open != callers:
				t.Fatalf("%d probes and %d rejections of %d callers", probes, open, callers)
			case name == "joined" && probes != maxCalls:
				t.Fatalf("%d probes joined, want %d", probes, maxCalls)
			case name == "elected" && (probes < 1 || probes > maxCalls || paths["PrepareElection>RaiseDownstreamError"] != 1):
				t.Fatalf("%d probes, of them %d elected: want 1 elected, and at most %d in all", probes, paths["PrepareElection>RaiseDownstreamError"], maxCalls)
			}
			c := e.circuit(t)
			openedFromTheFailure(t, c, 2*openFor, now)
			if c.Openings != 2 {
				t.Fatalf("one reopening wanted: %+v", c)
			}
		})
	}
}

// The same with succeeding probes, held in flight until every other caller has
// been answered (a gate file, not a guessed duration), and SuccessThreshold =
// HalfOpenMaxCalls: all probes must succeed, then the circuit closes. The
// first probe is elected (alone: see above), the others join its period.
func TestConcurrentProbesCloseOnceAllSucceed(t *testing.T) {
	const maxCalls, callers = 3, 20
	e := newEnvWith(t, envOptions{
		mutate:      func(c *Config) { c.HalfOpenMaxCalls = maxCalls; c.SuccessThreshold = maxCalls },
		downstreams: maxCalls, controllers: 4,
	})
	e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0)})
	gate := t.TempDir() + "/gate"
	input := map[string]any{"waitForFile": gate}

	type outcome struct {
		r   sfnlocal.Result
		err error
	}
	done := make(chan outcome, callers)
	start := func() {
		go func() {
			r, err := e.machine.Execute(context.Background(), input, sfnlocal.Exec{StartTime: now})
			done <- outcome{r, err}
		}()
	}
	start()
	for deadline := time.Now().Add(10 * time.Second); e.circuit(t).State != circuit.HalfOpen; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no probe elected: %+v", e.circuit(t))
		}
	}
	for range callers - 1 {
		start()
	}
	// The probes cannot finish before the gate opens: the first answers are
	// exactly the rejections.
	paths := map[string]int{}
	for range callers - maxCalls {
		o := <-done
		if o.err != nil {
			t.Fatal(o.err)
		}
		if o.r.Error != ErrorCircuitOpen || o.r.LambdaInvocationsByFunction[downstreamArn] != 0 {
			t.Fatalf("a caller other than the probes got %s", o.r)
		}
		paths[o.r.States[2]+">"+o.r.States[len(o.r.States)-1]]++
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for range maxCalls {
		o := <-done
		if o.err != nil {
			t.Fatal(o.err)
		}
		succeeded(t, o.r, `{"echoed": {"waitForFile": "`+gate+`"}}`)
		paths[o.r.States[2]+">"+o.r.States[len(o.r.States)-1]]++
	}
	t.Logf("paths taken (first state after CheckCircuit > last state): %v", paths)
	assertClosedByProbes(t, e, "3 probes succeeded")
}

// Operators force the circuit through the controller, without redeploying.
func TestOperatorOverrides(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FailureThreshold = 1 })
	e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrFailures: "0"})

	e.control(t, `{"action":"forceOpen","reason":"INC-7 drill"}`)
	rejected(t, e, e.run(t, "x", sfnlocal.Exec{}), StateRejectForcedOpen)
	if tr := e.circuit(t).LastTransition; tr.To != circuit.State(circuit.ForcedOpen) || tr.Reason != "manual: INC-7 drill" {
		t.Errorf("transition %+v", tr)
	}

	// Forced closed: invoked, and nothing counted, failures included.
	e.control(t, `{"action":"forceClosed","reason":"vendor says it is fine"}`)
	before := e.circuit(t)
	r := e.run(t, boom("not counted"), sfnlocal.Exec{})
	failedWith(t, r, "DownstreamBoom", "not counted")
	budget(t, r, 1, 0, 1, 0)
	if got := statesOf(r); got != "ReadCircuit,CheckCircuit,InvokeForcedClosed,DownstreamFailed,RaiseDownstreamError" {
		t.Errorf("states = %s", got)
	}
	admitted(t, e.run(t, "x", sfnlocal.Exec{}), `{"echoed": "x"}`)
	if after := e.circuit(t); after.Version != before.Version || after.State != circuit.Closed {
		t.Errorf("forced closed counted something: %+v", after)
	}

	// Released: counting again (threshold 1 trips at once).
	e.control(t, `{"action":"release","reason":"drill over"}`)
	r = e.run(t, boom("counted"), sfnlocal.Exec{})
	failedWith(t, r, "DownstreamBoom", "counted")
	budget(t, r, 1, 1, 1, 1)
	if c := e.circuit(t); c.State != circuit.Open || c.Override != circuit.NoOverride {
		t.Errorf("after release: %+v", c)
	}
}

func TestFallbackWhileOpen(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FallbackArn = fallbackArn })
	for name, attrs := range map[string]map[string]string{
		"open":              {circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)},
		"forced open":       {circuit.AttrOverride: string(circuit.ForcedOpen)},
		"healthcheck alarm": {circuit.AttrHealthcheckAlarm: string(circuit.AlarmStateAlarm)},
		"half-open, full":   {circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: ts(time.Minute), circuit.AttrProbes: "1"},
	} {
		t.Run(name, func(t *testing.T) {
			e.setItem(t, attrs)
			r := e.run(t, map[string]any{"order": 1}, sfnlocal.Exec{})
			succeeded(t, r, `{"fallback": {"order": 1}}`)
			budget(t, r, 1, 0, 1, 0)
			if r.LambdaInvocationsByFunction[fallbackArn] != 1 || r.States[len(r.States)-1] != StateInvokeFallback {
				t.Errorf("not the fallback: %s", r)
			}
		})
	}
	t.Run("the fallback's failure is the execution's", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)})
		r := e.run(t, map[string]any{"fail": "FallbackBoom", "message": "no cache either"}, sfnlocal.Exec{})
		failedWith(t, r, "FallbackBoom", "no cache either")
	})
	t.Run("closed circuits do not use it", func(t *testing.T) {
		e.setItem(t, nil)
		admitted(t, e.run(t, "x", sfnlocal.Exec{}), `{"echoed": "x"}`)
	})
}

// The downstream's error and cause surface unchanged on every path, even when
// the bookkeeping after it fails (here: no controller to trip or reopen).
func TestDownstreamErrorSurvivesBookkeepingFailures(t *testing.T) {
	e := newEnvWith(t, envOptions{mutate: func(c *Config) { c.FailureThreshold = 1 }, noController: true})

	e.setItem(t, nil)
	r := e.run(t, boom("trip fails"), sfnlocal.Exec{})
	failedWith(t, r, "DownstreamBoom", "trip fails")
	if got := statesOf(r); got != "ReadCircuit,CheckCircuit,InvokeDownstream,RecordFailure,CheckFailureThreshold,Trip,DownstreamFailed,RaiseDownstreamError" {
		t.Errorf("states = %s", got)
	}

	e.setItem(t, map[string]string{circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: ts(time.Minute), circuit.AttrProbes: "0"})
	r = e.run(t, boom("reopen fails"), sfnlocal.Exec{})
	failedWith(t, r, "DownstreamBoom", "reopen fails")
	if got := statesOf(r); got != "ReadCircuit,CheckCircuit,JoinProbe,InvokeProbe,Reopen,DownstreamFailed,RaiseDownstreamError" {
		t.Errorf("states = %s", got)
	}

	// An election that cannot be held fails closed: no stampede on a suspect
	// downstream because the controller is unavailable.
	e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(-time.Minute)})
	rejected(t, e, e.run(t, "x", sfnlocal.Exec{}), StateRejectProbeNotAdmitted)

	// A function error without a message still surfaces by name.
	e.setItem(t, nil)
	r = e.run(t, map[string]any{"fail": "Bare"}, sfnlocal.Exec{})
	if r.Status != "FAILED" || r.Error != "Bare" {
		t.Errorf("got %s", r)
	}
}

// The executed definition and circuit.RequestPath (circuit.Decide) agree on
// the row every item takes, over a grid of the attributes the table reads,
// including absent, unknown and malformed values; and each branch ends as it
// should, a join as JoinProbe's condition decides on the item.
func TestDefinitionAgreesWithDecide(t *testing.T) {
	const maxCalls = 2
	e := newEnv(t, func(c *Config) { c.HalfOpenMaxCalls = maxCalls; c.SuccessThreshold = 1 })
	absent := "\x00absent"
	times := []string{absent, ts(-time.Hour), ts(-time.Millisecond), ts(0), ts(time.Millisecond), ts(time.Hour), "not a time"}

	n := 0
	check := func(t *testing.T, raw map[string]string) {
		t.Helper()
		n++
		attrs := map[string]string{}
		for k, v := range raw {
			if v != absent {
				attrs[k] = v
			}
		}
		e.setItem(t, attrs)
		if raw[circuit.AttrVersion] == absent {
			e.removeVersion(t)
		}
		var it circuit.Item
		if attrs != nil {
			it = itemOf(attrs)
			if raw[circuit.AttrVersion] == "" {
				it[circuit.AttrVersion] = circuit.N(7) // setItem's default version
			}
		}
		params := circuit.Params{circuit.ParamHalfOpenMaxCalls: circuit.N(maxCalls)}
		row, err := circuit.RequestPath.Eval(circuit.Env{Items: map[circuit.Role]circuit.Item{circuit.RoleCircuit: it}, Now: now, Params: params})
		if err != nil {
			t.Fatal(err)
		}
		c, err := circuit.DecodeItem("x", it)
		if err != nil {
			t.Fatal(err)
		}
		decided := circuit.Decide(c, now, maxCalls)
		r := e.run(t, "x", sfnlocal.Exec{})
		if got := r.States[2]; got != row.Step {
			t.Fatalf("item %v: definition %s, circuit.RequestPath %s (%s; states %s)", attrs, got, row.Step, row.Then, statesOf(r))
		}
		want := row.Then
		if want == circuit.Elect {
			// The claim: rejected without a write when claimed this minute,
			// else claimed (circuit.ClaimElection), which nobody else
			// contests here, so it wins and the controller elects.
			if len(r.States) <= 4 {
				t.Fatalf("item %v: unexpected branch %s", attrs, statesOf(r))
			}
			claimRow, err := circuit.ElectionClaimRules.Eval(circuit.Env{Items: map[circuit.Role]circuit.Item{circuit.RoleCircuit: it},
				Params: circuit.Params{circuit.ParamMinute: circuit.S(circuit.ElectionMinute(now))}})
			if err != nil {
				t.Fatal(err)
			}
			if r.States[4] != claimRow.Step {
				t.Fatalf("item %v: definition %s, circuit.ElectionClaimRules %s (states %s)", attrs, r.States[4], claimRow.Step, statesOf(r))
			}
			if r.States[4] == StateRejectElectionClaimed {
				want = circuit.Reject
				if r.DynamoWrites != 0 {
					t.Errorf("item %v: claimed this minute, but written: %s", attrs, r)
				}
			} else if _, won := c.ClaimElection(now, c.Version); !won || !slices.Contains(r.States, StateElectProbe) {
				t.Errorf("item %v: the claim's outcome differs: Go %v, ASL %s", attrs, won, statesOf(r))
			}
		}
		if decided != want {
			t.Errorf("item %v: circuit.Decide %s, the definition %s (states %s)", attrs, decided, want, statesOf(r))
		}
		if want == circuit.Join {
			params[circuit.ParamPeriod] = it[circuit.AttrHalfOpenUntil]
			if _, joins, err := circuit.JoinProbe.ApplyItem(it, params); err != nil {
				t.Fatal(err)
			} else if !joins {
				want = circuit.Reject
			}
		}
		switch {
		case want == circuit.Reject:
			if r.Error != ErrorCircuitOpen || r.LambdaInvocationsByFunction[downstreamArn] != 0 {
				t.Errorf("item %v: rejected but %s", attrs, r)
			}
		case want == circuit.Elect:
			// Admitted as the probe, unless the controller cannot read the item
			// (a malformed deadline): then the election fails closed.
			if !r.Succeeded() && r.Error != ErrorCircuitOpen {
				t.Errorf("item %v: elected but %s", attrs, r)
			}
		default:
			if !r.Succeeded() || r.LambdaInvocationsByFunction[downstreamArn] != 1 || !sameJSON(r.Output, []byte(`{"echoed": "x"}`)) {
				t.Errorf("item %v: invoked but %s", attrs, r)
			}
		}
	}

	check(t, nil)
	states := []string{absent, string(circuit.Closed), string(circuit.Open), string(circuit.HalfOpen), "open"}
	overrides := []string{absent, string(circuit.ForcedOpen), string(circuit.ForcedClosed), "FORCED_SIDEWAYS"}
	healthchecks := []string{absent, string(circuit.AlarmStateOK), string(circuit.AlarmStateAlarm), string(circuit.AlarmStateInsufficientData)}
	// Every state against overrides, healthcheck and openUntil.
	for _, st := range states {
		for _, ov := range overrides {
			for _, hc := range healthchecks {
				for _, ou := range times {
					check(t, map[string]string{circuit.AttrState: st, circuit.AttrOverride: ov, circuit.AttrHealthcheckAlarm: hc, circuit.AttrOpenUntil: ou})
				}
			}
		}
	}
	// HALF_OPEN: its period against its probes, held or not.
	for _, hu := range times {
		for _, p := range []string{absent, "0", strconv.Itoa(maxCalls - 1), strconv.Itoa(maxCalls), strconv.Itoa(maxCalls + 1)} {
			for _, hold := range []map[string]string{{}, {circuit.AttrOverride: string(circuit.ForcedOpen)}, {circuit.AttrHealthcheckAlarm: string(circuit.AlarmStateAlarm)}} {
				attrs := map[string]string{circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: hu, circuit.AttrProbes: p}
				for k, v := range hold {
					attrs[k] = v
				}
				check(t, attrs)
			}
		}
	}
	// Elections against their claim (issue 14, item 12): claimed this
	// minute rejects without a write; a claim of another minute (a claimer
	// that died), an unreadable one, or none, is claimed afresh, with or
	// without a version on the item.
	claims := []string{absent, circuit.ElectionMinute(now), circuit.ElectionMinute(now.Add(-time.Minute)), circuit.ElectionMinute(now.Add(time.Minute)), "garbage"}
	for _, item := range []map[string]string{
		{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(-time.Second)},
		{circuit.AttrState: string(circuit.Open)},
		{circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: ts(0), circuit.AttrProbes: "1"},
		{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Second)},
		{circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: ts(time.Second), circuit.AttrProbes: "0"},
	} {
		for _, claim := range claims {
			for _, version := range []string{"7", absent} {
				attrs := map[string]string{circuit.AttrElectionClaim: claim, circuit.AttrVersion: version}
				for k, v := range item {
					attrs[k] = v
				}
				check(t, attrs)
			}
		}
	}
	// Closed-ish items: failures decide which invocation state counts.
	for _, st := range []string{absent, string(circuit.Closed), "open"} {
		for _, f := range []string{absent, "0", "1", "12"} {
			check(t, map[string]string{circuit.AttrState: st, circuit.AttrFailures: f})
		}
	}
	t.Logf("%d items compared", n)
}

// A service name with braces, apostrophes and HTML's characters reaches the
// causes intact: JSON-encoded, then escaped for the intrinsic's string
// literal (fastfail.go). (Not a double quote or a backslash: their JSON
// escapes are backslashes, and aws-local-stepfunctions strips every
// backslash from an intrinsic's result, where AWS keeps the escaped one;
// TestRejectStates pins the rendering of such a name. The component's names
// have neither: component/settings.go.)
func TestOddServiceNameInCauses(t *testing.T) {
	const name = `svc {} {{}} 'q' <&> $.x, (ünïcode)`
	e := newEnv(t, func(c *Config) { c.ServiceName = name })
	e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)})
	r := e.run(t, "x", sfnlocal.Exec{})
	rejected(t, e, r, StateRejectOpen)
	if want := (circuit.Cause{Reason: circuit.ReasonOpen, RetryAt: ts(time.Minute), ServiceName: name}).Marshal(); r.Cause != want {
		t.Errorf("cause = %q, want %q", r.Cause, want)
	}
	// And the controller, configured with the same name, trips that item.
	e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrFailures: "4"})
	failedWith(t, e.run(t, boom("odd"), sfnlocal.Exec{}), "DownstreamBoom", "odd")
	if c := e.circuit(t); c.State != circuit.Open {
		t.Errorf("not tripped: %+v", c)
	}
}

// The end of an open duration is no stampede (issue 14, item 12): 200
// callers at once, all reading the circuit open with its duration just over,
// used to make 200 controller invocations (201 when the probe failed). Now
// exactly one wins the election's claim and invokes the controller; per
// reopening at most HalfOpenMaxCalls + 2 controller invocations in all (the
// election, and a reopen per failed probe), for a succeeding probe and a
// failing one. The probes are held in flight by a gate until everyone else
// has been answered, so that nobody reads the circuit closed or reopened: all
// the others must have failed fast, with CircuitOpen, invoking neither the
// downstream nor the controller, writing at most one (lost) claim.
//
// What makes one winner is DynamoDB's: a conditional UpdateItem is applied
// only if its ConditionExpression holds on the item as it is when the write
// is applied, and concurrent ones are applied one at a time (DynamoDB
// Developer Guide, "Condition expressions: conditional writes" and
// "Optimistic locking with version number"; API reference, UpdateItem:
// ConditionalCheckFailedException). dynalite applies them so too.
func TestStampedeAtTheEndOfTheOpenDuration(t *testing.T) {
	const maxCalls, callers = 3, 200
	e := newEnvWith(t, envOptions{
		mutate:      func(c *Config) { c.HalfOpenMaxCalls = maxCalls; c.SuccessThreshold = 1 },
		downstreams: maxCalls, controllers: 4,
	})
	for _, probe := range []struct {
		name   string
		fail   bool
		closes bool
	}{{"probe succeeds", false, true}, {"probe fails", true, false}} {
		t.Run(probe.name, func(t *testing.T) {
			e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0), circuit.AttrOpenings: "1"})
			gate := t.TempDir() + "/gate"
			input := map[string]any{"waitForFile": gate}
			if probe.fail {
				input["fail"], input["message"] = "DownstreamBoom", "still down"
			}
			type outcome struct {
				r   sfnlocal.Result
				err error
			}
			done := make(chan outcome, callers)
			for range callers {
				go func() {
					r, err := e.machine.Execute(context.Background(), input, sfnlocal.Exec{StartTime: now})
					done <- outcome{r, err}
				}()
			}
			var results []sfnlocal.Result
			controller, probes, fast := 0, 0, 0
			paths := map[string]int{}
			var slowest time.Duration
			take := func() sfnlocal.Result {
				o := <-done
				if o.err != nil {
					t.Fatal(o.err)
				}
				results = append(results, o.r)
				controller += o.r.LambdaInvocationsByFunction[controllerArn]
				paths[o.r.States[len(o.r.States)-1]]++
				return o.r
			}
			// Everyone but the probes answers while the gate is shut.
			for len(results) < callers {
				r := take()
				if r.LambdaInvocationsByFunction[downstreamArn] != 0 {
					// A probe cannot finish before the gate opens: this is the
					// first answer after it, so every rejection is in.
					probes++
					break
				}
				// (The read may have been retried: dynalite on a loaded
				// machine answers some of 200 concurrent reads with a 500.)
				if r.Error != ErrorCircuitOpen || r.LambdaInvocationsByFunction[controllerArn] != 0 || r.DynamoWrites > 1 {
					t.Errorf("a caller other than the probes did not fail fast: %s", r)
				}
				fast++
				slowest = max(slowest, r.Duration)
				if fast == callers-maxCalls {
					// At most maxCalls probes can be in flight; once the others
					// are in, open the gate.
					break
				}
			}
			if err := os.WriteFile(gate, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			for len(results) < callers {
				r := take()
				switch {
				case r.LambdaInvocationsByFunction[downstreamArn] == 1:
					probes++
				case r.Error == ErrorCircuitOpen && r.LambdaInvocationsByFunction[controllerArn] == 0:
					fast++
					slowest = max(slowest, r.Duration)
				default:
					t.Errorf("neither a probe nor a fast failure: %s", r)
				}
			}
			for _, r := range results {
				if r.LambdaInvocationsByFunction[downstreamArn] == 1 {
					if probe.fail {
						failedWith(t, r, "DownstreamBoom", "still down")
					} else {
						succeeded(t, r, fmt.Sprintf(`{"echoed": {"waitForFile": %q}}`, gate))
					}
				}
			}
			t.Logf("%d callers: %d controller invocations, %d probes, %d failed fast (the slowest in %v); ended in %v",
				callers, controller, probes, fast, slowest.Round(time.Millisecond), paths)
			if controller > maxCalls+2 {
				t.Errorf("%d controller invocations for one reopening, want at most halfOpenMaxCalls + 2 = %d", controller, maxCalls+2)
			}
			if probes < 1 || probes > maxCalls || probes+fast != callers {
				t.Errorf("%d probes and %d fast failures of %d callers", probes, fast, callers)
			}
			c := e.circuit(t)
			if probe.closes && c.State != circuit.Closed || !probe.closes && (c.State != circuit.Open || c.Openings != 2) {
				t.Errorf("after the probes: %+v", c)
			}
			if c.ElectionClaim != "" {
				t.Errorf("the claim outlived the election: %+v", c)
			}
		})
	}
}

// No path leaves a circuit unable to elect (issue 14, item 12). A winner
// whose controller call fails releases its claim, so the very next caller
// claims again; a claim whose execution died (here: written by hand) holds
// the election only until its minute is over.
func TestElectionClaimsCannotStick(t *testing.T) {
	t.Run("a failed election releases its claim", func(t *testing.T) {
		e := newEnvWith(t, envOptions{noController: true})
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(-time.Minute)})
		for range 2 {
			r := e.run(t, "x", sfnlocal.Exec{})
			rejected(t, e, r, StateRejectProbeNotAdmitted)
			if !slices.Contains(r.States, StateClaimElection) || !slices.Contains(r.States, StateReleaseElection) {
				t.Fatalf("want claimed, then released: %s", statesOf(r))
			}
			if c := e.circuit(t); c.ElectionClaim != "" || c.State != circuit.Open {
				t.Fatalf("the claim outlived the failed election: %+v", c)
			}
		}
	})
	t.Run("a dead claimer's claim expires with its minute", func(t *testing.T) {
		e := newEnv(t, nil)
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(-time.Minute),
			circuit.AttrElectionClaim: circuit.ElectionMinute(now)})
		r := e.run(t, "x", sfnlocal.Exec{})
		rejected(t, e, r, StateRejectElectionClaimed)
		budget(t, r, 0, 0, 1, 0)
		// The last instant of the claim's minute, then the next minute.
		last := now.Truncate(time.Minute).Add(time.Minute - time.Millisecond)
		rejected(t, e, e.run(t, "x", sfnlocal.Exec{StartTime: last}), StateRejectElectionClaimed)
		r = e.run(t, "x", sfnlocal.Exec{StartTime: last.Add(time.Millisecond)})
		succeeded(t, r, `{"echoed": "x"}`)
		if c := e.circuit(t); c.State != circuit.Closed || c.ElectionClaim != "" {
			t.Fatalf("not elected and closed after the claim's minute: %+v", c)
		}
	})
}
