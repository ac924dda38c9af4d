package circuitctl

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/alarmeval"
)

// traffic is the downstream's one-minute Invocations and Errors Sums.
type traffic struct {
	Invocations, Errors alarmeval.Values
}

func (t traffic) at(minute time.Time) (invocations, errors float64) {
	return t.Invocations[minute], t.Errors[minute]
}

// Opening is one opening replay finds: from the alarm's ALARM until the
// circuit closes again through a successful probe, with every back-off in
// between.
type Opening struct {
	Alarm  string         `json:"alarm"`
	Source circuit.Source `json:"source"`
	At     time.Time      `json:"at"`
	// OpenFor are the open durations granted (circuit.Policy.Duration), the
	// first, then one per failed probe.
	OpenFor []time.Duration `json:"openForNs"`
	// ClosedAt is when a probe closed it; zero: still open at the window's end.
	ClosedAt time.Time `json:"closedAt"`
	// Lasted is from At to ClosedAt (or the window's end).
	Lasted time.Duration `json:"lastedNs"`
	// FailedProbes are the probes that reopened it.
	FailedProbes int `json:"failedProbes"`
	// Reason is the transition's reason, as the alarm handler records it.
	Reason string `json:"reason"`
}

// probeFails is how replay decides a probe from minute data: the probe is one
// call of the minute it runs in, taken to fail when at least half of that
// minute's invocations failed. (A slow call is no probe failure: the request
// path counts errors and timeouts.)
func probeFails(invocations, errors float64) bool {
	return invocations > 0 && errors/invocations >= 0.5
}

