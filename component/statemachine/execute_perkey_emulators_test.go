//go:build emulators

package statemachine

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
)

// The test: two keys, one failing, one healthy. Only the failing key
// opens; the healthy key's calls keep invoking on the healthy path's budget;
// the failing key recovers through its own probe.
func TestPerKeyOnlyTheFailingKeyOpens(t *testing.T) {
	e := newKeyedEnv(t, 2)

	r := e.at(t, 0, call("zeta", false))
	admitted(t, r, `{"echoed": {"provider": "zeta"}}`)
	if got := statesOf(r); got != "CheckCircuitKey,ResolveCircuitKey,ReadCircuit,SortCircuits,UseNewKeyCircuit,CheckCircuit,InvokeDownstream" {
		t.Errorf("healthy path with no items: %s", got)
	}

	failedWith(t, e.at(t, time.Second, call("acme", true)), "DownstreamBoom", "acme is down")
	admitted(t, e.at(t, 2*time.Second, call("zeta", false)), `{"echoed": {"provider": "zeta"}}`)
	r = e.at(t, 3*time.Second, call("acme", true))
	failedWith(t, r, "DownstreamBoom", "acme is down")
	budget(t, r, 1, 1, 1, 1) // counted, then tripped by the controller

	acme := e.keyCircuit(t, "acme")
	openedFromTheFailure(t, acme, openFor, now.Add(3*time.Second))
	if acme.LastTransition.Reason != "2 consecutive failures, last: DownstreamBoom" {
		t.Errorf("acme's transition: %+v", acme.LastTransition)
	}
	if e.hasItem(t, e.cfg.ServiceName) {
		t.Error("the breaker's own item was written by a key's trip")
	}
	if e.hasItem(t, circuit.ItemKey(e.cfg.ServiceName, "zeta")) {
		t.Error("the healthy key's item was written")
	}

	// acme fails fast: one read, nothing invoked, nothing written.
	r = e.at(t, 4*time.Second, call("acme", false))
	rejected(t, e, r, StateRejectOpen)
	budget(t, r, 0, 0, 1, 0)
	if want := `{"reason":"open","retryAt":"` + circuit.FormatTime(acme.OpenUntil) + `","serviceName":"orders","circuitKey":"acme"}`; r.Cause != want || !strings.Contains(statesOf(r), StateUseKeyCircuit) {
		t.Errorf("cause = %q, want %q (states %s)", r.Cause, want, statesOf(r))
	}
	// zeta keeps invoking, on the healthy path's budget (whichever order the
	// read returned the items in).
	for i := range 4 {
		r = e.at(t, 5*time.Second+time.Duration(i)*time.Millisecond, call("zeta", false))
		admitted(t, r, `{"echoed": {"provider": "zeta"}}`)
	}

	// Once acme's open duration is over, acme's next call is its own probe;
	// it succeeds and closes acme's circuit only.
	after := acme.OpenUntil.Sub(now) + time.Second
	r = e.at(t, after, call("acme", false))
	succeeded(t, r, `{"echoed": {"provider": "acme"}}`)
	budget(t, r, 1, 1, 1, 2) // claim, elect (controller), probe, close
	if got := statesOf(r); !strings.HasSuffix(got, "UseKeyCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,ElectProbe,CheckElection,InvokeProbe,CloseCircuit") {
		t.Errorf("probe states = %s", got)
	}
	acme = e.keyCircuit(t, "acme")
	if acme.State != circuit.Closed || acme.LastTransition.Reason != "probe succeeded" {
		t.Fatalf("acme after its probe: %+v", acme)
	}
	admitted(t, e.at(t, after+time.Second, call("acme", false)), `{"echoed": {"provider": "acme"}}`)
	if e.hasItem(t, e.cfg.ServiceName) {
		t.Error("the breaker's own item was written by a key's recovery")
	}
}

