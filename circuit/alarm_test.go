package circuit

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	t0     = time.Date(2026, 11, 27, 0, 10, 0, 0, time.UTC)
	policy = Policy{OpenDuration: 30 * time.Second, MaxOpenDuration: 5 * time.Minute, BackoffMultiplier: 2}
)

func notice(src Source, st AlarmState, at time.Time) AlarmNotice {
	return AlarmNotice{Source: src, AlarmName: string(src) + "-alarm", State: st, ChangedAt: at, Reason: "Threshold Crossed"}
}

func TestApplyAlarmRules(t *testing.T) {
	hcAlarm := AlarmStatus{State: AlarmStateAlarm, ChangedAt: t0}
	hcOK := AlarmStatus{State: AlarmStateOK, ChangedAt: t0}
	dsAlarm := AlarmStatus{State: AlarmStateAlarm, ChangedAt: t0}
	now := t0.Add(time.Minute)
	later := t0.Add(time.Second)

	tests := []struct {
		name    string
		start   Circuit
		notice  AlarmNotice
		outcome Outcome
		state   State
	}{
		{"healthcheck ALARM opens a closed circuit", Circuit{State: Closed, Failures: 2}, notice(SourceHealthcheck, AlarmStateAlarm, later), OutcomeOpened, Open},
		{"healthcheck ALARM opens an absent (zero) circuit", Circuit{}, notice(SourceHealthcheck, AlarmStateAlarm, later), OutcomeOpened, Open},
		{"healthcheck ALARM opens a half-open circuit", Circuit{State: HalfOpen, Probes: 1}, notice(SourceHealthcheck, AlarmStateAlarm, later), OutcomeOpened, Open},
		{"healthcheck ALARM on an open circuit only records", Circuit{State: Open, OpenUntil: now}, notice(SourceHealthcheck, AlarmStateAlarm, later), OutcomeRecorded, Open},
		{"healthcheck OK after its ALARM closes", Circuit{State: Open, Openings: 3, Healthcheck: hcAlarm}, notice(SourceHealthcheck, AlarmStateOK, later), OutcomeClosed, Closed},
		{"healthcheck OK after its ALARM closes even while the downstream alarm is on", Circuit{State: Open, Healthcheck: hcAlarm, Downstream: dsAlarm}, notice(SourceHealthcheck, AlarmStateOK, later), OutcomeClosed, Closed},
		{"healthcheck OK after its ALARM on a closed circuit releases", Circuit{State: Closed, Failures: 1, Healthcheck: hcAlarm}, notice(SourceHealthcheck, AlarmStateOK, later), OutcomeReleased, Closed},
		{"healthcheck OK after OK only records", Circuit{State: Open, Healthcheck: hcOK}, notice(SourceHealthcheck, AlarmStateOK, later), OutcomeRecorded, Open},
		{"healthcheck OK after INSUFFICIENT_DATA only records", Circuit{State: Open, Healthcheck: AlarmStatus{AlarmStateInsufficientData, t0}}, notice(SourceHealthcheck, AlarmStateOK, later), OutcomeRecorded, Open},
		{"first healthcheck OK only records", Circuit{State: Open}, notice(SourceHealthcheck, AlarmStateOK, later), OutcomeRecorded, Open},
		{"healthcheck INSUFFICIENT_DATA after ALARM releases without closing", Circuit{State: Open, Healthcheck: hcAlarm}, notice(SourceHealthcheck, AlarmStateInsufficientData, later), OutcomeReleased, Open},
		{"healthcheck INSUFFICIENT_DATA after OK only records", Circuit{State: Closed, Healthcheck: hcOK}, notice(SourceHealthcheck, AlarmStateInsufficientData, later), OutcomeRecorded, Closed},
		{"downstream ALARM opens a closed circuit", Circuit{State: Closed}, notice(SourceDownstream, AlarmStateAlarm, later), OutcomeOpened, Open},
		{"downstream ALARM opens a half-open circuit", Circuit{State: HalfOpen}, notice(SourceDownstream, AlarmStateAlarm, later), OutcomeOpened, Open},
		{"downstream ALARM on an open circuit only records", Circuit{State: Open}, notice(SourceDownstream, AlarmStateAlarm, later), OutcomeRecorded, Open},
		{"downstream OK never closes", Circuit{State: Open, Downstream: dsAlarm}, notice(SourceDownstream, AlarmStateOK, later), OutcomeRecorded, Open},
		{"downstream INSUFFICIENT_DATA never closes", Circuit{State: Open, Downstream: dsAlarm}, notice(SourceDownstream, AlarmStateInsufficientData, later), OutcomeRecorded, Open},
		{"duplicate is stale", Circuit{State: Open, Healthcheck: hcAlarm}, notice(SourceHealthcheck, AlarmStateAlarm, t0), OutcomeStale, Open},
		{"older is stale", Circuit{State: Open, Healthcheck: hcAlarm}, notice(SourceHealthcheck, AlarmStateOK, t0.Add(-time.Second)), OutcomeStale, Open},
		{"the other source's time does not make a notice stale", Circuit{State: Closed, Healthcheck: AlarmStatus{AlarmStateOK, t0.Add(time.Hour)}}, notice(SourceDownstream, AlarmStateAlarm, later), OutcomeOpened, Open},
		{"unknown state is invalid", Circuit{State: Closed}, notice(SourceDownstream, "PANIC", later), OutcomeInvalid, Closed},
		{"unknown source is invalid", Circuit{State: Closed}, notice("other", AlarmStateAlarm, later), OutcomeInvalid, Closed},
		{"missing time is invalid", Circuit{State: Closed}, notice(SourceHealthcheck, AlarmStateAlarm, time.Time{}), OutcomeInvalid, Closed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.start.Version = 7
			next, outcome := tt.start.ApplyAlarm(tt.notice, now, policy)
			assert.Equal(t, tt.outcome, outcome)
			assert.Equal(t, tt.state, next.State)
			if !outcome.Changed() {
				assert.Equal(t, tt.start, next, "a stale or invalid notice changes nothing, not even Version")
				return
			}
			assert.Equal(t, int64(8), next.Version, "every change bumps Version by exactly 1")
			status := next.Alarm(tt.notice.Source)
			assert.Equal(t, AlarmStatus{tt.notice.State, tt.notice.ChangedAt}, status, "the source's state is recorded")
			switch outcome {
			case OutcomeOpened:
				assert.Equal(t, tt.start.Openings+1, next.Openings)
				assert.Equal(t, now.Add(policy.Duration(next.Openings)), next.OpenUntil)
				assert.Zero(t, next.Failures+next.Probes+next.Successes)
				assert.Equal(t, now, next.LastTransition.At)
				assert.Equal(t, Open, next.LastTransition.To)
				assert.Contains(t, next.LastTransition.Reason, tt.notice.AlarmName)
			case OutcomeClosed:
				assert.Zero(t, next.Failures+next.Openings+next.Probes+next.Successes)
				assert.True(t, next.OpenUntil.IsZero())
				assert.Equal(t, Transition{At: now, From: tt.start.State, To: Closed, Reason: next.LastTransition.Reason}, next.LastTransition)
				assert.Contains(t, next.LastTransition.Reason, tt.notice.AlarmName)
			default:
				assert.Equal(t, tt.start.LastTransition, next.LastTransition, "no transition without a change of state")
			}
		})
	}
}

