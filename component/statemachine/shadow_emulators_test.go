//go:build emulators

package statemachine

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
)

// Shadow mode (docs/shadow-mode.md), executed: the real definitions of both
// modes, each on its own table with its own controller, given the same
// outcomes at the same times.

// wouldRejects are the WouldRejects data an execution published.
func wouldRejects(t *testing.T, e *env, r sfnlocal.Result) int {
	t.Helper()
	n := 0
	for _, m := range r.Metrics {
		want := sfnlocal.Metric{Namespace: circuit.MetricNamespace, Name: circuit.WouldRejectsMetric,
			Dimensions: map[string]string{circuit.MetricDimension: e.cfg.ServiceName}, Value: 1, Unit: "Count"}
		if m.Namespace != want.Namespace || m.Name != want.Name || m.Value != want.Value || m.Unit != want.Unit ||
			len(m.Dimensions) != 1 || m.Dimensions[circuit.MetricDimension] != e.cfg.ServiceName {
			t.Fatalf("metric %+v, want %+v", m, want)
		}
		n++
	}
	return n
}

// shadowedLike asserts that the shadow execution s did what enforcing mode's
// e did, except that a rejection was invoked and counted as a would-reject.
// input is what both were given: a result to return or an error to raise.
func shadowedLike(t *testing.T, sh *env, e, s sfnlocal.Result, input any) (rejected bool) {
	t.Helper()
	if e.Error == ErrorCircuitOpen {
		if got := wouldRejects(t, sh, s); got != 1 {
			t.Fatalf("enforcing rejected (%s), shadow published %d would-rejects: %s", statesOf(e), got, s)
		}
		if circuit.ClassifyPath(s.States) != circuit.PathWouldReject || s.States[len(s.States)-1] == StateCountWouldReject {
			t.Fatalf("shadow: not a would-reject: %s", statesOf(s))
		}
		// Invoked once, nothing written, nothing asked of the controller
		// beyond what enforcing mode asked on its way to the rejection.
		if s.LambdaInvocationsByFunction[downstreamArn] != 1 || s.DynamoWrites != e.DynamoWrites ||
			s.LambdaInvocationsByFunction[controllerArn] != e.LambdaInvocationsByFunction[controllerArn] {
			t.Fatalf("shadow would-reject: invoked %d, writes %d (enforcing %d): %s", s.LambdaInvocationsByFunction[downstreamArn], s.DynamoWrites, e.DynamoWrites, s)
		}
		// The caller gets the downstream's own answer.
		if in, ok := input.(map[string]any); ok && in["fail"] != nil {
			failedWith(t, s, in["fail"].(string), in["message"].(string))
		} else if !s.Succeeded() {
			t.Fatalf("shadow would-reject of a healthy call failed: %s", s)
		}
		return true
	}
	if got := wouldRejects(t, sh, s); got != 0 {
		t.Fatalf("enforcing admitted (%s), shadow published %d would-rejects: %s", statesOf(e), got, s)
	}
	if statesOf(s) != statesOf(e) || s.Status != e.Status || s.Error != e.Error || s.Cause != e.Cause || (e.Succeeded() && !sameJSON(s.Output, e.Output)) {
		t.Fatalf("admitted calls differ:\n enforcing %s\n shadow    %s", e, s)
	}
	return false
}