// A breaker-wide alarm (the breaker's own item, written by the alarm path)
// opens every key; its recovery goes through probes of the breaker's item,
// whichever key the probing call has, and leaves the keys' items alone.
func TestPerKeyBreakerWideAlarmOpensEveryKey(t *testing.T) {
	e := newKeyedEnv(t, 2)
	// acme has an item of its own (one failure counted): the alarm still wins.
	failedWith(t, e.at(t, 0, call("acme", true)), "DownstreamBoom", "acme is down")

	e.alarm(t, circuit.SourceDownstream, circuit.AlarmStateAlarm, now.Add(time.Second))
	for _, key := range []string{"acme", "zeta", "new-key"} {
		r := e.at(t, 2*time.Second, call(key, false))
		rejected(t, e, r, StateRejectOpen)
		budget(t, r, 0, 0, 1, 0)
		// The breaker's item holds every key; the cause names the caller's.
		if c := checkCause(t, e.cfg, r, StateRejectOpen); !strings.Contains(statesOf(r), StateUseBreakerCircuit) || c.CircuitKey == nil || *c.CircuitKey != key {
			t.Errorf("%s was not held by the breaker's item: %s, %q", key, statesOf(r), r.Cause)
		}
	}

	// The breaker's open duration over: zeta's call probes the breaker-wide
	// circuit and closes it; every key is back.
	r := e.at(t, time.Second+openFor+time.Second, call("zeta", false))
	succeeded(t, r, `{"echoed": {"provider": "zeta"}}`)
	budget(t, r, 1, 1, 1, 2) // the claim and the close, on the breaker's item
	if b := e.circuit(t); b.State != circuit.Closed || b.LastTransition.Reason != "probe succeeded" {
		t.Fatalf("the breaker's item after the probe: %+v", b)
	}
	if e.hasItem(t, circuit.ItemKey(e.cfg.ServiceName, "zeta")) {
		t.Error("the breaker's probe wrote zeta's item")
	}
	if c := e.keyCircuit(t, "acme"); c.Failures != 1 {
		t.Errorf("acme's own count changed: %+v", c)
	}
	for _, key := range []string{"acme", "zeta"} {
		r := e.at(t, openFor+3*time.Second, call(key, false))
		succeeded(t, r, `{"echoed": {"provider": "`+key+`"}}`)
	}

	// The healthcheck's alarm holds every key too.
	e.alarm(t, circuit.SourceHealthcheck, circuit.AlarmStateAlarm, now.Add(openFor+4*time.Second))
	rejected(t, e, e.at(t, openFor+5*time.Second, call("zeta", false)), StateRejectHealthcheckAlarm)
}

// An operator's override of one named key (the controller's "key" field)
// moves that key only; a named key's override wins over the breaker-wide one.
func TestPerKeyNamedOverride(t *testing.T) {
	e := newKeyedEnv(t, 2)
	e.control(t, `{"action":"forceOpen","reason":"acme maintenance","key":"acme"}`)
	r := e.at(t, 0, call("acme", false))
	rejected(t, e, r, StateRejectForcedOpen)
	budget(t, r, 0, 0, 1, 0)
	admitted(t, e.at(t, time.Second, call("zeta", false)), `{"echoed": {"provider": "zeta"}}`)
	if e.hasItem(t, e.cfg.ServiceName) {
		t.Error("a named key's override wrote the breaker's item")
	}

	// Breaker-wide forced open, acme forced closed: acme invokes uncounted,
	// every other key is rejected.
	e.control(t, `{"action":"forceOpen","reason":"incident"}`)
	e.control(t, `{"action":"forceClosed","reason":"acme is fine","key":"acme"}`)
	r = e.at(t, 2*time.Second, call("acme", true))
	if r.States[len(r.States)-1] != StateRaiseDownstreamError || !strings.Contains(statesOf(r), StateInvokeForcedClosed) {
		t.Errorf("acme forced closed: %s", statesOf(r))
	}
	budget(t, r, 1, 0, 1, 0)
	rejected(t, e, e.at(t, 3*time.Second, call("zeta", false)), StateRejectForcedOpen)

	e.control(t, `{"action":"release"}`)
	e.control(t, `{"action":"release","key":"acme"}`)
	admitted(t, e.at(t, 4*time.Second, call("zeta", false)), `{"echoed": {"provider": "zeta"}}`)
	admitted(t, e.at(t, 5*time.Second, call("acme", false)), `{"echoed": {"provider": "acme"}}`)
}

