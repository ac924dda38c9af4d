package circuit

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// What the rules trust, and how a circuit recovers from what they should not
// have trusted.
//
// Times. Every order the rules keep (an alarm source's notices, the
// healthcheck's runs) and every deadline (openUntil, halfOpenUntil) compares a
// stored time with a newer one. A time far in the future, taken once from an
// input, would win every later comparison: one notice dated 9999 made every
// later notice of its source stale, and a trip "at" 9998 opened a circuit until
// 9998. So a time from an input more than MaxClockSkew ahead of the Lambda's own
// clock is refused (CheckTime), and a stored time that is (written before this
// rule, or by hand) counts as absent (Repair, and ApplyAlarm / ApplyVerdict for
// the order they compare).
//
// Values. A counter, a state or an override the rules cannot read must not
// wedge a circuit either: the decoder reads them as their defaults (noting
// them in Circuit.Unreadable), the rules treat an unknown override as none, as
// the state machine's CheckCircuit does, and Repair writes them back readable.

// MaxClockSkew is how far ahead of a Lambda's own clock a time taken from an
// input (an alarm's StateChangeTime, the controller's "at", the schedule's
// scheduledTime) may be. AWS's clocks agree to well under a second; five
// minutes is the margin AWS itself allows a signed request's time (Signature
// Version 4 rejects a request more than 5 minutes off: "Elements of an AWS API
// request signature", IAM User Guide), so only a forged or broken time is
// refused.
const MaxClockSkew = 5 * time.Minute

// FutureTimeError is a time from an input more than MaxClockSkew ahead of the
// Lambda's clock.
type FutureTimeError struct {
	Field string
	At    time.Time
	Now   time.Time
}

func (e *FutureTimeError) Error() string {
	return fmt.Sprintf("%s %s is more than %s ahead of this function's clock (%s): refused, as a time that far ahead would outrank every later one",
		e.Field, FormatTime(e.At), MaxClockSkew, FormatTime(e.Now))
}

// CheckTime refuses t, read from the input's field, when it is more than
// MaxClockSkew ahead of now, the Lambda's clock. Every path that takes a time
// from an input calls it (the alarm handler, the controller, the healthcheck
// runner), and the rules that order by such a time apply it again
// (ApplyAlarm, ApplyVerdict), so no path can skip it.
func CheckTime(field string, t, now time.Time) error {
	if beyond(t, now, 0) {
		return &FutureTimeError{Field: field, At: t.UTC(), Now: now.UTC()}
	}
	return nil
}

// beyond reports whether t is later than now + d + MaxClockSkew: later than
// any writer that read the clock at now could have written for a period of d.
func beyond(t, now time.Time, d time.Duration) bool {
	return t.After(now.Add(d + MaxClockSkew))
}

// MaxCount bounds every counter of the item (failures, openings, probes,
// successes, unhealthy runs): far above any threshold (they are int32 in the
// configuration) and small enough for every reader, the controller's JSON and
// the state machine's arithmetic included.
const MaxCount = math.MaxInt32

// Known reports whether o is an override the rules act on: none, FORCED_OPEN
// or FORCED_CLOSED.
func (o Override) Known() bool {
	return o == NoOverride || o == ForcedOpen || o == ForcedClosed
}

// override is the override in force: an unknown value (a typo written by hand,
// "forced_open") is none, as in the state machine's CheckCircuit, which
// compares the attribute with the two known values only. Treating it as a hold
// instead would keep the circuit open with nobody able to tell why; Repair
// removes it and says so.
func (c Circuit) override() Override {
	if c.Override.Known() {
		return c.Override
	}
	return NoOverride
}

func (s State) known() bool { return s == "" || s == Closed || s == Open || s == HalfOpen }

func (a AlarmState) known() bool {
	return a == "" || a == AlarmStateAlarm || a == AlarmStateOK || a == AlarmStateInsufficientData
}

// Limits are how far ahead of now a correct writer can leave the item's
// deadlines: openUntil at most the policy's longest opening, halfOpenUntil at
// most one probe timeout. A zero field is unknown, and the deadline it bounds
// is left alone (circuitctl may not know the breaker's settings; ClearHold
// ends a deadline whatever it is).
type Limits struct {
	Open         Policy
	ProbeTimeout time.Duration
}

