package circuit

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The healthcheck alarm's default (Errors >= 1 in 1 of 1 one-minute period)
// with 2 minutes of CloudWatch delay: its evidence reaches 3 minutes back.
var hcPolicy = HealthcheckPolicy{UnhealthyThreshold: 1, AlarmWindow: 3 * time.Minute}

func run(healthy bool, at time.Time) HealthcheckVerdict {
	return HealthcheckVerdict{Healthy: healthy, At: at, Detail: "DownstreamUnavailable"}
}

func hcNotice(st AlarmState, at time.Time) AlarmNotice {
	n := notice(SourceHealthcheck, st, at)
	n.Window = hcPolicy.AlarmWindow
	return n
}

func TestApplyVerdictRules(t *testing.T) {
	minute := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	held := AlarmStatus{State: AlarmStateAlarm, ChangedAt: minute(0)}
	tests := []struct {
		name    string
		start   Circuit
		verdict HealthcheckVerdict
		hp      HealthcheckPolicy
		outcome Outcome
		state   State
		hold    AlarmState
	}{
		{"unhealthy at the threshold opens and holds a closed circuit", Circuit{State: Closed}, run(false, minute(1)), hcPolicy, OutcomeOpened, Open, AlarmStateAlarm},
		{"unhealthy holds a circuit the request path opened", Circuit{State: Open, OpenUntil: minute(2)}, run(false, minute(1)), hcPolicy, OutcomeRecorded, Open, AlarmStateAlarm},
		{"unhealthy below the threshold only counts", Circuit{State: Closed}, run(false, minute(1)), HealthcheckPolicy{UnhealthyThreshold: 2}, OutcomeRecorded, Closed, ""},
		{"the second unhealthy of a threshold of 2 opens", Circuit{State: Closed, HealthcheckRuns: HealthcheckRuns{At: minute(0), Unhealthy: 1}}, run(false, minute(1)), HealthcheckPolicy{UnhealthyThreshold: 2}, OutcomeOpened, Open, AlarmStateAlarm},
		{"healthy releases the hold and closes an open circuit", Circuit{State: Open, Openings: 2, Healthcheck: held}, run(true, minute(1)), hcPolicy, OutcomeClosed, Closed, AlarmStateOK},
		{"healthy releases the hold and closes a half-open circuit", Circuit{State: HalfOpen, Probes: 1, Healthcheck: held}, run(true, minute(1)), hcPolicy, OutcomeClosed, Closed, AlarmStateOK},
		{"healthy releases the hold of a closed circuit", Circuit{State: Closed, Healthcheck: held}, run(true, minute(1)), hcPolicy, OutcomeReleased, Closed, AlarmStateOK},
		{"healthy leaves a circuit it did not hold to its probes", Circuit{State: Open, OpenUntil: minute(2)}, run(true, minute(1)), hcPolicy, OutcomeRecorded, Open, ""},
		// Issue 14 item 13: recorded all the same, so that an older run
		// finishing later is stale (TestSlowUnhealthyRunOvertakenByAHealthyOne).
		{"healthy with nothing to clear records its run", Circuit{State: Closed, Healthcheck: AlarmStatus{AlarmStateOK, minute(0)}}, run(true, minute(1)), hcPolicy, OutcomeRecorded, Closed, AlarmStateOK},
		{"healthy clears an unhealthy count", Circuit{State: Closed, HealthcheckRuns: HealthcheckRuns{At: minute(0), Unhealthy: 1}}, run(true, minute(1)), HealthcheckPolicy{UnhealthyThreshold: 2}, OutcomeRecorded, Closed, ""},
		{"a repeated run is stale", Circuit{State: Open, Healthcheck: held, HealthcheckRuns: HealthcheckRuns{At: minute(1), Unhealthy: 1}}, run(false, minute(1)), hcPolicy, OutcomeStale, Open, AlarmStateAlarm},
		{"an older run is stale", Circuit{State: Open, Healthcheck: held, HealthcheckRuns: HealthcheckRuns{At: minute(1), Unhealthy: 1}}, run(true, minute(0)), hcPolicy, OutcomeStale, Open, AlarmStateAlarm},
		{"a run older than the held alarm's data only counts", Circuit{State: Open, Healthcheck: AlarmStatus{AlarmStateAlarm, minute(10)}}, run(true, minute(6)), hcPolicy, OutcomeRecorded, Open, AlarmStateAlarm},
		{"a run within the held alarm's data releases it: a lost OK cannot hold", Circuit{State: Open, Healthcheck: AlarmStatus{AlarmStateAlarm, minute(10)}}, run(true, minute(8)), hcPolicy, OutcomeClosed, Closed, AlarmStateOK},
		{"a missing run time is invalid", Circuit{State: Open, Healthcheck: held}, run(true, time.Time{}), hcPolicy, OutcomeInvalid, Open, AlarmStateAlarm},
		{"a zero threshold is invalid", Circuit{State: Closed}, run(false, minute(1)), HealthcheckPolicy{}, OutcomeInvalid, Closed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.verdict.At.Add(2 * time.Second)
			next, outcome := tt.start.ApplyVerdict(tt.verdict, now, policy, tt.hp)
			assert.Equal(t, tt.outcome, outcome)
			assert.Equal(t, tt.state, next.State)
			assert.Equal(t, tt.hold, next.Healthcheck.State)
			if outcome.Changed() {
				assert.Equal(t, tt.start.Version+1, next.Version, "an applied verdict bumps the version once")
			} else {
				assert.Equal(t, tt.start, next, "an unapplied verdict changes nothing")
			}
		})
	}
}

