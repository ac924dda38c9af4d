//go:build emulators

package statemachine

import (
	"slices"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
)

// Executions of the real definition with the circuit unreadable: the table is
// missing (ResourceNotFoundException, not retried) or the read keeps failing
// on the client side (DynamoDB.SdkClientException, the name Step Functions
// gives an unreachable endpoint: see TransientDynamoDBErrors) through its
// retries.
func TestFailClosedRejectsWhenTheTableIsUnreachable(t *testing.T) {
	unreachable := sfnlocal.Fault{Error: "DynamoDB.SdkClientException", Cause: "Unable to execute HTTP request: connect timed out"}
	everyRead := []sfnlocal.Fault{unreachable, unreachable, unreachable}

	t.Run("fail closed, table missing", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.TableName = "no-such-table"; c.FailClosed = true })
		r := e.run(t, "x", sfnlocal.Exec{})
		unavailable(t, r)
		budget(t, r, 0, 0, 1, 0)
		if got := statesOf(r); got != "ReadCircuit,RejectCircuitUnavailable" {
			t.Errorf("states = %s", got)
		}
	})

	t.Run("fail closed, endpoint unreachable through the retries", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.FailClosed = true })
		r := e.run(t, "x", sfnlocal.Exec{InjectDynamoDB: everyRead})
		unavailable(t, r)
		if r.InjectedFaults != 3 || r.LambdaInvocations != 0 {
			t.Fatalf("got %s", r)
		}
		// A read that succeeds on its retry still decides as usual.
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed)})
		admitted(t, e.run(t, "x", sfnlocal.Exec{InjectDynamoDB: everyRead[:1]}), `{"echoed": "x"}`)
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)})
		rejected(t, e, e.run(t, "x", sfnlocal.Exec{InjectDynamoDB: everyRead[:2]}), StateRejectOpen)
	})

	t.Run("fail open (the default) invokes", func(t *testing.T) {
		e := newEnv(t, nil)
		r := e.run(t, "x", sfnlocal.Exec{InjectDynamoDB: everyRead})
		if !r.Succeeded() || r.InjectedFaults != 3 || r.LambdaInvocations != 1 {
			t.Fatalf("got %s", r)
		}
		if got := statesOf(r); got != "ReadCircuit,InvokeDownstream" {
			t.Errorf("states = %s", got)
		}
	})

	// The keyed read (per-key circuits, one BatchGetItem) fails closed the
	// same way: the key was valid, its circuits could not be read, and
	// neither could the breaker's own item alone (which would have decided
	// had it held every key: perkey_hostile_test.go).
	t.Run("fail closed, keyed read", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.CircuitKey = "$.provider"; c.TableName = "no-such-table"; c.FailClosed = true })
		r := e.run(t, call("acme", false), sfnlocal.Exec{})
		unavailable(t, r)
		budget(t, r, 0, 0, 2, 0)
		if got := statesOf(r); got != "CheckCircuitKey,ResolveCircuitKey,ReadCircuit,CheckReadError,ReadBreakerItem,RejectCircuitUnavailable" {
			t.Errorf("states = %s", got)
		}
		sdkFault := sfnlocal.Fault{Error: "DynamoDb.SdkClientException", Cause: "Unable to execute HTTP request: connect timed out"}
		e = newEnv(t, func(c *Config) { c.CircuitKey = "$.provider"; c.FailClosed = true })
		r = e.run(t, call("acme", false), sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{sdkFault, sdkFault, sdkFault}})
		unavailable(t, r)
		if r.InjectedFaults != 3 || r.LambdaInvocations != 0 {
			t.Fatalf("got %s", r)
		}
	})

	t.Run("fail closed with a fallback invokes no Lambda either", func(t *testing.T) {
		e := newEnv(t, func(c *Config) {
			c.FallbackArn = "arn:aws:lambda:us-east-1:123456789012:function:orders-fallback"
			c.FailClosed = true
		})
		r := e.run(t, "x", sfnlocal.Exec{InjectDynamoDB: everyRead})
		unavailable(t, r)
		if r.LambdaInvocations != 0 || slices.Contains(r.States, StateInvokeFallback) {
			t.Fatalf("got %s", r)
		}
	})
}
