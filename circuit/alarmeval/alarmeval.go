// Package alarmeval evaluates CloudWatch metric alarms the way the breaker's
// alarms are defined (component/alarms.go): a count alarm on one statistic of
// one metric, and metric-math alarms (the rate alarm's errors / invocations
// with a minimum throughput, the slow-call alarm's Duration percentile with a
// minimum throughput). It is CloudWatch's alarm evaluation as documented, not
// CloudWatch. Two callers share it: the demo's local simulation
// (dev/alarmsim, which feeds samples to Alarm as requests finish) and
// `circuitctl replay` (which feeds CloudWatch's own per-period values, from
// GetMetricData, to Replay).
//
// Evaluation (AWS, "Using Amazon CloudWatch alarms", Evaluating an alarm,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html):
// each period has one datapoint, the rule's returned value for that period
// (the statistic of the metric, or the expression over the queries' values),
// or none. At the end of each period the last EvaluationPeriods datapoints
// are looked at; missing ones are treated as TreatMissingData says
// (breaching, notBreaching, ignore, missing); the alarm goes to ALARM when at
// least DatapointsToAlarm of them breach the threshold, else to OK; to
// INSUFFICIENT_DATA when every datapoint is missing and missing data is
// "missing"; it keeps its state when every datapoint is missing and missing
// data is "ignore". Alarms start in INSUFFICIENT_DATA, as new CloudWatch
// alarms do.
//
// Metric math: the expression language's subset the component writes,
// numbers, query ids, + - * /, comparisons (1 when true, 0 when false) and
// IF(condition, a[, b]) ("Metric math syntax and functions",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).
// A period where an input the expression needs has no datapoint has no
// result (a period without invocations: Lambda publishes no Errors,
// Invocations or Duration datapoint for it), so TreatMissingData decides it,
// as the component's comments on RateExpression and SlowCallExpression say.
//
// Percentiles (pNN, pNN.N): from samples (Alarm.Put) the nearest-rank
// percentile of the period's samples; CloudWatch computes its percentiles
// from its own approximate distribution, so a simulated p99 of few samples
// may differ from CloudWatch's. Replay takes CloudWatch's per-period
// percentile values as they are (GetMetricData's pNN per period), never raw
// samples, so it computes no percentile of its own.
//
// What it leaves out: CloudWatch's metric delay (datapoints here are final
// as soon as the period ends; Lambda's metrics arrive about a minute late,
// so real alarms change later), missing data "ignore" and "missing" looking
// back beyond the evaluation range for older datapoints, the
// EvaluateLowSampleCountPercentile option (our percentile alarm is a
// metric-math alarm, which has none), anomaly detection, metric math
// functions other than IF, and division by zero (no result here; the
// component's expressions never divide by zero). Periods may be compressed
// (a configured 60 s period simulated as a few seconds): callers say so.
package alarmeval

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Alarm states, as CloudWatch names them.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// Query is one of a metric-math alarm's metric queries (MetricDataQuery): a
// metric's statistic (MetricName and Stat), or an expression over other
// queries' ids. Namespace, dimensions and period are the rule's.
type Query struct {
	ID         string
	MetricName string
	Stat       string // Sum, SampleCount, Average, Minimum, Maximum, pNN
	Expression string
	ReturnData bool
}

// Rule is an alarm's configuration, in CloudWatch's terms.
type Rule struct {
	Namespace  string            // e.g. AWS/Lambda
	Dimensions map[string]string // e.g. FunctionName
	// MetricName and Statistic: a single-metric alarm. Statistic is Sum,
	// SampleCount, Average, Minimum, Maximum or a percentile pNN.
	MetricName string
	Statistic  string
	// Metrics: a metric-math alarm (MetricName and Statistic unset); exactly
	// one query returns data.
	Metrics []Query
	// ComparisonOperator is GreaterThanThreshold, GreaterThanOrEqualToThreshold,
	// LessThanThreshold or LessThanOrEqualToThreshold.
	ComparisonOperator string
	Threshold          float64
	EvaluationPeriods  int
	DatapointsToAlarm  int
	TreatMissingData   string // missing, ignore, breaching, notBreaching
	// Period is one period as evaluated (possibly compressed by a simulation).
	Period time.Duration
	// ConfiguredPeriodSeconds is the period as configured, which is what
	// CloudWatch puts in its notifications' Trigger.
	ConfiguredPeriodSeconds int
}

