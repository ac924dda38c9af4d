//go:build emulators

package statemachine

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
)

// resultCases are results the downstream returns, for resultConditions():
// each condition kind met, and missed by a value, a type or an absence.
var resultCases = []struct {
	name   string
	result string
	fails  bool
}{
	{">= met", `{"statusCode": 503}`, true},
	{">= at the bound", `{"statusCode": 500}`, true},
	{">= missed", `{"statusCode": 200}`, false},
	{">= on a string", `{"statusCode": "503"}`, false},
	{"> met, nested", `{"latency": {"ms": 2600}}`, true},
	{"> missed at the bound", `{"latency": {"ms": 2500.5}}`, false},
	{"<= met", `{"remaining": 0}`, true},
	{"<= missed", `{"remaining": 3}`, false},
	{"< met", `{"score": -2}`, true},
	{"< missed at the bound", `{"score": -1}`, false},
	{"== number met", `{"code": 42}`, true},
	{"== number missed", `{"code": 42.5}`, false},
	{"== string met", `{"status": "ERROR \"hard\" {x} 'q'"}`, true},
	{"== string missed", `{"status": "OK"}`, false},
	{"isPresent met", `{"errorMessage": "boom"}`, true},
	{"isPresent missed", `{"body": "ok"}`, false},
	{"$ == string met", `"DOWN"`, true},
	{"$ == string missed", `"UP"`, false},
	{"not an object", `[1, 2]`, false},
	{"null", `null`, false},
}

// Each condition kind, through the real definition: a result that meets one
// trips the circuit in line (threshold 1), and the caller gets the result
// unchanged; one that misses goes the healthy path, writing nothing. Go's
// circuit.ResultFails agrees on every result.
func TestResultFailureTripsForEachConditionKind(t *testing.T) {
	conds := resultConditions()
	e := newEnv(t, func(c *Config) { c.FailureThreshold = 1; c.ResultFailureWhen = conds })
	for _, tc := range resultCases {
		t.Run(tc.name, func(t *testing.T) {
			var result any
			if err := json.Unmarshal([]byte(tc.result), &result); err != nil {
				t.Fatal(err)
			}
			if got := circuit.ResultFails(conds, result); got != tc.fails {
				t.Fatalf("circuit.ResultFails = %v, want %v", got, tc.fails)
			}
			e.setItem(t, nil)
			r := e.run(t, map[string]any{"return": json.RawMessage(tc.result)}, sfnlocal.Exec{})
			succeeded(t, r, tc.result)
			c := e.circuit(t)
			if !tc.fails {
				budget(t, r, 1, 0, 1, 0)
				if got := statesOf(r); got != "ReadCircuit,CheckCircuit,InvokeDownstream,CheckDownstreamResult,ReturnResult" {
					t.Errorf("states = %s", got)
				}
				if c.State == circuit.Open {
					t.Errorf("opened by a good result: %+v", c)
				}
				return
			}
			budget(t, r, 1, 1, 1, 1) // CountFailure, then the controller's trip
			if got := statesOf(r); got != "ReadCircuit,CheckCircuit,InvokeDownstream,CheckDownstreamResult,DownstreamResultFailed,RecordFailure,CheckFailureThreshold,Trip,DownstreamFailed,ReturnResult" {
				t.Errorf("states = %s", got)
			}
			if c.State != circuit.Open || !strings.HasSuffix(c.LastTransition.Reason, "last: "+ErrorDownstreamResultFailure) {
				t.Errorf("want tripped by the result: %+v", c)
			}
			if p := circuit.ClassifyPath(r.States); p != circuit.PathTrip {
				t.Errorf("path %q, want %q", p, circuit.PathTrip)
			}
		})
	}
}

// Below the threshold a result failure is counted like a thrown error, and
// a good result after it clears the count (CheckResultAfterFailures, then
// ResetFailures); a bad one after failures counts one more and trips.
func TestResultFailuresCountTowardsTheThreshold(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FailureThreshold = 2; c.ResultFailureWhen = resultConditions() })
	bad := map[string]any{"return": map[string]any{"statusCode": 502}}
	good := map[string]any{"return": map[string]any{"statusCode": 200}}
	succeeded(t, e.run(t, bad, sfnlocal.Exec{}), `{"statusCode": 502}`)
	if c := e.circuit(t); c.State == circuit.Open || c.Failures != 1 {
		t.Fatalf("want one failure counted: %+v", c)
	}
	r := e.at(t, time.Second, good)
	succeeded(t, r, `{"statusCode": 200}`)
	if got := statesOf(r); got != "ReadCircuit,CheckCircuit,InvokeDownstreamAfterFailures,CheckResultAfterFailures,ResetFailures" {
		t.Errorf("states = %s", got)
	}
	if c := e.circuit(t); c.Failures != 0 {
		t.Fatalf("want the count cleared: %+v", c)
	}
	succeeded(t, e.at(t, 2*time.Second, bad), `{"statusCode": 502}`)
	r = e.at(t, 3*time.Second, bad)
	succeeded(t, r, `{"statusCode": 502}`)
	if got := statesOf(r); got != "ReadCircuit,CheckCircuit,InvokeDownstreamAfterFailures,CheckResultAfterFailures,DownstreamResultFailed,RecordFailure,CheckFailureThreshold,Trip,DownstreamFailed,ReturnResult" {
		t.Errorf("states = %s", got)
	}
	if c := e.circuit(t); c.State != circuit.Open {
		t.Fatalf("want tripped at the threshold: %+v", c)
	}
	// Open: the next call fails fast, nothing invoked.
	rejected(t, e, e.at(t, 4*time.Second, good), StateRejectOpen)
}