// The same sequence of outcomes through both modes: the circuits go through
// the same transitions (item for item after every call), and shadow mode's
// would-rejects are exactly enforcing mode's rejections, each of them
// invoked. Among the rejected calls are successes and failures: neither is
// counted (a success would otherwise clear failures or close, a failure
// count or reopen).
func TestShadowModeFollowsEnforcingMode(t *testing.T) {
	mutate := func(shadow bool) func(*Config) {
		return func(c *Config) { c.FailureThreshold = 3; c.Shadow = shadow }
	}
	enf, sh := newEnv(t, mutate(false)), newEnv(t, mutate(true))
	ok := "ok"
	steps := []struct {
		at    time.Duration
		input any
	}{
		{0, ok}, {1 * time.Second, boom("1")}, {2 * time.Second, boom("2")}, {3 * time.Second, ok}, // a success ends the run
		{4 * time.Second, boom("3")}, {5 * time.Second, boom("4")}, {6 * time.Second, boom("trips")}, // open until 66 s
		{10 * time.Second, ok}, {20 * time.Second, boom("while open")}, {65 * time.Second, ok}, // rejected: not counted
		{66 * time.Second, boom("probe fails")}, // elected, reopened for 120 s: until 186 s
		{100 * time.Second, ok}, {185 * time.Second, boom("while open again")},
		{186 * time.Second, ok},                                             // elected, closes
		{187 * time.Second, boom("counted again")}, {188 * time.Second, ok}, // closed: counted, then cleared
	}
	var rejections, would int
	var transEnf, transSh []circuit.Transition
	for i, st := range steps {
		ex := sfnlocal.Exec{StartTime: now.Add(st.at), Context: failingAt(now.Add(st.at))}
		re := enf.run(t, st.input, ex)
		rs := sh.run(t, st.input, ex)
		if shadowedLike(t, sh, re, rs, st.input) {
			rejections++
		}
		would += wouldRejects(t, sh, rs)
		ce, cs := enf.circuit(t), sh.circuit(t)
		if ce != cs {
			t.Fatalf("step %d (%s): the circuits differ:\n enforcing %+v\n shadow    %+v", i, st.at, ce, cs)
		}
		if n := len(transEnf); n == 0 || transEnf[n-1] != ce.LastTransition {
			transEnf, transSh = append(transEnf, ce.LastTransition), append(transSh, cs.LastTransition)
		}
	}
	if rejections != 5 || would != rejections {
		t.Fatalf("enforcing rejected %d calls, shadow counted %d would-rejects; want 5 and 5", rejections, would)
	}
	var path []string
	for _, tr := range transSh[1:] { // the first is the empty item's
		path = append(path, string(tr.From)+">"+string(tr.To))
	}
	// The item records the last transition: each election (OPEN>HALF_OPEN)
	// is followed in the same execution by its probe's.
	if got := strings.Join(path, " "); got != "CLOSED>OPEN HALF_OPEN>OPEN HALF_OPEN>CLOSED" {
		t.Fatalf("transitions %s", got)
	}
	if c := sh.circuit(t); c.State != circuit.Closed || c.Failures != 0 {
		t.Fatalf("shadow circuit at the end: %+v", c)
	}
}

// Every kind of rejection is a would-reject in shadow mode: an operator's
// FORCED_OPEN, the healthcheck's hold, an open circuit, a half-open period
// with every slot taken, an election claimed this minute, and, failing
// closed, a store error. The fallback is not used.
func TestShadowModeInvokesEveryRejection(t *testing.T) {
	minute := circuit.ElectionMinute(now)
	cases := []struct {
		name string
		item map[string]string
		// rejectedBy is enforcing mode's Fail state.
		rejectedBy string
	}{
		{"forced open", map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrOverride: string(circuit.ForcedOpen)}, StateRejectForcedOpen},
		{"healthcheck hold", map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrHealthcheckAlarm: string(circuit.AlarmStateAlarm)}, StateRejectHealthcheckAlarm},
		{"open", map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)}, StateRejectOpen},
		{"half-open, full", map[string]string{circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: ts(halfOpenFor), circuit.AttrProbes: "1"}, StateRejectHalfOpenFull},
		{"election claimed this minute", map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(-time.Second), circuit.AttrElectionClaim: minute}, StateRejectElectionClaimed},
	}
	mutate := func(shadow bool) func(*Config) {
		return func(c *Config) { c.Shadow = shadow; c.FallbackArn = fallbackArn; c.FallbackTimeoutSeconds = 5 }
	}
	enf := newEnv(t, func(c *Config) { c.Shadow = false })
	sh := newEnv(t, mutate(true))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			enf.setItem(t, tc.item)
			sh.setItem(t, tc.item)
			before := sh.circuit(t)
			for _, input := range []any{"x", boom("down")} {
				re, rs := enf.run(t, input, sfnlocal.Exec{}), sh.run(t, input, sfnlocal.Exec{})
				rejected(t, enf, re, tc.rejectedBy)
				if !shadowedLike(t, sh, re, rs, input) {
					t.Fatal("not a rejection")
				}
				if rs.LambdaInvocationsByFunction[fallbackArn] != 0 {
					t.Fatalf("shadow mode used the fallback: %s", rs)
				}
				if c := sh.circuit(t); c != before {
					t.Fatalf("the would-reject changed the item: %+v, was %+v", c, before)
				}
			}
		})
	}

	t.Run("a lost count loses only the count", func(t *testing.T) {
		sh.setItem(t, cases[2].item)
		r := sh.run(t, "x", sfnlocal.Exec{InjectCloudWatch: []sfnlocal.Fault{{Error: "CloudWatch.CloudWatchException", Cause: "Rate exceeded"}}})
		succeeded(t, r, `{"echoed": "x"}`)
		if r.InjectedFaults != 1 || len(r.Metrics) != 0 || statesOf(r) != "ReadCircuit,CheckCircuit,CountWouldReject,InvokeWouldReject" {
			t.Fatalf("got %s", r)
		}
	})
}