// TestVerdictAndLateAlarm is the order the issue names: the downstream
// recovers, the next scheduled run closes the circuit, and the alarm's ALARM
// for the runs before the recovery arrives only afterwards (CloudWatch's
// delay): it must not reopen the circuit, nor its OK matter.
func TestVerdictAndLateAlarm(t *testing.T) {
	minute := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	c := Circuit{State: Closed}
	var out Outcome

	c, out = c.ApplyVerdict(run(false, minute(1)), minute(1), policy, hcPolicy)
	require.Equal(t, OutcomeOpened, out)
	require.Equal(t, Reject, Decide(c, minute(5), 1), "held past the open duration while the healthcheck fails")
	c, out = c.ApplyVerdict(run(false, minute(2)), minute(2), policy, hcPolicy)
	require.Equal(t, OutcomeRecorded, out)

	// Recovery at 2.5 min; the run at 3 min sees it.
	c, out = c.ApplyVerdict(run(true, minute(3)), minute(3), policy, hcPolicy)
	require.Equal(t, OutcomeClosed, out)
	require.Equal(t, Admit, Decide(c, minute(3), 1))

	// The alarm evaluates the 2-minute datapoint late: its ALARM is sent at
	// 4 min, after the close, for runs before it.
	c, out = c.ApplyAlarm(hcNotice(AlarmStateAlarm, minute(4)), minute(4), policy)
	assert.Equal(t, OutcomeSuperseded, out)
	assert.Equal(t, Admit, Decide(c, minute(4), 1), "a late ALARM from before the recovery must not reopen")
	c, out = c.ApplyAlarm(hcNotice(AlarmStateOK, minute(5)), minute(5), policy)
	assert.Equal(t, OutcomeSuperseded, out)
	assert.Equal(t, Closed, c.State)
}

// TestLostAlarmOKCannotHold: the alarm opened and held the circuit (say the
// controller was not yet deployed), and its OK notification was lost: the
// first healthy verdict releases the hold.
func TestLostAlarmOKCannotHold(t *testing.T) {
	minute := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	c, out := Circuit{State: Closed}.ApplyAlarm(hcNotice(AlarmStateAlarm, minute(4)), minute(4), policy)
	require.Equal(t, OutcomeOpened, out)
	require.Equal(t, Reject, Decide(c, minute(30), 1), "held by the alarm")
	c, out = c.ApplyVerdict(run(true, minute(30)), minute(30), policy, hcPolicy)
	require.Equal(t, OutcomeClosed, out)
	assert.Equal(t, Admit, Decide(c, minute(30), 1))
}

// TestAlarmStaysTheBackup: once verdicts stop (the controller failing), the
// alarm's notices for later runs apply again: it opens and closes as before.
func TestAlarmStaysTheBackup(t *testing.T) {
	minute := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	c, _ := Circuit{State: Closed}.ApplyVerdict(run(false, minute(1)), minute(1), policy, hcPolicy)
	c, _ = c.ApplyVerdict(run(true, minute(2)), minute(2), policy, hcPolicy)
	require.Equal(t, Closed, c.State)

	c, out := c.ApplyAlarm(hcNotice(AlarmStateAlarm, minute(10)), minute(10), policy)
	require.Equal(t, OutcomeOpened, out, "data from 7 to 10 min, after the last verdict: the alarm decides")
	c, out = c.ApplyAlarm(hcNotice(AlarmStateOK, minute(12)), minute(12), policy)
	require.Equal(t, OutcomeClosed, out)
}

