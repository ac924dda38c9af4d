package circuitstore

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
)

// Item is a circuit's raw DynamoDB item.
type Item = map[string]types.AttributeValue

// Decode reads a circuit from its item. A nil or empty item is a circuit that was
// never written: CLOSED with every counter zero, as the contract says. Attributes
// the model does not know are ignored here and preserved by Update.
func Decode(service string, item Item) (circuit.Circuit, error) {
	c := circuit.Circuit{ServiceName: service, State: circuit.Closed}
	if len(item) == 0 {
		return c, nil
	}
	d := decoder{item: item}
	if s := d.str(circuit.AttrState); s != "" {
		c.State = circuit.State(s)
	}
	c.OpenUntil = d.time(circuit.AttrOpenUntil)
	c.HalfOpenUntil = d.time(circuit.AttrHalfOpenUntil)
	c.Failures = int(d.num(circuit.AttrFailures))
	c.Openings = int(d.num(circuit.AttrOpenings))
	c.Probes = int(d.num(circuit.AttrProbes))
	c.Successes = int(d.num(circuit.AttrSuccesses))
	c.Override = circuit.Override(d.str(circuit.AttrOverride))
	c.Version = d.num(circuit.AttrVersion)
	c.ElectionClaim = d.str(circuit.AttrElectionClaim)
	c.Downstream = circuit.AlarmStatus{
		State:     circuit.AlarmState(d.str(circuit.AttrDownstreamAlarm)),
		ChangedAt: d.time(circuit.AttrDownstreamAlarmAt),
	}
	c.Healthcheck = circuit.AlarmStatus{
		State:     circuit.AlarmState(d.str(circuit.AttrHealthcheckAlarm)),
		ChangedAt: d.time(circuit.AttrHealthcheckAlarmAt),
	}
	c.SlowCalls = circuit.AlarmStatus{
		State:     circuit.AlarmState(d.str(circuit.AttrSlowCallAlarm)),
		ChangedAt: d.time(circuit.AttrSlowCallAlarmAt),
	}
	c.HealthcheckRuns = circuit.HealthcheckRuns{
		At:        d.time(circuit.AttrHealthcheckRunAt),
		Unhealthy: int(d.num(circuit.AttrHealthcheckUnhealthy)),
	}
	c.LastTransition = circuit.Transition{
		At:     d.time(circuit.AttrTransitionAt),
		From:   circuit.State(d.str(circuit.AttrTransitionFrom)),
		To:     circuit.State(d.str(circuit.AttrTransitionTo)),
		Reason: d.str(circuit.AttrTransitionReason),
	}
	if d.err != nil {
		return circuit.Circuit{}, fmt.Errorf("circuit item %q: %w", service, d.err)
	}
	return c, nil
}

// decoder keeps the first error, so that Decode reads like a list of fields.
type decoder struct {
	item Item
	err  error
}

func (d *decoder) fail(attr, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("attribute %s: "+format, append([]any{attr}, args...)...)
	}
}

func (d *decoder) str(attr string) string {
	switch v := d.item[attr].(type) {
	case nil, *types.AttributeValueMemberNULL:
		return ""
	case *types.AttributeValueMemberS:
		return v.Value
	default:
		d.fail(attr, "want a string (S), got %T", v)
		return ""
	}
}

func (d *decoder) num(attr string) int64 {
	switch v := d.item[attr].(type) {
	case nil, *types.AttributeValueMemberNULL:
		return 0
	case *types.AttributeValueMemberN:
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			d.fail(attr, "want an integer, got %q", v.Value)
		}
		return n
	default:
		d.fail(attr, "want a number (N), got %T", v)
		return 0
	}
}

func (d *decoder) time(attr string) time.Time {
	s := d.str(attr)
	if s == "" {
		return time.Time{}
	}
	// Both our fixed width and Step Functions' "...:06Z" (CloseCircuit's
	// transitionAt), and other RFC 3339 precisions, e.g. a time a human wrote.
	t, err := circuit.ParseTime(s)
	if err != nil {
		// A hand-edited, unreadable time reads as long past rather than failing
		// the decode: a deadline then counts as elapsed (the circuit can elect a
		// probe, as the state machine's IsTimestamp guard also decides) and an
		// alarm time as older than any notification, and the next write stores a
		// readable value. Failing instead would wedge every writer, and so the
		// circuit, until a person fixed the item.
		return time.Time{}
	}
	return t
}

// Encode is the inverse of Decode: the attributes to SET and the optional ones
// to REMOVE because their value is zero. The key is not included. State, the
// counters and version are always written, so that the state machine can read
// them without guarding each one with IsPresent.
func Encode(c circuit.Circuit) (set Item, remove []string) {
	set = Item{}
	state := c.State
	if state == "" {
		state = circuit.Closed
	}
	set[circuit.AttrState] = &types.AttributeValueMemberS{Value: string(state)}
	for attr, n := range map[string]int64{
		circuit.AttrFailures:  int64(c.Failures),
		circuit.AttrOpenings:  int64(c.Openings),
		circuit.AttrProbes:    int64(c.Probes),
		circuit.AttrSuccesses: int64(c.Successes),
		circuit.AttrVersion:   c.Version,
	} {
		set[attr] = &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
	}
	optStr := func(attr, v string) {
		if v == "" {
			remove = append(remove, attr)
			return
		}
		set[attr] = &types.AttributeValueMemberS{Value: v}
	}
	optTime := func(attr string, t time.Time) {
		if t.IsZero() {
			remove = append(remove, attr)
			return
		}
		set[attr] = &types.AttributeValueMemberS{Value: circuit.FormatTime(t)}
	}
	optTime(circuit.AttrOpenUntil, c.OpenUntil)
	optTime(circuit.AttrHalfOpenUntil, c.HalfOpenUntil)
	optStr(circuit.AttrOverride, string(c.Override))
	optStr(circuit.AttrElectionClaim, c.ElectionClaim)
	optStr(circuit.AttrDownstreamAlarm, string(c.Downstream.State))
	optTime(circuit.AttrDownstreamAlarmAt, c.Downstream.ChangedAt)
	optStr(circuit.AttrHealthcheckAlarm, string(c.Healthcheck.State))
	optTime(circuit.AttrHealthcheckAlarmAt, c.Healthcheck.ChangedAt)
	optStr(circuit.AttrSlowCallAlarm, string(c.SlowCalls.State))
	optTime(circuit.AttrSlowCallAlarmAt, c.SlowCalls.ChangedAt)
	optTime(circuit.AttrHealthcheckRunAt, c.HealthcheckRuns.At)
	if c.HealthcheckRuns.Unhealthy > 0 {
		set[circuit.AttrHealthcheckUnhealthy] = &types.AttributeValueMemberN{Value: strconv.Itoa(c.HealthcheckRuns.Unhealthy)}
	} else {
		remove = append(remove, circuit.AttrHealthcheckUnhealthy)
	}
	optTime(circuit.AttrTransitionAt, c.LastTransition.At)
	optStr(circuit.AttrTransitionFrom, string(c.LastTransition.From))
	optStr(circuit.AttrTransitionTo, string(c.LastTransition.To))
	optStr(circuit.AttrTransitionReason, c.LastTransition.Reason)
	return set, remove
}
