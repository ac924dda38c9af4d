package circuit

import (
	"fmt"
	"time"
)

// The rulebook: the request path's rules as data, each written once. Go
// evaluates them (Decide, Governing, the funnels open and close); the state
// machine builder (component/statemachine) renders the same tables to Choice
// states and the same updates to dynamodb:updateItem Tasks; docs/request-path.md
// and the local run's path names (ClassifyPath) are generated from them too.

// Steps: the state machine's states the rules lead to. They show in execution
// histories and logs, and tests and dashboards refer to them.
const (
	StepReadCircuit                   = "ReadCircuit"
	StepCheckCircuit                  = "CheckCircuit"
	StepInvokeDownstream              = "InvokeDownstream"
	StepInvokeDownstreamAfterFailures = "InvokeDownstreamAfterFailures"
	StepResetFailures                 = "ResetFailures"
	StepInvokeForcedClosed            = "InvokeForcedClosed"
	StepRecordFailure                 = "RecordFailure"
	StepCheckFailureThreshold         = "CheckFailureThreshold"
	StepTrip                          = "Trip"
	StepPrepareElection               = "PrepareElection"
	StepCheckElectionClaim            = "CheckElectionClaim"
	StepClaimElection                 = "ClaimElection"
	StepClaimElectionUnversioned      = "ClaimElectionUnversioned"
	StepReleaseElection               = "ReleaseElection"
	StepRejectElectionClaimed         = "RejectElectionClaimed"
	StepElectProbe                    = "ElectProbe"
	StepJoinProbe                     = "JoinProbe"
	StepInvokeProbe                   = "InvokeProbe"
	StepRecordProbeSuccess            = "RecordProbeSuccess"
	StepCheckProbeSuccesses           = "CheckProbeSuccesses"
	StepCloseCircuit                  = "CloseCircuit"
	StepReleaseProbe                  = "ReleaseProbe"
	StepReopen                        = "Reopen"
	StepReturnResult                  = "ReturnResult"
	StepRejectForcedOpen              = "RejectForcedOpen"
	StepRejectHealthcheckAlarm        = "RejectHealthcheckAlarm"
	StepRejectOpen                    = "RejectOpen"
	StepRejectHalfOpenFull            = "RejectHalfOpenFull"
	StepInvokeFallback                = "InvokeFallback"
	StepDownstreamFailed              = "DownstreamFailed"
	StepSelectCircuit                 = "SelectCircuit"
	StepUseKeyCircuit                 = "UseKeyCircuit"
	StepUseBreakerCircuit             = "UseBreakerCircuit"
)

// Parameters of the rules, bound by each interpreter.
const (
	// ParamHalfOpenMaxCalls is ProbePolicy.MaxCalls (the Config's HalfOpenMaxCalls).
	ParamHalfOpenMaxCalls = ":max"
	// ParamFailureThreshold and ParamSuccessThreshold are the thresholds
	// that trip and close.
	ParamFailureThreshold = ":failureThreshold"
	ParamSuccessThreshold = ":successThreshold"
	// ParamPeriod is the probe's half-open period (its halfOpenUntil).
	ParamPeriod = ":period"
	// ParamNow, ParamFrom, ParamReason are a transition's time, the state it
	// leaves and why; ParamUntil is an opening's deadline.
	ParamNow    = ":now"
	ParamFrom   = ":from"
	ParamReason = ":reason"
	ParamUntil  = ":until"
	// ParamMinute is the election's claim, the minute of the execution's
	// start (ElectionMinute); ParamReadVersion the item's version as read.
	ParamMinute      = ":minute"
	ParamReadVersion = ":read"
)

// The constants the rules compare with and write.
var (
	opOne          = Const(":one", N(1))
	opZero         = Const(":zero", N(0))
	opMinusOne     = Const(":minusOne", N(-1))
	opClosed       = Const(":closed", S(string(Closed)))
	opOpen         = Const(":open", S(string(Open)))
	opHalfOpen     = Const(":halfOpen", S(string(HalfOpen)))
	opForcedOpen   = Const(":forcedOpen", S(string(ForcedOpen)))
	opForcedClosed = Const(":forcedClosed", S(string(ForcedClosed)))
	opAlarm        = Const(":alarm", S(string(AlarmStateAlarm)))
)

func stateIs(r Role, st Operand) Cond { return Equals(r.Attr(AttrState), st) }

