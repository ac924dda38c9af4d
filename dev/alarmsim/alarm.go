// Package alarmsim is a SIMULATION of CloudWatch metric alarms, for running
// the breaker's alarm path locally, where no CloudWatch exists. It is not
// CloudWatch: it reproduces the parts of alarm evaluation the breaker's alarms
// use, closely enough to drive the real alarm-handler Lambda with the
// notifications CloudWatch would send.
//
// What it does: samples are put into one-period buckets (period boundaries
// are Origin + k*Period); each bucket's datapoint is the alarm's statistic over
// its samples, or missing when it has none (Lambda publishes no Errors
// datapoint for a minute without invocations). Evaluating at an instant looks
// at the last EvaluationPeriods complete periods, treats missing datapoints as
// TreatMissingData says, and goes to ALARM when at least DatapointsToAlarm of
// them breach the threshold, else to OK (INSUFFICIENT_DATA when every
// datapoint is missing and missing data is "missing"; unchanged when it is
// "ignore"). Alarms start in INSUFFICIENT_DATA, as new CloudWatch alarms do.
//
// What it leaves out: CloudWatch's metric delay (datapoints here are final as
// soon as the period ends; on AWS Lambda metrics arrive about a minute late,
// so real alarms fire later), "ignore" looking back beyond the evaluation
// range, percentiles, and anomaly detection. Periods may be compressed (a
// configured 60 s period simulated as a few seconds): callers say so.
package alarmsim

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Alarm states, as CloudWatch names them.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// Rule is an alarm's configuration, in CloudWatch's terms.
type Rule struct {
	Namespace  string            // e.g. AWS/Lambda
	MetricName string            // e.g. Errors
	Dimensions map[string]string // e.g. FunctionName
	Statistic  string            // Sum, SampleCount, Average, Minimum, Maximum
	// ComparisonOperator is GreaterThanThreshold, GreaterThanOrEqualToThreshold,
	// LessThanThreshold or LessThanOrEqualToThreshold.
	ComparisonOperator string
	Threshold          float64
	EvaluationPeriods  int
	DatapointsToAlarm  int
	TreatMissingData   string // missing, ignore, breaching, notBreaching
	// Period is one period as simulated (possibly compressed).
	Period time.Duration
	// ConfiguredPeriodSeconds is the period as configured, which is what
	// CloudWatch puts in its notifications' Trigger.
	ConfiguredPeriodSeconds int
}

// Validate rejects rules this simulation cannot evaluate.
func (r Rule) Validate() error {
	var bad []string
	if r.Period <= 0 {
		bad = append(bad, "Period must be positive")
	}
	if r.EvaluationPeriods < 1 || r.DatapointsToAlarm < 1 || r.DatapointsToAlarm > r.EvaluationPeriods {
		bad = append(bad, fmt.Sprintf("want 1 <= DatapointsToAlarm (%d) <= EvaluationPeriods (%d)", r.DatapointsToAlarm, r.EvaluationPeriods))
	}
	if _, ok := comparisons[r.ComparisonOperator]; !ok {
		bad = append(bad, fmt.Sprintf("ComparisonOperator %q is not simulated", r.ComparisonOperator))
	}
	switch r.Statistic {
	case "Sum", "SampleCount", "Average", "Minimum", "Maximum":
	default:
		bad = append(bad, fmt.Sprintf("Statistic %q is not simulated", r.Statistic))
	}
	switch r.TreatMissingData {
	case "missing", "ignore", "breaching", "notBreaching":
	default:
		bad = append(bad, fmt.Sprintf("TreatMissingData %q is not one of missing, ignore, breaching, notBreaching", r.TreatMissingData))
	}
	if len(bad) > 0 {
		return fmt.Errorf("alarmsim: %s", strings.Join(bad, "; "))
	}
	return nil
}

type comparison struct {
	breaches func(v, threshold float64) bool
	words    string // as CloudWatch phrases it in a state reason
}

var comparisons = map[string]comparison{
	"GreaterThanThreshold":          {func(v, t float64) bool { return v > t }, "greater than"},
	"GreaterThanOrEqualToThreshold": {func(v, t float64) bool { return v >= t }, "greater than or equal to"},
	"LessThanThreshold":             {func(v, t float64) bool { return v < t }, "less than"},
	"LessThanOrEqualToThreshold":    {func(v, t float64) bool { return v <= t }, "less than or equal to"},
}

// Datapoint is one period's statistic.
type Datapoint struct {
	Start   time.Time
	Value   float64
	Missing bool
}

// Change is one state change of an alarm.
type Change struct {
	AlarmName string
	Old, New  string
	At        time.Time // when the evaluation ran: the notification's StateChangeTime
	Reason    string    // in CloudWatch's words
	// Datapoints are the evaluated periods, oldest first.
	Datapoints []Datapoint
}

