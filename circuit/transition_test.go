package circuit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each write our writers make, through their own rules, is classified: the
// moves are transitions with the writer's own record, counters are not.
func TestTransitionBetweenEveryWriter(t *testing.T) {
	closed := Circuit{ServiceName: "payments", State: Closed, Failures: 4, Version: 3}
	tripped, ok := closed.Trip(t0, policy, 4, "Boom")
	require.True(t, ok)
	probing, _, ok := tripped.ElectProbe(t0.Add(policy.OpenDuration), probes)
	require.True(t, ok)
	joined, admitted, ok := probing.ElectProbe(t0.Add(policy.OpenDuration+time.Second), probes)
	require.True(t, ok && admitted)
	reelected, _, ok := joined.ElectProbe(t0.Add(policy.OpenDuration+probes.Timeout), probes)
	require.True(t, ok)
	forced, ok := tripped.Force(ForcedOpen, t0.Add(time.Second), "maintenance")
	require.True(t, ok)
	released, ok := forced.Release(t0.Add(2*time.Second), "done")
	require.True(t, ok)
	alarmed, outcome := closed.ApplyAlarm(AlarmNotice{Source: SourceHealthcheck, AlarmName: "hc", State: AlarmStateAlarm, ChangedAt: t0}, t0, policy)
	require.Equal(t, OutcomeOpened, outcome)
	healed, outcome := alarmed.ApplyAlarm(AlarmNotice{Source: SourceHealthcheck, AlarmName: "hc", State: AlarmStateOK, ChangedAt: t0.Add(time.Minute)}, t0.Add(time.Minute), policy)
	require.Equal(t, OutcomeClosed, outcome)
	counted := closed
	counted.Failures++
	counted.Version++
	recordedOnly, outcome := closed.ApplyAlarm(AlarmNotice{Source: SourceDownstream, AlarmName: "ds", State: AlarmStateOK, ChangedAt: t0}, t0, policy)
	require.Equal(t, OutcomeRecorded, outcome)

	for _, tc := range []struct {
		name      string
		old, next Circuit
		want      *Change
	}{
		{"trip", closed, tripped, &Change{From: Closed, To: Open, Reason: tripped.LastTransition.Reason, At: t0, Version: 4}},
		{"probe elected", tripped, probing, &Change{From: Open, To: HalfOpen, Reason: "open duration elapsed: probe elected", At: t0.Add(policy.OpenDuration), Version: 5}},
		{"second probe joins: a counter", probing, joined, nil},
		{"stale period re-elected", joined, reelected, &Change{From: HalfOpen, To: HalfOpen, Reason: reelected.LastTransition.Reason, At: reelected.LastTransition.At, Version: reelected.Version}},
		{"forced open", tripped, forced, &Change{From: Open, To: State(ForcedOpen), Reason: "manual: maintenance", At: t0.Add(time.Second), Version: 5}},
		{"released", forced, released, &Change{From: State(ForcedOpen), To: Open, Reason: "manual: done", At: t0.Add(2 * time.Second), Version: 6}},
		{"healthcheck alarm opens", closed, alarmed, &Change{From: Closed, To: Open, Reason: alarmed.LastTransition.Reason, At: t0, Version: 4}},
		{"healthcheck OK closes", alarmed, healed, &Change{From: Open, To: Closed, Reason: healed.LastTransition.Reason, At: t0.Add(time.Minute), Version: 5}},
		{"a failure counted", closed, counted, nil},
		{"an alarm state recorded without a move", closed, recordedOnly, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := TransitionBetween(tc.old, true, tc.next, true, t0.Add(time.Hour))
			if tc.want == nil {
				assert.False(t, ok, "not a transition: %+v", got)
				return
			}
			require.True(t, ok)
			assert.Equal(t, *tc.want, got)
		})
	}
}

func TestTransitionBetweenItemLifecycle(t *testing.T) {
	at := t0.Add(time.Hour)
	first := Circuit{State: Closed, Failures: 1, Version: 1}
	_, ok := TransitionBetween(Circuit{}, false, first, true, at)
	assert.False(t, ok, "a first failure creates the item of a closed circuit: no transition")

	opened := Circuit{State: Open, Version: 9, LastTransition: Transition{At: t0, From: Closed, To: Open, Reason: "r"}}
	got, ok := TransitionBetween(Circuit{}, false, opened, true, at)
	require.True(t, ok, "an item created open (e.g. by an alarm) is a transition")
	assert.Equal(t, Change{From: Closed, To: Open, Reason: "r", At: t0, Version: 9}, got)

	got, ok = TransitionBetween(opened, true, Circuit{}, false, at)
	require.True(t, ok, "deleting an open circuit's item closes it")
	assert.Equal(t, Change{From: Open, To: Closed, Reason: ReasonItemDeleted, At: at, Version: 9, Deleted: true}, got)
	_, ok = TransitionBetween(first, true, Circuit{}, false, at)
	assert.False(t, ok, "deleting a closed circuit's item changes nothing")

	edited := opened
	edited.Override = ForcedClosed
	edited.Version = 10
	got, ok = TransitionBetween(opened, true, edited, true, at)
	require.True(t, ok, "a hand edit of the override moves the effective state")
	assert.Equal(t, Change{From: Open, To: State(ForcedClosed), Reason: ReasonUnrecorded, At: at, Version: 10}, got)
}

func TestSplitItemKey(t *testing.T) {
	s, k := SplitItemKey("payments")
	assert.Equal(t, [2]string{"payments", ""}, [2]string{s, k})
	s, k = SplitItemKey("payments#tenant-1#x")
	assert.Equal(t, [2]string{"payments", "tenant-1#x"}, [2]string{s, k})
}