// What decides before the circuit's own state: an operator, then the
// healthcheck's hold. RequestPath and MetricRules read them alike.
var (
	forcedOpen       = Equals(Attr(AttrOverride), opForcedOpen)
	forcedClosed     = Equals(Attr(AttrOverride), opForcedClosed)
	healthcheckHolds = Equals(Attr(AttrHealthcheckAlarm), opAlarm)
)

// RequestPath is the request path's decision on the circuit's item as read at
// the start of the execution, first match wins. Rows 5 and 6, which elect a
// probe once a deadline has passed, are what guarantee that no circuit stays
// open forever on its own state: only an operator or a healthcheck alarm can
// hold it.
//
// The execution's start time is "now"; the deadlines are instants (After
// compares them as such, so the start's rendering, without a fraction when
// the milliseconds are zero, does not matter), and a malformed or absent one
// counts as passed. Every attribute is guarded by its presence, because a
// Choice comparing an absent one fails the execution (States.Runtime).
var RequestPath = Table[Verdict]{
	Name:    StepCheckCircuit,
	Comment: "circuit.Decide: override, healthcheck alarm, OPEN until openUntil then elect (unless claimed this minute), HALF_OPEN until halfOpenUntil (join while slots are free) then elect, else invoke counted.",
	Params:  []string{ParamHalfOpenMaxCalls},
	Rows: []Row[Verdict]{
		{When: forcedOpen, Then: Reject, Step: StepRejectForcedOpen,
			Says: "an operator forced it open"},
		{When: forcedClosed, Then: Bypass, Step: StepInvokeForcedClosed,
			Says: "an operator forced it closed: invoke, count nothing"},
		{When: healthcheckHolds, Then: Reject, Step: StepRejectHealthcheckAlarm,
			Says: "the healthcheck holds it open"},
		{When: And(stateIs(RoleCircuit, opOpen), After(Attr(AttrOpenUntil))), Then: Reject, Step: StepRejectOpen,
			Says: "open, within its open duration (the cause says until when)"},
		{When: stateIs(RoleCircuit, opOpen), Then: Elect, Step: StepPrepareElection,
			Says: "open, its open duration over: the controller elects this call as the probe of a new half-open period"},
		{When: And(stateIs(RoleCircuit, opHalfOpen), Not(After(Attr(AttrHalfOpenUntil)))), Then: Elect, Step: StepPrepareElection,
			Says: "half-open, its period over: its probes are presumed lost, a new period is elected"},
		// "probes = max" on the number as DynamoDB JSON gives it, a string: a
		// Choice cannot compare it as a number. Exact for every count the
		// writers leave (never above max); a larger one (max lowered by a
		// redeploy) goes on to JoinProbe, whose condition refuses it.
		{When: And(stateIs(RoleCircuit, opHalfOpen), Equals(Attr(AttrProbes), Param(ParamHalfOpenMaxCalls))), Then: Reject, Step: StepRejectHalfOpenFull,
			Says: "half-open, every probe slot of the period taken"},
		{When: stateIs(RoleCircuit, opHalfOpen), Then: Join, Step: StepJoinProbe,
			Says: "half-open with a free slot: take it (JoinProbe), or be rejected if another caller took it first"},
		{When: NonZero(Attr(AttrFailures)), Then: Admit, Step: StepInvokeDownstreamAfterFailures,
			Says: "closed with failures counted: invoke, and a success clears them (ResetFailures)"},
	},
	Default: Row[Verdict]{Then: Admit, Step: StepInvokeDownstream,
		Says: "closed (no item, or an unknown state): invoke, counting a failure (CountFailure)"},
}

// Decide is the request path's decision for one call at now (RequestPath on
// c's item). Join is an attempt: JoinProbe's condition then admits the call
// or not (it refuses a period whose slots are over-full).
func Decide(c Circuit, now time.Time, halfOpenMaxCalls int) Verdict {
	v := mustEval(RequestPath, Env{
		Items:  map[Role]Item{RoleCircuit: c.Item()},
		Now:    now,
		Params: Params{ParamHalfOpenMaxCalls: N(int64(halfOpenMaxCalls))},
	}).Then
	if v != Elect {
		return v
	}
	return mustEval(ElectionClaimRules, Env{
		Items:  map[Role]Item{RoleCircuit: c.Item()},
		Params: Params{ParamMinute: S(ElectionMinute(now))},
	}).Then
}