func TestHealthcheckHoldsThenReleases(t *testing.T) {
	c := Circuit{State: Closed}
	c, out := c.ApplyAlarm(notice(SourceHealthcheck, AlarmStateAlarm, t0), t0, policy)
	require.Equal(t, OutcomeOpened, out)
	// Long after OpenUntil the hold still rejects: no probes while the healthcheck says down.
	assert.Equal(t, Reject, Decide(c, t0.Add(24*time.Hour), 1))
	c, out = c.ApplyAlarm(notice(SourceHealthcheck, AlarmStateOK, t0.Add(time.Minute)), t0.Add(time.Minute), policy)
	require.Equal(t, OutcomeClosed, out)
	assert.Equal(t, Admit, Decide(c, t0.Add(time.Minute), 1))
}

func TestDownstreamAlarmRecoversThroughHalfOpen(t *testing.T) {
	// The original's defect: downstream ALARM opened, nothing ever closed it.
	c := Circuit{State: Closed}
	c, _ = c.ApplyAlarm(notice(SourceDownstream, AlarmStateAlarm, t0), t0, policy)
	assert.Equal(t, Reject, Decide(c, t0.Add(policy.OpenDuration-time.Millisecond), 1))
	assert.Equal(t, Elect, Decide(c, t0.Add(policy.OpenDuration), 1), "a probe is elected once the open duration elapses")
	c, out := c.ApplyAlarm(notice(SourceDownstream, AlarmStateOK, t0.Add(time.Minute)), t0.Add(time.Minute), policy)
	assert.Equal(t, OutcomeRecorded, out)
	assert.Equal(t, Open, c.State, "a downstream OK does not close: probes do")
}