// Validate rejects rules this package cannot evaluate, naming every field.
func (r Rule) Validate() error {
	var bad []string
	if r.Period <= 0 {
		bad = append(bad, "Period must be positive")
	}
	if r.EvaluationPeriods < 1 || r.DatapointsToAlarm < 1 || r.DatapointsToAlarm > r.EvaluationPeriods {
		bad = append(bad, fmt.Sprintf("want 1 <= DatapointsToAlarm (%d) <= EvaluationPeriods (%d)", r.DatapointsToAlarm, r.EvaluationPeriods))
	}
	if period, limit, ok := r.evaluationRange(); !ok {
		bad = append(bad, fmt.Sprintf("EvaluationPeriods %d x Period %v exceeds %v, the longest evaluation range CloudWatch accepts for that period", r.EvaluationPeriods, period, limit))
	}
	if _, ok := comparisons[r.ComparisonOperator]; !ok {
		bad = append(bad, fmt.Sprintf("ComparisonOperator %q is not evaluated", r.ComparisonOperator))
	}
	switch r.TreatMissingData {
	case "missing", "ignore", "breaching", "notBreaching":
	default:
		bad = append(bad, fmt.Sprintf("TreatMissingData %q is not one of missing, ignore, breaching, notBreaching", r.TreatMissingData))
	}
	if len(r.Metrics) == 0 {
		if !ValidStat(r.Statistic) {
			bad = append(bad, fmt.Sprintf("Statistic %q is not evaluated (Sum, SampleCount, Average, Minimum, Maximum, or a percentile such as p99)", r.Statistic))
		}
		if r.MetricName == "" {
			bad = append(bad, "MetricName is empty")
		}
	} else if _, err := r.returned(); err != nil {
		bad = append(bad, err.Error())
	}
	if len(bad) > 0 {
		return fmt.Errorf("alarmeval: %s", strings.Join(bad, "; "))
	}
	return nil
}

// evaluationRange is the configured period and CloudWatch's bound on an alarm's evaluation range,
// Period x EvaluationPeriods: "can be no longer than seven days ... For
// alarms with a period of less than one hour (3,600 seconds), the total
// evaluation period can't be longer than one day" (CloudWatch API Reference,
// PutMetricAlarm, Period), and ok false when r exceeds it. It is checked on
// the configured period (a simulation compresses Period); it keeps Replay
// from allocating EvaluationPeriods datapoints per period: `circuitctl replay
// --evaluation-periods 2147483647` ran out of memory (found by FuzzReplayFlags).
func (r Rule) evaluationRange() (period, limit time.Duration, ok bool) {
	period = time.Duration(r.ConfiguredPeriodSeconds) * time.Second
	if r.ConfiguredPeriodSeconds <= 0 {
		period = r.Period
	}
	limit = 7 * 24 * time.Hour
	if period < time.Hour {
		limit = 24 * time.Hour
	}
	if period <= 0 {
		return period, limit, true // Period's own check names it
	}
	return period, limit, int64(r.EvaluationPeriods) <= int64(limit/period)
}

// Queries are the rule's queries: Metrics, or for a single-metric alarm one
// query "m" returning its statistic.
func (r Rule) Queries() []Query {
	if len(r.Metrics) > 0 {
		return r.Metrics
	}
	return []Query{{ID: "m", MetricName: r.MetricName, Stat: r.Statistic, ReturnData: true}}
}

// returned is the query whose values the alarm watches, parsed.
func (r Rule) returned() (returned, error) {
	var out returned
	ids := map[string]bool{}
	n := 0
	for _, q := range r.Queries() {
		if q.ID == "" {
			return out, fmt.Errorf("a metric query has no Id")
		}
		if ids[q.ID] {
			return out, fmt.Errorf("metric query Id %q appears twice", q.ID)
		}
		ids[q.ID] = true
		if q.Expression == "" && !ValidStat(q.Stat) {
			return out, fmt.Errorf("metric query %q: stat %q is not evaluated", q.ID, q.Stat)
		}
		if q.ReturnData {
			n++
			out.q = q
		}
	}
	if n != 1 {
		return out, fmt.Errorf("want exactly one metric query with ReturnData, got %d", n)
	}
	if out.q.Expression != "" {
		e, err := Parse(out.q.Expression)
		if err != nil {
			return out, fmt.Errorf("metric query %q: %w", out.q.ID, err)
		}
		for _, id := range e.IDs() {
			if !ids[id] {
				return out, fmt.Errorf("metric query %q: expression %q uses %q, which is no query's Id", out.q.ID, out.q.Expression, id)
			}
		}
		out.expr = e
	}
	return out, nil
}

