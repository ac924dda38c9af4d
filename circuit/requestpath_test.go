package circuit

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var probes = ProbePolicy{MaxCalls: 2, Timeout: 45 * time.Second}

func TestDecide(t *testing.T) {
	later, earlier := t0.Add(time.Minute), t0.Add(-time.Minute)
	for _, tc := range []struct {
		name string
		c    Circuit
		want Verdict
	}{
		{"no item", Circuit{}, Admit},
		{"closed", Circuit{State: Closed, Failures: 3}, Admit},
		{"unknown state is not open", Circuit{State: "open", OpenUntil: later}, Admit},
		{"forced open wins over closed", Circuit{State: Closed, Override: ForcedOpen}, Reject},
		{"forced closed wins over open and alarm", Circuit{State: Open, OpenUntil: later, Override: ForcedClosed, Healthcheck: AlarmStatus{State: AlarmStateAlarm}}, Bypass},
		{"unknown override is none", Circuit{State: Closed, Override: "FORCED_SIDEWAYS"}, Admit},
		{"healthcheck alarm holds a closed circuit", Circuit{State: Closed, Healthcheck: AlarmStatus{State: AlarmStateAlarm}}, Reject},
		{"healthcheck alarm holds an elapsed open circuit", Circuit{State: Open, OpenUntil: earlier, Healthcheck: AlarmStatus{State: AlarmStateAlarm}}, Reject},
		{"open until later", Circuit{State: Open, OpenUntil: later}, Reject},
		{"open until 1 ms later", Circuit{State: Open, OpenUntil: t0.Add(time.Millisecond)}, Reject},
		{"open until now", Circuit{State: Open, OpenUntil: t0}, Elect},
		{"open elapsed", Circuit{State: Open, OpenUntil: earlier}, Elect},
		{"open without openUntil", Circuit{State: Open}, Elect},
		{"half-open, free slot", Circuit{State: HalfOpen, HalfOpenUntil: later, Probes: 1}, Join},
		{"half-open, no probes counted", Circuit{State: HalfOpen, HalfOpenUntil: later}, Join},
		{"half-open, full", Circuit{State: HalfOpen, HalfOpenUntil: later, Probes: 2}, Reject},
		// More probes than the limit (lowered by a redeploy) is what a Choice
		// cannot see on DynamoDB's string numbers: the call tries to join,
		// and JoinProbe's condition refuses it (TestJoinRefusesOverFull).
		{"half-open, over full", Circuit{State: HalfOpen, HalfOpenUntil: later, Probes: 3}, Join},
		{"half-open period over", Circuit{State: HalfOpen, HalfOpenUntil: t0, Probes: 2}, Elect},
		{"half-open without a period", Circuit{State: HalfOpen, Probes: 2}, Elect},
		{"half-open forced open", Circuit{State: HalfOpen, HalfOpenUntil: later, Override: ForcedOpen}, Reject},
		// Issue 14, item 12: an election claimed this minute is another caller's.
		{"open elapsed, claimed this minute", Circuit{State: Open, OpenUntil: earlier, ElectionClaim: ElectionMinute(t0)}, Reject},
		{"open elapsed, claimed last minute", Circuit{State: Open, OpenUntil: earlier, ElectionClaim: ElectionMinute(earlier)}, Elect},
		{"open elapsed, unreadable claim", Circuit{State: Open, OpenUntil: earlier, ElectionClaim: "garbage"}, Elect},
		{"half-open period over, claimed this minute", Circuit{State: HalfOpen, HalfOpenUntil: t0, ElectionClaim: ElectionMinute(t0)}, Reject},
		{"half-open, a claim does not stop joining", Circuit{State: HalfOpen, HalfOpenUntil: later, ElectionClaim: ElectionMinute(t0)}, Join},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Decide(tc.c, t0, probes.MaxCalls))
		})
	}
}