// A store error in shadow mode invokes: failing closed, it is counted as the
// would-reject enforcing mode's CircuitUnavailable is; failing open, it is
// what enforcing mode does (invoked as if closed, nothing to count).
func TestShadowModeStoreErrorInvokes(t *testing.T) {
	for _, failClosed := range []bool{true, false} {
		for _, keyed := range []bool{false, true} {
			e := newEnv(t, func(c *Config) {
				c.TableName = "no-such-table"
				c.FailClosed = failClosed
				c.Shadow = true
				if keyed {
					c.CircuitKey = "$.provider"
				}
			})
			input := any("x")
			if keyed {
				input = call("acme", false)
			}
			r := e.run(t, input, sfnlocal.Exec{})
			if !r.Succeeded() || r.LambdaInvocationsByFunction[downstreamArn] != 1 {
				t.Fatalf("failClosed=%t keyed=%t: not invoked: %s", failClosed, keyed, r)
			}
			want := 0
			if failClosed {
				want = 1
			}
			if got := wouldRejects(t, e, r); got != want {
				t.Fatalf("failClosed=%t keyed=%t: %d would-rejects, want %d: %s", failClosed, keyed, got, want, r)
			}
		}
	}
}

// Per-key circuits in shadow mode: the governing circuit decides as when
// enforcing (here the breaker's open item holds every key); the would-reject
// is counted per breaker, and the key's circuit is untouched.
func TestShadowModePerKey(t *testing.T) {
	enf := newEnv(t, func(c *Config) { c.CircuitKey = "$.provider" })
	sh := newEnv(t, func(c *Config) { c.CircuitKey = "$.provider"; c.Shadow = true })
	open := map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Hour)}
	enf.setItem(t, open)
	sh.setItem(t, open)
	for _, input := range []any{call("acme", false), call("acme", true)} {
		re, rs := enf.run(t, input, sfnlocal.Exec{}), sh.run(t, input, sfnlocal.Exec{})
		if re.Error != ErrorCircuitOpen || !strings.Contains(statesOf(re), StateUseBreakerCircuit) {
			t.Fatalf("enforcing: %s", re)
		}
		if !shadowedLike(t, sh, re, rs, input) || !strings.Contains(statesOf(rs), StateUseBreakerCircuit) {
			t.Fatalf("shadow: %s", rs)
		}
	}
	if c := sh.keyCircuit(t, "acme"); c.Version != 0 || c.Failures != 0 {
		t.Fatalf("the key's circuit was written: %+v", c)
	}
	// An input without a valid key is refused in both modes: validation,
	// not the circuit's decision.
	r := sh.run(t, map[string]any{"order": 1}, sfnlocal.Exec{})
	if r.Status != "FAILED" || r.LambdaInvocations != 0 || len(r.Metrics) != 0 {
		t.Fatalf("an input without a key in shadow mode: %s", r)
	}
}