func TestLateOKFromOneSourceDoesNotUndoTheOther(t *testing.T) {
	// The original's defect: one boolean for two sources.
	c := Circuit{State: Closed}
	c, _ = c.ApplyAlarm(notice(SourceHealthcheck, AlarmStateAlarm, t0.Add(2*time.Second)), t0, policy)
	c, out := c.ApplyAlarm(notice(SourceDownstream, AlarmStateOK, t0.Add(time.Second)), t0, policy)
	assert.Equal(t, OutcomeRecorded, out)
	assert.Equal(t, Reject, Decide(c, t0.Add(time.Hour), 1), "the healthcheck's hold survives a downstream OK")
}

func TestPolicyDuration(t *testing.T) {
	p := Policy{OpenDuration: 10 * time.Second, MaxOpenDuration: 60 * time.Second, BackoffMultiplier: 2}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 60 * time.Second, 60 * time.Second}
	for i, w := range want {
		assert.Equal(t, w, p.Duration(i+1), "opening %d", i+1)
	}
	assert.Equal(t, 60*time.Second, p.Duration(1<<20), "saturates instead of overflowing")
	assert.Equal(t, 10*time.Second, Policy{OpenDuration: 10 * time.Second, MaxOpenDuration: 60 * time.Second, BackoffMultiplier: 1}.Duration(5))
	assert.Equal(t, 10*time.Second, Policy{OpenDuration: 10 * time.Second, BackoffMultiplier: 3}.Duration(5), "no cap means no back-off")
}

func TestPolicyValidate(t *testing.T) {
	assert.NoError(t, policy.Validate())
	assert.NoError(t, Policy{OpenDuration: time.Second}.Validate())
	for _, p := range []Policy{
		{},
		{OpenDuration: -time.Second},
		{OpenDuration: time.Minute, MaxOpenDuration: time.Second},
		{OpenDuration: time.Second, MaxOpenDuration: -time.Second},
		{OpenDuration: time.Second, BackoffMultiplier: -1},
	} {
		assert.Error(t, p.Validate(), "%+v", p)
	}
}

func TestReasonIsBounded(t *testing.T) {
	n := notice(SourceDownstream, AlarmStateAlarm, t0)
	n.Reason = strings.Repeat("é", 1000)
	c, _ := Circuit{}.ApplyAlarm(n, t0, policy)
	assert.Less(t, len(c.LastTransition.Reason), 400)
	assert.True(t, strings.HasPrefix(c.LastTransition.Reason, "downstream alarm downstream-alarm went to ALARM: "))
	assert.True(t, strings.HasSuffix(c.LastTransition.Reason, "é..."), "cut on a rune boundary")
}

func TestDuplicateAtStoragePrecisionIsStale(t *testing.T) {
	// The item keeps milliseconds; a re-delivery must not look newer than what
	// was stored just because the in-memory time had more digits.
	n := notice(SourceDownstream, AlarmStateAlarm, t0.Add(1500*time.Microsecond))
	c, out := Circuit{}.ApplyAlarm(n, t0, policy)
	require.Equal(t, OutcomeOpened, out)
	stored, err := ParseTime(FormatTime(c.Downstream.ChangedAt))
	require.NoError(t, err)
	c.Downstream.ChangedAt = stored
	_, out = c.ApplyAlarm(n, t0, policy)
	assert.Equal(t, OutcomeStale, out)
}
