package circuit

import (
	"errors"
	"fmt"
	"time"
)

// HealthcheckVerdict is what one scheduled run of the healthcheck said, as the
// controller saw it when it invoked the healthcheck itself.
type HealthcheckVerdict struct {
	// Healthy: the invocation returned without a function error. A function
	// error, or an invoke that failed on the way (timeout, throttle, network),
	// is unhealthy. An invoke refused for want of permission or because the
	// function is gone is no verdict at all and never reaches this rule.
	Healthy bool
	// At identifies the run and orders verdicts: the schedule's own time for
	// that run (<aws.scheduler.scheduled-time>), so that a run Scheduler or
	// Lambda delivers twice is applied once, and a slow run overtaken by the
	// next one cannot undo it.
	At time.Time
	// Detail is the healthcheck's error, for the transition's reason.
	Detail string
}

// Validate reports the first field that makes v unusable.
func (v HealthcheckVerdict) Validate() error {
	if v.At.IsZero() {
		return errors.New("the run's time is missing")
	}
	return nil
}

// HealthcheckPolicy is how verdicts move the circuit.
type HealthcheckPolicy struct {
	// UnhealthyThreshold is how many consecutive unhealthy verdicts open the
	// circuit and hold it open (HealthcheckUnhealthyThresholdRange).
	UnhealthyThreshold int
	// AlarmWindow is how far back the healthcheck alarm's data reaches when it
	// changes state: its evaluation periods times its period, plus
	// CloudWatch's delay in publishing Lambda metrics. An alarm notice speaks
	// for the runs of that window, not for the instant it was sent, which is
	// what lets a verdict and a notice be ordered by the time of the evidence
	// each stands for.
	AlarmWindow time.Duration
}

// Validate rejects a policy no verdict could be applied under.
func (p HealthcheckPolicy) Validate() error {
	if !HealthcheckUnhealthyThresholdRange.Contains(p.UnhealthyThreshold) {
		return fmt.Errorf("unhealthy threshold must be %s, got %d", HealthcheckUnhealthyThresholdRange, p.UnhealthyThreshold)
	}
	if p.AlarmWindow < 0 {
		return fmt.Errorf("alarm window must not be negative, got %s", p.AlarmWindow)
	}
	return nil
}

// HealthcheckRuns is what the circuit remembers of the verdicts.
type HealthcheckRuns struct {
	// At is the last verdict applied (its run's time); zero if none ever was.
	At time.Time
	// Unhealthy counts consecutive unhealthy verdicts up to At.
	Unhealthy int
}

// OutcomeSuperseded: a healthcheck alarm notice whose evaluated data is no
// newer than the last verdict, which saw the same runs first-hand: nothing
// changed. The notice still reached every other subscriber of the topic.
const OutcomeSuperseded Outcome = "SUPERSEDED"

// OutcomeUnchanged is no longer returned by ApplyVerdict: a healthy verdict
// that changes nothing else still records its run (see ApplyVerdict), or an
// older, slower unhealthy run finishing after it would be applied. Kept for
// readers of logs written before.
const OutcomeUnchanged Outcome = "UNCHANGED"

// supersededByVerdict reports whether the healthcheck alarm notice n speaks for
// no run newer than the last verdict: its evaluated window starts at or before
// it. While the controller delivers verdicts, they decide; the alarm decides
// only for the runs no verdict reported (the controller failing, its writes
// lost), which keeps it the backup.
func (c Circuit) supersededByVerdict(n AlarmNotice) bool {
	if n.Source != SourceHealthcheck || c.HealthcheckRuns.At.IsZero() {
		return false
	}
	return !n.ChangedAt.Add(-n.Window).After(c.HealthcheckRuns.At)
}

