package circuit

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every table and write of the rulebook is well formed: known attributes,
// declared parameters, a step for every row, an expression for every write.
func TestRulebookIsWellFormed(t *testing.T) {
	require.NoError(t, RequestPath.Check())
	require.NoError(t, GoverningRules.Check())
	require.NoError(t, TripAtThreshold.Check())
	require.NoError(t, CloseAtThreshold.Check())
	require.NoError(t, MetricRules.Check())
	for _, u := range Writes {
		_, err := u.Expressions()
		require.NoError(t, err, u.Name)
		require.NotEmpty(t, u.Step, u.Name)
	}
	for _, e := range []Effect{ResetCounters, Opening, Closing} {
		_, err := Update{Name: "funnel", Effect: e}.Expressions()
		require.NoError(t, err)
	}
}

// The writes in DynamoDB's syntax: what the state machine's UpdateItem Tasks
// send (component/statemachine renders these, byte for byte the expressions
// the hand-written definition had).
func TestWritesExpressions(t *testing.T) {
	for _, tc := range []struct {
		u                 Update
		update, condition string
		values            []string
	}{
		{CountFailure, "ADD #failures :one, #version :one", "attribute_not_exists(#state) OR #state = :closed", []string{":closed", ":one"}},
		{ResetFailures, "SET #failures = :zero ADD #version :one", "#failures > :zero AND (attribute_not_exists(#state) OR #state = :closed)", []string{":closed", ":one", ":zero"}},
		{JoinProbe, "ADD #probes :one, #version :one", "#state = :halfOpen AND #halfOpenUntil = :period AND (attribute_not_exists(#probes) OR #probes < :max)", []string{":halfOpen", ":max", ":one", ":period"}},
		{CountProbeSuccess, "ADD #successes :one, #version :one", "#state = :halfOpen AND #halfOpenUntil = :period", []string{":halfOpen", ":one", ":period"}},
		{CloseByProbe, "SET #state = :closed, #failures = :zero, #openings = :zero, #probes = :zero, #successes = :zero, " +
			"#transitionAt = :now, #transitionFrom = :halfOpen, #transitionTo = :closed, #transitionReason = :reason " +
			"REMOVE #openUntil, #halfOpenUntil, #claim ADD #version :one", "#state = :halfOpen AND #halfOpenUntil = :period",
			[]string{":closed", ":halfOpen", ":now", ":one", ":period", ":reason", ":zero"}},
		{Claim, "SET #claim = :minute ADD #version :one", "#version = :read AND (attribute_not_exists(#claim) OR #claim <> :minute)", []string{":minute", ":one", ":read"}},
		{ClaimUnversioned, "SET #claim = :minute ADD #version :one", "attribute_not_exists(#version) AND (attribute_not_exists(#claim) OR #claim <> :minute)", []string{":minute", ":one"}},
		{ReleaseClaim, "REMOVE #claim ADD #version :one", "#claim = :minute", []string{":minute", ":one"}},
		{ReleaseProbe, "ADD #probes :minusOne, #version :one", "#state = :halfOpen AND #halfOpenUntil = :period AND #probes > :zero", []string{":halfOpen", ":minusOne", ":one", ":period", ":zero"}},
	} {
		x, err := tc.u.Expressions()
		require.NoError(t, err)
		assert.Equal(t, tc.update, x.Update, tc.u.Name)
		assert.Equal(t, tc.condition, x.Condition, tc.u.Name)
		var got []string
		for name := range x.Values {
			got = append(got, name)
		}
		assert.ElementsMatch(t, tc.values, got, tc.u.Name)
		for placeholder, attr := range x.Names {
			want := "#" + attr
			if short, ok := placeholders[attr]; ok {
				want = short
			}
			assert.Equal(t, want, placeholder)
		}
	}
}

func TestExpressionsRefuseWhatDynamoDBCannotSay(t *testing.T) {
	for name, u := range map[string]Update{
		"a time compared with now": {Name: "x", If: After(Attr(AttrOpenUntil))},
		"another item":             {Name: "x", If: Equals(RoleKey.Attr(AttrState), opOpen)},
		"one placeholder, two values": {Name: "x", Effect: Effect{Set: []Assign{{AttrState, opOpen}}},
			If: Equals(Attr(AttrState), Const(":open", S("CLOSED")))},
		"an unknown attribute": {Name: "x", Effect: Effect{Remove: []string{"nope"}}},
	} {
		_, err := u.Expressions()
		assert.Error(t, err, name)
	}
}

