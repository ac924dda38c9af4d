package circuit

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// year9999 is the time the reports used: any far-future time.
var year9999 = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// Issue 14 item 6: a time from an input more than MaxClockSkew ahead of the
// Lambda's clock is refused by the rules themselves, whatever path brings it.
func TestInputTimesBeyondTheSkewAreRefused(t *testing.T) {
	now := t0
	edge := now.Add(MaxClockSkew)
	require.NoError(t, CheckTime("at", edge, now), "a clock up to the skew ahead is accepted")
	err := CheckTime("at", edge.Add(time.Millisecond), now)
	var future *FutureTimeError
	require.ErrorAs(t, err, &future)
	assert.Contains(t, err.Error(), "at 2026-11-27T00:15:00.001Z is more than 5m0s ahead")

	for _, src := range Sources {
		for _, st := range []AlarmState{AlarmStateAlarm, AlarmStateOK, AlarmStateInsufficientData} {
			c := Circuit{State: Closed, Version: 3}
			next, out := c.ApplyAlarm(notice(src, st, year9999), now, policy)
			assert.Equal(t, OutcomeInvalid, out, "%s %s", src, st)
			assert.Equal(t, c, next)
		}
	}
	ok, out := Circuit{State: Closed}.ApplyAlarm(notice(SourceDownstream, AlarmStateAlarm, edge), now, policy)
	assert.Equal(t, OutcomeOpened, out, "within the skew: applied")
	assert.Equal(t, edge, ok.Downstream.ChangedAt)

	for _, healthy := range []bool{true, false} {
		c := Circuit{State: Closed, Healthcheck: AlarmStatus{State: AlarmStateAlarm, ChangedAt: t0}}
		next, out := c.ApplyVerdict(HealthcheckVerdict{Healthy: healthy, At: year9999}, now, policy, hcPolicy)
		assert.Equal(t, OutcomeInvalid, out)
		assert.Equal(t, c, next)
	}
}

// Issue 14 item 6, the reported cases, for circuits that already hold a
// far-future time (written before CheckTime): such a time orders nothing.
func TestStoredFutureTimesOrderNothing(t *testing.T) {
	minute := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

	t.Run("a healthcheck ALARM dated 9999 yields to the real OK", func(t *testing.T) {
		held, _ := Circuit{State: Closed}.ApplyAlarm(hcNotice(AlarmStateAlarm, minute(1)), minute(1), policy)
		held.Healthcheck.ChangedAt = year9999 // as the forged notice left it
		require.Equal(t, Reject, Decide(held, minute(30), 1))

		c, out := held.ApplyAlarm(hcNotice(AlarmStateOK, minute(10)), minute(10), policy)
		assert.Equal(t, OutcomeClosed, out, "the real OK, a notification or reconciliation's read of the alarm")
		assert.Equal(t, Admit, Decide(c, minute(10), 1))
		assert.Equal(t, minute(10), c.Healthcheck.ChangedAt)

		c, out = held.ApplyVerdict(run(true, minute(10)), minute(10), policy, hcPolicy)
		assert.Equal(t, OutcomeClosed, out, "the next healthy run")
		assert.Equal(t, Admit, Decide(c, minute(10), 1))
	})
	t.Run("a healthcheck run dated 9999 does not supersede or outrank real ones", func(t *testing.T) {
		c := Circuit{State: Closed, HealthcheckRuns: HealthcheckRuns{At: year9999}}
		next, out := c.ApplyVerdict(run(false, minute(1)), minute(1), policy, hcPolicy)
		assert.Equal(t, OutcomeOpened, out)
		assert.Equal(t, minute(1), next.HealthcheckRuns.At)
		_, out = c.ApplyAlarm(hcNotice(AlarmStateAlarm, minute(1)), minute(1), policy)
		assert.Equal(t, OutcomeOpened, out, "not superseded by a run from the future")
	})
	t.Run("a downstream notice dated 9999 does not make later ALARMs stale", func(t *testing.T) {
		c := Circuit{State: Closed, Downstream: AlarmStatus{State: AlarmStateOK, ChangedAt: year9999}}
		next, out := c.ApplyAlarm(notice(SourceDownstream, AlarmStateAlarm, minute(5)), minute(5), policy)
		assert.Equal(t, OutcomeOpened, out)
		assert.Equal(t, minute(5), next.Downstream.ChangedAt)
		_, out = next.ApplyAlarm(notice(SourceDownstream, AlarmStateAlarm, minute(5)), minute(6), policy)
		assert.Equal(t, OutcomeStale, out, "order is kept from there on")
	})
	t.Run("a stale notice leaves the stored time as it was", func(t *testing.T) {
		c := Circuit{State: Closed, Downstream: AlarmStatus{State: AlarmStateOK, ChangedAt: minute(5)}, SlowCalls: AlarmStatus{State: AlarmStateOK, ChangedAt: year9999}}
		next, out := c.ApplyAlarm(notice(SourceDownstream, AlarmStateAlarm, minute(4)), minute(6), policy)
		assert.Equal(t, OutcomeStale, out)
		assert.Equal(t, c, next, "nothing changes, not even another source's time: Repair's job")
	})
}

