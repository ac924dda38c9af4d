package circuit

import (
	"fmt"
	"math/big"
	"strconv"
	"time"
)

// The item's shape as data: each attribute's name, DynamoDB type and Circuit
// field, declared once. The store's codec (circuit/circuitstore), the rules'
// conditions (Cond.Eval) and their writes (Change) all go through it, so a
// rule reads and writes the attributes exactly as the state machine does.

// Kind is the DynamoDB type of an attribute: S or N. A reader may also hold
// another type's name (e.g. what the store read from a hand-edited item).
type Kind string

const (
	KindS Kind = "S"
	KindN Kind = "N"
)

// Value is one attribute value as DynamoDB holds it: a string (S), or a number
// (N) as its decimal text.
type Value struct {
	Kind Kind
	Text string
	// at is a TimeValue's exact time: the item keeps milliseconds (Text), a
	// Circuit changed in Go keeps what it was given.
	at time.Time
}

// S is a string value.
func S(s string) Value { return Value{Kind: KindS, Text: s} }

// N is a number value.
func N(n int64) Value { return Value{Kind: KindN, Text: strconv.FormatInt(n, 10)} }

// TimeValue is a time attribute's value: FormatTime's text.
func TimeValue(t time.Time) Value { return Value{Kind: KindS, Text: FormatTime(t), at: t} }

func (v Value) String() string { return string(v.Kind) + ":" + strconv.Quote(v.Text) }

// number reads an N value. DynamoDB keeps up to 38 significant digits, more
// than float64 holds exactly, hence big.Rat.
func (v Value) number() (*big.Rat, bool) {
	if v.Kind != KindN {
		return nil, false
	}
	return new(big.Rat).SetString(v.Text)
}

// Item is a circuit's attributes by name, without its key: what a read
// returns and what a write changes.
type Item map[string]Value

// attribute binds an item attribute to its Circuit field. get reports the
// value and whether the item holds it (a zero optional attribute is absent:
// Encode REMOVEs it); set stores a value read or written.
type attribute struct {
	name string
	kind Kind
	get  func(c *Circuit) (Value, bool)
	set  func(c *Circuit, v Value) error
}

// attributes in the order the item lists them: state, the counters and the
// version first (always written, so the state machine reads them without
// guarding each), then the optional ones.
var attributes = []attribute{
	{AttrState, KindS, func(c *Circuit) (Value, bool) {
		if c.State == "" {
			return S(string(Closed)), true // an absent state is CLOSED
		}
		return S(string(c.State)), true
	}, func(c *Circuit, v Value) error {
		c.State = Closed
		if v.Text != "" {
			c.State = State(v.Text)
		}
		return nil
	}},
	counter(AttrFailures, func(c *Circuit) *int { return &c.Failures }, true),
	counter(AttrOpenings, func(c *Circuit) *int { return &c.Openings }, true),
	counter(AttrProbes, func(c *Circuit) *int { return &c.Probes }, true),
	counter(AttrSuccesses, func(c *Circuit) *int { return &c.Successes }, true),
	{AttrVersion, KindN, func(c *Circuit) (Value, bool) { return N(c.Version), true }, func(c *Circuit, v Value) (err error) {
		c.Version, err = integer(v)
		return err
	}},
	timeAttr(AttrOpenUntil, func(c *Circuit) *time.Time { return &c.OpenUntil }),
	timeAttr(AttrHalfOpenUntil, func(c *Circuit) *time.Time { return &c.HalfOpenUntil }),
	text(AttrOverride, func(c *Circuit) *Override { return &c.Override }),
	text(AttrElectionClaim, func(c *Circuit) *string { return &c.ElectionClaim }),
	text(AttrDownstreamAlarm, func(c *Circuit) *AlarmState { return &c.Downstream.State }),
	timeAttr(AttrDownstreamAlarmAt, func(c *Circuit) *time.Time { return &c.Downstream.ChangedAt }),
	text(AttrHealthcheckAlarm, func(c *Circuit) *AlarmState { return &c.Healthcheck.State }),
	timeAttr(AttrHealthcheckAlarmAt, func(c *Circuit) *time.Time { return &c.Healthcheck.ChangedAt }),
	text(AttrSlowCallAlarm, func(c *Circuit) *AlarmState { return &c.SlowCalls.State }),
	timeAttr(AttrSlowCallAlarmAt, func(c *Circuit) *time.Time { return &c.SlowCalls.ChangedAt }),
	timeAttr(AttrHealthcheckRunAt, func(c *Circuit) *time.Time { return &c.HealthcheckRuns.At }),
	counter(AttrHealthcheckUnhealthy, func(c *Circuit) *int { return &c.HealthcheckRuns.Unhealthy }, false),
	timeAttr(AttrTransitionAt, func(c *Circuit) *time.Time { return &c.LastTransition.At }),
	text(AttrTransitionFrom, func(c *Circuit) *State { return &c.LastTransition.From }),
	text(AttrTransitionTo, func(c *Circuit) *State { return &c.LastTransition.To }),
	text(AttrTransitionReason, func(c *Circuit) *string { return &c.LastTransition.Reason }),
}

