package circuit

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The far-future times of issue 14, item 6: written before inputs' times
// were bounded (or forged), they outrank every real time.
var (
	year9998 = time.Date(9998, 1, 1, 0, 0, 0, 0, time.UTC)
	limits   = RepairLimits{MaxOpen: policy.MaxOpenDuration, ProbeTimeout: 45 * time.Second}
)

// A healthcheck ALARM dated 9999 held the circuit through the real OK; the
// operator clears the source and the hold ends, and the alarm's next notice
// applies whatever its time.
func TestClearSourceByOperatorEndsAForgedHealthcheckHold(t *testing.T) {
	c := Circuit{ServiceName: "payments", State: Open, OpenUntil: t0.Add(-time.Minute), Version: 7,
		Healthcheck:     AlarmStatus{State: AlarmStateAlarm, ChangedAt: year9999},
		HealthcheckRuns: HealthcheckRuns{At: year9999, Unhealthy: 3}}
	ok := AlarmNotice{Source: SourceHealthcheck, AlarmName: "payments-healthcheck-errors", State: AlarmStateOK, ChangedAt: t0}
	_, outcome := c.ApplyAlarm(ok, t0, policy)
	require.Equal(t, OutcomeStale, outcome, "the reported defect: the real OK is older than 9999")
	require.Equal(t, Reject, Decide(c, t0, 1))

	next, changed, err := c.ClearSourceByOperator(SourceHealthcheck, t0, "INC-12 forged alarm")
	require.NoError(t, err)
	require.True(t, changed)
	assert.Equal(t, AlarmStatus{}, next.Healthcheck)
	assert.Equal(t, HealthcheckRuns{}, next.HealthcheckRuns)
	assert.Equal(t, int64(8), next.Version, "one write, one version")
	assert.Equal(t, Transition{At: t0, From: Open, To: Open, Reason: "manual: healthcheck alarm source cleared (was ALARM): INC-12 forged alarm"}, next.LastTransition)
	assert.Equal(t, Elect, Decide(next, t0, 1), "no hold: the elapsed opening elects a probe")
	_, outcome = next.ApplyAlarm(ok, t0, policy)
	assert.NotEqual(t, OutcomeStale, outcome)

	// Clearing again changes nothing; a reason and a known source are required.
	_, changed, err = next.ClearSourceByOperator(SourceHealthcheck, t0, "again")
	assert.NoError(t, err)
	assert.False(t, changed)
	_, _, err = c.ClearSourceByOperator(SourceHealthcheck, t0, "  ")
	assert.ErrorIs(t, err, ErrOperatorReason)
	_, _, err = c.ClearSourceByOperator("downstream-errors", t0, "x")
	assert.ErrorContains(t, err, `unknown alarm source "downstream-errors"`)
}

// A downstream notice dated 9999 made every later downstream ALARM stale;
// clearing the source lets the next one open the circuit.
func TestClearSourceByOperatorMakesLaterNoticesApply(t *testing.T) {
	for _, src := range []Source{SourceDownstream, SourceSlowCalls} {
		c := Circuit{ServiceName: "payments", State: Closed}
		*c.alarm(src) = AlarmStatus{State: AlarmStateOK, ChangedAt: year9999}
		alarm := AlarmNotice{Source: src, AlarmName: "a", State: AlarmStateAlarm, ChangedAt: t0}
		_, outcome := c.ApplyAlarm(alarm, t0, policy)
		require.Equal(t, OutcomeStale, outcome)

		next, changed, err := c.ClearSourceByOperator(src, t0, "forged OK")
		require.NoError(t, err)
		require.True(t, changed)
		assert.Equal(t, Transition{At: t0, From: Closed, To: Closed, Reason: "manual: " + string(src) + " alarm source cleared (was OK): forged OK"}, next.LastTransition)
		_, outcome = next.ApplyAlarm(alarm, t0, policy)
		assert.Equal(t, OutcomeOpened, outcome, src)
	}
}