func TestTripOpensAClosedCircuit(t *testing.T) {
	for _, state := range []State{Closed, ""} {
		c := Circuit{State: state, Failures: 5, Version: 7}
		next, changed := c.Trip(t0, policy, 5, "DownstreamBoom")
		require.True(t, changed)
		assert.Equal(t, Open, next.State)
		assert.Equal(t, t0.Add(policy.OpenDuration), next.OpenUntil)
		assert.Equal(t, 1, next.Openings)
		assert.Equal(t, 0, next.Failures, "the count starts over after the opening")
		assert.Equal(t, int64(8), next.Version, "one write, one version")
		assert.Equal(t, Transition{At: t0, From: Closed, To: Open, Reason: "5 consecutive failures, last: DownstreamBoom"}, next.LastTransition)
	}
}

func TestTripChangesNothingUnlessClosedWithTheFailures(t *testing.T) {
	for name, c := range map[string]Circuit{
		"already open":      {State: Open, OpenUntil: t0.Add(time.Minute), Failures: 5},
		"half-open":         {State: HalfOpen, HalfOpenUntil: t0.Add(time.Minute), Failures: 5},
		"reset by success":  {State: Closed, Failures: 0},
		"count went down":   {State: Closed, Failures: 2},
		"no failure at all": {State: Closed},
	} {
		t.Run(name, func(t *testing.T) {
			next, changed := c.Trip(t0, policy, 5, "X")
			assert.False(t, changed)
			assert.Equal(t, c, next)
		})
	}
	// A count that grew meanwhile still trips, and says how many.
	next, changed := Circuit{State: Closed, Failures: 7}.Trip(t0, policy, 5, "X")
	assert.True(t, changed)
	assert.Equal(t, "7 consecutive failures, last: X", next.LastTransition.Reason)
}

func TestElectFromOpen(t *testing.T) {
	c := Circuit{State: Open, OpenUntil: t0, Openings: 2, Successes: 9, Version: 3}
	_, admitted, changed := c.ElectProbe(t0.Add(-time.Millisecond), probes)
	assert.False(t, admitted || changed, "still open")

	next, admitted, changed := c.ElectProbe(t0, probes)
	require.True(t, admitted && changed)
	assert.Equal(t, HalfOpen, next.State)
	assert.Equal(t, t0.Add(probes.Timeout), next.HalfOpenUntil)
	assert.True(t, next.OpenUntil.IsZero())
	assert.Equal(t, 1, next.Probes)
	assert.Equal(t, 0, next.Successes)
	assert.Equal(t, 2, next.Openings, "kept for the next back-off")
	assert.Equal(t, int64(4), next.Version)
	assert.Equal(t, Transition{At: t0, From: Open, To: HalfOpen, Reason: "open duration elapsed: probe elected"}, next.LastTransition)

	// The next callers take the free slots, then nobody.
	next, admitted, changed = next.ElectProbe(t0.Add(time.Second), probes)
	require.True(t, admitted && changed)
	assert.Equal(t, 2, next.Probes)
	assert.Equal(t, Open, next.LastTransition.From, "joining is not a transition")
	full, admitted, changed := next.ElectProbe(t0.Add(2*time.Second), probes)
	assert.False(t, admitted || changed)
	assert.Equal(t, next, full)
}

func TestElectReelectsAStalePeriod(t *testing.T) {
	c := Circuit{State: HalfOpen, HalfOpenUntil: t0, Probes: 2, Successes: 1, Version: 5}
	next, admitted, changed := c.ElectProbe(t0, probes)
	require.True(t, admitted && changed)
	assert.Equal(t, HalfOpen, next.State)
	assert.Equal(t, t0.Add(probes.Timeout), next.HalfOpenUntil)
	assert.Equal(t, 1, next.Probes, "a new period")
	assert.Equal(t, 1, next.Successes, "successes count since the circuit went half-open")
	assert.Equal(t, HalfOpen, next.LastTransition.From)
	assert.Contains(t, next.LastTransition.Reason, "ended at 2026-11-27T00:10:00.000Z")
	assert.Contains(t, next.LastTransition.Reason, "presumed lost")

	// No period at all (an item written by hand) is a period that is over.
	next, admitted, _ = Circuit{State: HalfOpen, Probes: 2}.ElectProbe(t0, probes)
	assert.True(t, admitted)
	assert.Equal(t, t0.Add(probes.Timeout), next.HalfOpenUntil)
}

