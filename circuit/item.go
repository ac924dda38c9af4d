// Package circuit is the contract between the request path (the Step Functions
// definition in component/statemachine) and the alarm path (the Go Lambdas): the
// shape of a circuit's item in DynamoDB (attributes.go), its states, and the
// rules that move it: the request path's as data (rulebook.go, rendered into
// the definition), the alarm path's and the controller's in Go, through the
// same effects.
//
// One item per circuit, keyed by the breaker's service name, so that many breakers
// can share one table without touching each other's items. A circuit with no item
// is closed.
//
// Every writer bumps Version, so that a read-modify-write can be made conditional
// on it (optimistic concurrency, like gobreaker's DistributedCircuitBreaker
// generation): a writer that lost a race re-reads and re-applies instead of
// overwriting a newer state.
package circuit

import "time"

// KeyAttribute is the table's partition key. Tables brought by users must use it
// (type S) and have no sort key. The original Terraform module used the same key,
// so its tables can be reused.
const KeyAttribute = "serviceName"

// Attribute names of a circuit's item. The state machine reads them through Step
// Functions' DynamoDB integration, so they are part of the contract and must not
// be renamed without migrating both paths.
const (
	AttrState     = "state"     // S: State; absent means Closed
	AttrOpenUntil = "openUntil" // S: Timestamp; while State is Open, callers fail fast until then
	// S: Timestamp; while State is HalfOpen, the deadline of the current half-open
	// period. Probes admitted in a period whose deadline has passed are presumed
	// lost (their execution died or never reported back), so the next caller
	// elects a new period: a lost probe cannot hold the circuit half-open forever.
	AttrHalfOpenUntil = "halfOpenUntil"
	AttrFailures      = "failures" // N: consecutive downstream failures while closed
	AttrOpenings      = "openings" // N: consecutive openings without a close, for back-off
	AttrProbes        = "probes"   // N: probes admitted in the current half-open period
	// N: probe successes since the circuit went half-open. Kept when a stale
	// period is re-elected, so that a circuit needing several successes still
	// closes when traffic is too sparse to bring them within one period.
	AttrSuccesses = "successes"
	AttrOverride  = "override" // S: Override set by an operator; absent means none
	AttrVersion   = "version"  // N: bumped by every write
	// S: ElectionMinute of the execution that claimed the election of a new
	// half-open period (the current deadline having passed), written by the
	// state machine's ClaimElection before it asks the controller to elect:
	// one claim per deadline per minute, so that a burst of callers at the
	// end of an open duration makes one controller invocation, not one each.
	// Every writer that starts a period or opens or closes the circuit
	// removes it; a claimer that died holds the election only until its
	// minute is over.
	AttrElectionClaim = "electionClaim"

	// Each alarm source is kept separately (the original kept one boolean for
	// both, so a late OK from one alarm closed a circuit the other held open).
	AttrDownstreamAlarm    = "downstreamAlarm"    // S: AlarmState last applied for the downstream alarm
	AttrDownstreamAlarmAt  = "downstreamAlarmAt"  // S: Timestamp of that alarm state change
	AttrHealthcheckAlarm   = "healthcheckAlarm"   // S: AlarmState last applied for the healthcheck alarm
	AttrHealthcheckAlarmAt = "healthcheckAlarmAt" // S: Timestamp of that alarm state change
	// The slow-call alarm (the downstream's Duration percentile) is a third
	// source with its own pair, for the same reason: ordered against its own
	// notifications only, so that the error alarm's later change cannot make
	// a slow-call ALARM look stale, nor the other way round.
	AttrSlowCallAlarm   = "slowCallAlarm"   // S: AlarmState last applied for the slow-call alarm
	AttrSlowCallAlarmAt = "slowCallAlarmAt" // S: Timestamp of that alarm state change
	// The healthcheck's verdicts, delivered by the controller on each scheduled
	// run (ApplyVerdict). A verdict also writes healthcheckAlarm/At, with its
	// run's time: those two hold the newest evidence about the healthcheck,
	// whichever path brought it, and are what the state machine reads.
	AttrHealthcheckRunAt     = "healthcheckRunAt"     // S: Timestamp of the last verdict's scheduled run
	AttrHealthcheckUnhealthy = "healthcheckUnhealthy" // N: consecutive unhealthy verdicts up to it

	// The last transition, so that operators can see when, from what, to what and why.
	// S: Timestamp. The state machine's CloseCircuit writes
	// $$.Execution.StartTime as Step Functions renders it, so this one may lack
	// the fraction ("...:06Z"): harmless, as it is only ever parsed (ParseTime),
	// never compared as a string, and the next Lambda write stores it in
	// TimestampLayout again.
	AttrTransitionAt     = "transitionAt"
	AttrTransitionFrom   = "transitionFrom"   // S: State, or the Override in force (FORCED_OPEN, FORCED_CLOSED)
	AttrTransitionTo     = "transitionTo"     // S: State, or the Override in force
	AttrTransitionReason = "transitionReason" // S: free text naming the cause (alarm name, probe, manual, ...)
)