func TestCondEval(t *testing.T) {
	now := t0
	later, earlier := FormatTime(now.Add(time.Millisecond)), FormatTime(now.Add(-time.Millisecond))
	item := Item{
		AttrState:         S("HALF_OPEN"),
		AttrProbes:        Value{Kind: KindN, Text: "2"},
		AttrFailures:      Value{Kind: KindN, Text: "0"},
		AttrOpenUntil:     S(later),
		AttrHalfOpenUntil: S(earlier),
		AttrOverride:      S("FORCED_SIDEWAYS"),
		AttrSuccesses:     S("3"), // the wrong type: compares with nothing
		AttrTransitionAt:  S("not a time"),
	}
	env := Env{Items: map[Role]Item{RoleCircuit: item}, Now: now, Params: Params{":two": N(2), ":twoPointZero": Value{Kind: KindN, Text: "2.0"}}}
	for _, tc := range []struct {
		c    Cond
		want bool
	}{
		{Cond{}, true},
		{Present(Attr(AttrState)), true},
		{Present(Attr(AttrOpenings)), false},
		{Absent(Attr(AttrOpenings)), true},
		{Equals(Attr(AttrState), opHalfOpen), true},
		{Equals(Attr(AttrState), opOpen), false},
		{Equals(Attr(AttrOpenings), opZero), false}, // absent is not 0
		{Equals(Attr(AttrProbes), Param(":two")), true},
		{Equals(Attr(AttrProbes), Param(":twoPointZero")), true}, // numbers by value
		{Equals(Attr(AttrProbes), Const(":s", S("2"))), false},   // not across types
		{Less(Attr(AttrProbes), Param(":two")), false},
		{AtLeast(Attr(AttrProbes), Param(":two")), true},
		{Greater(Attr(AttrProbes), opOne), true},
		{Greater(Attr(AttrSuccesses), opZero), false},
		{Less(Attr(AttrState), Const(":x", S("OPEN"))), true}, // strings by bytes: "HALF_OPEN" < "OPEN"
		{After(Attr(AttrOpenUntil)), true},
		{After(Attr(AttrHalfOpenUntil)), false},
		{After(Attr(AttrTransitionAt)), false}, // not a timestamp
		{After(Attr(AttrHealthcheckRunAt)), false},
		{After(Attr(AttrProbes)), false},
		{NonZero(Attr(AttrProbes)), true},
		{NonZero(Attr(AttrFailures)), false},
		{NonZero(Attr(AttrOpenings)), false},
		{NonZero(Attr(AttrSuccesses)), false},
		{And(Present(Attr(AttrState)), Absent(Attr(AttrOpenings))), true},
		{And(Present(Attr(AttrState)), Present(Attr(AttrOpenings))), false},
		{Or(Present(Attr(AttrOpenings)), Equals(Attr(AttrOverride), Const(":o", S("FORCED_SIDEWAYS")))), true},
		{Not(Or()), true},
		{And(), true},
		{Present(RoleKey.Attr(AttrState)), false}, // no key item
	} {
		got, err := tc.c.Eval(env)
		require.NoError(t, err, tc.c.String())
		assert.Equal(t, tc.want, got, tc.c.String())
	}
	for _, bad := range []Cond{Equals(Attr(AttrProbes), Param(":unbound")), Present(Attr("nope")), {Op: "sideways"}, {Op: OpNot}} {
		_, err := bad.Eval(env)
		assert.Error(t, err, bad.String())
	}
	assert.Error(t, Table[bool]{Name: "T", Rows: []Row[bool]{{When: Equals(Attr(AttrProbes), Param(":max")), Step: "S"}}, Default: Row[bool]{Step: "D"}}.Check(),
		"an undeclared parameter")
}