// TestRepeatedRunsIdempotent: Scheduler and Lambda deliver at least once; the
// same run applied any number of times counts once.
func TestRepeatedRunsIdempotent(t *testing.T) {
	hp := HealthcheckPolicy{UnhealthyThreshold: 2, AlarmWindow: hcPolicy.AlarmWindow}
	at := t0.Add(time.Minute)
	c := Circuit{State: Closed}
	c, out := c.ApplyVerdict(run(false, at), at, policy, hp)
	require.Equal(t, OutcomeRecorded, out)
	for i := 0; i < 3; i++ {
		again, out := c.ApplyVerdict(run(false, at.Add(500*time.Microsecond)), at.Add(time.Duration(i)*time.Second), policy, hp)
		require.Equal(t, OutcomeStale, out, "the same run at the item's millisecond precision")
		require.Equal(t, c, again)
	}
	assert.Equal(t, 1, c.HealthcheckRuns.Unhealthy)
	assert.Equal(t, Closed, c.State, "one failed run, counted once, is below the threshold of 2")
	assert.Equal(t, int64(1), c.Version)
}

// TestVerdictsAndAlarmsProperties mixes random healthcheck verdicts (some
// delivered twice, some out of order) with random healthcheck and downstream
// alarm notices (windowed), and checks what must hold whatever the mix: an
// unapplied event changes nothing, an applied one bumps Version once, a
// newest healthy verdict releases every hold (no circuit is held forever),
// and a newest run of unhealthy verdicts at the threshold holds the circuit.
func TestVerdictsAndAlarmsProperties(t *testing.T) {
	runs := 5000
	if testing.Short() {
		runs = 500
	}
	for seed := range uint64(runs) {
		r := rand.New(rand.NewPCG(seed, 0x7e4d))
		s := genScenario(r)
		hp := HealthcheckPolicy{UnhealthyThreshold: 1 + r.IntN(3), AlarmWindow: time.Duration(r.IntN(400)) * time.Second}
		for i := range s.notices {
			s.notices[i].Window = hp.AlarmWindow
		}
		type event struct {
			notice  *AlarmNotice
			verdict *HealthcheckVerdict
		}
		var evs []event
		for i := range s.notices {
			evs = append(evs, event{notice: &s.notices[i]})
		}
		at := t0.Add(-time.Hour)
		for i := r.IntN(10); i > 0; i-- {
			at = at.Add(time.Duration(1+r.IntN(120)) * time.Second)
			v := HealthcheckVerdict{Healthy: r.IntN(2) == 0, At: at}
			evs = append(evs, event{verdict: &v})
			if r.IntN(4) == 0 {
				evs = append(evs, event{verdict: &v})
			}
		}
		r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })

		c, now := s.start, t0.Add(20*time.Minute) // after every genuine notice (genScenario)
		for _, e := range evs {
			now = now.Add(time.Duration(r.IntN(60_000)) * time.Millisecond)
			var next Circuit
			var out Outcome
			if e.notice != nil {
				next, out = c.ApplyAlarm(*e.notice, now, s.policy)
			} else {
				next, out = c.ApplyVerdict(*e.verdict, now, s.policy, hp)
				if again, out2 := next.ApplyVerdict(*e.verdict, now, s.policy, hp); out2.Changed() || again != next {
					t.Fatalf("seed %d: the same run applied twice changed the circuit (%s)", seed, out2)
				}
			}
			switch {
			case !out.Changed() && next != c:
				t.Fatalf("seed %d: %s changed the circuit", seed, out)
			case out.Changed() && next.Version != c.Version+1:
				t.Fatalf("seed %d: %s bumped Version %d -> %d", seed, out, c.Version, next.Version)
			}
			c = next
		}

		bound := s.policy.Longest()
		if s.policy.MaxOpenDuration > 0 {
			bound = s.policy.MaxOpenDuration
		}
		late := now.Add(time.Minute)
		healthy, _ := c.ApplyVerdict(HealthcheckVerdict{Healthy: true, At: late}, late, s.policy, hp)
		if v := Decide(healthy, late.Add(bound+time.Second), 1); !v.Invokes() {
			t.Fatalf("seed %d: the newest run was healthy, yet the circuit rejects after %s: %+v", seed, bound+time.Second, healthy)
		}
		held := c
		for i := 0; i < hp.UnhealthyThreshold; i++ {
			at := late.Add(time.Duration(i) * time.Minute)
			held, _ = held.ApplyVerdict(HealthcheckVerdict{At: at}, at, s.policy, hp)
		}
		if Decide(held, late.Add(100*time.Hour), 1) != Reject {
			t.Fatalf("seed %d: %d unhealthy runs, the newest evidence, do not hold the circuit: %+v", seed, hp.UnhealthyThreshold, held)
		}
	}
}
