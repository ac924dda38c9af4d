package localbreaker

import (
	"slices"

	sm "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
)

// Path is the way one execution went through the definition, named for
// people: the benchmark reports calls and cost per path.
type Path string

const (
	// PathHealthy: closed, the downstream succeeds; 1 read, 1 invocation.
	PathHealthy Path = "closed, healthy"
	// PathReset: closed with failures counted, the downstream succeeds and the
	// count is cleared (one write).
	PathReset Path = "closed, success clears failures"
	// PathFailing: closed, the downstream fails and the failure is counted.
	PathFailing Path = "closed, failing"
	// PathTrip: the failure that reaches the threshold; the controller opens.
	PathTrip Path = "trip"
	// PathOpen: rejected without invoking anything (open, held by the
	// healthcheck alarm, half-open with every probe slot taken, forced open),
	// or answered by the fallback.
	PathOpen Path = "open, fail fast"
	// PathNotAdmitted: asked to be a probe (the election's claim, the
	// controller's election, or a slot write) and lost to another caller:
	// rejected.
	PathNotAdmitted Path = "probe not admitted"
	// PathProbeClosed: a probe that succeeded and closed the circuit.
	PathProbeClosed Path = "half-open probe, closes"
	// PathProbeSucceeded: a probe that succeeded without closing (more
	// successes needed, or the period moved on).
	PathProbeSucceeded Path = "half-open probe, succeeds"
	// PathProbeReopened: a probe that failed; the controller reopens.
	PathProbeReopened Path = "half-open probe, reopens"
	// PathProbeIgnored: a probe that failed with an ignored error; its slot is
	// freed.
	PathProbeIgnored Path = "half-open probe, ignored error"
	// PathForcedClosed: an operator forced the circuit closed.
	PathForcedClosed Path = "forced closed"
	// PathFailOpen: the circuit could not be read; the call went through.
	PathFailOpen Path = "fail open (read failed)"
	// PathOther: anything else (a new state this list does not know yet).
	PathOther Path = "other"
)

// Paths lists the paths in the order reports show them.
var Paths = []Path{
	PathHealthy, PathReset, PathFailing, PathTrip, PathOpen, PathNotAdmitted,
	PathProbeClosed, PathProbeSucceeded, PathProbeReopened, PathProbeIgnored,
	PathForcedClosed, PathFailOpen, PathOther,
}

// Classify names the path of an execution from the states it entered.
func Classify(states []string) Path {
	has := func(s string) bool { return slices.Contains(states, s) }
	last := ""
	if len(states) > 0 {
		last = states[len(states)-1]
	}
	switch {
	case len(states) >= 2 && states[0] == sm.StateReadCircuit && states[1] != sm.StateCheckCircuit:
		return PathFailOpen
	case has(sm.StateInvokeProbe):
		switch {
		case has(sm.StateReopen):
			return PathProbeReopened
		case has(sm.StateReleaseProbe):
			return PathProbeIgnored
		case last == sm.StateCloseCircuit:
			return PathProbeClosed
		case has(sm.StateDownstreamFailed):
			return PathOther
		default:
			return PathProbeSucceeded
		}
	case has(sm.StatePrepareElection) || has(sm.StateElectProbe) || has(sm.StateJoinProbe):
		return PathNotAdmitted
	case has(sm.StateTrip):
		return PathTrip
	case has(sm.StateRecordFailure):
		return PathFailing
	case has(sm.StateInvokeForcedClosed):
		return PathForcedClosed
	case has(sm.StateResetFailures):
		return PathReset
	case has(sm.StateInvokeDownstreamAfterFailures):
		// The downstream failed with an ignored error, or succeeded while
		// another caller cleared the count: counts nothing, like healthy.
		if has(sm.StateDownstreamFailed) {
			return PathOther
		}
		return PathReset
	case has(sm.StateInvokeDownstream):
		if has(sm.StateDownstreamFailed) {
			return PathOther // an ignored error: not counted
		}
		return PathHealthy
	case has(sm.StateDescribeOpen), has(sm.StateRejectOpen), has(sm.StateRejectHealthcheckAlarm),
		has(sm.StateRejectHalfOpenFull), has(sm.StateRejectForcedOpen), has(sm.StateInvokeFallback):
		return PathOpen
	}
	return PathOther
}