// A missing or invalid key fails the call with InvalidCircuitKey, naming the
// path and the rule: nothing read, written or invoked, no circuit moved.
func TestPerKeyInvalidKeyFailsTheCall(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.CircuitKey = "$.payment.provider"
		c.FallbackArn = fallbackArn
		c.FallbackTimeoutSeconds = 5
	})
	for _, tc := range []struct {
		name  string
		input any
		state string
	}{
		{"missing", map[string]any{"payment": map[string]any{"amount": 3}}, StateRejectCircuitKeyMissing},
		{"no payment at all", map[string]any{"order": 1}, StateRejectCircuitKeyMissing},
		{"not an object", "just a string", StateRejectCircuitKeyMissing},
		{"wrong type: number", map[string]any{"payment": map[string]any{"provider": 7}}, StateRejectCircuitKeyNotString},
		{"wrong type: object", map[string]any{"payment": map[string]any{"provider": map[string]any{"id": "acme"}}}, StateRejectCircuitKeyNotString},
		{"wrong type: null", map[string]any{"payment": map[string]any{"provider": nil}}, StateRejectCircuitKeyNotString},
		{"empty", map[string]any{"payment": map[string]any{"provider": ""}}, StateRejectCircuitKeyInvalid},
		{"contains #", map[string]any{"payment": map[string]any{"provider": "acme#eu"}}, StateRejectCircuitKeyInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(t, tc.input, sfnlocal.Exec{})
			if r.Status != "FAILED" || r.Error != ErrorInvalidCircuitKey {
				t.Fatalf("want FAILED %s, got %s", ErrorInvalidCircuitKey, r)
			}
			if last := r.States[len(r.States)-1]; last != tc.state {
				t.Errorf("ended in %s, want %s", last, tc.state)
			}
			for _, want := range []string{"$.payment.provider", circuit.KeyRule, "not invoked"} {
				if !strings.Contains(r.Cause, want) {
					t.Errorf("cause %q does not say %q", r.Cause, want)
				}
			}
			budget(t, r, 0, 0, 0, 0) // not even the fallback
		})
	}

	// Too long for DynamoDB's 2048-byte partition key: JSONPath cannot measure
	// a string, so the state machine lets it through to the read, which
	// DynamoDB refuses (DynamoDb.DynamoDbException, a ValidationException):
	// an invalid key too (TestPerKeyTooLongKeyNeverBypassesTheBreaker has the
	// rest). The controller refuses such a key (ValidateKey).
	long := strings.Repeat("k", circuit.MaxItemKeyBytes)
	r := e.run(t, map[string]any{"payment": map[string]any{"provider": long}}, sfnlocal.Exec{})
	if r.Error != ErrorInvalidCircuitKey || !strings.HasSuffix(statesOf(r), "ReadCircuit,CheckReadError,RejectCircuitKeyTooLong") {
		t.Errorf("too long a key: %s", r)
	}
	budget(t, r, 0, 0, 1, 0)
	if err := circuit.ValidateKey(e.cfg.ServiceName, long); err == nil {
		t.Error("ValidateKey accepts a key DynamoDB refuses")
	}
}

