//go:build emulators

package circuitstore_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAbsentItemIsClosed(t *testing.T) {
	s, _ := newStore(t)
	c, err := s.Get(context.Background(), "payments")
	require.NoError(t, err)
	assert.Equal(t, circuit.Circuit{ServiceName: "payments", State: circuit.Closed}, c)
}

func TestRoundTripEveryField(t *testing.T) {
	s, raw := newStore(t)
	want := circuit.Circuit{
		ServiceName: "payments", State: circuit.Open, OpenUntil: t0.Add(time.Minute), HalfOpenUntil: t0.Add(30 * time.Second),
		Failures: 1, Openings: 2, Probes: 3, Successes: 4, Override: circuit.ForcedOpen, Version: 1, ElectionClaim: "2026-11-27T00:10",
		Downstream:     circuit.AlarmStatus{State: circuit.AlarmStateAlarm, ChangedAt: t0},
		Healthcheck:    circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: t0.Add(time.Second)},
		SlowCalls:      circuit.AlarmStatus{State: circuit.AlarmStateInsufficientData, ChangedAt: t0.Add(2 * time.Second)},
		LastTransition: circuit.Transition{At: t0, From: circuit.Closed, To: circuit.Open, Reason: "downstream alarm x went to ALARM"},
	}
	got, err := s.Update(context.Background(), "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		return want, true, nil
	})
	require.NoError(t, err)
	assert.Equal(t, want, got)
	read, err := s.Get(context.Background(), "payments")
	require.NoError(t, err)
	assert.Equal(t, want, read)

	// The item's shape is the contract the state machine reads.
	item := rawItem(t, raw, s.Table, "payments")
	assert.Equal(t, &types.AttributeValueMemberS{Value: "OPEN"}, item[circuit.AttrState])
	assert.Equal(t, &types.AttributeValueMemberS{Value: "2026-11-27T00:11:39.123Z"}, item[circuit.AttrOpenUntil])
	assert.Equal(t, &types.AttributeValueMemberS{Value: "2026-11-27T00:11:09.123Z"}, item[circuit.AttrHalfOpenUntil])
	assert.Equal(t, &types.AttributeValueMemberN{Value: "1"}, item[circuit.AttrVersion])
	assert.Equal(t, &types.AttributeValueMemberS{Value: "2026-11-27T00:10"}, item[circuit.AttrElectionClaim])
	assert.Equal(t, &types.AttributeValueMemberS{Value: "2026-11-27T00:10:40.123Z"}, item[circuit.AttrHealthcheckAlarmAt])
	// Issue 10, bullet 2: the slow-call alarm's own pair of attributes.
	assert.Equal(t, &types.AttributeValueMemberS{Value: "INSUFFICIENT_DATA"}, item[circuit.AttrSlowCallAlarm])
	assert.Equal(t, &types.AttributeValueMemberS{Value: "2026-11-27T00:10:41.123Z"}, item[circuit.AttrSlowCallAlarmAt])
}

func TestZeroOptionalsAreRemovedAndUnknownAttributesKept(t *testing.T) {
	s, raw := newStore(t)
	ctx := context.Background()
	// An operator's note and the original module's flag: not ours, must survive.
	_, err := raw.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: circuitstore.Item{
		circuit.KeyAttribute:  &types.AttributeValueMemberS{Value: "payments"},
		"note":                &types.AttributeValueMemberS{Value: "keep me"},
		"isCircuitClosed":     &types.AttributeValueMemberBOOL{Value: true},
		circuit.AttrOverride:  &types.AttributeValueMemberS{Value: string(circuit.ForcedOpen)},
		circuit.AttrState:     &types.AttributeValueMemberS{Value: "OPEN"},
		circuit.AttrOpenUntil: &types.AttributeValueMemberS{Value: "2026-11-27T00:11:39.123Z"},
	}})
	require.NoError(t, err)

	got, err := s.Update(ctx, "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		assert.Equal(t, circuit.ForcedOpen, c.Override)
		assert.Equal(t, int64(0), c.Version, "an unversioned item reads as version 0")
		c.Override = circuit.NoOverride
		c.State = circuit.Closed
		c.OpenUntil = time.Time{}
		return c, true, nil
	})
	require.NoError(t, err)
	assert.Equal(t, int64(1), got.Version)

	item := rawItem(t, raw, s.Table, "payments")
	assert.Equal(t, &types.AttributeValueMemberS{Value: "keep me"}, item["note"])
	assert.Equal(t, &types.AttributeValueMemberBOOL{Value: true}, item["isCircuitClosed"])
	assert.NotContains(t, item, circuit.AttrOverride)
	assert.NotContains(t, item, circuit.AttrOpenUntil)
	assert.NotContains(t, item, circuit.AttrTransitionReason)
	assert.Equal(t, &types.AttributeValueMemberN{Value: "0"}, item[circuit.AttrFailures], "counters are always present for the state machine")
}

