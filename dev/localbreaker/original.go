package localbreaker

import (
	"sort"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/alarmsim"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

// OriginalModel is a MODEL of the original Terraform module's alarm-only
// design (its README and defects, docs/bench.md), replayed
// over the same requests and outages as a measured run. Nothing of the
// original runs: its Node Lambdas and Terraform are not here. What is modelled:
//
//   - request path: an upstream Lambda reads the boolean isCircuitClosed (a
//     missing row is closed); closed invokes the downstream (no in-line
//     counting, no retry), open answers 503 at once; a downstream failure is
//     caught into a 500 inside a SUCCEEDED execution (defect 3), which counts
//     as failed here because the caller did not get its result;
//   - alarm path: the downstream alarm (Errors Sum > 1 in 3 of 3 periods) with
//     an ALARM action only (no OK action: defect 1), the healthcheck alarm
//     (Errors >= 1 in 1 of 1) with ALARM and OK actions, evaluated by the same
//     simulation as the measured run (dev/alarmsim, same compression, same
//     missing-data treatment), and a handler that writes
//     isCircuitClosed = (NewStateValue != "ALARM") whichever alarm fired
//     (defect 2); no half-open state, no probes (defect 4).
//
// Like the measured run's, its alarms see datapoints as soon as a period ends:
// CloudWatch's metric delay (about a minute for Lambda) would open its circuit
// later still.
type OriginalModel struct {
	Schedule outage.Schedule
	// Downstream and Healthcheck are the two alarm rules (periods compressed
	// like the measured run's).
	Downstream, Healthcheck alarmsim.Rule
	// HealthcheckEvery and HealthcheckOffset place the scheduled healthchecks
	// (EventBridge rule, rate(1 minute), compressed).
	HealthcheckEvery, HealthcheckOffset time.Duration
	// BlindHealthcheck: the healthcheck keeps succeeding through the outages.
	BlindHealthcheck bool
	// Lag is how long after a period's end its evaluation takes effect: the
	// measured run's alarm loop lag plus its delivery, so that neither design
	// gets a head start on the alarm path.
	Lag time.Duration
}

// Original's per-request calls on each of its paths, read from its
// definition: an upstream Lambda doing one GetItem, then the downstream or a
// Pass. StatesEntered counts the states the execution enters: upstream Task,
// Choice, then the downstream Task (plus the catch-all Pass when it fails) or
// the fast-fail Pass.
var (
	OriginalClosed = OriginalPath{Name: "closed (healthy or failing)", Lambdas: 2, Reads: 1, StatesEntered: 3}
	OriginalOpen   = OriginalPath{Name: "open, fail fast (503)", Lambdas: 1, Reads: 1, StatesEntered: 3}
)

// OriginalPath is the original's usage on one path.
type OriginalPath struct {
	Name          string
	Lambdas       int // the upstream reader, plus the downstream when closed
	Reads         int // the upstream's GetItem
	StatesEntered int
}

// Replay runs the model over requests started at the given times, until end.
// It returns each request's outcome and the circuit's changes.
func (m OriginalModel) Replay(requests []time.Time, end time.Time) ([]Outcome, []Change, error) {
	down, err := alarmsim.New("original-downstream", "", m.Downstream, m.Schedule.Epoch)
	if err != nil {
		return nil, nil, err
	}
	health, err := alarmsim.New("original-healthcheck", "", m.Healthcheck, m.Schedule.Epoch)
	if err != nil {
		return nil, nil, err
	}
	type event struct {
		at   time.Time
		kind int // 0: request, 1: healthcheck run, 2: evaluation
		i    int
		// period is the evaluated period's end (evaluations only).
		period time.Time
	}
	var evs []event
	for i, t := range requests {
		evs = append(evs, event{at: t, kind: 0, i: i})
	}
	for t := m.Schedule.Epoch.Add(m.HealthcheckOffset); t.Before(end); t = t.Add(m.HealthcheckEvery) {
		evs = append(evs, event{at: t, kind: 1})
	}
	for i, a := range []*alarmsim.Alarm{down, health} {
		for t := m.Schedule.Epoch.Add(a.Rule.Period); !t.Add(m.Lag).After(end); t = t.Add(a.Rule.Period) {
			evs = append(evs, event{t.Add(m.Lag), 2, i, t})
		}
	}
	// At one instant, evaluations first: they only see complete periods.
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].at.Equal(evs[j].at) {
			return evs[i].at.Before(evs[j].at)
		}
		return evs[i].kind > evs[j].kind
	})
	closed := true // no row: closed
	outcomes := make([]Outcome, len(requests))
	var changes []Change
	for _, e := range evs {
		_, _, isDown := m.Schedule.Down(e.at)
		switch e.kind {
		case 0:
			o := Outcome{At: e.at}
			if closed {
				o.Downstream = 1
				o.Failed = isDown
				v := 0.0
				if isDown {
					v = 1
				}
				down.Put(e.at, v)
			} else {
				o.Rejected = true
			}
			outcomes[e.i] = o
		case 1:
			v := 0.0
			if isDown && !m.BlindHealthcheck {
				v = 1
			}
			health.Put(e.at, v)
		case 2:
			a := []*alarmsim.Alarm{down, health}[e.i]
			c, changed := a.Evaluate(e.period)
			if !changed {
				continue
			}
			// The downstream alarm notifies on ALARM only; the healthcheck's
			// on ALARM and OK. Neither on INSUFFICIENT_DATA.
			notifies := c.New == alarmsim.StateAlarm || (a == health && c.New == alarmsim.StateOK)
			if !notifies {
				continue
			}
			now := c.New != alarmsim.StateAlarm
			if now != closed {
				closed = now
				changes = append(changes, Change{At: e.at, Open: !closed, Reason: "the original's handler: " + a.Name + " went to " + c.New})
			}
		}
	}
	return outcomes, changes, nil
}
