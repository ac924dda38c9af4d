package circuitstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var policy = circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2}

// countFailure is the state machine's RecordFailure, as DynamoDB receives it.
func countFailure(t *testing.T, raw *dynamodb.Client, table string) {
	t.Helper()
	_, err := raw.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:                aws.String(table),
		Key:                      circuitstore.Item{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: "payments"}},
		UpdateExpression:         aws.String("ADD #failures :one, #version :one"),
		ConditionExpression:      aws.String("attribute_not_exists(#state) OR #state = :closed"),
		ExpressionAttributeNames: map[string]string{"#failures": circuit.AttrFailures, "#version": circuit.AttrVersion, "#state": circuit.AttrState},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": &types.AttributeValueMemberN{Value: "1"}, ":closed": &types.AttributeValueMemberS{Value: "CLOSED"},
		},
	})
	require.NoError(t, err)
}

// applyNotice is the alarm handler's use of UpdateMerging; interfere runs
// between each read and its write.
func applyNotice(t *testing.T, s *circuitstore.Store, n circuit.AlarmNotice, interfere func(call int)) (circuit.Circuit, circuitstore.Writes, circuit.Outcome) {
	t.Helper()
	calls := 0
	var outcome circuit.Outcome
	got, w, err := s.UpdateMerging(context.Background(), "payments", func(c circuit.Circuit) (circuit.Circuit, bool, *circuitstore.Merge, error) {
		calls++
		if interfere != nil {
			interfere(calls)
		}
		next, out := c.ApplyAlarm(n, t0.Add(time.Hour), policy)
		outcome = out
		m := &circuitstore.Merge{Guard: circuit.AlarmInputs}
		if circuit.ResetsCounters(n, out) {
			m.Reset = circuit.RequestPathCounters
		}
		return next, out.Changed(), m, nil
	})
	require.NoError(t, err)
	return got, w, outcome
}

func TestMergeExpressionWritesOnlyTheChange(t *testing.T) {
	cur := circuit.Circuit{State: circuit.Closed, Failures: 3, Version: 9}
	next := cur
	next.Downstream = circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: t0}
	expr, names, _ := circuitstore.MergeExpression(cur, next, circuitstore.Merge{})
	assert.Equal(t, "SET #s0 = :s0, #s1 = :s1 ADD #version :one", expr)
	assert.Equal(t, circuit.AttrDownstreamAlarm, names["#s0"])
	assert.Equal(t, circuit.AttrDownstreamAlarmAt, names["#s1"])
}
