//go:build emulators

package circuitstore_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
)

// Update reads such an item and its write stores every model attribute
// readable again (attributes the model does not know are kept), conditional
// on the version as usual.
func TestUpdateRewritesAnUnreadableItem(t *testing.T) {
	s, db := newStore(t)
	ctx := context.Background()
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: handWritten("payments")})
	require.NoError(t, err)
	after, err := s.Update(ctx, "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) { return c, true, nil })
	require.NoError(t, err)
	assert.Equal(t, int64(5), after.Version)

	item := rawItem(t, db, s.Table, "payments")
	c, err := circuitstore.Decode("payments", item)
	require.NoError(t, err)
	assert.Empty(t, c.Unreadable, "every writer reads it cleanly again")
	assert.Equal(t, &types.AttributeValueMemberN{Value: "0"}, item[circuit.AttrFailures])
	assert.NotContains(t, item, circuit.AttrOverride)
	assert.NotContains(t, item, circuit.AttrOpenUntil)
	assert.Equal(t, &types.AttributeValueMemberS{Value: "kept"}, item["operatorNote"])
}
