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
	"github.com/stretchr/testify/require"
)

// Issue 14 item 4: every key that ever failed keeps an item nothing expires.
// PruneKeys deletes the ones holding nothing a missing item lacks
// (circuit.Prunable), and nothing else: not a key open, half-open,
// overridden, backing off or with a failure counted, not an item holding a
// value the decoder could not read or attributes the model does not know,
// not one written between the scan and the delete, never the breaker's own
// item or another breaker's.
func TestPruneKeysDeletesOnlyWhatHoldsNothing(t *testing.T) {
	s, raw := newStore(t)
	ctx := context.Background()
	put := func(key string, attrs map[string]types.AttributeValue) {
		item := circuitstore.Item{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: key}}
		for k, v := range attrs {
			item[k] = v
		}
		_, err := raw.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item})
		require.NoError(t, err)
	}
	S := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	N := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	closedAfterProbe := map[string]types.AttributeValue{
		circuit.AttrState: S("CLOSED"), circuit.AttrFailures: N("0"), circuit.AttrOpenings: N("0"), circuit.AttrProbes: N("0"),
		circuit.AttrSuccesses: N("0"), circuit.AttrVersion: N("9"), circuit.AttrTransitionAt: S("2026-11-27T00:10:39.123Z"),
		circuit.AttrTransitionFrom: S("HALF_OPEN"), circuit.AttrTransitionTo: S("CLOSED"), circuit.AttrTransitionReason: S("probe succeeded"),
	}
	pruned := map[string]map[string]types.AttributeValue{
		"payments#closed-after-probe": closedAfterProbe,
		"payments#reset":              {circuit.AttrFailures: N("0"), circuit.AttrVersion: N("2")},
		"payments#no-version":         {circuit.AttrFailures: N("0")},
	}
	kept := map[string]map[string]types.AttributeValue{
		"payments":               {circuit.AttrVersion: N("1")}, // the breaker's own item
		"payments-eu#acme":       {circuit.AttrVersion: N("1")}, // another breaker's key
		"paymentsx":              {circuit.AttrVersion: N("1")},
		"payments#open":          {circuit.AttrState: S("OPEN"), circuit.AttrOpenUntil: S("2026-11-27T00:11:39.123Z"), circuit.AttrVersion: N("3")},
		"payments#half-open":     {circuit.AttrState: S("HALF_OPEN"), circuit.AttrHalfOpenUntil: S("2026-11-27T00:11:39.123Z"), circuit.AttrProbes: N("1"), circuit.AttrVersion: N("3")},
		"payments#forced-closed": {circuit.AttrOverride: S("FORCED_CLOSED"), circuit.AttrVersion: N("2")},
		"payments#forced-open":   {circuit.AttrOverride: S("FORCED_OPEN"), circuit.AttrVersion: N("2")},
		"payments#backing-off":   {circuit.AttrState: S("CLOSED"), circuit.AttrOpenings: N("2"), circuit.AttrVersion: N("5")},
		// A failure counted: deleting it would forget the count
		// (circuit.Prunable), with a version or without.
		"payments#one-failure":   {circuit.AttrFailures: N("1"), circuit.AttrVersion: N("1")},
		"payments#failures":      {circuit.AttrFailures: N("3")},
		"payments#operator-note": {circuit.AttrVersion: N("1"), "note": S("keep: contract customer")},
		// Read as 0 failures, but what it held is unknown.
		"payments#unreadable": {circuit.AttrFailures: S("lots"), circuit.AttrVersion: N("1")},
	}
	for k, a := range pruned {
		put(k, a)
	}
	for k, a := range kept {
		put(k, a)
	}

	rep, err := circuitstore.PruneKeys(ctx, raw, s.Table, "payments", true)
	require.NoError(t, err)
	require.Equal(t, 12, rep.Keys)
	require.ElementsMatch(t, keysOf(pruned), rep.Prunable)
	require.Empty(t, rep.Deleted)
	require.Empty(t, rep.Changed)
	require.Equal(t, 9, rep.Kept)
	for k := range pruned {
		require.NotNil(t, itemAt(t, raw, s.Table, k), "a dry run deleted %s", k)
	}

	// One prunable key is written between the scan and its delete.
	racing := &writeBeforeDelete{PruneAPI: raw, key: "payments#reset", raw: raw, table: s.Table}
	rep, err = circuitstore.PruneKeys(ctx, racing, s.Table, "payments", false)
	require.NoError(t, err)
	require.ElementsMatch(t, keysOf(pruned), rep.Prunable)
	require.ElementsMatch(t, []string{"payments#closed-after-probe", "payments#no-version"}, rep.Deleted)
	require.Equal(t, []string{"payments#reset"}, rep.Changed)
	require.Equal(t, 9, rep.Kept)
	for k := range pruned {
		require.Equal(t, k == "payments#reset", itemAt(t, raw, s.Table, k) != nil, k)
	}
	for k := range kept {
		require.NotNil(t, itemAt(t, raw, s.Table, k), "%s was deleted", k)
	}

	_, err = circuitstore.PruneKeys(ctx, raw, s.Table, "payments#acme", true)
	require.ErrorContains(t, err, "not a service name")
}

func keysOf(m map[string]map[string]types.AttributeValue) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func itemAt(t *testing.T, c *dynamodb.Client, table, key string) circuitstore.Item {
	t.Helper()
	return rawItem(t, c, table, key)
}

// writeBeforeDelete counts one more failure on key just before PruneKeys
// deletes it, as a request racing the prune would.
type writeBeforeDelete struct {
	circuitstore.PruneAPI
	key   string
	raw   *dynamodb.Client
	table string
}

func (w *writeBeforeDelete) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if in.Key[circuit.KeyAttribute].(*types.AttributeValueMemberS).Value == w.key {
		_, err := w.raw.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(w.table), Key: in.Key,
			UpdateExpression:          aws.String("ADD #f :one, #v :one"),
			ExpressionAttributeNames:  map[string]string{"#f": circuit.AttrFailures, "#v": circuit.AttrVersion},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		})
		if err != nil {
			return nil, err
		}
	}
	return w.PruneAPI.DeleteItem(ctx, in, opts...)
}
