package circuit

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// AlarmNotice is one CloudWatch alarm state change, already attributed to a
// source by the alarm handler (which knows each alarm's name).
type AlarmNotice struct {
	Source    Source
	AlarmName string
	State     AlarmState
	// ChangedAt is the alarm's own StateChangeTime. Notifications are ordered by
	// it, never by delivery: SNS may deliver late, twice, or out of order.
	ChangedAt time.Time
	// Reason is CloudWatch's NewStateReason, kept (shortened) in the transition
	// reason so operators see why without opening CloudWatch.
	Reason string
	// Window is how far before ChangedAt the alarm's evaluated data reaches
	// (HealthcheckPolicy.AlarmWindow), for a healthcheck notice; it orders the
	// notice against the controller's verdicts. Zero: the data is taken to be
	// as new as the notice, which lets the alarm override more verdicts, never
	// fewer.
	Window time.Duration
}

// Validate reports the first field that makes n unusable, naming it.
func (n AlarmNotice) Validate() error {
	if !slices.Contains(Sources, n.Source) {
		return fmt.Errorf("source %q is not one of %q", n.Source, Sources)
	}
	switch n.State {
	case AlarmStateAlarm, AlarmStateOK, AlarmStateInsufficientData:
	default:
		return fmt.Errorf("alarm state %q is not one of ALARM, OK, INSUFFICIENT_DATA", n.State)
	}
	if n.ChangedAt.IsZero() {
		return errors.New("state change time is missing")
	}
	return nil
}

// Policy is how long a circuit stays open.
type Policy struct {
	// OpenDuration is the first opening's duration.
	OpenDuration time.Duration
	// MaxOpenDuration caps the back-off. It is also the bound on how long any
	// opening lasts, which is what keeps a circuit from staying open forever.
	MaxOpenDuration time.Duration
	// BackoffMultiplier multiplies the duration at each consecutive opening
	// without a close in between. <= 1 (or MaxOpenDuration 0) means no back-off.
	BackoffMultiplier float64
}

// Validate rejects policies that would open a circuit for no time, for ever, or
// for longer than the stated maximum.
func (p Policy) Validate() error {
	if p.OpenDuration <= 0 {
		return fmt.Errorf("open duration must be positive, got %s", p.OpenDuration)
	}
	if p.MaxOpenDuration < 0 {
		return fmt.Errorf("max open duration must not be negative, got %s", p.MaxOpenDuration)
	}
	if p.MaxOpenDuration != 0 && p.MaxOpenDuration < p.OpenDuration {
		return fmt.Errorf("max open duration %s is shorter than the open duration %s", p.MaxOpenDuration, p.OpenDuration)
	}
	if math.IsNaN(p.BackoffMultiplier) || math.IsInf(p.BackoffMultiplier, 0) || p.BackoffMultiplier < 0 {
		return fmt.Errorf("back-off multiplier must be a finite number >= 0, got %v", p.BackoffMultiplier)
	}
	return nil
}

// Longest is the longest a single opening can last under p.
func (p Policy) Longest() time.Duration {
	if p.backsOff() {
		return p.MaxOpenDuration
	}
	return p.OpenDuration
}

func (p Policy) backsOff() bool { return p.BackoffMultiplier > 1 && p.MaxOpenDuration > 0 }

// Duration is how long the circuit stays open at its n-th consecutive opening
// (n >= 1): OpenDuration * BackoffMultiplier^(n-1), capped at MaxOpenDuration.
func (p Policy) Duration(n int) time.Duration {
	if !p.backsOff() || n <= 1 {
		return p.OpenDuration
	}
	// In float64 so that a long run of openings saturates at the cap instead of
	// overflowing time.Duration.
	d := float64(p.OpenDuration) * math.Pow(p.BackoffMultiplier, float64(n-1))
	if math.IsNaN(d) || d >= float64(p.MaxOpenDuration) {
		return p.MaxOpenDuration
	}
	return time.Duration(d)
}

// Outcome is what applying one alarm notification did.
type Outcome string

const (
	// OutcomeStale: not newer than the last notification applied for its source
	// (a duplicate or an out-of-order delivery). Nothing changed.
	OutcomeStale Outcome = "STALE"
	// OutcomeInvalid: the notice failed Validate. Nothing changed.
	OutcomeInvalid Outcome = "INVALID"
	// OutcomeRecorded: the source's alarm state was recorded; State is unchanged.
	OutcomeRecorded Outcome = "RECORDED"
	// OutcomeReleased: the healthcheck left ALARM without closing the circuit,
	// so probes may resume once the circuit's open duration has elapsed.
	OutcomeReleased Outcome = "RELEASED"
	// OutcomeOpened: the circuit opened.
	OutcomeOpened Outcome = "OPENED"
	// OutcomeClosed: the circuit closed.
	OutcomeClosed Outcome = "CLOSED"
)

// Changed reports whether the circuit must be written back.
func (o Outcome) Changed() bool {
	return o != OutcomeStale && o != OutcomeInvalid && o != OutcomeSuperseded && o != OutcomeUnchanged
}

// maxReasonDetail bounds how much of CloudWatch's NewStateReason goes into the
// item: it is for humans, and items are read on every request.
const maxReasonDetail = 256