// Issue 14 item 13: a slow unhealthy run (scheduled first, answered last)
// must not open the circuit that a newer healthy run found healthy; the
// healthy run records itself even though it changes nothing else.
func TestSlowUnhealthyRunOvertakenByAHealthyOne(t *testing.T) {
	minute := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	c := Circuit{State: Closed}
	c, out := c.ApplyVerdict(run(true, minute(2)), minute(2).Add(time.Second), policy, hcPolicy)
	require.Equal(t, OutcomeRecorded, out, "recorded, though nothing else changes")
	require.Equal(t, minute(2), c.HealthcheckRuns.At)
	require.Equal(t, int64(1), c.Version)

	next, out := c.ApplyVerdict(run(false, minute(1)), minute(2).Add(30*time.Second), policy, hcPolicy)
	assert.Equal(t, OutcomeStale, out)
	assert.Equal(t, c, next)
	assert.Equal(t, Admit, Decide(next, minute(3), 1))
}

// Issue 14 item 22: an override the rules do not know is no override,
// everywhere, as in the state machine's CheckCircuit and SelectCircuit
// (which compare with FORCED_OPEN and FORCED_CLOSED only).
func TestUnknownOverrideIsNone(t *testing.T) {
	for _, o := range []Override{"forced_open", "FORCED_OPEN ", "MAINTENANCE", "\x00"} {
		c := Circuit{State: Open, OpenUntil: t0, Openings: 1, Override: o}
		assert.Equal(t, Elect, Decide(c, t0, 1), "%q", o)
		next, admitted, changed := c.ElectProbe(t0, probes)
		assert.True(t, admitted && changed, "%q: the probe is elected; refusing it kept the circuit open for good", o)
		assert.Equal(t, HalfOpen, next.State)
		assert.Equal(t, Open, c.Effective())
		assert.Equal(t, ScopeBreaker, Governing(Circuit{State: Open}, Circuit{Override: o}), "a key's unknown override does not win over the breaker's hold")
		assert.False(t, o.Known())

		released, changed := c.Release(t0, "")
		assert.True(t, changed, "release clears it")
		assert.Equal(t, NoOverride, released.Override)
	}
}

