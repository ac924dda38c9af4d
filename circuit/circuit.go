package circuit

import "time"

// Circuit is one circuit's item, decoded.
type Circuit struct {
	ServiceName string
	State       State
	OpenUntil   time.Time
	// HalfOpenUntil is the deadline of the current half-open period (see
	// AttrHalfOpenUntil); zero outside HALF_OPEN.
	HalfOpenUntil time.Time
	Failures      int
	Openings      int
	Probes        int
	Successes     int
	Override      Override
	Version       int64
	// ElectionClaim is the minute (ElectionMinute) in which an execution
	// claimed the election of the next half-open period; "" when none is
	// claimed. See AttrElectionClaim.
	ElectionClaim string

	Downstream AlarmStatus
	// Healthcheck is the healthcheck's hold: the newest evidence about it,
	// from its alarm's notifications or from the controller's verdicts
	// (ApplyVerdict), whichever speaks for later runs.
	Healthcheck AlarmStatus
	SlowCalls   AlarmStatus
	// HealthcheckRuns is what the verdicts left: the last one's run and the
	// consecutive unhealthy ones.
	HealthcheckRuns HealthcheckRuns

	LastTransition Transition

	// Unreadable says which attributes the decoder could not read as stored
	// (a hand edit: a counter that is not an integer, a value of the wrong
	// type) and read as their default instead, one note per attribute
	// separated by UnreadableSeparator; empty when the item read cleanly. Not
	// stored: Repair reports it and the next write stores the defaults. A
	// string, so that circuits stay comparable.
	Unreadable string
}

// UnreadableSeparator separates the notes in Circuit.Unreadable: a newline,
// which no note holds (the stored value in a note is quoted, its control
// characters escaped), so that Repair reports one line per value.
const UnreadableSeparator = "\n"

// AlarmStatus is the last notification applied for one alarm source.
type AlarmStatus struct {
	State     AlarmState
	ChangedAt time.Time // the alarm's own StateChangeTime, used to order notifications
}

// Alarm is the last notification applied for source s (zero for an unknown
// source).
func (c Circuit) Alarm(s Source) AlarmStatus {
	if p := c.alarm(s); p != nil {
		return *p
	}
	return AlarmStatus{}
}

func (c *Circuit) alarm(s Source) *AlarmStatus {
	switch s {
	case SourceDownstream:
		return &c.Downstream
	case SourceHealthcheck:
		return &c.Healthcheck
	case SourceSlowCalls:
		return &c.SlowCalls
	}
	return nil
}

// Transition records one change of State.
type Transition struct {
	At     time.Time
	From   State
	To     State
	Reason string
}

// Verdict is the request path's decision for one call, taken on the circuit's
// item as read at the start of the execution. Each verdict is one branch of the
// state machine's CheckCircuit Choice.
type Verdict string

const (
	// Admit: invoke the downstream and count its outcome (CLOSED, or no item): a
	// counted failure may trip the circuit, a success clears earlier failures.
	Admit Verdict = "ADMIT"
	// Bypass: invoke the downstream without any accounting (FORCED_CLOSED).
	Bypass Verdict = "BYPASS"
	// Reject: fail fast with CircuitOpen (or run the fallback), invoking nothing.
	Reject Verdict = "REJECT"
	// Elect: the open duration, or the current half-open period, is over, and
	// nobody claimed its election this minute: claim it (a write conditioned
	// on the version read and on no claim this minute, which exactly one
	// concurrent caller wins), then ask the controller Lambda to elect the
	// winner as the probe of a new half-open period. Losers are rejected.
	Elect Verdict = "ELECT"
	// Join: half-open with a probe slot free: take it by a conditional write
	// (probes < max in the same period), or be rejected if another caller won it.
	Join Verdict = "JOIN"
)

// Invokes reports whether the verdict lets the call reach the downstream at
// least possibly (Elect and Join depend on a conditional write). Only Reject is
// sure not to.
func (v Verdict) Invokes() bool { return v != Reject }

// ClaimElection is the state machine's ClaimElection write, in Go: a caller
// that read the circuit at version readVersion (0 for an item without one)
// and was told Elect claims the election at now. It wins only if nobody has
// written since its read and nobody claimed this minute; the winner alone
// invokes the controller. A claim's life is bounded by its minute, so a
// claimer that never reached the controller (or whose release failed) blocks
// elections for at most the rest of that minute.
func (c Circuit) ClaimElection(now time.Time, readVersion int64) (Circuit, bool) {
	next, won, err := Claim.Apply(c, Params{ParamReadVersion: N(readVersion), ParamMinute: S(ElectionMinute(now))})
	if err != nil {
		panic("circuit: " + err.Error()) // Claim's parameters are bound here
	}
	return next, won
}
