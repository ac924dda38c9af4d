package circuit

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"
)

// scenario is a random delivery of alarm notifications: distinct state changes
// per source, some delivered twice, in a shuffled order, and received at
// non-decreasing handler clock times.
type scenario struct {
	policy  Policy
	start   Circuit
	notices []AlarmNotice
	// received[i] is the handler's clock when notices[i] arrives.
	received []time.Time
}

// byteSource feeds the generator from fuzz input, then from a PCG: a constant
// tail (zeros) would make rand's rejection sampling loop for ever.
type byteSource struct {
	b    []byte
	tail *rand.PCG
}

func (s *byteSource) Uint64() uint64 {
	if len(s.b) == 0 {
		return s.tail.Uint64()
	}
	var buf [8]byte
	n := copy(buf[:], s.b)
	s.b = s.b[n:]
	return binary.LittleEndian.Uint64(buf[:])
}

func genScenario(r *rand.Rand) scenario {
	open := time.Duration(1+r.IntN(120)) * time.Second
	p := Policy{OpenDuration: open, BackoffMultiplier: []float64{0, 1, 1.5, 2, 10}[r.IntN(5)]}
	if r.IntN(4) > 0 {
		p.MaxOpenDuration = open * time.Duration(1+r.IntN(20))
	}
	start := Circuit{State: []State{"", Closed, Open, HalfOpen}[r.IntN(4)], Openings: r.IntN(5), Version: int64(r.IntN(100))}
	if start.State == Open {
		// A circuit the request path opened, within the policy's bound.
		start.OpenUntil = t0.Add(time.Duration(r.Int64N(int64(p.Longest()) + 1)))
	}

	var distinct []AlarmNotice
	states := []AlarmState{AlarmStateAlarm, AlarmStateOK, AlarmStateInsufficientData}
	for _, src := range Sources {
		at := t0.Add(-time.Hour)
		for i := r.IntN(8); i > 0; i-- {
			// Strictly increasing per source, like CloudWatch's state changes.
			at = at.Add(time.Duration(1+r.IntN(600_000)) * time.Millisecond)
			distinct = append(distinct, notice(src, states[r.IntN(3)], at))
		}
	}
	all := append([]AlarmNotice(nil), distinct...)
	for _, n := range distinct {
		if r.IntN(3) == 0 {
			all = append(all, n) // SNS delivers at least once
		}
	}
	// Issue 14 item 6: notices dated far ahead of any clock (a forged or
	// broken StateChangeTime, up to year 9999) are refused, whatever their
	// source, state and place in the order.
	for i := r.IntN(3); i > 0; i-- {
		at := forgedFrom.AddDate(r.IntN(7973), 0, 0).Add(time.Duration(r.IntN(8760)) * time.Hour)
		all = append(all, notice(Sources[r.IntN(len(Sources))], states[r.IntN(3)], at))
	}
	// And a circuit may already hold such a time, written before the rule:
	// it must order nothing.
	if r.IntN(4) == 0 {
		*start.alarm(Sources[r.IntN(len(Sources))]) = AlarmStatus{State: states[r.IntN(3)], ChangedAt: forgedFrom.Add(time.Duration(r.IntN(1000)) * time.Hour)}
	}
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })

	received := make([]time.Time, len(all))
	// Received after every genuine notice was sent (the latest is at most
	// t0+20 min): a handler never sees a notice from its future.
	now := t0.Add(20 * time.Minute)
	for i := range received {
		now = now.Add(time.Duration(r.IntN(900_000)) * time.Millisecond)
		received[i] = now
	}
	return scenario{policy: p, start: start, notices: all, received: received}
}

// forgedFrom: notices and stored times from here on are beyond any clock of
// the scenarios (received at most a few hours after t0).
var forgedFrom = t0.Add(24 * time.Hour)

func forged(n AlarmNotice) bool { return !n.ChangedAt.Before(forgedFrom) }

// apply delivers the notices in order and checks the per-step invariants.
func apply(t *testing.T, s scenario, order []AlarmNotice) Circuit {
	t.Helper()
	c := s.start
	for i, n := range order {
		next, out := c.ApplyAlarm(n, s.received[i], s.policy)
		switch {
		case forged(n) && out != OutcomeInvalid:
			t.Fatalf("a notice dated %s, received at %s, was %s", n.ChangedAt, s.received[i], out)
		case !out.Changed() && next != c:
			t.Fatalf("%s changed the circuit: %+v -> %+v", out, c, next)
		case out.Changed() && next.Version != c.Version+1:
			t.Fatalf("%s bumped Version %d -> %d", out, c.Version, next.Version)
		case next.State == Open && next.OpenUntil.After(s.received[i].Add(s.policy.Longest())) && next.OpenUntil != c.OpenUntil:
			t.Fatalf("opened until %s, beyond the policy's longest opening from %s", next.OpenUntil, s.received[i])
		}
		c = next
	}
	return c
}

// latest is each source's newest notice: what the circuit must end up recording.
func latest(ns []AlarmNotice) map[Source]AlarmStatus {
	out := map[Source]AlarmStatus{}
	for _, n := range ns {
		if !forged(n) && n.ChangedAt.After(out[n.Source].ChangedAt) {
			out[n.Source] = AlarmStatus{n.State, n.ChangedAt}
		}
	}
	return out
}

