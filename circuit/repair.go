package circuit

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The operators' repairs (circuitctl clear-alarm, clear-hold, repair, prune),
// as pure rules. An item can hold what no rule should act on: a value written
// by hand (an override "forced_open", a counter of -3), or a time taken from
// an input before times were bounded (a healthcheck ALARM dated 9999 holds
// the circuit through every later OK, which looks older; a trip "at" 9998
// opens until 9998). These rules are how an operator gets such a circuit back
// without editing the item by hand. Each records a manual transition with the
// operator's reason (status shows it, the event publisher publishes it) and
// bumps Version by one, like every writer.
//
// They mirror the rules the Lambdas' own tolerance is built from (the trust
// work on issue 14, items 6 and 22: a time bound, a tolerant decoder, a repair
// on write); where both exist, the Lambdas' rules are the reference and these
// are meant to be replaced by them.

// OperatorSkew is how far ahead of the operator's clock a stored event time
// (an alarm's StateChangeTime, a healthcheck run, a transition) may be before
// repair treats it as forged or broken: no correct writer records an event in
// the future. Five minutes is the margin AWS allows a signed request's clock
// (Signature Version 4 refuses a request more than 5 minutes off: IAM User
// Guide, "Elements of an AWS API request signature").
const OperatorSkew = 5 * time.Minute

// OperatorMaxCount bounds the item's counters: far above any threshold (the
// component's are int32) and small enough that the state machine's ADD and
// every reader's integer hold it.
const OperatorMaxCount = math.MaxInt32

// RepairLimits are how far ahead of now a correct writer can leave the item's
// deadlines: openUntil at most the breaker's maxOpenDurationSeconds (the
// longest opening under back-off), halfOpenUntil at most one probe timeout.
// A zero field is unknown and its deadline is left alone (the tool does not
// know every breaker's settings; ClearHoldByOperator ends any deadline).
type RepairLimits struct {
	MaxOpen      time.Duration
	ProbeTimeout time.Duration
}

// isKnown reports whether the value is one the rules act on (absent is
// CLOSED, no override, no alarm state).
func (s State) isKnown() bool { return s == "" || s == Closed || s == Open || s == HalfOpen }

func (o Override) isKnown() bool { return o == NoOverride || o == ForcedOpen || o == ForcedClosed }

func (a AlarmState) isKnown() bool {
	return a == "" || a == AlarmStateAlarm || a == AlarmStateOK || a == AlarmStateInsufficientData
}

// RepairProblems is what RepairByOperator would fix in c at now under l, one
// line each (none: nothing to repair); status shows them.
func (c Circuit) RepairProblems(now time.Time, l RepairLimits) []string {
	_, fixes := c.repaired(now, l)
	return fixes
}