// Repair is the rule that keeps whatever an item holds from wedging its
// circuit, applied at now (the Lambda's clock): it returns the circuit with
// every value the rules cannot trust replaced, and one line per replacement,
// for a loud log line (none: nothing to repair). The Lambdas apply it on each
// write (and the reconciler on its schedule, so an idle
// circuit is repaired too); circuitctl can apply it on demand.
//
//   - what the decoder could not read (Unreadable) is written back as read:
//     its default (one line per value, the decoder's note);
//   - an unknown state is CLOSED as a close leaves it, counters and
//     deadlines reset (the request path admits such a circuit and never trips
//     it, so the breaker was off: what the counters hold counted nothing);
//   - an unknown override is none (the request path ignores it; the
//     controller used to refuse every probe under it);
//   - an unknown alarm state is absent;
//   - a counter below 0 is 0, one above MaxCount is MaxCount;
//   - an alarm source's or the healthcheck runs' time beyond MaxClockSkew
//     ahead is absent, so the next notice or run is ordered after it;
//   - openUntil beyond the longest opening ahead, or halfOpenUntil beyond one
//     probe timeout ahead (l), is absent: the deadline has passed, and the
//     next call elects a probe, as for an unreadable deadline.
//
// Repair changes nothing else, and does not bump Version: the caller's write
// does.
func (c Circuit) Repair(now time.Time, l Limits) (Circuit, []string) {
	var fixes []string
	fix := func(format string, args ...any) { fixes = append(fixes, fmt.Sprintf(format, args...)) }
	if c.Unreadable != "" {
		fixes = append(fixes, strings.Split(c.Unreadable, UnreadableSeparator)...)
		c.Unreadable = ""
	}

	if !c.State.known() {
		fix("%s %s is not a state: CLOSED, counters and deadlines reset", AttrState, Quote(string(c.State)))
		c = c.resetCounters()
		c.State = Closed
	}
	if !c.Override.Known() {
		fix("%s %s is not %s or %s: removed (no override)", AttrOverride, Quote(string(c.Override)), ForcedOpen, ForcedClosed)
		c.Override = NoOverride
	}
	for _, count := range []struct {
		attr string
		n    *int
	}{
		{AttrFailures, &c.Failures}, {AttrOpenings, &c.Openings}, {AttrProbes, &c.Probes},
		{AttrSuccesses, &c.Successes}, {AttrHealthcheckUnhealthy, &c.HealthcheckRuns.Unhealthy},
	} {
		switch {
		case *count.n < 0:
			fix("%s %d is negative: 0", count.attr, *count.n)
			*count.n = 0
		case *count.n > MaxCount:
			fix("%s %d is above %d: %d", count.attr, *count.n, MaxCount, MaxCount)
			*count.n = MaxCount
		}
	}
	for _, src := range Sources {
		st := c.alarm(src)
		if !st.State.known() {
			fix("%s alarm state %s is not ALARM, OK or INSUFFICIENT_DATA: removed", src, Quote(string(st.State)))
			*st = AlarmStatus{}
		}
	}
	if f := c.forgetFuture(now, Sources...); f != nil {
		fixes = append(fixes, f...)
	}
	if l.Open.OpenDuration > 0 && beyond(c.OpenUntil, now, l.Open.Longest()) {
		fix("%s %s is beyond the longest opening (%s) from now (%s): elapsed", AttrOpenUntil, FormatTime(c.OpenUntil), l.Open.Longest(), FormatTime(now))
		c.OpenUntil = time.Time{}
	}
	if l.ProbeTimeout > 0 && beyond(c.HalfOpenUntil, now, l.ProbeTimeout) {
		fix("%s %s is beyond one probe timeout (%s) from now (%s): elapsed", AttrHalfOpenUntil, FormatTime(c.HalfOpenUntil), l.ProbeTimeout, FormatTime(now))
		c.HalfOpenUntil = time.Time{}
	}
	return c, fixes
}

// forgetFuture drops the times that order the given sources' notices (and,
// for the healthcheck, its runs) when they are beyond MaxClockSkew ahead of
// now: they came from an input before CheckTime existed, or from a hand edit,
// and would make every real notice or run stale. The source's state stays: a
// healthcheck hold is still a hold, which its next OK (now in order) releases.
func (c *Circuit) forgetFuture(now time.Time, sources ...Source) []string {
	var fixes []string
	for _, src := range sources {
		st := c.alarm(src)
		if st != nil && beyond(st.ChangedAt, now, 0) {
			fixes = append(fixes, fmt.Sprintf("%s alarm time %s is more than %s ahead of now (%s): absent", src, FormatTime(st.ChangedAt), MaxClockSkew, FormatTime(now)))
			st.ChangedAt = time.Time{}
		}
		if src == SourceHealthcheck && beyond(c.HealthcheckRuns.At, now, 0) {
			fixes = append(fixes, fmt.Sprintf("%s %s is more than %s ahead of now (%s): absent", AttrHealthcheckRunAt, FormatTime(c.HealthcheckRuns.At), MaxClockSkew, FormatTime(now)))
			c.HealthcheckRuns.At = time.Time{}
		}
	}
	return fixes
}

