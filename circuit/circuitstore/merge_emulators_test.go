//go:build emulators

package circuitstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