// SelectCircuit is circuit.GoverningRules: for each combination of the
// breaker's item and a key's item, the execution acts on the item the rules
// name.
func TestPerKeySelectAgreesWithGoverning(t *testing.T) {
	e := newKeyedEnv(t, 5)
	S := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	later := ts(time.Hour)
	items := map[string]map[string]string{
		"absent":         nil,
		"closed":         S(circuit.AttrState, string(circuit.Closed)),
		"open":           S(circuit.AttrState, string(circuit.Open), circuit.AttrOpenUntil, later),
		"half-open":      S(circuit.AttrState, string(circuit.HalfOpen), circuit.AttrHalfOpenUntil, later),
		"forced open":    S(circuit.AttrOverride, string(circuit.ForcedOpen)),
		"forced closed":  S(circuit.AttrOverride, string(circuit.ForcedClosed), circuit.AttrState, string(circuit.Open), circuit.AttrOpenUntil, later),
		"healthcheck":    S(circuit.AttrHealthcheckAlarm, string(circuit.AlarmStateAlarm), circuit.AttrState, string(circuit.Open), circuit.AttrOpenUntil, later),
		"healthcheck ok": S(circuit.AttrHealthcheckAlarm, string(circuit.AlarmStateOK)),
	}
	keyItem := circuit.ItemKey(e.cfg.ServiceName, "acme")
	for bName, b := range items {
		for kName, k := range items {
			e.setItem(t, b)
			e.setItemAt(t, keyItem, k)
			r := e.run(t, call("acme", false), sfnlocal.Exec{})
			row, err := circuit.GoverningRules.Eval(circuit.Env{Items: map[circuit.Role]circuit.Item{circuit.RoleBreaker: itemOf(b), circuit.RoleKey: itemOf(k)}})
			if err != nil {
				t.Fatal(err)
			}
			want := row.Step
			if b == nil && k == nil {
				want = StateUseNewKeyCircuit
			}
			if !strings.Contains(statesOf(r), want) {
				t.Errorf("breaker %s, key %s: want %s, states %s", bName, kName, want, statesOf(r))
			}
		}
	}
}

// The keyed read is the AWS SDK integration, whose errors are DynamoDb.<SDK v2
// class> (dev/sfn/run.mjs refuses to inject a name of the other integration):
// throttling is retried, then the read decides; a read failing for good fails
// open, counting against the key; a table that is not there fails open at once.
func TestPerKeyReadErrors(t *testing.T) {
	e := newKeyedEnv(t, 5)
	e.setItemAt(t, circuit.ItemKey(e.cfg.ServiceName, "acme"), map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)})

	for _, name := range TransientDynamoDBSDKErrors() {
		fault := sfnlocal.Fault{Error: name}
		r := e.run(t, call("acme", false), sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{fault, fault}})
		if r.InjectedFaults != 2 {
			t.Fatalf("%s: got %s", name, r)
		}
		rejected(t, e, r, StateRejectOpen)
	}

	throttle := sfnlocal.Fault{Error: "DynamoDb.ProvisionedThroughputExceededException"}
	r := e.run(t, call("acme", false), sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{throttle, throttle, throttle}})
	if !r.Succeeded() || r.InjectedFaults != 3 || r.LambdaInvocations != 1 {
		t.Fatalf("read failing after retries: %s", r)
	}
	// The base class is every permanent error (a denial, a validation error):
	// never retried.
	denied := sfnlocal.Fault{Error: "DynamoDb.DynamoDbException", Cause: "User is not authorized to perform: dynamodb:BatchGetItem (Service: DynamoDb, Status Code: 400, Request ID: x)"}
	r = e.run(t, call("acme", false), sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{denied}})
	if !r.Succeeded() || r.InjectedFaults != 1 || !strings.Contains(statesOf(r), "ReadCircuit,CheckReadError,ReadBreakerItem,CheckBreakerItem,UseNewKeyCircuit") {
		t.Fatalf("permanent read error: %s", r)
	}
	// An injected name of the optimized integration is refused: it would test
	// a Retry that never matches on AWS.
	r = e.run(t, call("acme", false), sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{{Error: "DynamoDB.ProvisionedThroughputExceededException"}}})
	if r.Error != "States.Runtime" || !strings.Contains(r.Cause, "DynamoDb.<SDK v2 class>") {
		t.Fatalf("a v1 name injected into the aws-sdk read: %s", r)
	}

	missing := newEnv(t, func(c *Config) { c.CircuitKey = "$.provider"; c.TableName = "no-such-table" })
	r = missing.run(t, call("acme", true), sfnlocal.Exec{})
	failedWith(t, r, "DownstreamBoom", "acme is down")
	// Neither the keyed read nor the breaker's item alone can be read: fail open.
	if got := statesOf(r); !strings.HasPrefix(got, "CheckCircuitKey,ResolveCircuitKey,ReadCircuit,CheckReadError,ReadBreakerItem,UseNewKeyCircuit,CheckCircuit,InvokeDownstream,RecordFailure") || r.DynamoReads != 2 {
		t.Errorf("no table: %s (%s)", got, r)
	}
}
