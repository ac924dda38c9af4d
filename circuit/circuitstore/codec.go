package circuitstore

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// Item is a circuit's raw DynamoDB item.
type Item = map[string]types.AttributeValue

// Decode reads a circuit from its item. A nil or empty item is a circuit that was
// never written: CLOSED with every counter zero, as the contract says. Attributes
// the model does not know are ignored here and preserved by Update.
//
// It never fails on a value: anything a person can write into the item (a
// counter that is not an integer, or far out of range, a string where a
// number belongs, a time that does not parse) reads as its default, or
// clamped to what the model holds, and is noted in Circuit.Unreadable, which
// circuit.Repair reports and the next write replaces. Failing instead would
// make every writer fail on the item, the alarm handler and the controller
// included, and so wedge the circuit until a person fixed it (issue 14 item
// 22). The error is kept for callers and is always nil.
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
	c.Unreadable = strings.Join(d.notes, circuit.UnreadableSeparator)
	return c, nil
}

// decoder collects a note per value it could not read as stored, so that
// Decode reads like a list of fields.
type decoder struct {
	item  Item
	notes []string
}

func (d *decoder) note(attr, format string, args ...any) {
	d.notes = append(d.notes, attr+": "+fmt.Sprintf(format, args...))
}

func (d *decoder) str(attr string) string {
	switch v := d.item[attr].(type) {
	case nil, *types.AttributeValueMemberNULL:
		return ""
	case *types.AttributeValueMemberS:
		return v.Value
	default:
		d.note(attr, "%s where a string (S) belongs, read as absent", typeName(v))
		return ""
	}
}

// num reads an integer. DynamoDB's N holds up to 38 digits and fractions
// (Amazon DynamoDB Developer Guide, "Supported data types": Number), more
// than an int: a fraction is cut to its integer part and a value out of range
// is clamped, both noted; what is not a number (a string, a map) is 0, noted.
func (d *decoder) num(attr string) int64 {
	switch v := d.item[attr].(type) {
	case nil, *types.AttributeValueMemberNULL:
		return 0
	case *types.AttributeValueMemberN:
		if n, err := strconv.ParseInt(v.Value, 10, 64); err == nil {
			return n
		}
		f, _, err := big.ParseFloat(strings.TrimSpace(v.Value), 10, 128, big.ToZero)
		if err != nil {
			d.note(attr, "N %s is not a number, read as 0", circuit.Quote(v.Value))
			return 0
		}
		n, _ := f.Int64() // truncated toward zero, saturated at the int64 bounds
		d.note(attr, "N %s is not an integer the circuit can hold, read as %d", circuit.Quote(v.Value), n)
		return n
	default:
		d.note(attr, "%s where a number (N) belongs, read as 0", typeName(v))
		return 0
	}
}

// typeName is an attribute value's DynamoDB type, for a note.
func typeName(v types.AttributeValue) string {
	switch v.(type) {
	case *types.AttributeValueMemberS:
		return "a string (S)"
	case *types.AttributeValueMemberN:
		return "a number (N)"
	case *types.AttributeValueMemberB:
		return "binary (B)"
	case *types.AttributeValueMemberBOOL:
		return "a boolean (BOOL)"
	case *types.AttributeValueMemberL:
		return "a list (L)"
	case *types.AttributeValueMemberM:
		return "a map (M)"
	case *types.AttributeValueMemberSS, *types.AttributeValueMemberNS, *types.AttributeValueMemberBS:
		return "a set"
	}
	return fmt.Sprintf("%T", v)
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
		d.note(attr, "%s is not an RFC 3339 time, read as absent", circuit.Quote(s))
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
	it := c.Item()
	set = Item{}
	for _, name := range circuit.AttributeNames() {
		v, ok := it[name]
		switch {
		case !ok:
			remove = append(remove, name)
		case v.Kind == circuit.KindN:
			set[name] = &types.AttributeValueMemberN{Value: v.Text}
		default:
			set[name] = &types.AttributeValueMemberS{Value: v.Text}
		}
	}
	return set, remove
}