// simulate runs the circuit through the alarms' state changes with the rules
// of package circuit: ApplyAlarm for each change (a downstream or slow-call
// ALARM opens a CLOSED or HALF_OPEN circuit for Policy.Duration of its
// consecutive opening), ElectProbe at the first minute with invocations once
// the open duration is over, then Reopen (the next back-off) or the close
// (circuit.Closing, as the state machine's CloseByProbe). Changes of alarms
// whose actions are disabled notify nobody and move nothing.
func simulate(service string, alarms []replayAlarm, changes map[string][]alarmeval.Change, t traffic, p circuit.Policy, from, until time.Time) []Opening {
	type event struct {
		alarm replayAlarm
		c     alarmeval.Change
	}
	var events []event
	for _, a := range alarms {
		if !a.ActionsEnabled {
			continue
		}
		for _, c := range changes[a.Name] {
			events = append(events, event{a, c})
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].c.At.Before(events[j].c.At) })

	c := circuit.Circuit{ServiceName: service, State: circuit.Closed}
	pp := circuit.ProbePolicy{MaxCalls: circuit.DefaultHalfOpenMaxCalls, Timeout: time.Minute}
	var openings []Opening
	var current *Opening
	// nextProbe is the first minute with invocations at or after OpenUntil:
	// the first call after the open duration is the probe.
	nextProbe := func() (time.Time, bool) {
		if c.State != circuit.Open {
			return time.Time{}, false
		}
		at := c.OpenUntil
		for m := at.Truncate(trafficPeriod); m.Before(until); m = m.Add(trafficPeriod) {
			if inv, _ := t.at(m); inv > 0 {
				return maxTime(at, m), true
			}
		}
		return time.Time{}, false
	}
	finish := func(at time.Time) {
		if current == nil {
			return
		}
		current.ClosedAt = at
		current.Lasted = at.Sub(current.At)
		openings = append(openings, *current)
		current = nil
	}
	for i := 0; ; {
		probeAt, probing := nextProbe()
		if i < len(events) && (!probing || !events[i].c.At.After(probeAt)) {
			e := events[i]
			i++
			n := circuit.AlarmNotice{Source: e.alarm.Source, AlarmName: e.alarm.Name, State: circuit.AlarmState(e.c.New), ChangedAt: e.c.At, Reason: e.c.Reason}
			before := c.State
			next, outcome := c.ApplyAlarm(n, e.c.At, p)
			c = next
			if outcome == circuit.OutcomeOpened {
				if before == circuit.Closed {
					current = &Opening{Alarm: e.alarm.Name, Source: e.alarm.Source, At: e.c.At, Reason: c.LastTransition.Reason}
				}
				if current != nil {
					current.OpenFor = append(current.OpenFor, c.OpenUntil.Sub(e.c.At))
				}
			}
			continue
		}
		if !probing {
			break
		}
		next, admitted, _ := c.ElectProbe(probeAt, pp)
		if !admitted {
			break // nothing in package circuit would admit one: stays open
		}
		c = next
		inv, errs := t.at(probeAt.Truncate(trafficPeriod))
		if probeFails(inv, errs) {
			c, _ = c.Reopen(probeAt, p, c.HalfOpenUntil, fmt.Sprintf("replayed probe: %g of %g invocations failed in its minute", errs, inv))
			if current != nil {
				current.FailedProbes++
				current.OpenFor = append(current.OpenFor, c.OpenUntil.Sub(probeAt))
			}
			continue
		}
		closed, err := circuit.Closing.Apply(c, circuit.Params{
			circuit.ParamFrom: circuit.S(string(circuit.HalfOpen)), circuit.ParamNow: circuit.TimeValue(probeAt),
			circuit.ParamReason: circuit.S(circuit.ProbeCloseReason(1)),
		})
		if err != nil {
			break // a bug in the funnel: the tests apply it
		}
		c = closed
		finish(probeAt)
	}
	if current != nil {
		current.Lasted = until.Sub(current.At)
		openings = append(openings, *current)
	}
	return openings
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// warnings are the settings this traffic can never breach, whatever its
// errors or durations: a minimum throughput above the busiest period, a
// count threshold at or above the busiest period's invocations (a period
// cannot have more errors than invocations), or no evaluation range with
// enough qualifying periods.
func warnings(alarms []replayAlarm, t traffic, from, until time.Time) []string {
	var out []string
	if len(t.Invocations) == 0 {
		return []string{"no Invocations datapoints at all in the window: wrong function, qualifier or region, or no traffic; nothing could open the circuit"}
	}
	for _, a := range alarms {
		r := a.Rule
		inv := periodSums(t.Invocations, r.Period, from, until)
		peak := 0.0
		for _, v := range inv {
			peak = math.Max(peak, v)
		}
		if len(r.Metrics) == 0 && r.MetricName == "Errors" && r.Statistic == "Sum" {
			never := (r.ComparisonOperator == "GreaterThanThreshold" && r.Threshold >= peak) ||
				(r.ComparisonOperator == "GreaterThanOrEqualToThreshold" && r.Threshold > peak)
			if never {
				out = append(out, fmt.Sprintf("%s: Errors Sum %s %g can never breach on this traffic: the busiest %v period had %g invocations, and a period has no more errors than invocations",
					a.Name, opWords(r.ComparisonOperator), r.Threshold, r.Period, peak))
			}
			continue
		}
		minimum, ok := minimumInvocations(r)
		if !ok {
			continue
		}
		if minimum > peak {
			out = append(out, fmt.Sprintf("%s: the minimum throughput (%g invocations a period) is above the busiest %v period's %g invocations: no period ever counts, so this alarm can never breach on this traffic",
				a.Name, minimum, r.Period, peak))
			continue
		}
		// The most qualifying periods in any evaluation range.
		best := 0
		for i := range inv {
			n := 0
			for k := max(0, i-r.EvaluationPeriods+1); k <= i; k++ {
				if inv[k] >= minimum {
					n++
				}
			}
			best = max(best, n)
		}
		if best < r.DatapointsToAlarm {
			out = append(out, fmt.Sprintf("%s: at most %d of any %d consecutive periods had the minimum %g invocations, fewer than the %d datapoints to alarm: it can never breach on this traffic",
				a.Name, best, r.EvaluationPeriods, minimum, r.DatapointsToAlarm))
		}
	}
	return out
}

// minimumInvocations is the minimum throughput of a metric-math rule whose
// returned expression is IF(invocations >= N, ...).
func minimumInvocations(r alarmeval.Rule) (float64, bool) {
	for _, q := range r.Metrics {
		if !q.ReturnData || q.Expression == "" {
			continue
		}
		e, err := alarmeval.Parse(q.Expression)
		if err != nil {
			return 0, false
		}
		return e.Guard(alarmeval.IDInvocations)
	}
	return 0, false
}

// periodSums are the one-minute values summed into periods of d from `from`.
func periodSums(v alarmeval.Values, d time.Duration, from, until time.Time) []float64 {
	var out []float64
	for s := from; !s.Add(d).After(until); s = s.Add(d) {
		sum := 0.0
		for m := s; m.Before(s.Add(d)); m = m.Add(trafficPeriod) {
			sum += v[m]
		}
		out = append(out, sum)
	}
	return out
}

func opWords(op string) string {
	return map[string]string{"GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": ">=", "LessThanThreshold": "<", "LessThanOrEqualToThreshold": "<="}[op]
}