// ApplyAlarm is the alarm path's rule: it returns the circuit after notice n,
// received at now, under policy p. The sources are tracked separately, so
// that one alarm's late OK can never undo what another alarm decided.
//
//   - A notice dated more than MaxClockSkew after now is invalid (CheckTime):
//     nothing changes.
//   - Only a notice newer (by ChangedAt) than the last applied for its source
//     applies; otherwise nothing changes, not even Version. A last time beyond
//     MaxClockSkew after now counts as absent, so it cannot make every later
//     notice stale.
//   - A healthcheck notice whose evaluated data (ChangedAt less Window) is no
//     newer than the last verdict is superseded (ApplyVerdict): nothing
//     changes. A late ALARM from before the recovery cannot reopen what a
//     newer healthy verdict closed.
//   - healthcheck ALARM opens the circuit (unless already OPEN); while it stays in
//     ALARM, Decide rejects every call: the hold.
//   - healthcheck OK straight after its ALARM releases the hold and closes the
//     circuit; after anything else it only records.
//   - healthcheck INSUFFICIENT_DATA releases the hold but never closes: an OPEN
//     circuit recovers through half-open probes after OpenUntil.
//   - downstream ALARM opens a CLOSED or HALF_OPEN circuit, like an in-line trip.
//   - downstream OK / INSUFFICIENT_DATA only record: recovery goes through probes.
//   - slow-call notices follow the downstream's rules (Source.DownstreamKind),
//     ordered against the slow-call alarm's own earlier notices only.
//
// Every applied notice bumps Version by exactly one, so that the store's
// conditional write detects any concurrent writer.
func (c Circuit) ApplyAlarm(n AlarmNotice, now time.Time, p Policy) (next Circuit, outcome Outcome) {
	if n.Validate() != nil || CheckTime("state change time", n.ChangedAt, now) != nil {
		return c, OutcomeInvalid
	}
	// A stored time of this source (or, for the healthcheck, of its runs)
	// beyond the clock's skew came from before CheckTime, or from a hand
	// edit: it orders nothing, or the real notices would all be stale.
	read := c
	c.forgetFuture(now, n.Source)
	status := c.alarm(n.Source)
	// At the item's precision: a duplicate must compare equal to what was stored.
	changedAt := n.ChangedAt.UTC().Truncate(time.Millisecond)
	if !changedAt.After(status.ChangedAt) {
		return read, OutcomeStale
	}
	if c.supersededByVerdict(n) {
		return read, OutcomeSuperseded
	}
	previous := status.State
	*status = AlarmStatus{State: n.State, ChangedAt: changedAt}
	c.Version++
	if c.State == "" {
		c.State = Closed // an absent state attribute means closed
	}

	reason := alarmReason(n)
	outcome = OutcomeRecorded
	switch {
	case n.Source == SourceHealthcheck && n.State == AlarmStateAlarm:
		if c.State != Open {
			c = c.open(now, p, reason)
			outcome = OutcomeOpened
		}
	case n.Source == SourceHealthcheck && n.State == AlarmStateOK:
		if previous == AlarmStateAlarm {
			if c.State != Closed {
				c = c.close(now, reason)
				outcome = OutcomeClosed
			} else {
				c = c.resetCounters()
				outcome = OutcomeReleased
			}
		}
	case n.Source == SourceHealthcheck && n.State == AlarmStateInsufficientData:
		if previous == AlarmStateAlarm {
			outcome = OutcomeReleased
		}
	case n.Source.DownstreamKind() && n.State == AlarmStateAlarm:
		if c.State == Closed || c.State == HalfOpen {
			c = c.open(now, p, reason)
			outcome = OutcomeOpened
		}
	}
	return c, outcome
}

func alarmReason(n AlarmNotice) string {
	r := fmt.Sprintf("%s alarm %s went to %s", n.Source, n.AlarmName, n.State)
	if n.Reason == "" {
		return r
	}
	return r + ": " + truncate(n.Reason, maxReasonDetail)
}

// AlarmInputs are the attributes ApplyAlarm decides on: the state, the
// openings (the back-off of an opening), every alarm source's state and time
// (the ordering, and what an OK releases) and the last verdict's run (what
// supersedes a healthcheck notice). The request path's counters (failures,
// probes, successes) and the version are not among them: no outcome depends
// on them, an opening or a close only resets them.
//
// A notice's write conditioned on these alone (circuitstore.Merge) lands
// however often the request path counts, and still keeps every ordering
// guarantee: a newer notice of the same source, a verdict, or a transition
// changes one of them, which fails the write and makes the notice be decided
// again on what they hold now (stale, superseded, or a different outcome).
var AlarmInputs = []string{
	AttrState, AttrOpenings,
	AttrDownstreamAlarm, AttrDownstreamAlarmAt,
	AttrHealthcheckAlarm, AttrHealthcheckAlarmAt,
	AttrSlowCallAlarm, AttrSlowCallAlarmAt,
	AttrHealthcheckRunAt,
}

// RequestPathCounters are the attributes the state machine writes on the
// request path without a transition: the counters it ADDs to or resets, and
// the election's claim (AttrElectionClaim).
var RequestPathCounters = []string{AttrFailures, AttrProbes, AttrSuccesses, AttrElectionClaim}

// ResetsCounters reports whether notice n, applied with outcome o, reset the
// request path's counters and claim (an opening, a close, the healthcheck's
// release of a closed circuit): a merged write must then set them to zero
// (remove the claim) even where it read that already, since the request path
// may have counted or claimed since the read.
func ResetsCounters(n AlarmNotice, o Outcome) bool {
	switch o {
	case OutcomeOpened, OutcomeClosed:
		return true
	case OutcomeReleased:
		return n.State == AlarmStateOK
	}
	return false
}