// State is the breaker's own state, moved by in-line trips, probes and alarms.
type State string

const (
	Closed   State = "CLOSED"
	Open     State = "OPEN"
	HalfOpen State = "HALF_OPEN"
)

// Override is an operator's decision that wins over State until released.
type Override string

const (
	NoOverride   Override = ""
	ForcedOpen   Override = "FORCED_OPEN"
	ForcedClosed Override = "FORCED_CLOSED"
)

// AlarmState is a CloudWatch alarm's state value.
type AlarmState string

const (
	AlarmStateAlarm            AlarmState = "ALARM"
	AlarmStateOK               AlarmState = "OK"
	AlarmStateInsufficientData AlarmState = "INSUFFICIENT_DATA"
)

// Source names which alarm a notification came from.
type Source string

const (
	SourceDownstream  Source = "downstream"
	SourceHealthcheck Source = "healthcheck"
	// SourceSlowCalls is the alarm on the downstream's Duration: a
	// downstream-kind source (ALARM opens like the error alarm; recovery goes
	// through probes), kept apart from SourceDownstream.
	SourceSlowCalls Source = "slowCalls"
)

// Sources are every alarm source, in the order operators read them.
var Sources = []Source{SourceDownstream, SourceSlowCalls, SourceHealthcheck}

// DownstreamKind reports whether s watches the downstream itself: its ALARM
// opens a circuit like an in-line trip, and its OK never closes one (probes
// do). The healthcheck is the only other kind.
func (s Source) DownstreamKind() bool { return s == SourceDownstream || s == SourceSlowCalls }

// TimestampLayout is how our writers store times: UTC with fixed-width
// milliseconds. Fixed width makes string order equal time order, and one
// instant one string: the half-open period is matched by string equality in
// the state machine's conditions (JoinProbe's #halfOpenUntil = :period, and the
// probe's verdicts), with the string the controller answered or the item held.
//
// It is not quite Step Functions' layout: AWS writes the context object's times
// (e.g. $$.Execution.StartTime) without the fraction when the milliseconds are
// zero ("2026-11-27T00:10:06Z"), so readers go through ParseTime, never through
// this layout.
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in TimestampLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimestampLayout) }

// ParseTime reads a time as any of our sources write it, in UTC: FormatTime's
// layout, Step Functions' (the fraction left out when it is zero), or another
// RFC 3339 precision or offset (a time a person wrote).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// ElectionMinute is the claim an election made at now writes
// (AttrElectionClaim): its UTC minute, "2026-06-01T12:03". The state machine
// derives the same string from $$.Execution.StartTime (its first two
// ':'-separated parts), which is why it is a prefix of the start time rather
// than a time that needs arithmetic Amazon States Language cannot do.
func ElectionMinute(now time.Time) string { return now.UTC().Format("2006-01-02T15:04") }