// A trip "at" 9998 opened the circuit until 9998: clear-hold ends the
// opening now whatever the breaker's settings, and repair does when it knows
// the longest opening.
func TestAnOpeningUntil9998EndsByClearHoldOrRepair(t *testing.T) {
	c := Circuit{ServiceName: "payments", State: Open, OpenUntil: year9998, Openings: 1, Version: 3,
		LastTransition: Transition{At: year9998.Add(-30 * time.Second), From: Closed, To: Open, Reason: "5 consecutive failures"}}
	require.Equal(t, Reject, Decide(c, t0, 1))

	held, changed, err := c.ClearHoldByOperator(t0, "INC-13")
	require.NoError(t, err)
	require.True(t, changed)
	assert.Equal(t, t0, held.OpenUntil)
	assert.Equal(t, Elect, Decide(held, t0, 1))
	assert.Equal(t, "manual: hold cleared: INC-13", held.LastTransition.Reason)
	assert.Equal(t, int64(4), held.Version)

	fixed, fixes, changed, err := c.RepairByOperator(t0, limits, nil, "INC-13")
	require.NoError(t, err)
	require.True(t, changed)
	assert.True(t, fixed.OpenUntil.IsZero())
	assert.Equal(t, Elect, Decide(fixed, t0, 1))
	assert.Equal(t, []string{
		"openUntil 9998-01-01T00:00:00.000Z is more than the longest opening (5m0s) ahead of now (2026-11-27T00:10:00.000Z): elapsed",
		"transitionAt 9997-12-31T23:59:30.000Z is more than 5m0s ahead of now (2026-11-27T00:10:00.000Z): replaced by this repair's",
	}, fixes)
	assert.Equal(t, Transition{At: t0, From: Open, To: Open, Reason: "manual: repaired 2 value(s): INC-13"}, fixed.LastTransition)

	// Without the limit (unknown settings), repair leaves the deadline alone.
	fixed, _, _, err = c.RepairByOperator(t0, RepairLimits{}, nil, "INC-13")
	require.NoError(t, err)
	assert.Equal(t, year9998, fixed.OpenUntil)

	// A half-open period and a healthcheck hold end too.
	h := Circuit{State: HalfOpen, HalfOpenUntil: t0.Add(time.Hour), Probes: 1, Healthcheck: AlarmStatus{State: AlarmStateAlarm, ChangedAt: t0}}
	held, changed, err = h.ClearHoldByOperator(t0, "x")
	require.NoError(t, err)
	require.True(t, changed)
	assert.Equal(t, t0, held.HalfOpenUntil)
	assert.Equal(t, AlarmStatus{State: AlarmStateInsufficientData, ChangedAt: t0}, held.Healthcheck, "released as by INSUFFICIENT_DATA: the next notice stays in order")
	assert.Equal(t, Elect, Decide(held, t0, 1))

	// Nothing holds a closed circuit, nor an opening already over.
	for _, free := range []Circuit{{State: Closed}, {State: Open, OpenUntil: t0.Add(-time.Second)}} {
		_, changed, err = free.ClearHoldByOperator(t0, "x")
		assert.NoError(t, err)
		assert.False(t, changed)
	}
	_, _, err = c.ClearHoldByOperator(t0, "")
	assert.ErrorIs(t, err, ErrOperatorReason)
}