func TestRepair(t *testing.T) {
	now := t0
	limits := Limits{Open: policy, ProbeTimeout: 45 * time.Second}
	for _, tc := range []struct {
		name  string
		in    Circuit
		want  Circuit
		fixes []string
	}{
		{"a sound circuit is left alone",
			Circuit{State: Open, OpenUntil: now.Add(policy.MaxOpenDuration), Openings: 4, Healthcheck: AlarmStatus{AlarmStateAlarm, now.Add(MaxClockSkew)}},
			Circuit{State: Open, OpenUntil: now.Add(policy.MaxOpenDuration), Openings: 4, Healthcheck: AlarmStatus{AlarmStateAlarm, now.Add(MaxClockSkew)}}, nil},
		{"what the decoder could not read is reported, one line per value",
			Circuit{State: Closed, Unreadable: "failures: N \"1.5; 2\" is not a number, read as 0" + UnreadableSeparator + "override: a set where a string (S) belongs, read as absent"},
			Circuit{State: Closed}, []string{`failures: N "1.5; 2" is not a number, read as 0`, "override: a set"}},
		{"an unknown state is CLOSED", Circuit{State: "open"}, Circuit{State: Closed}, []string{`state "open"`}},
		{"an unknown state is CLOSED as a close leaves it",
			Circuit{State: "open", OpenUntil: now.Add(time.Minute), HalfOpenUntil: now, Failures: 3, Openings: 2, Probes: 1, Successes: 1, ElectionClaim: "2026-11-27T00:10"},
			Circuit{State: Closed}, []string{`state "open" is not a state: CLOSED, counters and deadlines reset`}},
		{"an unknown override is none", Circuit{State: Open, Override: "forced_open"}, Circuit{State: Open}, []string{`override "forced_open"`}},
		{"counters are clamped",
			Circuit{State: Closed, Failures: -3, Openings: MaxCount + 1, Probes: -1, Successes: 2, HealthcheckRuns: HealthcheckRuns{Unhealthy: -1}},
			Circuit{State: Closed, Openings: MaxCount, Successes: 2}, []string{"failures -3", "openings", "probes -1", "healthcheckUnhealthy -1"}},
		{"an unknown alarm state is absent",
			Circuit{State: Closed, Downstream: AlarmStatus{"alarm", now}}, Circuit{State: Closed}, []string{`downstream alarm state "alarm"`}},
		{"alarm and run times from the future are absent, their states kept",
			Circuit{State: Open, OpenUntil: now, Healthcheck: AlarmStatus{AlarmStateAlarm, year9999}, SlowCalls: AlarmStatus{AlarmStateOK, year9999}, HealthcheckRuns: HealthcheckRuns{At: year9999, Unhealthy: 2}},
			Circuit{State: Open, OpenUntil: now, Healthcheck: AlarmStatus{State: AlarmStateAlarm}, SlowCalls: AlarmStatus{State: AlarmStateOK}, HealthcheckRuns: HealthcheckRuns{Unhealthy: 2}},
			[]string{"slowCalls alarm time", "healthcheck alarm time", "healthcheckRunAt"}},
		{"a trip at 9998 has elapsed",
			Circuit{State: Open, OpenUntil: time.Date(9998, 1, 1, 0, 1, 0, 0, time.UTC), Openings: 1},
			Circuit{State: Open, Openings: 1}, []string{"openUntil 9998-01-01T00:01:00.000Z is beyond the longest opening (5m0s)"}},
		{"a half-open period beyond one probe timeout has elapsed",
			Circuit{State: HalfOpen, HalfOpenUntil: now.Add(limits.ProbeTimeout + MaxClockSkew + time.Millisecond), Probes: 2},
			Circuit{State: HalfOpen, Probes: 2}, []string{"halfOpenUntil"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, fixes := tc.in.Repair(now, limits)
			assert.Equal(t, tc.want, got)
			require.Len(t, fixes, len(tc.fixes), "%q", fixes)
			for i, f := range tc.fixes {
				assert.Contains(t, fixes[i], f)
			}
			again, more := got.Repair(now, limits)
			assert.Equal(t, got, again, "idempotent")
			assert.Empty(t, more)
		})
	}

	t.Run("a repaired circuit admits again", func(t *testing.T) {
		c := Circuit{State: Open, OpenUntil: time.Date(9998, 1, 1, 0, 0, 0, 0, time.UTC), Override: "forced_open"}
		require.Equal(t, Reject, Decide(c, now, 1))
		c, _ = c.Repair(now, limits)
		assert.Equal(t, Elect, Decide(c, now, 1))
	})
	t.Run("unknown limits leave the deadlines alone", func(t *testing.T) {
		c := Circuit{State: Open, OpenUntil: year9999}
		got, fixes := c.Repair(now, Limits{})
		assert.Equal(t, c, got)
		assert.Empty(t, fixes)
	})
}