func TestElectAdmitsNobodyWhenSomethingElseDecides(t *testing.T) {
	elapsed := Circuit{State: Open, OpenUntil: t0.Add(-time.Hour)}
	for name, c := range map[string]Circuit{
		"forced open":       withOverride(elapsed, ForcedOpen),
		"forced closed":     withOverride(elapsed, ForcedClosed),
		"healthcheck alarm": {State: Open, OpenUntil: t0.Add(-time.Hour), Healthcheck: AlarmStatus{State: AlarmStateAlarm}},
		"closed meanwhile":  {State: Closed},
		"no item":           {},
		"unknown state":     {State: "open"},
	} {
		t.Run(name, func(t *testing.T) {
			next, admitted, changed := c.ElectProbe(t0, probes)
			assert.False(t, admitted || changed)
			assert.Equal(t, c, next)
		})
	}
}

func withOverride(c Circuit, o Override) Circuit { c.Override = o; return c }

func TestReopenBacksOff(t *testing.T) {
	p := Policy{OpenDuration: 10 * time.Second, MaxOpenDuration: 30 * time.Second, BackoffMultiplier: 2}
	c, tripped := Circuit{State: Closed, Failures: 3}.Trip(t0, p, 3, "Boom")
	require.True(t, tripped)
	want := []time.Duration{20 * time.Second, 30 * time.Second, 30 * time.Second}
	now := t0
	for i, d := range want {
		now = c.OpenUntil
		var admitted bool
		c, admitted, _ = c.ElectProbe(now, probes)
		require.True(t, admitted)
		period := c.HalfOpenUntil
		c, tripped = c.Reopen(now.Add(time.Second), p, period, "States.Timeout")
		require.True(t, tripped, "reopen %d", i)
		assert.Equal(t, Open, c.State)
		assert.Equal(t, now.Add(time.Second).Add(d), c.OpenUntil, "opening %d", i+2)
		assert.True(t, c.HalfOpenUntil.IsZero())
		assert.Equal(t, 0, c.Probes)
		assert.Equal(t, Transition{At: now.Add(time.Second), From: HalfOpen, To: Open, Reason: "probe failed: States.Timeout"}, c.LastTransition)
	}
	assert.Equal(t, 4, c.Openings)
}

func TestReopenIgnoresOtherPeriods(t *testing.T) {
	c := Circuit{State: HalfOpen, HalfOpenUntil: t0.Add(time.Minute), Probes: 1}
	next, changed := c.Reopen(t0, policy, t0, "Boom")
	assert.False(t, changed, "a probe of an earlier period reports too late")
	assert.Equal(t, c, next)
	for _, other := range []Circuit{{State: Closed}, {State: Open, OpenUntil: t0.Add(time.Hour)}, {}} {
		next, changed := other.Reopen(t0, policy, time.Time{}, "Boom")
		assert.False(t, changed)
		assert.Equal(t, other, next)
	}
	// Without a period (an operator's call), any half-open period matches.
	_, changed = c.Reopen(t0, policy, time.Time{}, "Boom")
	assert.True(t, changed)
}

