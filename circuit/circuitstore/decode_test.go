package circuitstore_test

import (
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
)

// handWritten is an item as an operator can write it in the console: a
// counter that is no number, one beyond int64 (DynamoDB's N holds up to 38
// digits: Amazon DynamoDB Developer Guide, "Supported data types", Number), a
// fraction, a string set where a string belongs, a time that is no time.
func handWritten(service string) circuitstore.Item {
	return circuitstore.Item{
		circuit.KeyAttribute:         &types.AttributeValueMemberS{Value: service},
		circuit.AttrState:            &types.AttributeValueMemberS{Value: "OPEN"},
		circuit.AttrFailures:         &types.AttributeValueMemberS{Value: "three"},
		circuit.AttrOpenings:         &types.AttributeValueMemberN{Value: "99999999999999999999999999999999999999"},
		circuit.AttrProbes:           &types.AttributeValueMemberN{Value: "1.5"},
		circuit.AttrOverride:         &types.AttributeValueMemberSS{Value: []string{"FORCED_OPEN"}},
		circuit.AttrOpenUntil:        &types.AttributeValueMemberS{Value: "tomorrow\x1b[2J"},
		circuit.AttrVersion:          &types.AttributeValueMemberN{Value: "4"},
		circuit.AttrTransitionReason: &types.AttributeValueMemberNULL{Value: true},
		"operatorNote":               &types.AttributeValueMemberS{Value: "kept"},
	}
}

// Decode reads such an item (issue 14 item 22: failing on it made every
// writer fail, and so wedged the circuit), each unreadable value as its
// default or clamped, and notes which, one note a value, its value escaped.
func TestDecodeReadsAHandWrittenItem(t *testing.T) {
	c, err := circuitstore.Decode("payments", handWritten("payments"))
	require.NoError(t, err)
	notes := strings.Split(c.Unreadable, circuit.UnreadableSeparator)
	c.Unreadable = ""
	assert.Equal(t, circuit.Circuit{ServiceName: "payments", State: circuit.Open, Openings: math.MaxInt64, Probes: 1, Version: 4}, c)
	assert.ElementsMatch(t, []string{
		`failures: a string (S) where a number (N) belongs, read as 0`,
		`openings: N "99999999999999999999999999999999999999" is not an integer the circuit can hold, read as 9223372036854775807`,
		`probes: N "1.5" is not an integer the circuit can hold, read as 1`,
		`override: a set where a string (S) belongs, read as absent`,
		`openUntil: "tomorrow\x1b[2J" is not an RFC 3339 time, read as absent`,
	}, notes)

	c, err = circuitstore.Decode("payments", nil)
	require.NoError(t, err)
	assert.Equal(t, circuit.Circuit{ServiceName: "payments", State: circuit.Closed}, c)
}

// Decode reads what anyone can write into an item: it never panics and
// never fails, every note is one line, and what it returns Encode stores
// readable.
func FuzzDecode(f *testing.F) {
	f.Add("OPEN", "3", "2026-11-27T00:10:39.123Z", "FORCED_OPEN", uint8(0))
	f.Add("", "1e400", "9999-12-31T23:59:59Z", "\x00", uint8(1))
	f.Add("x", "-0", "not a time\n", "", uint8(2))
	f.Fuzz(func(t *testing.T, state, num, when, override string, shape uint8) {
		item := circuitstore.Item{
			circuit.AttrState:            &types.AttributeValueMemberS{Value: state},
			circuit.AttrFailures:         &types.AttributeValueMemberN{Value: num},
			circuit.AttrOpenUntil:        &types.AttributeValueMemberS{Value: when},
			circuit.AttrOverride:         &types.AttributeValueMemberS{Value: override},
			circuit.AttrVersion:          &types.AttributeValueMemberN{Value: num},
			circuit.AttrHealthcheckRunAt: &types.AttributeValueMemberS{Value: when},
		}
		switch shape % 4 {
		case 1:
			item[circuit.AttrProbes] = &types.AttributeValueMemberS{Value: num}
		case 2:
			item[circuit.AttrOpenings] = &types.AttributeValueMemberBOOL{Value: true}
		case 3:
			item[circuit.AttrTransitionAt] = &types.AttributeValueMemberN{Value: num}
		}
		c, err := circuitstore.Decode("s", item)
		if err != nil {
			t.Fatalf("Decode failed: %v", err)
		}
		for _, note := range strings.Split(c.Unreadable, circuit.UnreadableSeparator) {
			if strings.ContainsAny(note, "\n\r\x1b") {
				t.Fatalf("a note is not one escaped line: %q", note)
			}
		}
		set, _ := circuitstore.Encode(c)
		back, err := circuitstore.Decode("s", set)
		if err != nil || back.Unreadable != "" {
			t.Fatalf("Encode of a decode is unreadable: %v %q", err, back.Unreadable)
		}
	})
}