func TestClearSource(t *testing.T) {
	now := t0.Add(time.Hour)
	held := Circuit{State: Open, OpenUntil: now.Add(time.Minute), Openings: 1, Version: 7,
		Healthcheck: AlarmStatus{AlarmStateAlarm, year9999}, HealthcheckRuns: HealthcheckRuns{At: year9999, Unhealthy: 3},
		Downstream: AlarmStatus{AlarmStateOK, t0}}
	c, changed, err := held.ClearSource(SourceHealthcheck, now, "INC-9: forged notice")
	require.NoError(t, err)
	require.True(t, changed)
	assert.Equal(t, AlarmStatus{}, c.Healthcheck)
	assert.Equal(t, HealthcheckRuns{}, c.HealthcheckRuns)
	assert.Equal(t, held.Downstream, c.Downstream, "other sources untouched")
	assert.Equal(t, Open, c.State, "released, not closed: the probes decide")
	assert.Equal(t, Elect, Decide(c, now.Add(time.Minute), 1))
	assert.Equal(t, int64(8), c.Version)
	assert.Equal(t, Transition{At: now, From: Open, To: Open, Reason: "manual: healthcheck alarm source cleared (was ALARM): INC-9: forged notice"}, c.LastTransition)

	// The next real notice is applied, whatever its time.
	_, out := c.ApplyAlarm(hcNotice(AlarmStateOK, t0), now, policy)
	assert.Equal(t, OutcomeRecorded, out)

	again, changed, err := c.ClearSource(SourceHealthcheck, now, "again")
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Equal(t, c, again)

	_, _, err = held.ClearSource(SourceHealthcheck, now, " ")
	assert.ErrorContains(t, err, "reason is required")
	_, _, err = held.ClearSource("upstream", now, "x")
	assert.ErrorContains(t, err, `unknown alarm source "upstream"`)

	// Every source: only its own record goes, and the record says what it held.
	for _, src := range Sources {
		c := Circuit{State: Closed}
		for _, other := range Sources {
			*c.alarm(other) = AlarmStatus{AlarmStateOK, t0}
		}
		*c.alarm(src) = AlarmStatus{"ALARMED\x1b[2J", t0}
		next, changed, err := c.ClearSource(src, now, "INC-10")
		require.NoError(t, err)
		require.True(t, changed)
		assert.Equal(t, "manual: "+string(src)+" alarm source cleared (was ALARMED\x1b[2J): INC-10", next.LastTransition.Reason)
		for _, other := range Sources {
			want := AlarmStatus{AlarmStateOK, t0}
			if other == src {
				want = AlarmStatus{}
			}
			assert.Equal(t, want, *next.alarm(other), "%s cleared, %s", src, other)
		}
	}
}

// circuitctl repair (issue 14 item 22): Repair, recorded as the operator's
// transition with the reason, one version.
func TestManualRepair(t *testing.T) {
	limits := Limits{Open: policy, ProbeTimeout: 45 * time.Second}
	c := Circuit{ServiceName: "payments", State: "open", Override: "forced_open", OpenUntil: t0.Add(time.Minute),
		Failures: -3, Openings: MaxCount + 10, Probes: 2, Successes: 1,
		Downstream:      AlarmStatus{State: "ALARMED", ChangedAt: t0},
		HealthcheckRuns: HealthcheckRuns{At: t0, Unhealthy: -1}, Version: 41,
		Unreadable: `failures: N "x" is not a number, read as 0`}
	next, fixes, changed, err := c.ManualRepair(t0, limits, "INC-14 hand edit")
	require.NoError(t, err)
	require.True(t, changed)
	assert.Equal(t, []string{
		`failures: N "x" is not a number, read as 0`,
		`state "open" is not a state: CLOSED, counters and deadlines reset`,
		`override "forced_open" is not FORCED_OPEN or FORCED_CLOSED: removed (no override)`,
		`healthcheckUnhealthy -1 is negative: 0`,
		`downstream alarm state "ALARMED" is not ALARM, OK or INSUFFICIENT_DATA: removed`,
	}, fixes)
	assert.Equal(t, Circuit{ServiceName: "payments", State: Closed, HealthcheckRuns: HealthcheckRuns{At: t0}, Version: 42,
		LastTransition: Transition{At: t0, From: "open", To: Closed, Reason: "manual: repaired 5 value(s): INC-14 hand edit"}}, next)
	_, more := next.Repair(t0, limits)
	assert.Empty(t, more, "nothing left to repair")

	// An unknown state of any length is recorded cut, as every echo.
	huge := Circuit{State: State(strings.Repeat("x", 10_000))}
	next, _, _, err = huge.ManualRepair(t0, limits, "x")
	require.NoError(t, err)
	assert.LessOrEqual(t, len(next.LastTransition.From), MaxEcho+len("..."))

	// A sound circuit is unchanged; a reason is required.
	sound := Circuit{State: Open, OpenUntil: t0.Add(time.Minute), Openings: 2, Version: 5}
	next, fixes, changed, err = sound.ManualRepair(t0, limits, "x")
	assert.NoError(t, err)
	assert.False(t, changed)
	assert.Empty(t, fixes)
	assert.Equal(t, sound, next)
	_, _, _, err = c.ManualRepair(t0, limits, " ")
	assert.ErrorContains(t, err, "reason is required")
}