// MetricRules are the CircuitState metric's value (MetricValue): the state
// callers get, with RequestPath's precedence (an operator, then the
// healthcheck's hold, then the state), but without the clock: an OPEN circuit
// whose open duration is over is still open until a caller is elected as its
// probe. The alarm handler publishes it; no state machine renders it (Step is
// the value's name).
var MetricRules = Table[int]{
	Name: "CircuitState",
	Rows: []Row[int]{
		{When: forcedOpen, Then: MetricOpen, Step: "open", Says: "forced open"},
		{When: forcedClosed, Then: MetricClosed, Step: "closed", Says: "forced closed"},
		{When: healthcheckHolds, Then: MetricOpen, Step: "open", Says: "held by the healthcheck"},
		{When: stateIs(RoleCircuit, opOpen), Then: MetricOpen, Step: "open", Says: "open"},
		{When: stateIs(RoleCircuit, opHalfOpen), Then: MetricHalfOpen, Step: "half-open", Says: "half-open"},
	},
	Default: Row[int]{Then: MetricClosed, Step: "closed", Says: "closed (no item, or an unknown state)"},
}

// GoverningRules combine the breaker's item and a key's item into the one
// circuit a per-key request acts on (docs/per-key.md), first match wins.
var GoverningRules = Table[Scope]{
	Name:    StepSelectCircuit,
	Comment: "circuit.Governing: a named key's override, else the breaker's item while it holds every key (override, healthcheck alarm, OPEN, HALF_OPEN), else the key's item.",
	Rows: []Row[Scope]{
		{When: Or(Equals(RoleKey.Attr(AttrOverride), opForcedOpen), Equals(RoleKey.Attr(AttrOverride), opForcedClosed)),
			Then: ScopeKey, Step: StepUseKeyCircuit, Says: "an operator acted on that key alone"},
		{When: Or(Equals(RoleBreaker.Attr(AttrOverride), opForcedOpen), Equals(RoleBreaker.Attr(AttrOverride), opForcedClosed)),
			Then: ScopeBreaker, Step: StepUseBreakerCircuit, Says: "a breaker-wide override holds every key"},
		{When: Equals(RoleBreaker.Attr(AttrHealthcheckAlarm), opAlarm),
			Then: ScopeBreaker, Step: StepUseBreakerCircuit, Says: "the healthcheck holds every key"},
		{When: Or(stateIs(RoleBreaker, opOpen), stateIs(RoleBreaker, opHalfOpen)),
			Then: ScopeBreaker, Step: StepUseBreakerCircuit, Says: "an alarm opened the breaker, or its probes are deciding whether it closes"},
	},
	Default: Row[Scope]{Then: ScopeKey, Step: StepUseKeyCircuit, Says: "the key's own circuit (no item: closed)"},
}

// Governing is the scope a per-key request acts on: GoverningRules on the two
// items.
func Governing(breaker, key Circuit) Scope {
	return mustEval(GoverningRules, Env{Items: map[Role]Item{RoleBreaker: breaker.Item(), RoleKey: key.Item()}}).Then
}

// ElectionClaimRules follow RequestPath's Elect: a caller finding the
// election claimed this minute is rejected without a write (another caller
// is electing); else it claims it (Claim, or ClaimUnversioned on an item
// without a version), and only the claim's winner asks the controller.
// ParamMinute is the minute of the call (ElectionMinute of now).
var ElectionClaimRules = Table[Verdict]{
	Name:    StepCheckElectionClaim,
	Comment: "Claimed this minute: another caller is electing, fail fast without a write.",
	Params:  []string{ParamMinute},
	Rows: []Row[Verdict]{
		{When: Equals(Attr(AttrElectionClaim), Param(ParamMinute)), Then: Reject, Step: StepRejectElectionClaimed,
			Says: "the election was claimed this minute: another caller is electing"},
		{When: Absent(Attr(AttrVersion)), Then: Elect, Step: StepClaimElectionUnversioned,
			Says: "an item without a version: claim it (ClaimUnversioned)"},
	},
	Default: Row[Verdict]{Then: Elect, Step: StepClaimElection, Says: "claim it on the version read (Claim)"},
}

// TripAtThreshold follows CountFailure: the failure that reaches the
// threshold trips the circuit (the controller opens it: time arithmetic).
var TripAtThreshold = Table[bool]{
	Name:   StepCheckFailureThreshold,
	Params: []string{ParamFailureThreshold},
	Rows: []Row[bool]{{When: AtLeast(RoleWritten.Attr(AttrFailures), Param(ParamFailureThreshold)), Then: true, Step: StepTrip,
		Says: "failureThreshold consecutive failures: trip"}},
	Default: Row[bool]{Step: StepDownstreamFailed, Says: "below the threshold: fail with the downstream's error"},
}

