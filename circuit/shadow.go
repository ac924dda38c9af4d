package circuit

import "time"

// Shadow mode (the component's input enforce: false; docs/shadow-mode.md).
// The rules decide exactly as in enforcing mode, and every write they lead to
// is made (failure counts, trips, open durations, elections, probes), so the
// circuit's history is the one enforcing mode would have had. Only what a
// rejection does changes: the call is invoked instead, its outcome is counted
// nowhere, and it is counted as a would-reject. The mode is this data, not a
// second rulebook: the state machine's builder sends every place the request
// path rejects (RequestPath's and ElectionClaimRules' Reject rows, a lost
// claim or JoinProbe write, an election that does not admit the call, and,
// failing closed, a store error) to Rejection[mode].

// Mode is the breaker's enforcement mode.
type Mode string

const (
	// ModeEnforce: a rejected call fails fast with CircuitOpen (or runs the
	// fallback). The default.
	ModeEnforce Mode = "enforce"
	// ModeShadow: a rejected call is invoked, uncounted, and counted as a
	// would-reject.
	ModeShadow Mode = "shadow"
)

// ModeOf is the mode of the input enforce.
func ModeOf(enforce bool) Mode {
	if enforce {
		return ModeEnforce
	}
	return ModeShadow
}

// WouldReject is shadow mode's Reject: invoke the downstream without
// counting its outcome, and count a would-reject.
const WouldReject Verdict = "WOULD_REJECT"

// Shadow mode's steps: the would-reject is counted (the WouldRejects metric),
// then the call invoked.
const (
	StepCountWouldReject  = "CountWouldReject"
	StepInvokeWouldReject = "InvokeWouldReject"
)

// WouldRejectsMetric counts shadow mode's would-rejects: the calls enforcing
// mode would have rejected. Namespace MetricNamespace, dimension
// MetricDimension (the service name), like CircuitState; the state machine
// publishes it itself (PutMetricData), on the would-reject path only.
const WouldRejectsMetric = "WouldRejects"

// Rejection is what a rejection does in each mode. In enforcing mode each
// rejecting row keeps its own step (its Fail state says why); in shadow mode
// every rejection goes to one step.
var Rejection = map[Mode]Row[Verdict]{
	ModeEnforce: {Then: Reject,
		Says: "fail fast with CircuitOpen (the row's own Fail state says why), or run the fallback; nothing is invoked"},
	ModeShadow: {Then: WouldReject, Step: StepCountWouldReject,
		Says: "count a would-reject (" + WouldRejectsMetric + "), then invoke the downstream (" + StepInvokeWouldReject + ") counting nothing of its outcome; the fallback is not used"},
}

// In is what the verdict v does in mode m: a rejection is Rejection[m]'s,
// every other verdict is the same in both modes.
func (v Verdict) In(m Mode) Verdict {
	if v != Reject {
		return v
	}
	if r, ok := Rejection[m]; ok {
		return r.Then
	}
	return v
}

// DecideIn is Decide in mode m.
func DecideIn(c Circuit, now time.Time, halfOpenMaxCalls int, m Mode) Verdict {
	return Decide(c, now, halfOpenMaxCalls).In(m)
}