// Property (issue 14 items 6 and 22): whatever an item holds, after one
// repair at now nothing is left to repair, no alarm source's next notice is
// stale, and once the longest opening and a probe timeout are over the
// circuit is held only by what an operator or a healthcheck in ALARM says
// (Decide's rules 1 and 2).
func TestRepairLeavesNoWedge(t *testing.T) {
	limits := Limits{Open: policy, ProbeTimeout: 45 * time.Second}
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
	count := func() int { return []int{0, 1, -5, MaxCount + 3, 7}[r.IntN(5)] }
	next := t0.Add(MaxClockSkew + time.Second) // a notice after every time Repair keeps
	later := t0.Add(limits.Open.Longest() + limits.ProbeTimeout + MaxClockSkew + time.Second)
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
		fixed, _, _, err := c.ManualRepair(t0, limits, "property")
		require.NoError(t, err)
		_, more := fixed.Repair(t0, limits)
		require.Empty(t, more, "%+v", c)
		for _, src := range Sources {
			_, outcome := fixed.ApplyAlarm(notice(src, AlarmStateInsufficientData, next), next, policy)
			require.NotEqual(t, OutcomeStale, outcome, "%s after repair of %+v", src, c)
		}
		if fixed.Override != ForcedOpen && fixed.Healthcheck.State != AlarmStateAlarm {
			require.NotEqual(t, Reject, Decide(fixed, later, 1), "still rejecting at %s after repair: %+v", later, fixed)
		}
		require.False(t, strings.Contains(string(fixed.State), "\x1b"))
	}
}

func TestClearHold(t *testing.T) {
	now := t0
	for _, tc := range []struct {
		name string
		c    Circuit
	}{
		{"a healthcheck hold", Circuit{State: Open, OpenUntil: now.Add(-time.Minute), Healthcheck: AlarmStatus{AlarmStateAlarm, t0}}},
		{"an open deadline in 9998", Circuit{State: Open, OpenUntil: time.Date(9998, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"a half-open period in 9998, full", Circuit{State: HalfOpen, HalfOpenUntil: time.Date(9998, 1, 1, 0, 0, 0, 0, time.UTC), Probes: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, Reject, Decide(tc.c, now, 1))
			c, changed, err := tc.c.ClearHold(now, "INC-9")
			require.NoError(t, err)
			require.True(t, changed)
			assert.Equal(t, Elect, Decide(c, now, 1), "the next call is a probe")
			assert.Equal(t, "manual: hold cleared: INC-9", c.LastTransition.Reason)
			assert.Equal(t, tc.c.Version+1, c.Version)
		})
	}
	c := Circuit{State: Closed}
	got, changed, err := c.ClearHold(now, "nothing held")
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Equal(t, c, got)
	_, _, err = Circuit{State: Open, OpenUntil: year9999}.ClearHold(now, "")
	assert.ErrorContains(t, err, "reason is required")
}

// Issue 14 item 9: one bound for every echoed value.
func TestEchoIsBounded(t *testing.T) {
	huge := strings.Repeat("é\x1b[2J\n", 40_000)
	assert.LessOrEqual(t, len(Echo(huge)), MaxEcho+len("..."))
	q := Quote(huge)
	assert.LessOrEqual(t, len(q), 4*MaxEcho+8, "quoted: escapes at most 4x")
	assert.NotContains(t, q, "\n")
	assert.NotContains(t, q, "\x1b")
	assert.Equal(t, "short", Echo("short"))
}

func TestPrunable(t *testing.T) {
	for _, tc := range []struct {
		c    Circuit
		want bool
	}{
		{Circuit{ServiceName: "payments#acme", State: Closed, Version: 9, Openings: 0}, true},
		{Circuit{ServiceName: "payments#acme", Version: 1}, true},
		{Circuit{ServiceName: "payments", State: Closed}, false},
		{Circuit{ServiceName: "payments#acme", State: Closed, Failures: 1}, false},
		{Circuit{ServiceName: "payments#acme", State: Closed, Override: ForcedClosed}, false},
		{Circuit{ServiceName: "payments#acme", State: Open}, false},
		{Circuit{ServiceName: "payments#acme", State: HalfOpen}, false},
		{Circuit{ServiceName: "payments#acme", State: Closed, Probes: 1}, false},
		// A value the decoder read as its default: the operator sees it
		// (status, repair) before anything deletes it.
		{Circuit{ServiceName: "payments#acme", State: Closed, Unreadable: `failures: a string (S) where a number (N) belongs, read as 0`}, false},
	} {
		assert.Equal(t, tc.want, Prunable(tc.c), "%+v", tc.c)
	}
}