// repaired is the repair itself, without the transition:
//
//   - an unknown state is CLOSED with its counters and deadlines reset (the
//     request path admits a circuit in an unknown state and never trips it:
//     the breaker was off for it);
//   - an unknown override is removed (the request path compares the override
//     with FORCED_OPEN and FORCED_CLOSED only);
//   - an unknown alarm state is removed with its time;
//   - a counter below 0 is 0, one above OperatorMaxCount is OperatorMaxCount;
//   - an alarm source's time, the healthcheck runs' time or the transition's
//     time more than OperatorSkew ahead of now is removed, so that the next
//     notice or run is ordered after it (the source's state stays: a hold is
//     still a hold, which its next notice, now in order, releases; clear-alarm
//     or clear-hold end it at once);
//   - openUntil more than l.MaxOpen ahead, or halfOpenUntil more than
//     l.ProbeTimeout ahead (plus OperatorSkew), is removed: the deadline has
//     passed and the next call elects a probe.
func (c Circuit) repaired(now time.Time, l RepairLimits) (Circuit, []string) {
	var fixes []string
	fix := func(format string, args ...any) { fixes = append(fixes, fmt.Sprintf(format, args...)) }
	if !c.State.isKnown() {
		fix("%s %q is not CLOSED, OPEN or HALF_OPEN: CLOSED, counters reset", AttrState, truncate(string(c.State), maxReasonDetail))
		c = c.resetCounters()
		c.State = Closed
	}
	if !c.Override.isKnown() {
		fix("%s %q is not %s or %s: removed", AttrOverride, truncate(string(c.Override), maxReasonDetail), ForcedOpen, ForcedClosed)
		c.Override = NoOverride
	}
	for _, n := range []struct {
		attr string
		v    *int
	}{
		{AttrFailures, &c.Failures}, {AttrOpenings, &c.Openings}, {AttrProbes, &c.Probes},
		{AttrSuccesses, &c.Successes}, {AttrHealthcheckUnhealthy, &c.HealthcheckRuns.Unhealthy},
	} {
		switch {
		case *n.v < 0:
			fix("%s %d is negative: 0", n.attr, *n.v)
			*n.v = 0
		case *n.v > OperatorMaxCount:
			fix("%s %d is above %d: %d", n.attr, *n.v, OperatorMaxCount, OperatorMaxCount)
			*n.v = OperatorMaxCount
		}
	}
	ahead := func(t time.Time, d time.Duration) bool { return t.After(now.Add(d + OperatorSkew)) }
	for _, src := range Sources {
		st := c.alarm(src)
		if !st.State.isKnown() {
			fix("%s alarm state %q is not ALARM, OK or INSUFFICIENT_DATA: removed", src, truncate(string(st.State), maxReasonDetail))
			*st = AlarmStatus{}
		}
		if ahead(st.ChangedAt, 0) {
			fix("%s alarm time %s is more than %s ahead of now (%s): removed", src, FormatTime(st.ChangedAt), OperatorSkew, FormatTime(now))
			st.ChangedAt = time.Time{}
		}
	}
	if ahead(c.HealthcheckRuns.At, 0) {
		fix("%s %s is more than %s ahead of now (%s): removed", AttrHealthcheckRunAt, FormatTime(c.HealthcheckRuns.At), OperatorSkew, FormatTime(now))
		c.HealthcheckRuns.At = time.Time{}
	}
	if l.MaxOpen > 0 && ahead(c.OpenUntil, l.MaxOpen) {
		fix("%s %s is more than the longest opening (%s) ahead of now (%s): elapsed", AttrOpenUntil, FormatTime(c.OpenUntil), l.MaxOpen, FormatTime(now))
		c.OpenUntil = time.Time{}
	}
	if l.ProbeTimeout > 0 && ahead(c.HalfOpenUntil, l.ProbeTimeout) {
		fix("%s %s is more than one probe timeout (%s) ahead of now (%s): elapsed", AttrHalfOpenUntil, FormatTime(c.HalfOpenUntil), l.ProbeTimeout, FormatTime(now))
		c.HalfOpenUntil = time.Time{}
	}
	if ahead(c.LastTransition.At, 0) {
		fix("%s %s is more than %s ahead of now (%s): replaced by this repair's", AttrTransitionAt, FormatTime(c.LastTransition.At), OperatorSkew, FormatTime(now))
	}
	return c, fixes
}

// ErrOperatorReason is returned when an operator's repair has no reason: the
// reason is the transition's, which tells the next reader who changed the
// circuit and why.
var ErrOperatorReason = errors.New("a reason is required (it is recorded as the transition's reason)")