// ClearSource is an operator's command to forget what one alarm source said
// (circuitctl): its state and time, and for the healthcheck the runs'
// record too, so that the next notice or run, whatever its time, is applied.
// A healthcheck hold (ALARM) is released without closing: an OPEN circuit
// then recovers through its probes once its open duration is over. It records
// a manual transition (same state) with the operator's reason, so that status
// and the events say who cleared what. Clearing a source that holds nothing
// changes nothing.
func (c Circuit) ClearSource(src Source, now time.Time, reason string) (Circuit, bool, error) {
	if !slices.Contains(Sources, src) {
		return c, false, fmt.Errorf("unknown alarm source %s (expected one of %q)", Quote(string(src)), Sources)
	}
	if strings.TrimSpace(reason) == "" {
		return c, false, errors.New("a reason is required to clear an alarm source (it is recorded as the transition's reason)")
	}
	st := c.alarm(src)
	runs := src == SourceHealthcheck && c.HealthcheckRuns != (HealthcheckRuns{})
	if *st == (AlarmStatus{}) && !runs {
		return c, false, nil
	}
	// What the source held goes into the record: clearing erases it.
	detail := string(src) + " alarm source cleared"
	if st.State != "" {
		detail += " (was " + Echo(string(st.State)) + ")"
	}
	*st = AlarmStatus{}
	if src == SourceHealthcheck {
		c.HealthcheckRuns = HealthcheckRuns{}
	}
	if c.State == "" {
		c.State = Closed
	}
	at := c.Effective()
	c.LastTransition = Transition{At: now, From: at, To: at, Reason: manual(detail + ": " + reason)}
	c.Version++
	return c, true, nil
}

// ManualRepair is an operator's command (circuitctl repair): Repair at
// now under l, recorded as a manual transition ("repaired N value(s):" and
// the operator's reason) so that status and the events say who rewrote the
// item and why. It returns Repair's fixes; with none, the circuit is
// unchanged. The transition's From is the effective state as read, an
// unknown state cut as every echoed value is.
func (c Circuit) ManualRepair(now time.Time, l Limits, reason string) (Circuit, []string, bool, error) {
	if strings.TrimSpace(reason) == "" {
		return c, nil, false, errors.New("a reason is required to repair a circuit (it is recorded as the transition's reason)")
	}
	next, fixes := c.Repair(now, l)
	if len(fixes) == 0 {
		return c, nil, false, nil
	}
	from := c.Effective()
	if !c.State.known() {
		from = State(Echo(string(from)))
	}
	next.LastTransition = Transition{At: now, From: from, To: next.Effective(),
		Reason: manual(fmt.Sprintf("repaired %d value(s): %s", len(fixes), reason))}
	next.Version++
	return next, fixes, true, nil
}

// ClearHold is an operator's command to end whatever holds the circuit's own
// state (circuitctl), short of an override (Release): a healthcheck hold is
// released, an open duration ends now and a half-open period too, so that the
// next call elects a probe and its outcome decides. It is the way out of a
// deadline no writer should have left (Repair does the same when it knows the
// breaker's limits). It records a manual transition with the operator's reason.
// A circuit that nothing holds (CLOSED, no hold) is unchanged.
func (c Circuit) ClearHold(now time.Time, reason string) (Circuit, bool, error) {
	if strings.TrimSpace(reason) == "" {
		return c, false, errors.New("a reason is required to clear a hold (it is recorded as the transition's reason)")
	}
	held := c.Healthcheck.State == AlarmStateAlarm
	deadline := (c.State == Open && now.Before(c.OpenUntil)) || (c.State == HalfOpen && now.Before(c.HalfOpenUntil))
	if !held && !deadline {
		return c, false, nil
	}
	from := c.Effective()
	if held {
		// Released as by INSUFFICIENT_DATA: the alarm's next state is applied
		// in order, and the runs' record stays.
		c.Healthcheck.State = AlarmStateInsufficientData
	}
	if c.State == Open && now.Before(c.OpenUntil) {
		c.OpenUntil = now
	}
	if c.State == HalfOpen && now.Before(c.HalfOpenUntil) {
		c.HalfOpenUntil = now
	}
	c.LastTransition = Transition{At: now, From: from, To: c.Effective(), Reason: manual("hold cleared: " + reason)}
	c.Version++
	return c, true, nil
}

// MaxEcho bounds every value from an input that our Lambdas echo into an
// error or a log line: enough to recognise it, never enough to flood a log
// (a 200 KB field used to become 410 KB of log).
const MaxEcho = 120

// Echo is s cut to MaxEcho bytes (at a rune boundary, marked "..."), the one
// way our Lambdas echo input.
func Echo(s string) string { return truncate(s, MaxEcho) }

// Quote is Echo in Go's quoted form, for a value in an error message: control
// characters and quotes escaped, so that the message stays one line.
func Quote(s string) string { return fmt.Sprintf("%q", Echo(s)) }