func TestUnchangedWritesNothing(t *testing.T) {
	s, raw := newStore(t)
	got, err := s.Update(context.Background(), "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		c.Failures = 99
		return c, false, nil
	})
	require.NoError(t, err)
	assert.Equal(t, 0, got.Failures, "an unchanged update returns what was read")
	assert.Empty(t, rawItem(t, raw, s.Table, "payments"), "no item created")

	boom := errors.New("boom")
	_, err = s.Update(context.Background(), "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		return c, true, boom
	})
	assert.ErrorIs(t, err, boom)
	assert.Empty(t, rawItem(t, raw, s.Table, "payments"))
}

func TestVersionIsReadPlusOneWhateverFnSets(t *testing.T) {
	s, _ := newStore(t)
	for want := int64(1); want <= 3; want++ {
		got, err := s.Update(context.Background(), "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) {
			c.Version += 10
			return c, true, nil
		})
		require.NoError(t, err)
		assert.Equal(t, want, got.Version)
	}
}

// Issue 14 item 22: nothing an operator can write into the item may make every
// writer fail. A value the model cannot hold reads as its default (or
// clamped), is noted, and the next write (circuit.Repair's) stores it
// readable; the write's condition is the version as stored, whatever it is.
func TestUnreadableValuesDoNotWedgeWriters(t *testing.T) {
	s, raw := newStore(t)
	N := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	S := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	versions := map[string]types.AttributeValue{
		"N fraction":   N("1.5"),
		"N 38 digits":  N("99999999999999999999999999999999999999"),
		"N negative":   N("-4"),
		"S":            S("seven"),
		"B":            &types.AttributeValueMemberB{Value: []byte{7}},
		"BOOL":         &types.AttributeValueMemberBOOL{Value: true},
		"NULL":         &types.AttributeValueMemberNULL{Value: true},
		"L":            &types.AttributeValueMemberL{Value: []types.AttributeValue{N("7")}},
		"M":            &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"v": N("7")}},
		"NS":           &types.AttributeValueMemberNS{Value: []string{"7"}},
		"a fine one 7": N("7"),
	}
	for name, version := range versions {
		t.Run(name, func(t *testing.T) {
			_, err := raw.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: circuitstore.Item{
				circuit.KeyAttribute:  S("payments"),
				circuit.AttrState:     S(string(circuit.Open)),
				circuit.AttrFailures:  S("three"),
				circuit.AttrOpenings:  N("2.75"),
				circuit.AttrProbes:    N("-2"),
				circuit.AttrSuccesses: N("1E+30"),
				circuit.AttrOverride:  &types.AttributeValueMemberBOOL{Value: true},
				circuit.AttrVersion:   version,
			}})
			require.NoError(t, err)
			c, err := s.Get(context.Background(), "payments")
			require.NoError(t, err, "a hand-edited item still reads")
			assert.Equal(t, circuit.Open, c.State)
			assert.Equal(t, 0, c.Failures)
			assert.Equal(t, 2, c.Openings)
			assert.Equal(t, -2, c.Probes, "an integer reads as is; Repair clamps it")
			assert.Equal(t, math.MaxInt64, c.Successes)
			assert.Equal(t, circuit.NoOverride, c.Override)
			for _, attr := range []string{circuit.AttrFailures, circuit.AttrOpenings, circuit.AttrSuccesses, circuit.AttrOverride} {
				assert.Contains(t, c.Unreadable, attr+": ")
			}

			got, err := s.Update(context.Background(), "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) {
				next, fixes := c.Repair(t0, circuit.Limits{})
				return next, len(fixes) > 0, nil
			})
			require.NoError(t, err, "the conditional write matches the version as stored")
			assert.Empty(t, got.Unreadable)
			item := rawItem(t, raw, s.Table, "payments")
			assert.Equal(t, N("0"), item[circuit.AttrFailures])
			assert.Equal(t, N("2"), item[circuit.AttrOpenings])
			assert.Equal(t, N("0"), item[circuit.AttrProbes])
			assert.Equal(t, N(strconv.Itoa(circuit.MaxCount)), item[circuit.AttrSuccesses])
			assert.NotContains(t, item, circuit.AttrOverride)
			assert.IsType(t, &types.AttributeValueMemberN{}, item[circuit.AttrVersion])
			again, err := s.Get(context.Background(), "payments")
			require.NoError(t, err)
			assert.Empty(t, again.Unreadable, "read cleanly from then on")
			assert.Equal(t, got.Version, again.Version)
		})
	}
}

