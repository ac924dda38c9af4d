// Package alarmsim is a SIMULATION of CloudWatch's alarm path, for running
// the breaker's alarm path locally, where no CloudWatch exists: a loop that
// evaluates alarms on the wall clock (Loop), and the SNS-wrapped CloudWatch
// notifications it delivers to the real alarm-handler Lambda (Notification).
//
// The evaluation itself is shipping code, circuit/alarmeval, which
// `circuitctl replay` runs on CloudWatch's own data too; its package doc says
// what it evaluates and what it leaves out. The names below keep this
// package's callers (dev/localbreaker, dev/bench) as they were. Periods may be
// compressed (a configured 60 s period simulated as a few seconds): callers
// say so.
package alarmsim

import (
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/alarmeval"
)

// Alarm states, as CloudWatch names them.
const (
	StateOK               = alarmeval.StateOK
	StateAlarm            = alarmeval.StateAlarm
	StateInsufficientData = alarmeval.StateInsufficientData
)

type (
	// Rule is an alarm's configuration (alarmeval.Rule).
	Rule = alarmeval.Rule
	// Alarm is one alarm evaluated on samples (alarmeval.Alarm).
	Alarm = alarmeval.Alarm
	// Change is one state change (alarmeval.Change).
	Change = alarmeval.Change
	// Datapoint is one period's value (alarmeval.Datapoint).
	Datapoint = alarmeval.Datapoint
)

// New returns an alarm in INSUFFICIENT_DATA with no samples (alarmeval.New).
func New(name, description string, rule Rule, origin time.Time) (*Alarm, error) {
	return alarmeval.New(name, description, rule, origin)
}