// Alarm is one simulated metric alarm. It is safe for concurrent use: samples
// arrive from many requests while a clock evaluates.
type Alarm struct {
	Name        string
	Description string
	Rule        Rule
	// Origin is where period 0 starts.
	Origin time.Time

	mu      sync.Mutex
	samples map[int64][]float64
	state   string
	history []Change
}

// New returns an alarm in INSUFFICIENT_DATA with no samples.
func New(name, description string, rule Rule, origin time.Time) (*Alarm, error) {
	if err := rule.Validate(); err != nil {
		return nil, err
	}
	return &Alarm{Name: name, Description: description, Rule: rule, Origin: origin, samples: map[int64][]float64{}, state: StateInsufficientData}, nil
}

func (a *Alarm) period(t time.Time) int64 {
	return int64(math.Floor(float64(t.Sub(a.Origin)) / float64(a.Rule.Period)))
}

func (a *Alarm) periodStart(k int64) time.Time {
	return a.Origin.Add(time.Duration(k) * a.Rule.Period)
}

// Put adds one sample at t (for Lambda's Errors: 1 for an invocation that
// failed, 0 for one that did not).
func (a *Alarm) Put(t time.Time, v float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := a.period(t)
	a.samples[k] = append(a.samples[k], v)
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

func (a *Alarm) datapoint(k int64) Datapoint {
	d := Datapoint{Start: a.periodStart(k)}
	s := a.samples[k]
	if len(s) == 0 {
		d.Missing = true
		return d
	}
	switch a.Rule.Statistic {
	case "Sum", "Average":
		for _, v := range s {
			d.Value += v
		}
		if a.Rule.Statistic == "Average" {
			d.Value /= float64(len(s))
		}
	case "SampleCount":
		d.Value = float64(len(s))
	case "Minimum":
		d.Value = slices.Min(s)
	case "Maximum":
		d.Value = slices.Max(s)
	}
	return d
}

// Evaluate runs one evaluation at now over the EvaluationPeriods periods that
// ended at or before now, and reports the state change it caused, if any.
// Before the first period has ended there is nothing to evaluate.
func (a *Alarm) Evaluate(now time.Time) (Change, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	last := a.period(now) - 1 // the last complete period
	if last < 0 {
		return Change{}, false
	}
	r := a.Rule
	cmp := comparisons[r.ComparisonOperator]
	var points []Datapoint
	breaching, present := 0, 0
	for k := last - int64(r.EvaluationPeriods) + 1; k <= last; k++ {
		d := a.datapoint(k)
		points = append(points, d)
		switch {
		case !d.Missing:
			present++
			if cmp.breaches(d.Value, r.Threshold) {
				breaching++
			}
		case r.TreatMissingData == "breaching":
			breaching++
		}
	}
	next := StateOK
	switch {
	case breaching >= r.DatapointsToAlarm:
		next = StateAlarm
	case present == 0 && r.TreatMissingData == "missing":
		next = StateInsufficientData
	case present == 0 && r.TreatMissingData == "ignore":
		next = a.state
	}
	if next == a.state {
		return Change{}, false
	}
	c := Change{AlarmName: a.Name, Old: a.state, New: next, At: now, Datapoints: points, Reason: a.reason(next, points, breaching)}
	a.state = next
	a.history = append(a.history, c)
	return c, true
}

// reason phrases the change as CloudWatch does in NewStateReason.
func (a *Alarm) reason(next string, points []Datapoint, breaching int) string {
	r := a.Rule
	var shown []string
	missing := 0
	// CloudWatch lists the newest datapoint first.
	for i := len(points) - 1; i >= 0; i-- {
		p := points[i]
		if p.Missing {
			missing++
			continue
		}
		shown = append(shown, fmt.Sprintf("%.1f (%s)", p.Value, p.Start.UTC().Format("02/01/06 15:04:05")))
	}
	words := comparisons[r.ComparisonOperator].words
	treated := map[string]string{"breaching": "Breaching", "notBreaching": "NonBreaching", "ignore": "Ignore", "missing": "Missing"}[r.TreatMissingData]
	switch {
	case next == StateInsufficientData:
		return fmt.Sprintf("Insufficient Data: %d datapoints were unknown.", len(points))
	case len(shown) == 0:
		return fmt.Sprintf("Threshold Crossed: no datapoints were received for %d periods and %d missing datapoints were treated as [%s].", len(points), missing, treated)
	case next == StateAlarm:
		return fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] were %s the threshold (%s) (minimum %d datapoints for OK -> ALARM transition).",
			breaching, len(points), strings.Join(shown, ", "), words, formatThreshold(r.Threshold), r.DatapointsToAlarm)
	default:
		return fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] were not %s the threshold (%s) (minimum %d datapoint for ALARM -> OK transition).",
			len(points)-breaching, len(points), strings.Join(shown, ", "), words, formatThreshold(r.Threshold), 1)
	}
}

func formatThreshold(f float64) string { return fmt.Sprintf("%.1f", f) }