// A probe whose result meets a condition reopens the circuit (backed off) and
// returns the result; one whose result misses closes it. Each condition kind.
func TestResultFailureOfAProbeReopens(t *testing.T) {
	conds := resultConditions()
	e := newEnv(t, func(c *Config) { c.ResultFailureWhen = conds })
	for _, tc := range resultCases {
		t.Run(tc.name, func(t *testing.T) {
			e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0), circuit.AttrOpenings: "1"})
			r := e.run(t, map[string]any{"return": json.RawMessage(tc.result)}, sfnlocal.Exec{})
			succeeded(t, r, tc.result)
			c := e.circuit(t)
			if !tc.fails {
				if !strings.HasSuffix(statesOf(r), "InvokeProbe,CheckProbeResult,CloseCircuit") || c.State != circuit.Closed {
					t.Errorf("want closed by the probe: %s, %+v", statesOf(r), c)
				}
				return
			}
			if !strings.HasSuffix(statesOf(r), "InvokeProbe,CheckProbeResult,ProbeResultFailed,Reopen,DownstreamFailed,ReturnResult") {
				t.Errorf("states = %s", statesOf(r))
			}
			if c.State != circuit.Open || c.Openings != 2 || !strings.Contains(c.LastTransition.Reason, ErrorDownstreamResultFailure) {
				t.Errorf("want reopened, backed off: %+v", c)
			}
			if p := circuit.ClassifyPath(r.States); p != circuit.PathProbeReopened {
				t.Errorf("path %q, want %q", p, circuit.PathProbeReopened)
			}
		})
	}
}

// With FailOnResultFailure the caller gets DownstreamResultFailure instead of
// the result, after the same bookkeeping; a thrown error is still the
// downstream's own, and a good result still the output.
func TestResultFailureFailsTheExecutionWhenAsked(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.FailureThreshold = 2
		c.ResultFailureWhen = resultConditions()
		c.FailOnResultFailure = true
	})
	r := e.run(t, map[string]any{"return": map[string]any{"statusCode": 504}}, sfnlocal.Exec{})
	if r.Status != "FAILED" || r.Error != ErrorDownstreamResultFailure || !strings.Contains(r.Cause, "$.statusCode >= 500") {
		t.Fatalf("want FAILED %s, got %s", ErrorDownstreamResultFailure, r)
	}
	if c := e.circuit(t); c.Failures != 1 {
		t.Fatalf("want the failure counted: %+v", c)
	}
	failedWith(t, e.at(t, time.Second, boom("thrown")), "DownstreamBoom", "thrown")
	if c := e.circuit(t); c.State != circuit.Open {
		t.Fatalf("a result failure and a thrown error count alike: %+v", c)
	}
	e.setItem(t, nil)
	admittedWithCheck := e.at(t, 2*time.Second, map[string]any{"return": map[string]any{"statusCode": 201}})
	succeeded(t, admittedWithCheck, `{"statusCode": 201}`)
}

// Per-key circuits: a key's failing results trip that key's circuit only.
func TestResultFailureTripsOnlyThatKey(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.CircuitKey = "$.provider"
		c.FailureThreshold = 1
		c.ResultFailureWhen = resultConditions()
	})
	bad := map[string]any{"provider": "acme", "return": map[string]any{"statusCode": 503}}
	succeeded(t, e.run(t, bad, sfnlocal.Exec{}), `{"statusCode": 503}`)
	acme, err := e.store.Get(t.Context(), circuit.ItemKey(e.cfg.ServiceName, "acme"))
	if err != nil || acme.State != circuit.Open {
		t.Fatalf("acme's circuit: %+v, %v", acme, err)
	}
	if c := e.circuit(t); c.State == circuit.Open {
		t.Fatalf("the breaker's own circuit opened: %+v", c)
	}
	good := map[string]any{"provider": "zeta", "return": map[string]any{"statusCode": 200}}
	succeeded(t, e.at(t, time.Second, good), `{"statusCode": 200}`)
	rejected(t, e, e.at(t, 2*time.Second, bad), StateRejectOpen)
}