// CloseAtThreshold follows CountProbeSuccess: the success that reaches the
// threshold closes the circuit.
var CloseAtThreshold = Table[bool]{
	Name:   StepCheckProbeSuccesses,
	Params: []string{ParamSuccessThreshold},
	Rows: []Row[bool]{{When: AtLeast(RoleWritten.Attr(AttrSuccesses), Param(ParamSuccessThreshold)), Then: true, Step: StepCloseCircuit,
		Says: "successThreshold probe successes: close"}},
	Default: Row[bool]{Step: StepReturnResult, Says: "more successes needed: return the result"},
}

// samePeriod: only probes of the period still current count. A late report
// from a period presumed lost, or after the circuit moved on, changes nothing.
var samePeriod = And(stateIs(RoleCircuit, opHalfOpen), Equals(Attr(AttrHalfOpenUntil), Param(ParamPeriod)))

// closedOrNew: a closed circuit, or one never written (closed).
var closedOrNew = Or(Absent(Attr(AttrState)), stateIs(RoleCircuit, opClosed))

// The request path's conditional writes, each made by the state machine.
var (
	// CountFailure counts one more consecutive failure of a closed circuit.
	CountFailure = Update{
		Name: "CountFailure", Step: StepRecordFailure,
		Comment: "Count the failure; only a closed (or never written) circuit counts.",
		Effect:  Effect{Add: []Assign{{AttrFailures, opOne}}},
		If:      closedOrNew,
	}
	// ResetFailures ends a run of consecutive failures: only on a closed
	// circuit with failures, so a circuit tripped meanwhile keeps its state
	// and a count already cleared costs no second write.
	ResetFailures = Update{
		Name: "ResetFailures", Step: StepResetFailures,
		Comment: "A success ends the run of consecutive failures.",
		Effect:  Effect{Set: []Assign{{AttrFailures, opZero}}},
		If:      And(Greater(Attr(AttrFailures), opZero), closedOrNew),
	}
	// JoinProbe takes a free probe slot of the half-open period read: never
	// more than HalfOpenMaxCalls, even under concurrency.
	JoinProbe = Update{
		Name: "JoinProbe", Step: StepJoinProbe,
		Comment: "Take a free probe slot of the half-open period read; never more than HalfOpenMaxCalls, even under concurrency.",
		Effect:  Effect{Add: []Assign{{AttrProbes, opOne}}},
		If:      And(samePeriod, Or(Absent(Attr(AttrProbes)), Less(Attr(AttrProbes), Param(ParamHalfOpenMaxCalls)))),
	}
	// CountProbeSuccess counts a probe's success (when more than one closes).
	CountProbeSuccess = Update{
		Name: "CountProbeSuccess", Step: StepRecordProbeSuccess,
		Comment: "Count the probe's success.",
		Effect:  Effect{Add: []Assign{{AttrSuccesses, opOne}}},
		If:      samePeriod,
	}
	// CloseByProbe is Closing from HALF_OPEN, by the probe that reached the
	// success threshold.
	CloseByProbe = Update{
		Name: "CloseByProbe", Step: StepCloseCircuit,
		Comment: "Close the circuit: counters reset, deadlines removed, the transition recorded.",
		Effect:  closeFrom(opHalfOpen),
		If:      samePeriod,
	}
	// ReleaseProbe frees the slot of a probe that gave no verdict.
	ReleaseProbe = Update{
		Name: "ReleaseProbe", Step: StepReleaseProbe,
		Comment: "An ignored error, an invocation refused by Lambda, or a result too large to pass on, is no verdict: free the slot for another probe.",
		Effect:  Effect{Add: []Assign{{AttrProbes, opMinusOne}}},
		If:      And(samePeriod, Greater(Attr(AttrProbes), opZero)),
	}
)

// notClaimedThisMinute: nobody claimed the election in the minute claimed.
var notClaimedThisMinute = Or(Absent(Attr(AttrElectionClaim)), NotEquals(Attr(AttrElectionClaim), Param(ParamMinute)))