// What an operator writes by hand (issue 14, item 22) is repaired: an unknown
// override, state or alarm state, counters out of range.
func TestRepairByOperatorFixesHandWrittenValues(t *testing.T) {
	c := Circuit{ServiceName: "payments", State: "open", Override: "forced_open", OpenUntil: t0.Add(time.Minute),
		Failures: -3, Openings: math.MaxInt32 + 10, Probes: 2, Successes: 1,
		Downstream:      AlarmStatus{State: "ALARMED", ChangedAt: t0},
		HealthcheckRuns: HealthcheckRuns{At: t0, Unhealthy: -1}, Version: 41}
	next, fixes, changed, err := c.RepairByOperator(t0, limits, []string{"failures: N \"x\" is not a number, read as 0"}, "INC-14 hand edit")
	require.NoError(t, err)
	require.True(t, changed)
	assert.Equal(t, []string{
		`failures: N "x" is not a number, read as 0`,
		`state "open" is not CLOSED, OPEN or HALF_OPEN: CLOSED, counters reset`,
		`override "forced_open" is not FORCED_OPEN or FORCED_CLOSED: removed`,
		`healthcheckUnhealthy -1 is negative: 0`,
		`downstream alarm state "ALARMED" is not ALARM, OK or INSUFFICIENT_DATA: removed`,
	}, fixes)
	assert.Equal(t, Circuit{ServiceName: "payments", State: Closed, HealthcheckRuns: HealthcheckRuns{At: t0}, Version: 42,
		LastTransition: Transition{At: t0, From: "forced_open", To: Closed, Reason: "manual: repaired 5 value(s): INC-14 hand edit"}}, next)
	assert.Empty(t, next.RepairProblems(t0, limits), "repair leaves nothing to repair")

	// Counters out of range in a known state are clamped; a sound item is
	// unchanged, and a reason is required.
	c = Circuit{State: Open, OpenUntil: t0.Add(time.Minute), Openings: math.MaxInt32 + 1, Failures: -1}
	next, fixes, _, err = c.RepairByOperator(t0, limits, nil, "x")
	require.NoError(t, err)
	assert.Equal(t, math.MaxInt32, next.Openings)
	assert.Equal(t, 0, next.Failures)
	assert.Len(t, fixes, 2)
	sound := Circuit{State: Open, OpenUntil: t0.Add(time.Minute), Openings: 2, Version: 5}
	next, fixes, changed, err = sound.RepairByOperator(t0, limits, nil, "x")
	assert.NoError(t, err)
	assert.False(t, changed)
	assert.Empty(t, fixes)
	assert.Equal(t, sound, next)
	_, _, _, err = c.RepairByOperator(t0, limits, nil, " ")
	assert.ErrorIs(t, err, ErrOperatorReason)
}

// Property: whatever an item holds, after one repair at now nothing is left
// to repair, no alarm source's next notice is stale, and once the longest
// opening and a probe timeout are over the circuit is held only by what an
// operator or a healthcheck in ALARM says (Decide's rules 1 and 2).
func TestRepairByOperatorLeavesNoWedge(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 22))
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	when := func() time.Time {
		switch r.IntN(4) {
		case 0:
			return time.Time{}
		case 1:
			return year9999
		case 2:
			return t0.Add(time.Duration(r.IntN(7200)-3600) * time.Second)
		}
		return t0.Add(time.Duration(r.Int64N(int64(100 * 365 * 24 * time.Hour))))
	}
	count := func() int { return []int{0, 1, -5, math.MaxInt32 + 3, 7}[r.IntN(5)] }
	for i := 0; i < 5000; i++ {
		c := Circuit{ServiceName: "s",
			State:     State(pick("", "CLOSED", "OPEN", "HALF_OPEN", "open", "\x1b[31m")),
			Override:  Override(pick("", "FORCED_OPEN", "FORCED_CLOSED", "forced_open")),
			OpenUntil: when(), HalfOpenUntil: when(),
			Failures: count(), Openings: count(), Probes: count(), Successes: count(),
			HealthcheckRuns: HealthcheckRuns{At: when(), Unhealthy: count()},
			LastTransition:  Transition{At: when()},
		}
		for _, src := range Sources {
			*c.alarm(src) = AlarmStatus{State: AlarmState(pick("", "ALARM", "OK", "INSUFFICIENT_DATA", "alarm")), ChangedAt: when()}
		}
		next, _, _, err := c.RepairByOperator(t0, limits, nil, "property")
		require.NoError(t, err)
		require.Empty(t, next.RepairProblems(t0, limits), "%+v", c)
		for _, src := range Sources {
			_, outcome := next.ApplyAlarm(AlarmNotice{Source: src, AlarmName: "a", State: AlarmStateInsufficientData, ChangedAt: t0.Add(OperatorSkew + time.Second)}, t0, policy)
			require.NotEqual(t, OutcomeStale, outcome, "%s after repair of %+v", src, c)
		}
		later := t0.Add(limits.MaxOpen + limits.ProbeTimeout + OperatorSkew + time.Second)
		if next.Override != ForcedOpen && next.Healthcheck.State != AlarmStateAlarm {
			require.NotEqual(t, Reject, Decide(next, later, 1), "still rejecting at %s after repair: %+v", later, next)
		}
		require.False(t, strings.Contains(string(next.State), "\x1b"))
	}
}
