//go:build emulators

package circuitstore_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Decode fails on such an item, so every writer would; DecodeLenient reads
// it, each unreadable value as its default, and says which, escaped.
func TestDecodeLenientReadsWhatDecodeCannot(t *testing.T) {
	item := handWritten("payments")
	_, err := circuitstore.Decode("payments", item)
	require.Error(t, err, "the strict decoder refuses the item")

	c, notes := circuitstore.DecodeLenient("payments", item)
	assert.Equal(t, circuit.Circuit{ServiceName: "payments", State: circuit.Open, Version: 4}, c)
	assert.ElementsMatch(t, []string{
		`failures: a string (S) where a number (N) belongs, read as 0`,
		`openings: N "99999999999999999999999999999999999999" is not an integer the circuit can hold, read as 0`,
		`probes: N "1.5" is not an integer the circuit can hold, read as 0`,
		`override: a set where a string (S) belongs, read as absent`,
		`openUntil: "tomorrow\x1b[2J" is not an RFC 3339 time, read as absent`,
	}, notes)

	c, notes = circuitstore.DecodeLenient("payments", nil)
	assert.Equal(t, circuit.Circuit{ServiceName: "payments", State: circuit.Closed}, c)
	assert.Empty(t, notes)
}

// With Store.Decode set to the lenient decoder, Update reads the item and its
// write stores every model attribute readable again (attributes the model
// does not know are kept), conditional on the version as usual.
func TestUpdateWithTheLenientDecoderRewritesAnUnreadableItem(t *testing.T) {
	s, db := newStore(t)
	ctx := context.Background()
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: handWritten("payments")})
	require.NoError(t, err)
	_, err = s.Update(ctx, "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) { return c, true, nil })
	require.Error(t, err, "a strict store cannot write it")

	s.Decode = func(service string, item circuitstore.Item) (circuit.Circuit, error) {
		c, _ := circuitstore.DecodeLenient(service, item)
		return c, nil
	}
	after, err := s.Update(ctx, "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) { return c, true, nil })
	require.NoError(t, err)
	assert.Equal(t, int64(5), after.Version)

	item := rawItem(t, db, s.Table, "payments")
	_, err = circuitstore.Decode("payments", item)
	require.NoError(t, err, "every writer can read it again")
	assert.Equal(t, &types.AttributeValueMemberN{Value: "0"}, item[circuit.AttrFailures])
	assert.NotContains(t, item, circuit.AttrOverride)
	assert.NotContains(t, item, circuit.AttrOpenUntil)
	assert.Equal(t, &types.AttributeValueMemberS{Value: "kept"}, item["operatorNote"])
}