// TestDefinitionAgreesWithDecide's items, through both modes at once: where
// circuit.DecideIn says WouldReject (Decide's Reject, or a lost claim or
// join), the shadow definition invokes and counts a would-reject, exactly
// where the enforcing one rejects; everywhere else the two take the same
// states; and the items are the same afterwards.
func TestShadowDefinitionAgreesWithDecideIn(t *testing.T) {
	const maxCalls = 2
	mutate := func(shadow bool) func(*Config) {
		return func(c *Config) { c.HalfOpenMaxCalls = maxCalls; c.SuccessThreshold = 1; c.Shadow = shadow }
	}
	enf, sh := newEnv(t, mutate(false)), newEnv(t, mutate(true))
	n, would := 0, 0
	for _, raw := range decideItems(maxCalls) {
		attrs := map[string]string{}
		for k, v := range raw {
			if v != absentValue {
				attrs[k] = v
			}
		}
		if raw == nil {
			attrs = nil
		}
		for _, e := range []*env{enf, sh} {
			e.setItem(t, attrs)
			if raw[circuit.AttrVersion] == absentValue {
				e.removeVersion(t)
			}
		}
		before := sh.circuit(t)
		re, rs := enf.run(t, "x", sfnlocal.Exec{}), sh.run(t, "x", sfnlocal.Exec{})
		if shadowedLike(t, sh, re, rs, "x") {
			would++
			// The Go rule says so too when it decides on the item alone
			// (a lost claim or join depends on the write's outcome).
			if v := circuit.DecideIn(before, now, maxCalls, circuit.ModeShadow); v != circuit.WouldReject && v != circuit.Elect && v != circuit.Join {
				t.Errorf("item %v: circuit.DecideIn %s, the definition a would-reject (%s)", attrs, v, statesOf(rs))
			}
		} else if v := circuit.DecideIn(before, now, maxCalls, circuit.ModeShadow); v == circuit.WouldReject {
			t.Errorf("item %v: circuit.DecideIn says would-reject, the definition %s", attrs, statesOf(rs))
		}
		if ce, cs := enf.circuit(t), sh.circuit(t); ce != cs {
			t.Fatalf("item %v: the items differ afterwards:\n enforcing %+v\n shadow    %+v", attrs, ce, cs)
		}
		n++
	}
	t.Logf("%d items through both modes, %d would-rejects", n, would)
	if would == 0 || would == n {
		t.Fatalf("%d would-rejects of %d items", would, n)
	}
}

const absentValue = "\x00absent"

// decideItems are TestDefinitionAgreesWithDecide's items (absentValue: the
// attribute is absent; a nil map: no item).
func decideItems(maxCalls int) []map[string]string {
	times := []string{absentValue, ts(-time.Hour), ts(-time.Millisecond), ts(0), ts(time.Millisecond), ts(time.Hour), "not a time"}
	items := []map[string]string{nil}
	for _, st := range []string{absentValue, string(circuit.Closed), string(circuit.Open), string(circuit.HalfOpen), "open"} {
		for _, ov := range []string{absentValue, string(circuit.ForcedOpen), string(circuit.ForcedClosed), "FORCED_SIDEWAYS"} {
			for _, hc := range []string{absentValue, string(circuit.AlarmStateOK), string(circuit.AlarmStateAlarm), string(circuit.AlarmStateInsufficientData)} {
				for _, ou := range times {
					items = append(items, map[string]string{circuit.AttrState: st, circuit.AttrOverride: ov, circuit.AttrHealthcheckAlarm: hc, circuit.AttrOpenUntil: ou})
				}
			}
		}
	}
	for _, hu := range times {
		for _, p := range []string{absentValue, "0", strconv.Itoa(maxCalls - 1), strconv.Itoa(maxCalls), strconv.Itoa(maxCalls + 1)} {
			for _, hold := range []map[string]string{{}, {circuit.AttrOverride: string(circuit.ForcedOpen)}, {circuit.AttrHealthcheckAlarm: string(circuit.AlarmStateAlarm)}} {
				attrs := map[string]string{circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: hu, circuit.AttrProbes: p}
				for k, v := range hold {
					attrs[k] = v
				}
				items = append(items, attrs)
			}
		}
	}
	claims := []string{absentValue, circuit.ElectionMinute(now), circuit.ElectionMinute(now.Add(-time.Minute)), circuit.ElectionMinute(now.Add(time.Minute)), "garbage"}
	for _, item := range []map[string]string{
		{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(-time.Second)},
		{circuit.AttrState: string(circuit.Open)},
		{circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: ts(0), circuit.AttrProbes: "1"},
		{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Second)},
		{circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: ts(time.Second), circuit.AttrProbes: "0"},
	} {
		for _, claim := range claims {
			for _, version := range []string{"7", absentValue} {
				attrs := map[string]string{circuit.AttrElectionClaim: claim, circuit.AttrVersion: version}
				for k, v := range item {
					attrs[k] = v
				}
				items = append(items, attrs)
			}
		}
	}
	for _, st := range []string{absentValue, string(circuit.Closed), "open"} {
		for _, f := range []string{absentValue, "0", "1", "12"} {
			items = append(items, map[string]string{circuit.AttrState: st, circuit.AttrFailures: f})
		}
	}
	return items
}
