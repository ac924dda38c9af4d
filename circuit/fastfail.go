package circuit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The fast-fail cause (issue 17 item 4): an execution that invoked nothing
// fails with CircuitOpen (or CircuitUnavailable) and, as its cause, a small
// JSON document a caller parses instead of prose: why, until when, which
// circuit. docs/fast-fail.md shows callers reading it.

// RejectReason says why a call was not invoked.
type RejectReason string

const (
	// ReasonOpen: the circuit is open, within its open duration.
	ReasonOpen RejectReason = "open"
	// ReasonForcedOpen: an operator forced it open (circuitctl open).
	ReasonForcedOpen RejectReason = "forcedOpen"
	// ReasonHealthcheck: the healthcheck holds it open (its alarm, or the
	// runner's verdicts).
	ReasonHealthcheck RejectReason = "healthcheck"
	// ReasonHalfOpenNotElected: the circuit is recovering, and this call is
	// not one of its probes (every slot taken, or another call is electing or
	// was elected).
	ReasonHalfOpenNotElected RejectReason = "halfOpenNotElected"
	// ReasonStoreUnavailable: the circuit could not be read, and the breaker
	// fails closed (failClosed).
	ReasonStoreUnavailable RejectReason = "storeUnavailable"
)

// RejectReasons are every reason, in the order docs list them.
var RejectReasons = []RejectReason{ReasonOpen, ReasonForcedOpen, ReasonHealthcheck, ReasonHalfOpenNotElected, ReasonStoreUnavailable}

// The rejecting steps the rulebook does not name itself: the state machine's
// own Fail states after a lost probe election or join, and after a read error
// when failing closed.
const (
	StepRejectProbeNotAdmitted   = "RejectProbeNotAdmitted"
	StepRejectCircuitUnavailable = "RejectCircuitUnavailable"
)

// The errors of an execution that invoked nothing: callers match on them to
// tell "not tried" from "tried and failed".
const (
	// ErrorCircuitOpen: the circuit rejected the call.
	ErrorCircuitOpen = "CircuitOpen"
	// ErrorCircuitUnavailable: the circuit could not be read and the breaker
	// fails closed.
	ErrorCircuitUnavailable = "CircuitUnavailable"
)

// FastFail is one rejecting step: the error it fails with, its reason, and
// the item's attribute that holds the time the circuit may admit calls again
// ("" when unknown here).
type FastFail struct {
	Step    string
	Error   string
	Reason  RejectReason
	RetryAt string
	Says    string
}

// FastFails are the request path's rejections, one per Fail state.
//
// RetryAt is known where the row that rejects has just compared that
// attribute with the execution's start as a timestamp still to come (the
// RequestPath rows before it), so the document carries a valid time: an open
// circuit's openUntil (a call after it is elected as the probe), a full
// half-open period's halfOpenUntil (at the latest then a new period is
// elected; its probes may close the circuit earlier). A call that lost an
// election or a slot learns no time: the probe's outcome decides.
var FastFails = []FastFail{
	{Step: StepRejectOpen, Error: ErrorCircuitOpen, Reason: ReasonOpen, RetryAt: AttrOpenUntil,
		Says: "open, within its open duration: retryAt is its end, when the next call is elected as the probe"},
	{Step: StepRejectForcedOpen, Error: ErrorCircuitOpen, Reason: ReasonForcedOpen,
		Says: "forced open by an operator, until released: no retryAt"},
	{Step: StepRejectHealthcheckAlarm, Error: ErrorCircuitOpen, Reason: ReasonHealthcheck,
		Says: "held open by the healthcheck, until it passes again: no retryAt"},
	{Step: StepRejectHalfOpenFull, Error: ErrorCircuitOpen, Reason: ReasonHalfOpenNotElected, RetryAt: AttrHalfOpenUntil,
		Says: "half-open, every probe slot of the period taken: retryAt is the period's end (its probes may close the circuit sooner)"},
	{Step: StepRejectElectionClaimed, Error: ErrorCircuitOpen, Reason: ReasonHalfOpenNotElected,
		Says: "recovering, another call is electing the probe: no retryAt"},
	{Step: StepRejectProbeNotAdmitted, Error: ErrorCircuitOpen, Reason: ReasonHalfOpenNotElected,
		Says: "recovering, this call was not admitted as a probe: no retryAt"},
	{Step: StepRejectCircuitUnavailable, Error: ErrorCircuitUnavailable, Reason: ReasonStoreUnavailable,
		Says: "the circuit could not be read and the breaker fails closed: no retryAt"},
}

// FastFailOf is the rejection of step, and whether step is one.
func FastFailOf(step string) (FastFail, bool) {
	for _, f := range FastFails {
		if f.Step == step {
			return f, true
		}
	}
	return FastFail{}, false
}

// Cause is the fast-fail cause's document. Field order is the rendered
// order; RetryAt and CircuitKey are left out when unknown or not keyed.
type Cause struct {
	Reason RejectReason `json:"reason"`
	// RetryAt is when the circuit may admit calls again, ISO 8601 in UTC as
	// the item stores it (FormatTime), "" when unknown.
	RetryAt     string `json:"retryAt,omitempty"`
	ServiceName string `json:"serviceName"`
	// CircuitKey is the caller's circuit key (circuitKey set), nil otherwise.
	CircuitKey *string `json:"circuitKey,omitempty"`
}

// Field names of the document, for the renderer.
const (
	CauseFieldReason      = "reason"
	CauseFieldRetryAt     = "retryAt"
	CauseFieldServiceName = "serviceName"
	CauseFieldCircuitKey  = "circuitKey"
)

// Marshal is the document as the state machine renders it (no HTML escaping).
func (c Cause) Marshal() string {
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		panic("circuit: " + err.Error()) // strings only
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// RetryTime is RetryAt parsed; ok is false when it is absent or unreadable.
func (c Cause) RetryTime() (t time.Time, ok bool) {
	if c.RetryAt == "" {
		return time.Time{}, false
	}
	t, err := ParseTime(c.RetryAt)
	return t, err == nil
}

// ParseCause reads a fast-fail cause. It never panics: a cause that is not
// one (another error's, or an older breaker's prose) is an error.
func ParseCause(s string) (Cause, error) {
	var c Cause
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return Cause{}, fmt.Errorf("not a fast-fail cause: %w", err)
	}
	if c.Reason == "" {
		return Cause{}, errors.New("not a fast-fail cause: no reason")
	}
	return c, nil
}

// CauseFor is the cause the state machine gives at step for circuit c (the
// governing item as read), in Go: what the tests compare executions with.
func CauseFor(step, serviceName string, c Circuit, key *string) (Cause, bool) {
	f, ok := FastFailOf(step)
	if !ok {
		return Cause{}, false
	}
	out := Cause{Reason: f.Reason, ServiceName: serviceName, CircuitKey: key}
	switch f.RetryAt {
	case AttrOpenUntil:
		out.RetryAt = FormatTime(c.OpenUntil)
	case AttrHalfOpenUntil:
		out.RetryAt = FormatTime(c.HalfOpenUntil)
	}
	return out, true
}
