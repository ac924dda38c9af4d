package alarmeval

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Alarm is one alarm evaluated on samples as they arrive (the demo's
// simulation): samples go into one-period buckets (period boundaries are
// Origin + k*Period), each bucket's value is the query's statistic over its
// samples, or missing when it has none. It is safe for concurrent use:
// samples arrive from many requests while a clock evaluates.
type Alarm struct {
	Name        string
	Description string
	Rule        Rule
	// Origin is where period 0 starts.
	Origin time.Time

	mu sync.Mutex
	// samples[metric][period] are the samples of one metric name.
	samples map[string]map[int64][]float64
	state   string
	history []Change
}

// New returns an alarm in INSUFFICIENT_DATA with no samples.
func New(name, description string, rule Rule, origin time.Time) (*Alarm, error) {
	if err := rule.Validate(); err != nil {
		return nil, err
	}
	return &Alarm{Name: name, Description: description, Rule: rule, Origin: origin, samples: map[string]map[int64][]float64{}, state: StateInsufficientData}, nil
}

// PeriodOf is the index of the period holding t.
func (a *Alarm) PeriodOf(t time.Time) int64 {
	return int64(math.Floor(float64(t.Sub(a.Origin)) / float64(a.Rule.Period)))
}

// PeriodStart is where period k starts.
func (a *Alarm) PeriodStart(k int64) time.Time {
	return a.Origin.Add(time.Duration(k) * a.Rule.Period)
}

// Put adds one sample at t of a single-metric alarm's metric (for Lambda's
// Errors: 1 for an invocation that failed, 0 for one that did not).
func (a *Alarm) Put(t time.Time, v float64) { a.PutMetric(a.Rule.Queries()[0].MetricName, t, v) }

// PutMetric adds one sample at t of metric name (a metric-math alarm's
// Errors, Invocations or Duration).
func (a *Alarm) PutMetric(name string, t time.Time, v float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.samples[name] == nil {
		a.samples[name] = map[int64][]float64{}
	}
	k := a.PeriodOf(t)
	a.samples[name][k] = append(a.samples[name][k], v)
}

// State is the alarm's current state.
func (a *Alarm) State() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state
}

// History is every state change so far, oldest first.
func (a *Alarm) History() []Change {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Change(nil), a.history...)
}

// datapoint is period k's value: each metric query's statistic over its
// samples, then the returned query.
func (a *Alarm) datapoint(k int64) Datapoint {
	start := a.PeriodStart(k)
	in := map[string]Values{}
	for _, q := range a.Rule.Queries() {
		if q.Expression != "" {
			continue
		}
		if v, ok := Stat(q.Stat, a.samples[q.MetricName][k]); ok {
			in[q.ID] = Values{start: v}
		}
	}
	return a.Rule.Datapoint(start, in)
}

// Evaluate runs one evaluation at now over the EvaluationPeriods periods that
// ended at or before now, and reports the state change it caused, if any.
// Before the first period has ended there is nothing to evaluate.
func (a *Alarm) Evaluate(now time.Time) (Change, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	last := a.PeriodOf(now) - 1 // the last complete period
	if last < 0 {
		return Change{}, false
	}
	r := a.Rule
	var points []Datapoint
	for k := last - int64(r.EvaluationPeriods) + 1; k <= last; k++ {
		points = append(points, a.datapoint(k))
	}
	next, breaching := r.Decide(points, a.state)
	if next == a.state {
		return Change{}, false
	}
	c := Change{AlarmName: a.Name, Old: a.state, New: next, At: now, Datapoints: points, Reason: r.Reason(next, points, breaching)}
	a.state = next
	a.history = append(a.history, c)
	return c, true
}

// Stat is statistic stat of samples; false when there are none. A percentile
// is the nearest-rank one (the smallest sample with at least p% of the
// samples at or below it), which approximates CloudWatch's.
func Stat(stat string, samples []float64) (float64, bool) {
	if len(samples) == 0 {
		return 0, false
	}
	switch stat {
	case "Sum", "Average":
		var sum float64
		for _, v := range samples {
			sum += v
		}
		if stat == "Average" {
			sum /= float64(len(samples))
		}
		return sum, true
	case "SampleCount":
		return float64(len(samples)), true
	case "Minimum":
		return slices.Min(samples), true
	case "Maximum":
		return slices.Max(samples), true
	}
	p, ok := Percentile(stat)
	if !ok {
		return 0, false
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(0, min(rank, len(sorted))-1)], true
}
