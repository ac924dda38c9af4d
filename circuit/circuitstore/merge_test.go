package circuitstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
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

// Issue 14, item 11: the request path counting between the read and the
// write loses the version race for the notice; the merged write lands at
// once, and keeps the count.
func TestMergedWriteLandsOverRequestPathCounts(t *testing.T) {
	s, raw := newStore(t)
	countFailure(t, raw, s.Table)
	got, w, out := applyNotice(t, s, circuit.AlarmNotice{Source: circuit.SourceDownstream, AlarmName: "d", State: circuit.AlarmStateOK, ChangedAt: t0},
		func(int) { countFailure(t, raw, s.Table) })
	assert.Equal(t, circuit.OutcomeRecorded, out)
	assert.Equal(t, circuitstore.Writes{Reads: 1, Writes: 2, LostRaces: 1, Merged: true}, w)
	read, err := s.Get(context.Background(), "payments")
	require.NoError(t, err)
	assert.Equal(t, circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: t0}, read.Downstream)
	assert.Equal(t, 2, read.Failures, "the request path's counts survive the merge")
	assert.Equal(t, int64(3), read.Version, "two counts and the notice, each +1")
	assert.Equal(t, read.Version, got.Version)
	assert.Equal(t, circuit.Closed, read.State)
}

// An opening resets the counters even where the read saw none: a failure
// counted after the read was counted on the closed circuit the notice opened.
func TestMergedOpeningResetsCountsMadeSinceTheRead(t *testing.T) {
	s, raw := newStore(t)
	_, _, out := applyNotice(t, s, circuit.AlarmNotice{Source: circuit.SourceHealthcheck, AlarmName: "h", State: circuit.AlarmStateAlarm, ChangedAt: t0},
		func(int) { countFailure(t, raw, s.Table) })
	assert.Equal(t, circuit.OutcomeOpened, out)
	read, err := s.Get(context.Background(), "payments")
	require.NoError(t, err)
	assert.Equal(t, circuit.Open, read.State)
	assert.Equal(t, 0, read.Failures)
	assert.Equal(t, 1, read.Openings)
	assert.Equal(t, t0.Add(time.Hour+time.Minute), read.OpenUntil)
}

// Stale stays stale: a newer notice of the same source landing between the
// read and the write fails the merged write too (its time is guarded), and
// the notice, decided again, changes nothing.
func TestMergedWriteLosesToANewerNoticeOfItsSource(t *testing.T) {
	s, _ := newStore(t)
	newer := circuit.AlarmNotice{Source: circuit.SourceDownstream, AlarmName: "d", State: circuit.AlarmStateAlarm, ChangedAt: t0.Add(time.Second)}
	got, w, out := applyNotice(t, s, circuit.AlarmNotice{Source: circuit.SourceDownstream, AlarmName: "d", State: circuit.AlarmStateOK, ChangedAt: t0},
		func(call int) {
			if call == 1 {
				applyNotice(t, s, newer, nil)
			}
		})
	assert.Equal(t, circuit.OutcomeStale, out)
	assert.Equal(t, circuitstore.Writes{Reads: 2, Writes: 2, LostRaces: 2}, w)
	assert.Equal(t, circuit.AlarmStatus{State: circuit.AlarmStateAlarm, ChangedAt: t0.Add(time.Second)}, got.Downstream)
	assert.Equal(t, circuit.Open, got.State, "the newer ALARM's opening stands")
}

// A transition between the read and the write (here the controller's trip)
// fails the merged write (the state is guarded): a downstream ALARM decided
// on a closed circuit must not record itself as if it had opened nothing.
func TestMergedWriteLosesToATransition(t *testing.T) {
	s, _ := newStore(t)
	got, w, out := applyNotice(t, s, circuit.AlarmNotice{Source: circuit.SourceSlowCalls, AlarmName: "s", State: circuit.AlarmStateAlarm, ChangedAt: t0},
		func(call int) {
			if call == 1 {
				_, err := s.Update(context.Background(), "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) {
					c.Failures = 5
					next, ok := c.Trip(t0, policy, 5, "Boom")
					return next, ok, nil
				})
				require.NoError(t, err)
			}
		})
	assert.Equal(t, circuit.OutcomeRecorded, out, "decided again on the open circuit: recorded only")
	assert.Equal(t, 2, w.Reads)
	assert.Equal(t, 1, got.Openings, "opened once, by the trip")
	assert.Equal(t, circuit.AlarmStateAlarm, got.SlowCalls.State)
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
