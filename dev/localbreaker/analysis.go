package localbreaker

import (
	"sort"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

// Outcome is one request's outcome in a scenario, for either design (this
// breaker, measured; the original module, modelled).
type Outcome struct {
	At time.Time
	// Downstream is how many times the request invoked the downstream.
	Downstream int
	// Failed: the downstream failed; Rejected: the circuit turned it away.
	Failed, Rejected bool
}

// Outcomes are the calls' outcomes.
func (b *Breaker) Outcomes(calls []Call) []Outcome {
	out := make([]Outcome, len(calls))
	for i, c := range calls {
		out[i] = Outcome{
			At:         c.Start,
			Downstream: c.downstreamCalls(b.DownstreamArn),
			// Shadow mode's would-rejects are what enforcing mode would
			// have rejected: the figures are enforcing mode's.
			Rejected: c.Rejected() || c.WouldReject(),
			Failed:   !c.Result.Succeeded() && !c.Rejected() && !c.WouldReject(),
		}
	}
	return out
}

// Change is the circuit turning open (not accepting calls) or closed.
type Change struct {
	At     time.Time
	Open   bool
	Reason string
}

// Changes reads, from the timeline, when the circuit stopped and resumed
// taking calls: OPEN (or held by the healthcheck alarm) versus CLOSED. A
// half-open circuit counts as open: it takes only its probes.
func Changes(events []Event) []Change {
	var out []Change
	for _, e := range events {
		if e.Kind != EventTransition {
			continue
		}
		out = append(out, Change{At: e.At, Open: e.To != "CLOSED", Reason: e.Reason})
	}
	return out
}

// Figures are what one outage cost, the benchmark's and the demo's headline
// numbers.
type Figures struct {
	Window outage.Window
	// Requests started during the outage, and how they ended.
	Requests, Failed, Rejected int
	// DownstreamCalls is how many times requests started during the outage
	// invoked the (failing) downstream: calls wasted on it.
	DownstreamCalls int
	// Opened says whether the circuit opened during the outage; OpenedAfter
	// is when (from the outage's start, as recorded by the transition) and
	// FailedBeforeOpen how many requests failed on the downstream before the
	// first one was turned away.
	Opened           bool
	OpenedAfter      time.Duration
	FailedBeforeOpen int
	// ClosedAfterRecovery is how long after the outage ended the circuit took
	// calls again (0 when it never opened); RejectedAfterRecovery how many
	// requests it turned away meanwhile although the downstream was healthy.
	// StillOpen: it had not closed when the scenario ended.
	ClosedAfterRecovery   time.Duration
	RejectedAfterRecovery int
	StillOpen             bool
	ClosedBy              string
}

// Analyze computes each outage's figures from the requests' outcomes and
// the circuit's changes; end is when the scenario stopped.
func Analyze(s outage.Schedule, outcomes []Outcome, changes []Change, end time.Time) []Figures {
	sort.SliceStable(outcomes, func(i, j int) bool { return outcomes[i].At.Before(outcomes[j].At) })
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].At.Before(changes[j].At) })
	var out []Figures
	for _, w := range s.Windows {
		f := Figures{Window: w}
		from, to := s.Epoch.Add(w.After), s.Epoch.Add(w.After+w.For)
		// Open already when the outage began (after an earlier one), or when it
		// first opened during it.
		opened := time.Time{}
		if openAt(changes, from) {
			opened = from
		} else {
			for _, c := range changes {
				if !c.At.Before(from) && c.At.Before(to) && c.Open {
					opened = c.At
					break
				}
			}
		}
		if !opened.IsZero() {
			f.Opened, f.OpenedAfter = true, opened.Sub(from)
		}
		// The circuit takes effect at the first request it turns away: requests
		// already past the read when it opened still fail on the downstream.
		effective := time.Time{}
		for _, o := range outcomes {
			if o.At.Before(from) || !o.At.Before(to) {
				continue
			}
			if o.Rejected && effective.IsZero() {
				effective = o.At
			}
			f.Requests++
			f.DownstreamCalls += o.Downstream
			if o.Failed {
				f.Failed++
				if effective.IsZero() {
					f.FailedBeforeOpen++
				}
			}
			if o.Rejected {
				f.Rejected++
			}
		}
		if !f.Opened {
			out = append(out, f)
			continue
		}
		// When did it close again, at or after the recovery?
		closedAt := time.Time{}
		if !openAt(changes, to) {
			closedAt = to // it closed before the outage ended
		}
		for _, c := range changes {
			if closedAt.IsZero() && !c.At.Before(to) && !c.Open {
				closedAt, f.ClosedBy = c.At, c.Reason
			}
		}
		if closedAt.IsZero() {
			f.StillOpen = true
			closedAt = end
		}
		f.ClosedAfterRecovery = closedAt.Sub(to)
		for _, o := range outcomes {
			if !o.At.Before(to) && o.At.Before(closedAt) && o.Rejected {
				f.RejectedAfterRecovery++
			}
		}
		out = append(out, f)
	}
	return out
}

// openAt reports whether the circuit was open just before t.
func openAt(changes []Change, t time.Time) bool {
	open := false
	for _, c := range changes {
		if !c.At.Before(t) {
			break
		}
		open = c.Open
	}
	return open
}