type returned struct {
	q    Query
	expr *Expr
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

// Breaches reports whether v breaches r's threshold.
func (r Rule) Breaches(v float64) bool {
	return comparisons[r.ComparisonOperator].breaches(v, r.Threshold)
}

// Datapoint is one period's value of the returned query.
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

// Values are one query's per-period values, keyed by the period's start: what
// GetMetricData returns for a MetricStat (a period without data has no entry).
type Values map[time.Time]float64

// Datapoint is the returned query's value for the period starting at start,
// from the queries' values in that period; missing when the metric has none,
// or when the expression needs a value that is missing.
func (r Rule) Datapoint(start time.Time, in map[string]Values) Datapoint {
	d := Datapoint{Start: start, Missing: true}
	ret, err := r.returned()
	if err != nil {
		return d
	}
	if ret.expr == nil {
		if v, ok := in[ret.q.ID][start]; ok {
			d.Value, d.Missing = v, false
		}
		return d
	}
	v, ok := ret.expr.Eval(func(id string) (float64, bool) {
		v, ok := in[id][start]
		return v, ok
	})
	if ok {
		d.Value, d.Missing = v, false
	}
	return d
}

// Decide is one evaluation: the state after current, given the evaluation
// range's datapoints (oldest first, EvaluationPeriods of them), and how many
// of them counted as breaching.
func (r Rule) Decide(points []Datapoint, current string) (next string, breaching int) {
	present := 0
	for _, d := range points {
		switch {
		case !d.Missing:
			present++
			if r.Breaches(d.Value) {
				breaching++
			}
		case r.TreatMissingData == "breaching":
			breaching++
		}
	}
	next = StateOK
	switch {
	case breaching >= r.DatapointsToAlarm:
		next = StateAlarm
	case present == 0 && r.TreatMissingData == "missing":
		next = StateInsufficientData
	case present == 0 && r.TreatMissingData == "ignore":
		next = current
	}
	return next, breaching
}

// Reason phrases a change to next as CloudWatch does in NewStateReason.
func (r Rule) Reason(next string, points []Datapoint, breaching int) string {
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

// Replay evaluates rule r at the end of every period from `from` (a period
// start) up to `to`, on the queries' values in, as CloudWatch would have
// evaluated an alarm created at from. It returns every state change, oldest
// first, and every period's datapoint.
func Replay(name string, r Rule, in map[string]Values, from, to time.Time) ([]Change, []Datapoint, error) {
	if err := r.Validate(); err != nil {
		return nil, nil, err
	}
	var points []Datapoint
	for start := from; !start.Add(r.Period).After(to); start = start.Add(r.Period) {
		points = append(points, r.Datapoint(start, in))
	}
	state := StateInsufficientData
	var changes []Change
	for i := range points {
		lo := max(0, i+1-r.EvaluationPeriods)
		window := make([]Datapoint, 0, r.EvaluationPeriods)
		// Before from, the alarm did not exist: periods before it are missing.
		for k := i + 1 - r.EvaluationPeriods; k < lo; k++ {
			window = append(window, Datapoint{Start: from.Add(time.Duration(k) * r.Period), Missing: true})
		}
		window = append(window, points[lo:i+1]...)
		next, breaching := r.Decide(window, state)
		if next == state {
			continue
		}
		changes = append(changes, Change{AlarmName: name, Old: state, New: next, At: points[i].Start.Add(r.Period),
			Datapoints: window, Reason: r.Reason(next, window, breaching)})
		state = next
	}
	return changes, points, nil
}

// ValidStat reports whether s is a statistic this package evaluates: Sum,
// SampleCount, Average, Minimum, Maximum, or a percentile p0 to p100.
func ValidStat(s string) bool {
	switch s {
	case "Sum", "SampleCount", "Average", "Minimum", "Maximum":
		return true
	}
	_, ok := Percentile(s)
	return ok
}

// Percentile is the percentile of a pNN statistic (p99 -> 99, p99.9 -> 99.9).
func Percentile(stat string) (float64, bool) {
	if !strings.HasPrefix(stat, "p") {
		return 0, false
	}
	f, err := strconv.ParseFloat(stat[1:], 64)
	if err != nil || f < 0 || f > 100 || strings.ContainsAny(stat[1:], "eE+-") {
		return 0, false
	}
	return f, true
}
