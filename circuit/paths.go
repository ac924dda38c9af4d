package circuit

import (
	"slices"
	"strings"
)

// Path names one way an execution goes through the request path, for people:
// the local run's reports (dev/localbreaker) and docs/request-path.md.
type Path string

const (
	PathHealthy        Path = "closed, healthy"
	PathReset          Path = "closed, success clears failures"
	PathFailing        Path = "closed, failing"
	PathTrip           Path = "trip"
	PathOpen           Path = "open, fail fast"
	PathNotAdmitted    Path = "probe not admitted"
	PathProbeClosed    Path = "half-open probe, closes"
	PathProbeSucceeded Path = "half-open probe, succeeds"
	PathProbeReopened  Path = "half-open probe, reopens"
	PathProbeIgnored   Path = "half-open probe, ignored error"
	PathForcedClosed   Path = "forced closed"
	PathFailOpen       Path = "fail open (read failed)"
	PathWouldReject    Path = "shadow: would reject"
	PathOther          Path = "other"
)

// PathInfo is a path and what it costs.
type PathInfo struct {
	Path Path
	Says string
}

// Paths in the order reports show them.
var Paths = []PathInfo{
	{PathHealthy, "closed, the downstream succeeds: 1 read, 1 invocation, nothing written"},
	{PathReset, "closed with failures counted, the downstream succeeds: ResetFailures clears the count (1 write)"},
	{PathFailing, "closed, the downstream fails: CountFailure (1 write), below the threshold"},
	{PathTrip, "the failure that reaches failureThreshold: CountFailure, then the controller opens the circuit"},
	{PathOpen, "rejected without invoking anything (open, held by the healthcheck alarm, half-open with every slot taken, forced open), or answered by the fallback: 1 read"},
	{PathNotAdmitted, "asked to be a probe (the election's claim, the controller's election, or JoinProbe's slot write) and lost to another caller: rejected"},
	{PathProbeClosed, "a probe that succeeded and closed the circuit (CloseByProbe)"},
	{PathProbeSucceeded, "a probe that succeeded without closing: more successes needed (CountProbeSuccess), or its period moved on"},
	{PathProbeReopened, "a probe that failed: the controller opens the circuit again, backed off"},
	{PathProbeIgnored, "a probe that gave no verdict (an ignored error, a refused invocation): ReleaseProbe frees its slot"},
	{PathForcedClosed, "forced closed by an operator: invoked, nothing counted"},
	{PathFailOpen, "the circuit could not be read: invoked as if closed"},
	{PathWouldReject, "shadow mode (enforce: false): a call enforcing mode would have rejected, counted as a would-reject (1 PutMetricData) and invoked, its outcome uncounted"},
	{PathOther, "anything else, e.g. a closed circuit's ignored error (nothing counted)"},
}

// PathMark is how an execution's states show its path: every state of All
// entered, one of Any (when set), none of None, and Last the last (when set).
type PathMark struct {
	Path           Path
	All, Any, None []string
	Last           string
}

// PathMarks are tried in order, the first match names the path; the states
// come from the rulebook (the RequestPath rows' steps, the writes' steps), so
// a new row is classified with its verdict.
func PathMarks() []PathMark {
	rejects := append(stepsOf(Reject), StepInvokeFallback)
	// An election goes through PrepareElection to ElectProbe; either marks it.
	probes := append(stepsOf(Elect, Join), StepElectProbe)
	return []PathMark{
		// Shadow mode's rejection, wherever it was decided (it may follow
		// a read error, an election or a join).
		{Path: PathWouldReject, Any: []string{Rejection[ModeShadow].Step, StepInvokeWouldReject}},
		// The plain read failed open: it went straight to the invocation.
		{Path: PathFailOpen, All: []string{StepReadCircuit}, None: []string{StepCheckCircuit}},
		{Path: PathProbeReopened, All: []string{StepInvokeProbe, StepReopen}},
		{Path: PathProbeIgnored, All: []string{StepInvokeProbe, ReleaseProbe.Step}},
		{Path: PathProbeClosed, All: []string{StepInvokeProbe}, Last: CloseByProbe.Step},
		{Path: PathOther, All: []string{StepInvokeProbe, StepDownstreamFailed}},
		{Path: PathProbeSucceeded, All: []string{StepInvokeProbe}},
		{Path: PathNotAdmitted, Any: probes},
		{Path: PathTrip, All: []string{StepTrip}},
		{Path: PathFailing, All: []string{CountFailure.Step}},
		{Path: PathForcedClosed, Any: stepsOf(Bypass)},
		{Path: PathReset, All: []string{ResetFailures.Step}},
		// An ignored error, or a success whose count another caller cleared.
		{Path: PathOther, All: []string{StepInvokeDownstreamAfterFailures, StepDownstreamFailed}},
		{Path: PathReset, All: []string{StepInvokeDownstreamAfterFailures}},
		{Path: PathOther, All: []string{RequestPath.Default.Step, StepDownstreamFailed}},
		{Path: PathHealthy, All: []string{RequestPath.Default.Step}},
		{Path: PathOpen, Any: rejects},
	}
}

// stepsOf are the steps of RequestPath's rows with one of the verdicts.
func stepsOf(verdicts ...Verdict) []string {
	var steps []string
	for _, r := range append(slices.Clone(RequestPath.Rows), RequestPath.Default) {
		if slices.Contains(verdicts, r.Then) && !slices.Contains(steps, r.Step) {
			steps = append(steps, r.Step)
		}
	}
	return steps
}

// Matches reports whether states show m's path.
func (m PathMark) Matches(states []string) bool {
	for _, s := range m.All {
		if !slices.Contains(states, s) {
			return false
		}
	}
	for _, s := range m.None {
		if slices.Contains(states, s) {
			return false
		}
	}
	if len(m.Any) > 0 && !slices.ContainsFunc(m.Any, func(s string) bool { return slices.Contains(states, s) }) {
		return false
	}
	return m.Last == "" || (len(states) > 0 && states[len(states)-1] == m.Last)
}

// ClassifyPath names the path of an execution from the states it entered.
func ClassifyPath(states []string) Path {
	for _, m := range PathMarks() {
		if m.Matches(states) {
			return m.Path
		}
	}
	return PathOther
}

// String is the mark for people (docs/request-path.md).
func (m PathMark) String() string {
	code := func(steps []string) []string {
		out := make([]string, len(steps))
		for i, s := range steps {
			out[i] = "`" + s + "`"
		}
		return out
	}
	var parts []string
	if len(m.All) > 0 {
		parts = append(parts, strings.Join(code(m.All), " and "))
	}
	switch len(m.Any) {
	case 0:
	case 1:
		parts = append(parts, code(m.Any)[0])
	default:
		parts = append(parts, "one of "+strings.Join(code(m.Any), ", "))
	}
	if len(m.None) > 0 {
		parts = append(parts, "not "+strings.Join(code(m.None), " nor "))
	}
	if m.Last != "" {
		parts = append(parts, "ending in `"+m.Last+"`")
	}
	return strings.Join(parts, ", ")
}