// An unreadable deadline must not wedge the circuit: it reads as elapsed, so a
// probe can be elected, and the next write replaces it with a readable time.
func TestUnreadableDeadlineCountsAsElapsed(t *testing.T) {
	s, raw := newStore(t)
	_, err := raw.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: circuitstore.Item{
		circuit.KeyAttribute:  &types.AttributeValueMemberS{Value: "payments"},
		circuit.AttrState:     &types.AttributeValueMemberS{Value: string(circuit.Open)},
		circuit.AttrOpenUntil: &types.AttributeValueMemberS{Value: "tomorrow"},
	}})
	require.NoError(t, err)
	c, err := s.Get(context.Background(), "payments")
	require.NoError(t, err)
	assert.True(t, c.OpenUntil.IsZero())
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, circuit.Elect, circuit.Decide(c, now, 1))

	until := now.Add(time.Minute)
	_, err = s.Update(context.Background(), "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		c.OpenUntil = until
		return c, true, nil
	})
	require.NoError(t, err)
	c, err = s.Get(context.Background(), "payments")
	require.NoError(t, err)
	assert.Equal(t, until, c.OpenUntil)
}

// A writer that is not us (the state machine counting a failure with ADD and
// bumping the version) slips in between our read and our write: our write must
// lose, re-read and re-apply, keeping both changes.
func TestLostRaceIsRetriedOnTopOfTheWinner(t *testing.T) {
	s, raw := newStore(t)
	ctx := context.Background()
	calls := 0
	got, err := s.Update(ctx, "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		calls++
		if calls == 1 {
			_, err := raw.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName:                 aws.String(s.Table),
				Key:                       circuitstore.Item{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: "payments"}},
				UpdateExpression:          aws.String("ADD failures :one, version :one"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
			})
			require.NoError(t, err)
		}
		c.Healthcheck = circuit.AlarmStatus{State: circuit.AlarmStateAlarm, ChangedAt: t0}
		return c, true, nil
	})
	require.NoError(t, err)
	assert.Equal(t, 2, calls)
	assert.Equal(t, 1, got.Failures, "the other writer's failure count survives")
	assert.Equal(t, int64(2), got.Version)
	read, err := s.Get(ctx, "payments")
	require.NoError(t, err)
	assert.Equal(t, got, read)
}

func TestBoundedAttempts(t *testing.T) {
	s, raw := newStore(t)
	s.MaxAttempts = 3
	ctx := context.Background()
	calls := 0
	_, err := s.Update(ctx, "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		calls++
		_, err := raw.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.Table),
			Key:                       circuitstore.Item{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: "payments"}},
			UpdateExpression:          aws.String("ADD version :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		})
		require.NoError(t, err)
		c.Failures++
		return c, true, nil
	})
	assert.ErrorIs(t, err, circuitstore.ErrConflict)
	assert.Equal(t, 3, calls)
}

// Two updaters race on one circuit, each applying its own alarm notifications:
// every notification's effect must be in the final item (no lost transition),
// and every write must have bumped the version exactly once.
func TestConcurrentUpdatersLoseNothing(t *testing.T) {
	s, _ := newStore(t)
	s.MaxAttempts = 1000 // the race is the point here, not the bound
	ctx := context.Background()
	policy := circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2}
	const perSource = 25
	states := []circuit.AlarmState{circuit.AlarmStateAlarm, circuit.AlarmStateOK, circuit.AlarmStateInsufficientData}

	var wg sync.WaitGroup
	var calls atomic.Int64
	applied := make([]int, 2)
	for i, src := range []circuit.Source{circuit.SourceDownstream, circuit.SourceHealthcheck} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 1; k <= perSource; k++ {
				n := circuit.AlarmNotice{Source: src, AlarmName: string(src), State: states[k%3], ChangedAt: t0.Add(time.Duration(k) * time.Second)}
				_, err := s.Update(ctx, "payments", func(c circuit.Circuit) (circuit.Circuit, bool, error) {
					calls.Add(1)
					next, out := c.ApplyAlarm(n, t0, policy)
					return next, out.Changed(), nil
				})
				if !assert.NoError(t, err) {
					return
				}
				applied[i]++
			}
		}()
	}
	wg.Wait()
	c, err := s.Get(ctx, "payments")
	require.NoError(t, err)
	assert.Equal(t, []int{perSource, perSource}, applied)
	assert.Equal(t, int64(2*perSource), c.Version, "each applied notification is exactly one write")
	last := circuit.AlarmStatus{State: states[perSource%3], ChangedAt: t0.Add(perSource * time.Second)}
	assert.Equal(t, last, c.Downstream)
	assert.Equal(t, last, c.Healthcheck)
	// Not asserted (scheduling decides), but shows whether the race happened.
	t.Logf("%d lost races retried", calls.Load()-2*perSource)
}

func TestMain(m *testing.M) { testenv.MainWithDynalite(m, &endpoint) }
