package circuit

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The request path's rare transitions, as pure functions. The state machine
// makes the common changes itself (counting a failure, joining a half-open
// period, counting a probe success, closing) with conditional DynamoDB updates;
// these are the ones that need time arithmetic (now + a duration), which Amazon
// States Language cannot do, so the controller Lambda applies them through
// circuitstore.Update.
//
// Each returns the next circuit and whether it changed. A changed circuit has
// Version bumped by exactly one (like ApplyAlarm), so that the store's
// conditional write detects any concurrent writer, the state machine's own
// updates included (they ADD version too).

// ProbePolicy is how a half-open circuit admits probes.
type ProbePolicy struct {
	// MaxCalls is how many probes one half-open period admits
	// (HalfOpenMaxCallsRange).
	MaxCalls int
	// Timeout is how long a half-open period lasts: the longest a probe's
	// execution can take to report back. After it, the period's probes are
	// presumed lost and the next caller elects a new period.
	Timeout time.Duration
}

// Validate rejects policies that admit nobody or whose periods never end.
func (p ProbePolicy) Validate() error {
	if !HalfOpenMaxCallsRange.Contains(p.MaxCalls) {
		return fmt.Errorf("half-open max calls must be %s, got %d", HalfOpenMaxCallsRange, p.MaxCalls)
	}
	if p.Timeout <= 0 {
		return fmt.Errorf("probe timeout must be positive, got %s", p.Timeout)
	}
	return nil
}

// Effective is what the request path acts on: the override in force, else the
// state (an absent state is CLOSED). Transitions record it, so that an
// operator's override shows as FORCED_OPEN / FORCED_CLOSED.
func (c Circuit) Effective() State {
	if o := c.override(); o != NoOverride {
		return State(o)
	}
	if c.State == "" {
		return Closed
	}
	return c.State
}

// maxReasonInput bounds text from callers (error names, operators' reasons)
// kept in the item, which every request reads.
const maxReasonInput = 256

func clip(s string) string { return truncate(strings.TrimSpace(s), maxReasonInput) }

// truncate cuts s to at most max bytes, at a rune boundary, marking the cut
// with "...": every reason the item keeps is bounded this way.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// Trip opens a CLOSED circuit after an in-line failure: the state machine
// counted failures (the count it saw, >= its threshold) consecutive failures,
// the last one named lastError. It changes nothing when the circuit is not
// closed (another execution tripped it first, or an alarm opened it) or when
// the count went below failures since (a success in between broke the run of
// consecutive failures).
func (c Circuit) Trip(now time.Time, p Policy, failures int, lastError string) (Circuit, bool) {
	if c.State != Closed && c.State != "" {
		return c, false
	}
	if c.Failures < failures || c.Failures < 1 {
		return c, false
	}
	reason := fmt.Sprintf("%d consecutive failures, last: %s", c.Failures, clip(lastError))
	if c.State == "" {
		c.State = Closed
	}
	c = c.open(now, p, reason)
	c.Version++
	return c, true
}

// ElectProbe admits the caller as a probe, or not, at now:
//
//   - OPEN whose open duration is over, or HALF_OPEN whose period is over,
//     starts a new half-open period (until now + pp.Timeout) with the caller as
//     its first probe;
//   - HALF_OPEN within its period with a free slot admits the caller as one more
//     probe;
//   - anything else admits nobody: an override or a healthcheck hold decides,
//     the circuit is still open, the slots are taken, or it closed meanwhile.
//
// A re-elected period keeps Successes: they count since the circuit went
// half-open, so that a circuit needing several successes still closes when
// traffic is too sparse to bring them within one period.
func (c Circuit) ElectProbe(now time.Time, pp ProbePolicy) (next Circuit, admitted, changed bool) {
	// An unknown override is none here too: refusing every probe under it
	// kept a circuit open for good while the request path ignored it.
	if c.override() != NoOverride || c.Healthcheck.State == AlarmStateAlarm {
		return c, false, false
	}
	var reason string
	switch c.State {
	case Open:
		if now.Before(c.OpenUntil) {
			return c, false, false
		}
		reason = "open duration elapsed: probe elected"
		c.Successes = 0
	case HalfOpen:
		if !now.Before(c.HalfOpenUntil) {
			reason = "half-open period ended without a verdict (its probes are presumed lost): probe re-elected"
			if !c.HalfOpenUntil.IsZero() {
				reason = fmt.Sprintf("half-open period ended at %s without a verdict (its probes are presumed lost): probe re-elected", FormatTime(c.HalfOpenUntil))
			}
			break
		}
		if c.Probes >= pp.MaxCalls {
			return c, false, false
		}
		c.Probes++
		c.Version++
		return c, true, true
	default:
		return c, false, false
	}
	from := c.State
	c.State = HalfOpen
	c.OpenUntil = time.Time{}
	c.HalfOpenUntil = now.Add(pp.Timeout)
	c.Probes = 1
	// The claim was for the deadline just replaced: the new period's end is
	// claimed afresh.
	c.ElectionClaim = ""
	c.LastTransition = Transition{At: now, From: from, To: HalfOpen, Reason: reason}
	c.Version++
	return c, true, true
}