var attributeByName = func() map[string]*attribute {
	m := make(map[string]*attribute, len(attributes))
	for i := range attributes {
		m[attributes[i].name] = &attributes[i]
	}
	return m
}()

// counter is an N attribute holding an int; always says whether a zero count
// is still written (the state machine's counters) or left out.
func counter(name string, field func(*Circuit) *int, always bool) attribute {
	return attribute{name, KindN, func(c *Circuit) (Value, bool) {
		n := *field(c)
		return N(int64(n)), always || n != 0
	}, func(c *Circuit, v Value) error {
		n, err := integer(v)
		*field(c) = int(n)
		return err
	}}
}

func integer(v Value) (int64, error) {
	n, err := strconv.ParseInt(v.Text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want an integer, got %q", v.Text)
	}
	return n, nil
}

// text is an optional S attribute; the empty string is absent.
func text[T ~string](name string, field func(*Circuit) *T) attribute {
	return attribute{name, KindS, func(c *Circuit) (Value, bool) {
		s := *field(c)
		return S(string(s)), s != ""
	}, func(c *Circuit, v Value) error {
		*field(c) = T(v.Text)
		return nil
	}}
}

// timeAttr is an optional S attribute holding a time in TimestampLayout; the
// zero time is absent.
func timeAttr(name string, field func(*Circuit) *time.Time) attribute {
	return attribute{name, KindS, func(c *Circuit) (Value, bool) {
		t := *field(c)
		if t.IsZero() {
			return Value{}, false
		}
		return TimeValue(t), true
	}, func(c *Circuit, v Value) error {
		if !v.at.IsZero() {
			*field(c) = v.at
			return nil
		}
		// Any RFC 3339 form is read (Step Functions' "...:06Z" in
		// transitionAt, a time a person wrote). An unreadable one reads as
		// long past rather than failing: a deadline then counts as elapsed
		// (as the state machine's IsTimestamp guard also decides), an alarm
		// time as older than any notification, and the next write stores a
		// readable value. Failing instead would wedge every writer, and so
		// the circuit, until a person fixed the item.
		t, err := ParseTime(v.Text)
		if err != nil {
			t = time.Time{}
		}
		*field(c) = t
		return nil
	}}
}

// KindOf is the DynamoDB type of one of the item's attributes; false for a
// name the item does not have.
func KindOf(name string) (Kind, bool) {
	a, ok := attributeByName[name]
	if !ok {
		return "", false
	}
	return a.kind, true
}

// AttributeNames are the item's attributes (without its key), in the order
// the item lists them.
func AttributeNames() []string {
	names := make([]string, len(attributes))
	for i, a := range attributes {
		names[i] = a.name
	}
	return names
}

// Item is c as the table holds it: state, counters and version always; the
// optional attributes when set. Times are in TimestampLayout.
func (c Circuit) Item() Item {
	it := make(Item, len(attributes))
	for _, a := range attributes {
		if v, ok := a.get(&c); ok {
			it[a.name] = v
		}
	}
	return it
}

// DecodeItem reads service's circuit from its item. An empty item is a
// circuit never written: CLOSED with every counter zero. Attributes the model
// does not know are ignored. The error names the first attribute of the wrong
// type or unreadable as a number.
func DecodeItem(service string, it Item) (Circuit, error) {
	c := Circuit{ServiceName: service, State: Closed}
	for _, a := range attributes {
		v, ok := it[a.name]
		if !ok {
			continue
		}
		if err := a.decode(&c, v); err != nil {
			return Circuit{}, fmt.Errorf("circuit item %q: %w", service, err)
		}
	}
	return c, nil
}

func (a *attribute) decode(c *Circuit, v Value) error {
	if v.Kind != a.kind {
		what := map[Kind]string{KindS: "a string (S)", KindN: "a number (N)"}[a.kind]
		return fmt.Errorf("attribute %s: want %s, got %s", a.name, what, v.Kind)
	}
	if err := a.set(c, v); err != nil {
		return fmt.Errorf("attribute %s: %w", a.name, err)
	}
	return nil
}