// Decide is RequestPath: each row, in order, on a circuit it alone matches.
func TestDecideIsTheRequestPathTable(t *testing.T) {
	later := t0.Add(time.Minute)
	steps := map[string]Circuit{
		StepRejectForcedOpen:              {State: Closed, Override: ForcedOpen},
		StepInvokeForcedClosed:            {State: Open, OpenUntil: later, Override: ForcedClosed},
		StepRejectHealthcheckAlarm:        {State: Closed, Healthcheck: AlarmStatus{State: AlarmStateAlarm}},
		StepRejectOpen:                    {State: Open, OpenUntil: later},
		StepRejectHalfOpenFull:            {State: HalfOpen, HalfOpenUntil: later, Probes: 2},
		StepJoinProbe:                     {State: HalfOpen, HalfOpenUntil: later, Probes: 1},
		StepInvokeDownstreamAfterFailures: {State: Closed, Failures: 1},
		StepInvokeDownstream:              {},
	}
	for step, c := range steps {
		row := mustEval(RequestPath, Env{Items: map[Role]Item{RoleCircuit: c.Item()}, Now: t0, Params: Params{ParamHalfOpenMaxCalls: N(2)}})
		assert.Equal(t, step, row.Step)
		assert.Equal(t, row.Then, Decide(c, t0, 2), step)
	}
}

// The funnels are the rulebook's effects: the alarm path's close from OPEN
// and the probe's close from HALF_OPEN leave the same item but for the
// transition's origin.
func TestCloseIsOneEffect(t *testing.T) {
	start := Circuit{State: HalfOpen, HalfOpenUntil: t0.Add(time.Minute), Failures: 1, Openings: 3, Probes: 2, Successes: 1, Version: 9}
	byAlarm := start.close(t0, ProbeCloseReason(2))
	byProbe, ok, err := CloseByProbe.Apply(start, Params{ParamPeriod: TimeValue(start.HalfOpenUntil), ParamNow: TimeValue(t0), ParamReason: S(ProbeCloseReason(2))})
	require.NoError(t, err)
	require.True(t, ok)
	byAlarm.Version++ // the probe's write is a whole write
	assert.Equal(t, byAlarm, byProbe)
	assert.Equal(t, Transition{At: t0, From: HalfOpen, To: Closed, Reason: "2 probes succeeded"}, byProbe.LastTransition)

	_, ok, err = CloseByProbe.Apply(start, Params{ParamPeriod: TimeValue(t0), ParamNow: TimeValue(t0), ParamReason: S("late")})
	require.NoError(t, err)
	assert.False(t, ok, "a probe of another period closes nothing")
}

// Apply (on a Circuit) and ApplyItem (on its item, as DynamoDB does) are one
// interpreter: every write, on random circuits, leaves the same item.
func TestApplyAgreesWithApplyItem(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	states := []State{"", Closed, Open, HalfOpen, "open"}
	periods := []time.Time{{}, t0, t0.Add(time.Minute)}
	for i := 0; i < 5000; i++ {
		c := Circuit{
			State: states[r.IntN(len(states))], Failures: r.IntN(3), Openings: r.IntN(3), Probes: r.IntN(4), Successes: r.IntN(3),
			HalfOpenUntil: periods[r.IntN(len(periods))], Version: int64(r.IntN(5)),
			ElectionClaim: []string{"", "2026-11-27T00:10", "2026-11-27T00:11"}[r.IntN(3)],
		}
		p := Params{
			ParamPeriod: TimeValue(periods[1+r.IntN(2)]), ParamHalfOpenMaxCalls: N(int64(1 + r.IntN(3))),
			ParamNow: TimeValue(t0), ParamReason: S("why"),
			ParamMinute: S([]string{"2026-11-27T00:10", "2026-11-27T00:11"}[r.IntN(2)]), ParamReadVersion: N(int64(r.IntN(5))),
		}
		for _, u := range Writes {
			next, ok, err := u.Apply(c, p)
			require.NoError(t, err)
			it, okItem, err := u.ApplyItem(c.Item(), p)
			require.NoError(t, err)
			require.Equal(t, ok, okItem, "%s on %+v", u.Name, c)
			require.Equal(t, texts(next.Item()), texts(it), "%s on %+v", u.Name, c)
		}
	}
}

