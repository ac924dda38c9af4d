package circuitstore

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// The kinds of value the model's attributes hold, for DecodeLenient.
type attrKind int

const (
	kindString attrKind = iota // S
	kindInt                    // N holding an int64
	kindTime                   // S holding an RFC 3339 time
)

var attrKinds = map[string]attrKind{
	circuit.AttrState: kindString, circuit.AttrOverride: kindString,
	circuit.AttrDownstreamAlarm: kindString, circuit.AttrHealthcheckAlarm: kindString, circuit.AttrSlowCallAlarm: kindString,
	circuit.AttrTransitionFrom: kindString, circuit.AttrTransitionTo: kindString, circuit.AttrTransitionReason: kindString,
	circuit.AttrFailures: kindInt, circuit.AttrOpenings: kindInt, circuit.AttrProbes: kindInt, circuit.AttrSuccesses: kindInt,
	circuit.AttrVersion: kindInt, circuit.AttrHealthcheckUnhealthy: kindInt,
	circuit.AttrOpenUntil: kindTime, circuit.AttrHalfOpenUntil: kindTime,
	circuit.AttrDownstreamAlarmAt: kindTime, circuit.AttrHealthcheckAlarmAt: kindTime, circuit.AttrSlowCallAlarmAt: kindTime,
	circuit.AttrHealthcheckRunAt: kindTime, circuit.AttrTransitionAt: kindTime,
}

// DecodeLenient reads a circuit from an item whatever the item holds: a value
// Decode cannot read (a string where a number belongs, a number that is no
// int64, a time that does not parse) reads as its default (absent, 0), with
// one line saying which and what it held. It never fails, so that an
// operator's tool can show such an item and write it back readable (through
// Update, with Store.Decode set to it) instead of failing on it like every
// other writer.
func DecodeLenient(service string, item Item) (circuit.Circuit, []string) {
	var notes []string
	clean := make(Item, len(item))
	for attr, v := range item {
		kind, known := attrKinds[attr]
		if _, null := v.(*types.AttributeValueMemberNULL); !known || null {
			clean[attr] = v
			continue
		}
		if note := unreadable(kind, v); note != "" {
			notes = append(notes, attr+": "+note)
			continue
		}
		clean[attr] = v
	}
	c, err := Decode(service, clean)
	if err != nil {
		// Every value left is of its kind; kept for safety.
		notes = append(notes, err.Error())
		c = circuit.Circuit{ServiceName: service, State: circuit.Closed}
	}
	return c, notes
}

// unreadable says why v cannot be read as kind, or "" when it can.
func unreadable(kind attrKind, v types.AttributeValue) string {
	switch kind {
	case kindInt:
		n, ok := v.(*types.AttributeValueMemberN)
		if !ok {
			return fmt.Sprintf("%s where a number (N) belongs, read as 0", typeOf(v))
		}
		if _, err := strconv.ParseInt(n.Value, 10, 64); err != nil {
			return fmt.Sprintf("N %s is not an integer the circuit can hold, read as 0", quoteValue(n.Value))
		}
	case kindString, kindTime:
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return fmt.Sprintf("%s where a string (S) belongs, read as absent", typeOf(v))
		}
		if kind == kindTime && s.Value != "" {
			if _, err := circuit.ParseTime(s.Value); err != nil {
				return fmt.Sprintf("%s is not an RFC 3339 time, read as absent", quoteValue(s.Value))
			}
		}
	}
	return ""
}

// quoteValue is a stored value for a note: Go-quoted (one line, control
// characters escaped) and cut to 64 bytes, since it can be anything.
func quoteValue(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}

func typeOf(v types.AttributeValue) string {
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