// The election's claim (issue 14): of the callers that find a deadline over
// at once, the one whose write lands invokes the controller. The claim holds
// for its minute only, so a claimer that dies blocks elections for at most
// the rest of that minute.
var (
	// Claim claims the election on the version read: nobody wrote since, and
	// nobody claimed this minute.
	Claim = Update{
		Name: "Claim", Step: StepClaimElection,
		Comment: "Claim the election: only if nobody wrote the item since it was read, and nobody claimed it this minute. One concurrent caller wins.",
		Effect:  Effect{Set: []Assign{{AttrElectionClaim, Param(ParamMinute)}}},
		If:      And(Equals(Attr(AttrVersion), Param(ParamReadVersion)), notClaimedThisMinute),
	}
	// ClaimUnversioned is Claim on an item without a version (written by
	// hand, or by a tool that does not version).
	ClaimUnversioned = Update{
		Name: "ClaimUnversioned", Step: StepClaimElectionUnversioned,
		Comment: Claim.Comment,
		Effect:  Claim.Effect,
		If:      And(Absent(Attr(AttrVersion)), notClaimedThisMinute),
	}
	// ReleaseClaim frees the claim of a winner whose controller call failed.
	ReleaseClaim = Update{
		Name: "ReleaseClaim", Step: StepReleaseElection,
		Comment: "The controller could not elect: free this call's claim, so that the next caller can, instead of waiting for the claim's minute to end.",
		Effect:  Effect{Remove: []string{AttrElectionClaim}},
		If:      Equals(Attr(AttrElectionClaim), Param(ParamMinute)),
	}
)

// Writes are the request path's conditional writes, in the order a call meets them.
var Writes = []Update{CountFailure, ResetFailures, Claim, ClaimUnversioned, ReleaseClaim, JoinProbe, CountProbeSuccess, CloseByProbe, ReleaseProbe}

// ProbeCloseReason is CloseByProbe's recorded reason.
func ProbeCloseReason(successThreshold int) string {
	if successThreshold > 1 {
		return fmt.Sprintf("%d probes succeeded", successThreshold)
	}
	return "probe succeeded"
}

// The transitions every writer funnels through.
var (
	// ResetCounters: every counter back to 0, no deadline, and no election
	// claim (a new deadline is claimed afresh).
	ResetCounters = Effect{
		Set:    []Assign{{AttrFailures, opZero}, {AttrOpenings, opZero}, {AttrProbes, opZero}, {AttrSuccesses, opZero}},
		Remove: []string{AttrOpenUntil, AttrHalfOpenUntil, AttrElectionClaim},
	}
	// Closing moves a circuit in state :from to CLOSED.
	Closing = closeFrom(Param(ParamFrom))
	// Opening moves a circuit in state :from to OPEN until :until, one more
	// consecutive opening. A half-open period ends with it (its probes' late
	// reports no longer match), and the counts of what led here restart; a
	// claim on the old deadline's election no longer applies.
	Opening = Effect{
		Set: []Assign{{AttrState, opOpen}, {AttrOpenUntil, Param(ParamUntil)},
			{AttrFailures, opZero}, {AttrProbes, opZero}, {AttrSuccesses, opZero}},
		Remove: []string{AttrHalfOpenUntil, AttrElectionClaim},
		Add:    []Assign{{AttrOpenings, opOne}},
	}.With(transition(Param(ParamFrom), opOpen))
)

// transition records a move from from to to, at :now, for :reason.
func transition(from, to Operand) Effect {
	return Effect{Set: []Assign{{AttrTransitionAt, Param(ParamNow)}, {AttrTransitionFrom, from}, {AttrTransitionTo, to}, {AttrTransitionReason, Param(ParamReason)}}}
}

// closeFrom is the close: CLOSED, counters reset, deadlines removed, the
// transition from from recorded.
func closeFrom(from Operand) Effect {
	return Effect{Set: []Assign{{AttrState, opClosed}}}.With(ResetCounters).With(transition(from, opClosed))
}

// mustApply applies one of the funnels above: its parameters are bound by
// the caller here and its values are always the item's types, so an error
// is a bug in this package (the tests apply every funnel).
func mustApply(ch Effect, c Circuit, p Params) Circuit {
	next, err := ch.Apply(c, p)
	if err != nil {
		panic("circuit: " + err.Error())
	}
	return next
}

// open moves c to OPEN for the back-off duration of this consecutive opening.
// It does not bump Version: the caller bumps once per change.
func (c Circuit) open(now time.Time, p Policy, reason string) Circuit {
	return mustApply(Opening, c, Params{
		ParamFrom: S(string(c.State)), ParamUntil: TimeValue(now.Add(p.Duration(c.Openings + 1))),
		ParamNow: TimeValue(now), ParamReason: S(reason),
	})
}

// close moves c to CLOSED with every counter reset. It does not bump Version.
func (c Circuit) close(now time.Time, reason string) Circuit {
	return mustApply(Closing, c, Params{ParamFrom: S(string(c.State)), ParamNow: TimeValue(now), ParamReason: S(reason)})
}

func (c Circuit) resetCounters() Circuit { return mustApply(ResetCounters, c, nil) }
