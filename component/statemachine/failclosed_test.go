package statemachine

import (
	"encoding/json"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
)

// Issue 10, bullet 5 (store errors, by choice): with FailClosed, a read that
// fails after its retry ends the execution with CircuitUnavailable and
// invokes nothing; without it (the default), the call goes through. The read's
// Catch is the only state that changes, so the worst case stays bounded and
// no longer than failing open's.
func TestFailClosedChangesOnlyTheReadsCatch(t *testing.T) {
	for _, withFallback := range []bool{false, true} {
		open, closed := validConfig(), validConfig()
		if withFallback {
			open.FallbackArn = "arn:aws:lambda:us-east-1:123456789012:function:orders-fallback"
			closed.FallbackArn = open.FallbackArn
		}
		closed.FailClosed = true
		o, c := doc(t, open), doc(t, closed)
		ostates, cstates := at(t, o, "States").(map[string]any), at(t, c, "States").(map[string]any)
		assertJSON(t, "RejectCircuitUnavailable", cstates[StateRejectCircuitUnavailable],
			`{"Type": "Fail", "Error": "CircuitUnavailable", "Cause": "{\"reason\":\"storeUnavailable\",\"serviceName\":\"orders\"}"}`)
		assertJSON(t, "ReadCircuit.Catch", cstates[StateReadCircuit].(map[string]any)["Catch"],
			`[{"ErrorEquals": ["States.ALL"], "Next": "RejectCircuitUnavailable"}]`)
		assertJSON(t, "ReadCircuit.Catch (fail open)", ostates[StateReadCircuit].(map[string]any)["Catch"],
			`[{"ErrorEquals": ["States.ALL"], "Next": "InvokeDownstream"}]`)
		if _, ok := ostates[StateRejectCircuitUnavailable]; ok {
			t.Error("failing open has a RejectCircuitUnavailable state")
		}
		for name := range ostates {
			if name == StateReadCircuit {
				continue
			}
			want, _ := json.Marshal(ostates[name])
			assertJSON(t, name, cstates[name], string(want))
		}

		wo, err := WorstCaseOf(open)
		if err != nil {
			t.Fatal(err)
		}
		wc, err := WorstCaseOf(closed)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("fallback %v: worst case %d s failing open, %d s failing closed", withFallback, wo.Seconds(), wc.Seconds())
		if wc.Seconds() > wo.Seconds() {
			t.Errorf("failing closed may run %d s, longer than failing open (%d s)", wc.Seconds(), wo.Seconds())
		}
	}
}

// unavailable asserts the execution failed closed, with our error and cause,
// in the Fail state that says so.
func unavailable(t *testing.T, r sfnlocal.Result) {
	t.Helper()
	if r.Status != "FAILED" || r.Error != ErrorCircuitUnavailable {
		t.Fatalf("want FAILED with %s, got %s", ErrorCircuitUnavailable, r)
	}
	c, err := circuit.ParseCause(r.Cause)
	if err != nil || c.Reason != circuit.ReasonStoreUnavailable || c.ServiceName != "orders" || c.RetryAt != "" {
		t.Errorf("cause %q: %+v, %v", r.Cause, c, err)
	}
	if last := r.States[len(r.States)-1]; last != StateRejectCircuitUnavailable {
		t.Errorf("ended in %s", last)
	}
}