// ApplyVerdict is the healthcheck's direct rule: it returns the circuit after
// verdict v, applied at now, under the open policy p and the healthcheck
// policy hp. The healthcheck's hold (Healthcheck, which Decide and the state
// machine read) is the newest evidence about the healthcheck, from its alarm or
// from a verdict, so a verdict writes it too.
//
//   - A verdict dated more than MaxClockSkew after now is invalid (CheckTime).
//   - A verdict not newer (by At) than the last applied changes nothing: a
//     repeated run is idempotent, and an older run that finishes after a newer
//     one (a slow unhealthy run overtaken by a fast healthy one) is stale. So
//     every applied verdict records its run, the healthy ones that change
//     nothing else included: one write per run.
//   - A verdict older than the data of the healthcheck alarm state the circuit
//     holds (At not after that notice's time less hp.AlarmWindow) only counts:
//     the alarm saw later runs.
//   - Unhealthy: counts; at hp.UnhealthyThreshold consecutive ones the hold is
//     set (ALARM at At) and the circuit opens unless already OPEN, like a
//     healthcheck alarm.
//   - Healthy: clears the count; if the healthcheck held the circuit (its
//     hold is ALARM, from a verdict or from an alarm whose OK may have been
//     lost), it releases the hold (OK at At) and closes the circuit, as the
//     alarm's OK would, one schedule interval after the recovery instead of
//     one alarm evaluation plus CloudWatch's delay. A circuit the healthcheck
//     did not hold (opened by in-line failures or the downstream alarm) is
//     left to its probes: the healthcheck may not exercise what failed.
//
// Every applied verdict bumps Version by exactly one; OutcomeStale and
// OutcomeInvalid write nothing.
func (c Circuit) ApplyVerdict(v HealthcheckVerdict, now time.Time, p Policy, hp HealthcheckPolicy) (next Circuit, outcome Outcome) {
	if v.Validate() != nil || hp.Validate() != nil || CheckTime("run time", v.At, now) != nil {
		return c, OutcomeInvalid
	}
	// Stored times beyond the clock's skew order nothing (see ApplyAlarm).
	read := c
	c.forgetFuture(now, SourceHealthcheck)
	at := v.At.UTC().Truncate(time.Millisecond)
	if !at.After(c.HealthcheckRuns.At) {
		return read, OutcomeStale
	}
	held := c.Healthcheck.State == AlarmStateAlarm
	// The alarm's evidence reaches back hp.AlarmWindow before its state change.
	moves := c.Healthcheck.ChangedAt.IsZero() || at.After(c.Healthcheck.ChangedAt.Add(-hp.AlarmWindow))

	runs := HealthcheckRuns{At: at}
	if !v.Healthy {
		runs.Unhealthy = c.HealthcheckRuns.Unhealthy + 1
	}
	c.HealthcheckRuns = runs
	c.Version++
	if c.State == "" {
		c.State = Closed // an absent state attribute means closed
	}
	outcome = OutcomeRecorded
	if !moves {
		return c, outcome
	}
	switch {
	case !v.Healthy && runs.Unhealthy >= hp.UnhealthyThreshold:
		c.Healthcheck = AlarmStatus{State: AlarmStateAlarm, ChangedAt: at}
		if c.State != Open {
			c = c.open(now, p, verdictReason(v, runs.Unhealthy))
			outcome = OutcomeOpened
		}
	case v.Healthy && held:
		c.Healthcheck = AlarmStatus{State: AlarmStateOK, ChangedAt: at}
		if c.State != Closed {
			c = c.close(now, verdictReason(v, 0))
			outcome = OutcomeClosed
		} else {
			c = c.resetCounters()
			outcome = OutcomeReleased
		}
	}
	return c, outcome
}

func verdictReason(v HealthcheckVerdict, unhealthy int) string {
	run := FormatTime(v.At)
	if v.Healthy {
		return "healthcheck run " + run + " succeeded"
	}
	r := fmt.Sprintf("healthcheck run %s failed (%d in a row)", run, unhealthy)
	if v.Detail == "" {
		return r
	}
	return r + ": " + truncate(v.Detail, maxReasonDetail)
}