// texts is an item's values as DynamoDB holds them.
func texts(it Item) map[string]string {
	m := map[string]string{}
	for k, v := range it {
		m[k] = string(v.Kind) + ":" + v.Text
	}
	return m
}

// An item and its circuit: Item and DecodeItem are inverses at the item's
// precision, and DecodeItem names the attribute it cannot read.
func TestItemRoundTrip(t *testing.T) {
	c := Circuit{
		ServiceName: "svc", State: HalfOpen, OpenUntil: t0, HalfOpenUntil: t0.Add(time.Second), Failures: 1, Openings: 2,
		Probes: 3, Successes: 4, Override: ForcedOpen, Version: 5, ElectionClaim: "2026-11-27T00:10",
		Downstream: AlarmStatus{AlarmStateAlarm, t0}, Healthcheck: AlarmStatus{AlarmStateOK, t0}, SlowCalls: AlarmStatus{AlarmStateInsufficientData, t0},
		HealthcheckRuns: HealthcheckRuns{At: t0, Unhealthy: 2},
		LastTransition:  Transition{At: t0, From: Open, To: HalfOpen, Reason: "r"},
	}
	back, err := DecodeItem("svc", c.Item())
	require.NoError(t, err)
	assert.Equal(t, c, back)
	assert.Len(t, c.Item(), len(AttributeNames()), "every attribute set")
	assert.Len(t, Circuit{}.Item(), 6, "state, four counters and the version are always written")

	_, err = DecodeItem("svc", Item{AttrProbes: S("1")})
	assert.ErrorContains(t, err, "attribute probes: want a number (N), got S")
	_, err = DecodeItem("svc", Item{AttrVersion: Value{Kind: KindN, Text: "1.5"}})
	assert.ErrorContains(t, err, "attribute version")
	got, err := DecodeItem("svc", Item{AttrOpenUntil: S("not a time"), AttrState: S("")})
	require.NoError(t, err)
	assert.Equal(t, Circuit{ServiceName: "svc", State: Closed}, got, "an unreadable time is none, an empty state CLOSED")
}

// DecodeItem and the rulebook's conditions read items from outside (the table,
// hand edits): they never panic, whatever the values.
func FuzzItem(f *testing.F) {
	f.Add("HALF_OPEN", "N", "2", "2026-11-27T00:10:00Z", "FORCED_OPEN", "S")
	f.Add("", "S", "x", "", "", "N")
	f.Fuzz(func(t *testing.T, state, probesKind, probes, deadline, override, overrideKind string) {
		it := Item{
			AttrState: S(state), AttrProbes: Value{Kind: Kind(probesKind), Text: probes}, AttrFailures: Value{Kind: Kind(probesKind), Text: probes},
			AttrOpenUntil: S(deadline), AttrHalfOpenUntil: S(deadline), AttrOverride: Value{Kind: Kind(overrideKind), Text: override},
		}
		if c, err := DecodeItem("svc", it); err == nil {
			_ = c.Item()
		}
		env := Env{Items: map[Role]Item{RoleCircuit: it, RoleBreaker: it, RoleKey: it, RoleWritten: it}, Now: t0,
			Params: Params{ParamHalfOpenMaxCalls: N(2), ParamFailureThreshold: N(3), ParamSuccessThreshold: N(1), ParamPeriod: S(deadline)}}
		for _, tb := range []func() error{
			func() error { _, err := RequestPath.Eval(env); return err },
			func() error { _, err := GoverningRules.Eval(env); return err },
			func() error { _, err := TripAtThreshold.Eval(env); return err },
			func() error { _, err := CloseAtThreshold.Eval(env); return err },
		} {
			if err := tb(); err != nil {
				t.Fatal(err)
			}
		}
		for _, u := range Writes {
			p := Params{ParamPeriod: S(deadline), ParamHalfOpenMaxCalls: N(2), ParamNow: TimeValue(t0), ParamReason: S("r"),
				ParamMinute: S("2026-11-27T00:10"), ParamReadVersion: N(1)}
			if _, _, err := u.ApplyItem(it, p); err != nil && !strings.Contains(err.Error(), "not a sum of numbers") {
				t.Fatalf("%s: %v", u.Name, err)
			}
		}
	})
}