// Reopen opens a HALF_OPEN circuit again after a probe failed with probeError,
// for the next back-off duration. period is the probe's half-open period (its
// HalfOpenUntil when admitted); a probe of another period reports too late to
// matter (its period was re-elected, or the circuit has moved on), so nothing
// changes. A zero period matches any.
func (c Circuit) Reopen(now time.Time, p Policy, period time.Time, probeError string) (Circuit, bool) {
	if c.State != HalfOpen {
		return c, false
	}
	if !period.IsZero() && !period.Equal(c.HalfOpenUntil) {
		return c, false
	}
	c = c.open(now, p, "probe failed: "+clip(probeError))
	c.Version++
	return c, true
}

// Force sets an operator's override (ForcedOpen or ForcedClosed), recorded as a
// manual transition with the operator's reason. Setting the override already in
// force changes nothing, so that a repeated command is harmless.
func (c Circuit) Force(o Override, now time.Time, reason string) (Circuit, bool) {
	if c.Override == o {
		return c, false
	}
	from := c.Effective()
	c.Override = o
	c.LastTransition = Transition{At: now, From: from, To: c.Effective(), Reason: manual(reason)}
	c.Version++
	return c, true
}

// Release clears the operator's override: the circuit is back to its own state
// (for instance OPEN, whose open duration may have elapsed meanwhile, so that
// probes decide). Releasing a circuit without an override changes nothing.
func (c Circuit) Release(now time.Time, reason string) (Circuit, bool) {
	if c.Override == NoOverride {
		return c, false
	}
	from := c.Effective()
	c.Override = NoOverride
	c.LastTransition = Transition{At: now, From: from, To: c.Effective(), Reason: manual(reason)}
	c.Version++
	return c, true
}

// ErrReasonRequired is returned when an operator forces a circuit without a
// reason: the reason is the transition's, which every later reader (status,
// the runbook's first look) relies on to know why a circuit is held.
var ErrReasonRequired = errors.New("a reason is required to force a circuit (it is recorded as the transition's reason)")

// DefaultReleaseReason is recorded when an operator releases without a reason:
// releasing needs no justification, clearing a forced state is always safe.
const DefaultReleaseReason = "released by an operator"

// CheckOverrideReason is the operators' rule on reasons: forcing (ForcedOpen,
// ForcedClosed) needs one, releasing (NoOverride) does not.
func CheckOverrideReason(o Override, reason string) error {
	if o != NoOverride && strings.TrimSpace(reason) == "" {
		return ErrReasonRequired
	}
	return nil
}

// SetOverride is every operator's write (circuitctl open, close, release; no
// Lambda takes an override): o forces the circuit, NoOverride releases it. It
// applies Force or Release after CheckOverrideReason, so that every
// override shares one rule and one recorded reason.
func (c Circuit) SetOverride(o Override, now time.Time, reason string) (Circuit, bool, error) {
	if err := CheckOverrideReason(o, reason); err != nil {
		return c, false, err
	}
	switch o {
	case ForcedOpen, ForcedClosed:
		next, changed := c.Force(o, now, reason)
		return next, changed, nil
	case NoOverride:
		if strings.TrimSpace(reason) == "" {
			reason = DefaultReleaseReason
		}
		next, changed := c.Release(now, reason)
		return next, changed, nil
	}
	return c, false, fmt.Errorf("unknown override %q (expected %s, %s or none)", o, ForcedOpen, ForcedClosed)
}

func manual(reason string) string {
	if r := clip(reason); r != "" {
		return "manual: " + r
	}
	return "manual"
}