func TestForceAndRelease(t *testing.T) {
	c := Circuit{State: Open, OpenUntil: t0.Add(time.Minute), Version: 1}
	forced, changed := c.Force(ForcedClosed, t0, "  payments team says it is fine  ")
	require.True(t, changed)
	assert.Equal(t, ForcedClosed, forced.Override)
	assert.Equal(t, Open, forced.State, "the circuit's own state is kept for the release")
	assert.Equal(t, Transition{At: t0, From: Open, To: State(ForcedClosed), Reason: "manual: payments team says it is fine"}, forced.LastTransition)
	assert.Equal(t, int64(2), forced.Version)

	again, changed := forced.Force(ForcedClosed, t0.Add(time.Second), "again")
	assert.False(t, changed, "repeating a command changes nothing")
	assert.Equal(t, forced, again)

	open, changed := forced.Force(ForcedOpen, t0.Add(time.Second), "")
	require.True(t, changed)
	assert.Equal(t, Transition{At: t0.Add(time.Second), From: State(ForcedClosed), To: State(ForcedOpen), Reason: "manual"}, open.LastTransition)

	released, changed := open.Release(t0.Add(2*time.Second), "incident over")
	require.True(t, changed)
	assert.Equal(t, NoOverride, released.Override)
	assert.Equal(t, Transition{At: t0.Add(2 * time.Second), From: State(ForcedOpen), To: Open, Reason: "manual: incident over"}, released.LastTransition)
	assert.Equal(t, int64(4), released.Version)
	_, changed = released.Release(t0, "x")
	assert.False(t, changed)

	// The effective state of a circuit without an item is CLOSED.
	f, _ := Circuit{}.Force(ForcedOpen, t0, "drill")
	assert.Equal(t, Closed, f.LastTransition.From)
}

func TestReasonsAreBounded(t *testing.T) {
	long := strings.Repeat("é", 400)
	c, _ := Circuit{State: Closed, Failures: 1}.Trip(t0, policy, 1, long)
	assert.LessOrEqual(t, len(c.LastTransition.Reason), 300)
	assert.True(t, strings.HasSuffix(c.LastTransition.Reason, "..."))
	c, _ = Circuit{}.Force(ForcedOpen, t0, long)
	assert.LessOrEqual(t, len(c.LastTransition.Reason), 300)
}

// The controller's election agrees with Decide, which the state machine's
// Choice implements: it admits exactly when Decide sends the call to elect, or
// to join and JoinProbe's condition admits it, and never more than MaxCalls
// probes per period, whatever the order of callers and clock.
func TestElectAgreesWithDecide(t *testing.T) {
	states := []State{"", Closed, Open, HalfOpen, "open"}
	overrides := []Override{NoOverride, ForcedOpen, ForcedClosed}
	alarms := []AlarmState{"", AlarmStateOK, AlarmStateAlarm}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		pp := ProbePolicy{MaxCalls: 1 + r.IntN(4), Timeout: time.Duration(1+r.IntN(60)) * time.Second}
		c := Circuit{
			State:       states[r.IntN(len(states))],
			Override:    overrides[r.IntN(len(overrides))],
			Healthcheck: AlarmStatus{State: alarms[r.IntN(len(alarms))]},
			Probes:      r.IntN(6),
			Successes:   r.IntN(3),
		}
		if r.IntN(4) > 0 {
			c.OpenUntil = t0.Add(time.Duration(r.IntN(120)-60) * time.Second)
		}
		if r.IntN(4) > 0 {
			c.HalfOpenUntil = t0.Add(time.Duration(r.IntN(120)-60) * time.Second)
		}
		v := Decide(c, t0, pp.MaxCalls)
		_, admitted, _ := c.ElectProbe(t0, pp)
		joins := v == Join
		if joins {
			// A join is admitted by JoinProbe's write, on the period read.
			_, joins, _ = JoinProbe.Apply(c, Params{ParamPeriod: c.Item()[AttrHalfOpenUntil], ParamHalfOpenMaxCalls: N(int64(pp.MaxCalls))})
		}
		if admitted != (v == Elect || joins) {
			t.Fatalf("%+v (max %d): Decide %s but ElectProbe admitted=%v", c, pp.MaxCalls, v, admitted)
		}

		// Callers arriving within one period: at most MaxCalls admitted.
		now, admittedInPeriod, period := t0, 0, time.Time{}
		for k := 0; k < 8; k++ {
			now = now.Add(time.Duration(r.IntN(3)) * time.Second)
			var ok bool
			c, ok, _ = c.ElectProbe(now, pp)
			if c.HalfOpenUntil != period {
				period, admittedInPeriod = c.HalfOpenUntil, 0
			}
			if ok {
				admittedInPeriod++
			}
			if admittedInPeriod > pp.MaxCalls {
				t.Fatalf("period %s admitted %d > %d probes", period, admittedInPeriod, pp.MaxCalls)
			}
		}
	}
}