// RepairByOperator is `circuitctl repair`: c with every value the rules cannot
// act on replaced (repaired), plus unreadable, what the item held that the
// decoder could not read at all (one line each; the caller decoded it as its
// default, which this write stores). It records a manual transition
// ("repaired: <fixes>; <reason>") and bumps Version; with nothing to repair it
// changes nothing.
func (c Circuit) RepairByOperator(now time.Time, l RepairLimits, unreadable []string, reason string) (Circuit, []string, bool, error) {
	if strings.TrimSpace(reason) == "" {
		return c, nil, false, ErrOperatorReason
	}
	next, fixes := c.repaired(now, l)
	fixes = append(slices.Clone(unreadable), fixes...)
	if len(fixes) == 0 {
		return c, nil, false, nil
	}
	from := c.Effective()
	if !c.State.isKnown() || !c.Override.isKnown() {
		from = State(truncate(string(from), maxReasonDetail))
	}
	next.LastTransition = Transition{At: now, From: from, To: next.Effective(),
		Reason: manual(fmt.Sprintf("repaired %d value(s): %s", len(fixes), reason))}
	next.Version++
	return next, fixes, true, nil
}

// ClearSourceByOperator is `circuitctl clear-alarm --source S`: it forgets
// what alarm source src said, its state and its time, and for the
// healthcheck the runs' record too, so that the source's next notice or run,
// whatever its time, is applied. A healthcheck hold (ALARM) is released
// without closing the circuit, as INSUFFICIENT_DATA releases it: an OPEN
// circuit recovers through its probes once its open duration is over.
// Reconciliation re-applies each alarm's current state within its schedule,
// so clearing loses nothing a real alarm says. It records a manual transition
// (the effective state to itself) with the reason; a source with nothing
// recorded changes nothing.
func (c Circuit) ClearSourceByOperator(src Source, now time.Time, reason string) (Circuit, bool, error) {
	if !slices.Contains(Sources, src) {
		return c, false, fmt.Errorf("unknown alarm source %q (expected one of %q)", truncate(string(src), maxReasonDetail), Sources)
	}
	if strings.TrimSpace(reason) == "" {
		return c, false, ErrOperatorReason
	}
	st := c.alarm(src)
	runs := src == SourceHealthcheck && c.HealthcheckRuns != (HealthcheckRuns{})
	if *st == (AlarmStatus{}) && !runs {
		return c, false, nil
	}
	was := *st
	*st = AlarmStatus{}
	if src == SourceHealthcheck {
		c.HealthcheckRuns = HealthcheckRuns{}
	}
	if c.State == "" {
		c.State = Closed
	}
	detail := string(src) + " alarm source cleared"
	if was.State != "" {
		detail += " (was " + truncate(string(was.State), maxReasonDetail) + ")"
	}
	at := c.Effective()
	c.LastTransition = Transition{At: now, From: at, To: at, Reason: manual(detail + ": " + reason)}
	c.Version++
	return c, true, nil
}

// ClearHoldByOperator is `circuitctl clear-hold`: it ends whatever holds the
// circuit's own state, short of an override (release ends that): a
// healthcheck hold is released (its state becomes INSUFFICIENT_DATA, as when
// the healthcheck stops, so its next notice still applies in order), an open
// duration and a half-open period end now, so that the next call elects a
// probe and its outcome decides. It is the way out of a deadline no writer
// should have left, whatever the breaker's settings. A circuit nothing holds
// (CLOSED, or OPEN past its deadline, and no hold) is unchanged.
func (c Circuit) ClearHoldByOperator(now time.Time, reason string) (Circuit, bool, error) {
	if strings.TrimSpace(reason) == "" {
		return c, false, ErrOperatorReason
	}
	held := c.Healthcheck.State == AlarmStateAlarm
	opened := c.State == Open && now.Before(c.OpenUntil)
	halfOpen := c.State == HalfOpen && now.Before(c.HalfOpenUntil)
	if !held && !opened && !halfOpen {
		return c, false, nil
	}
	from := c.Effective()
	if held {
		c.Healthcheck.State = AlarmStateInsufficientData
	}
	if opened {
		c.OpenUntil = now
	}
	if halfOpen {
		c.HalfOpenUntil = now
	}
	c.LastTransition = Transition{At: now, From: from, To: c.Effective(), Reason: manual("hold cleared: " + reason)}
	c.Version++
	return c, true, nil
}