func checkScenario(t *testing.T, s scenario, r *rand.Rand) {
	if err := s.policy.Validate(); err != nil {
		t.Fatalf("generator made an invalid policy: %v", err)
	}
	c1 := apply(t, s, s.notices)

	// Same set, another delivery order: same per-source alarm state, which is the
	// newest notice of each source whatever the order.
	other := append([]AlarmNotice(nil), s.notices...)
	r.Shuffle(len(other), func(i, j int) { other[i], other[j] = other[j], other[i] })
	c2 := apply(t, s, other)
	want := latest(s.notices)
	for _, src := range Sources {
		w, ok := want[src]
		if !ok {
			w = s.start.Alarm(src)
		}
		if c1.Alarm(src) != w || c2.Alarm(src) != w {
			t.Fatalf("%s state depends on delivery order:\n want %+v\n got  %+v\n and  %+v", src, w, c1.Alarm(src), c2.Alarm(src))
		}
	}

	// No circuit stays open forever while the downstream is healthy: once the
	// healthcheck's last word is OK or INSUFFICIENT_DATA, every call is admitted
	// again at the latest one longest-opening later.
	for _, final := range []AlarmState{AlarmStateOK, AlarmStateInsufficientData} {
		for _, c := range []Circuit{c1, c2} {
			now := t0
			if len(s.received) > 0 {
				now = s.received[len(s.received)-1]
			}
			last := notice(SourceHealthcheck, final, now)
			end, _ := c.ApplyAlarm(last, now, s.policy)
			bound := s.policy.Longest()
			if s.policy.MaxOpenDuration > 0 {
				bound = s.policy.MaxOpenDuration
			}
			if v := Decide(end, now.Add(bound+time.Second), 1); !v.Invokes() {
				t.Fatalf("healthcheck ended %s but the circuit still rejects after %s: %+v", final, bound+time.Second, end)
			}
		}
	}
}

func TestApplyAlarmProperties(t *testing.T) {
	runs := 20000
	if testing.Short() {
		runs = 2000
	}
	for seed := range uint64(runs) {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		s := genScenario(r)
		checkScenario(t, s, r)
	}
}

func FuzzApplyAlarm(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("healthcheck ALARM then a late downstream OK"))
	f.Add([]byte{0xff, 0x01, 0x80, 0x7f, 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := rand.New(&byteSource{b: data, tail: rand.NewPCG(uint64(len(data)), 0x5eed)})
		checkScenario(t, genScenario(r), r)
	})
}

// ResetsCounters says exactly when ApplyAlarm zeroes the request path's
// counters, which a merged write (circuitstore.Merge) must then overwrite
// whatever they became since the read; when it says no, ApplyAlarm left them
// as they were, so that the merge must not write them at all.
func TestResetsCountersAgreesWithApplyAlarm(t *testing.T) {
	for seed := range uint64(5000) {
		r := rand.New(rand.NewPCG(seed, 0xc0de))
		s := genScenario(r)
		c := s.start
		c.Failures, c.Probes, c.Successes = 1+r.IntN(5), r.IntN(3), r.IntN(3)
		if r.IntN(2) == 0 {
			c.Healthcheck = AlarmStatus{State: AlarmStateAlarm, ChangedAt: t0.Add(-2 * time.Hour)}
		}
		for i, n := range s.notices {
			next, out := c.ApplyAlarm(n, s.received[i], s.policy)
			zero := next.Failures == 0 && next.Probes == 0 && next.Successes == 0
			same := next.Failures == c.Failures && next.Probes == c.Probes && next.Successes == c.Successes
			if ResetsCounters(n, out) && !zero || !ResetsCounters(n, out) && !same {
				t.Fatalf("seed %d: %+v with %s: ResetsCounters %v, counters %+v -> %+v", seed, n, out, ResetsCounters(n, out), c, next)
			}
			c = next
			c.Failures, c.Probes, c.Successes = r.IntN(4), r.IntN(3), r.IntN(3)
		}
	}
}

// AlarmInputs is every attribute ApplyAlarm decides on: changing any other
// one (the counters, the version, the override, the deadlines, the last
// transition) never changes a notice's outcome. A merged write guards only
// AlarmInputs, so this is what keeps it right.
func TestAlarmInputsAreAllApplyAlarmReads(t *testing.T) {
	for seed := range uint64(5000) {
		r := rand.New(rand.NewPCG(seed, 0xfeed))
		s := genScenario(r)
		c := s.start
		for i, n := range s.notices {
			other := c
			other.Failures, other.Probes, other.Successes, other.Version = r.IntN(9), r.IntN(3), r.IntN(3), r.Int64N(1000)
			other.Override = []Override{NoOverride, ForcedOpen, ForcedClosed}[r.IntN(3)]
			other.OpenUntil, other.HalfOpenUntil = t0.Add(time.Duration(r.IntN(1000))*time.Second), t0.Add(time.Duration(r.IntN(1000))*time.Second)
			other.LastTransition = Transition{At: t0, From: Open, To: Closed, Reason: "x"}
			other.HealthcheckRuns.Unhealthy = r.IntN(4)
			next, out := c.ApplyAlarm(n, s.received[i], s.policy)
			_, otherOut := other.ApplyAlarm(n, s.received[i], s.policy)
			if out != otherOut {
				t.Fatalf("seed %d: %+v: outcome %s on %+v, %s on %+v", seed, n, out, c, otherOut, other)
			}
			c = next
		}
	}
}