func TestProbePolicyValidate(t *testing.T) {
	assert.NoError(t, probes.Validate())
	assert.ErrorContains(t, ProbePolicy{MaxCalls: 0, Timeout: time.Second}.Validate(), "max calls")
	assert.ErrorContains(t, ProbePolicy{MaxCalls: 1}.Validate(), "probe timeout")
}

// SetOverride is the operators' rule (circuitctl open, close, release; the
// controller Lambda takes no override).
func TestSetOverrideIsTheOperatorsRule(t *testing.T) {
	at := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	c := Circuit{ServiceName: "payments", State: Open, Version: 3}

	_, changed, err := c.SetOverride(ForcedOpen, at, "  ")
	if !errors.Is(err, ErrReasonRequired) || changed {
		t.Fatalf("forcing without a reason: changed %v, err %v", changed, err)
	}
	forced, changed, err := c.SetOverride(ForcedClosed, at, "INC-7")
	if err != nil || !changed || forced.Override != ForcedClosed || forced.Version != 4 ||
		forced.LastTransition != (Transition{At: at, From: Open, To: State(ForcedClosed), Reason: "manual: INC-7"}) {
		t.Fatalf("force: %+v, %v, %v", forced, changed, err)
	}
	if again, changed, err := forced.SetOverride(ForcedClosed, at.Add(time.Second), "INC-7 again"); err != nil || changed || again.Version != 4 {
		t.Fatalf("forcing twice: changed %v, version %d, %v", changed, again.Version, err)
	}
	released, changed, err := forced.SetOverride(NoOverride, at, "")
	if err != nil || !changed || released.Override != NoOverride || released.LastTransition.Reason != "manual: "+DefaultReleaseReason {
		t.Fatalf("release: %+v, %v, %v", released, changed, err)
	}
	if _, changed, err := released.SetOverride(NoOverride, at, ""); err != nil || changed {
		t.Fatalf("releasing twice changed %v, %v", changed, err)
	}
	if _, _, err := c.SetOverride("HALF_FORCED", at, "x"); err == nil {
		t.Fatal("an unknown override was accepted")
	}
}

// The election's claim (issue 14, item 12): one winner per version read and
// minute; the minute is the start time's prefix the state machine computes.
func TestClaimElection(t *testing.T) {
	c := Circuit{State: Open, OpenUntil: t0.Add(-time.Second), Version: 7}
	won, ok := c.ClaimElection(t0, 7)
	require.True(t, ok)
	assert.Equal(t, int64(8), won.Version)
	assert.Equal(t, "2026-11-27T00:10", won.ElectionClaim)
	assert.Equal(t, Reject, Decide(won, t0, 1), "the others fail fast")

	_, ok = won.ClaimElection(t0, 8)
	assert.False(t, ok, "claimed this minute")
	_, ok = c.ClaimElection(t0, 6)
	assert.False(t, ok, "read an older version")
	next, ok := won.ClaimElection(t0.Add(time.Minute), 8)
	assert.True(t, ok, "a claim ends with its minute")
	assert.Equal(t, ElectionMinute(t0.Add(time.Minute)), next.ElectionClaim)

	// The election the claim was for, and every opening, clear it.
	elected, admitted, _ := won.ElectProbe(t0, probes)
	assert.True(t, admitted)
	assert.Empty(t, elected.ElectionClaim)
	half := Circuit{State: HalfOpen, HalfOpenUntil: t0, ElectionClaim: ElectionMinute(t0)}
	opened, _ := half.Reopen(t0, Policy{OpenDuration: time.Minute}, t0, "boom")
	assert.Empty(t, opened.ElectionClaim)
}

func TestElectionMinuteIsTheStartTimesPrefix(t *testing.T) {
	for _, start := range []string{"2026-06-01T12:03:45.123Z", "2026-06-01T12:03:00Z", "2026-06-01T12:03:59.999Z"} {
		at, err := ParseTime(start)
		require.NoError(t, err)
		parts := strings.Split(start, ":")
		assert.Equal(t, parts[0]+":"+parts[1], ElectionMinute(at), start)
	}
}
