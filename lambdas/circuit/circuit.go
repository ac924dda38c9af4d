package circuit

import "time"

// Circuit is one circuit's item, decoded.
type Circuit struct {
	ServiceName string
	State       State
	OpenUntil   time.Time
	Failures    int
	Openings    int
	Probes      int
	Successes   int
	Override    Override
	Version     int64

	Downstream  AlarmStatus
	Healthcheck AlarmStatus

	LastTransition Transition
}

// AlarmStatus is the last notification applied for one alarm source.
type AlarmStatus struct {
	State     AlarmState
	ChangedAt time.Time // the alarm's own StateChangeTime, used to order notifications
}

// Transition records one change of State.
type Transition struct {
	At     time.Time
	From   State
	To     State
	Reason string
}

// Verdict is the request path's decision for one call.
type Verdict string

const (
	// Admit: invoke the downstream.
	Admit Verdict = "ADMIT"
	// Reject: fail fast with CircuitOpen, invoking nothing.
	Reject Verdict = "REJECT"
)

// Decide is the request path's rule, in Go. The state machine definition
// (component/statemachine) implements the same rule in Amazon States Language; the
// two are kept equal by tests. The rules, first match wins:
//
//  1. an operator override decides: FORCED_OPEN rejects, FORCED_CLOSED admits;
//  2. a healthcheck in ALARM holds the circuit open: reject;
//  3. an OPEN circuit rejects until OpenUntil;
//  4. anything else admits.
//
// Rule 3 admitting after OpenUntil is what guarantees that no circuit stays open
// forever on its own state: only an operator or a healthcheck alarm can hold it.
func Decide(c Circuit, now time.Time) Verdict {
	switch c.Override {
	case ForcedOpen:
		return Reject
	case ForcedClosed:
		return Admit
	}
	if c.Healthcheck.State == AlarmStateAlarm {
		return Reject
	}
	if c.State == Open && now.Before(c.OpenUntil) {
		return Reject
	}
	return Admit
}
