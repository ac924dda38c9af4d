package circuit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 10, bullet 2 (slow calls): the slow-call alarm is a third source. It
// opens like the downstream's error alarm, recovers through probes like it,
// and is ordered against its own notices only: the original kept one flag for
// every alarm, so one alarm's notice could undo or hide another's.
func TestSlowCallAlarmOpensLikeTheErrorAlarm(t *testing.T) {
	now := t0.Add(time.Minute)
	for _, start := range []Circuit{{State: Closed, Failures: 2}, {}, {State: HalfOpen, Probes: 1}} {
		next, out := start.ApplyAlarm(notice(SourceSlowCalls, AlarmStateAlarm, t0), now, policy)
		require.Equal(t, OutcomeOpened, out, "from %q", start.State)
		assert.Equal(t, Open, next.State)
		assert.Equal(t, now.Add(policy.OpenDuration), next.OpenUntil)
		assert.Equal(t, AlarmStatus{AlarmStateAlarm, t0}, next.SlowCalls)
		assert.Zero(t, next.Downstream, "the error alarm's state is untouched")
		assert.Contains(t, next.LastTransition.Reason, "slowCalls alarm slowCalls-alarm went to ALARM")
	}
	for _, st := range []AlarmState{AlarmStateOK, AlarmStateInsufficientData} {
		c := Circuit{State: Open, OpenUntil: now, SlowCalls: AlarmStatus{AlarmStateAlarm, t0}}
		next, out := c.ApplyAlarm(notice(SourceSlowCalls, st, t0.Add(time.Second)), now, policy)
		assert.Equal(t, OutcomeRecorded, out, "%s never closes: probes do", st)
		assert.Equal(t, Open, next.State)
	}
	// A slow-call alarm never holds the circuit the way the healthcheck does:
	// once the open duration has passed, a probe is elected.
	c, _ := Circuit{}.ApplyAlarm(notice(SourceSlowCalls, AlarmStateAlarm, t0), t0, policy)
	assert.Equal(t, Elect, Decide(c, t0.Add(policy.OpenDuration), 1))
}

func TestSlowCallsAndErrorsAreOrderedApart(t *testing.T) {
	// The error alarm changed last (t0+2s); a slow-call ALARM from t0+1s,
	// delivered after it, still applies: it is newer than the slow-call
	// alarm's own last notice.
	c := Circuit{State: Closed, Downstream: AlarmStatus{AlarmStateOK, t0.Add(2 * time.Second)}}
	c, out := c.ApplyAlarm(notice(SourceSlowCalls, AlarmStateAlarm, t0.Add(time.Second)), t0.Add(3*time.Second), policy)
	require.Equal(t, OutcomeOpened, out)
	// And a late error-alarm notice is not made stale by the slow-call time.
	c, out = c.ApplyAlarm(notice(SourceDownstream, AlarmStateAlarm, t0.Add(3*time.Second)), t0.Add(4*time.Second), policy)
	assert.Equal(t, OutcomeRecorded, out)
	assert.Equal(t, AlarmStatus{AlarmStateAlarm, t0.Add(3 * time.Second)}, c.Downstream)
	assert.Equal(t, AlarmStatus{AlarmStateAlarm, t0.Add(time.Second)}, c.SlowCalls)
	// A slow-call duplicate is stale, whatever the other sources did.
	_, out = c.ApplyAlarm(notice(SourceSlowCalls, AlarmStateAlarm, t0.Add(time.Second)), t0.Add(5*time.Second), policy)
	assert.Equal(t, OutcomeStale, out)
}

func TestSourcesAreKnown(t *testing.T) {
	assert.True(t, SourceDownstream.DownstreamKind())
	assert.True(t, SourceSlowCalls.DownstreamKind())
	assert.False(t, SourceHealthcheck.DownstreamKind())
	assert.NoError(t, notice(SourceSlowCalls, AlarmStateOK, t0).Validate())
	assert.ErrorContains(t, notice("latency", AlarmStateOK, t0).Validate(), `source "latency" is not one of`)
}
