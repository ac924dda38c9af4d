package alarmeval

import (
	"strings"
	"testing"
	"time"
)

// The evaluation rules these tests pin are AWS's, "Using Amazon CloudWatch
// alarms" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html):
// M of N ("Datapoints to Alarm"), and the four TreatMissingData values of
// "Configuring how CloudWatch alarms treat missing data"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html:
// notBreaching "good", breaching "bad", ignore "the current alarm state is
// maintained", missing "if all data points in the alarm evaluation range are
// missing, the alarm transitions to INSUFFICIENT_DATA"). The metric-math
// functions are those of "Metric math syntax and functions"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
// IF(condition, trueValue, falseValue), and comparison operators returning 1
// or 0.

func minute(m int) time.Time { return origin.Add(time.Duration(m) * time.Minute) }

// series are per-minute values from minute 0: NaN-free, a negative value
// means no datapoint.
func series(vals ...float64) Values {
	v := Values{}
	for i, x := range vals {
		if x >= 0 {
			v[minute(i)] = x
		}
	}
	return v
}

func countRule() Rule {
	return Rule{Namespace: "AWS/Lambda", MetricName: "Errors", Statistic: "Sum",
		ComparisonOperator: "GreaterThanThreshold", Threshold: 1, EvaluationPeriods: 3, DatapointsToAlarm: 3,
		TreatMissingData: "notBreaching", Period: time.Minute, ConfiguredPeriodSeconds: 60}
}

func states(cs []Change) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.At.Sub(origin).String()+" "+c.New)
	}
	return strings.Join(s, ", ")
}

func TestReplayCount(t *testing.T) {
	// 3 of 3 minutes with more than one error: ALARM at the end of the third
	// breaching minute; OK at the end of the first minute that is not.
	in := map[string]Values{"m": series(0, 2, 2, 2, 0, -1, 5)}
	cs, points, err := Replay("down", countRule(), in, origin, minute(7))
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 7 || !points[5].Missing {
		t.Fatalf("points %+v", points)
	}
	if got, want := states(cs), "1m0s OK, 4m0s ALARM, 5m0s OK"; got != want {
		t.Errorf("changes %q, want %q", got, want)
	}
	if !strings.HasPrefix(cs[1].Reason, "Threshold Crossed: 3 out of the last 3 datapoints [2.0 (27/11/26 00:03:00)") {
		t.Errorf("reason %q", cs[1].Reason)
	}
}

func TestReplayMofN(t *testing.T) {
	// 2 of 3: two breaching minutes apart still alarm.
	r := countRule()
	r.DatapointsToAlarm = 2
	cs, _, _ := Replay("down", r, map[string]Values{"m": series(2, 0, 2, 0, 0)}, origin, minute(5))
	if got, want := states(cs), "1m0s OK, 3m0s ALARM, 4m0s OK"; got != want {
		t.Errorf("changes %q, want %q", got, want)
	}
}

func TestReplayMissingData(t *testing.T) {
	for missing, want := range map[string]string{
		// One datapoint of 0 in minute 0, then none: from the end of minute
		// 3 every evaluation range (3 minutes) is all missing.
		"notBreaching": "1m0s OK",
		"breaching":    "1m0s OK, 4m0s ALARM", // minutes 1-3 missing, breaching: 3 of 3
		"missing":      "1m0s OK, 4m0s INSUFFICIENT_DATA",
		"ignore":       "1m0s OK", // the state is kept
	} {
		r := countRule()
		r.TreatMissingData = missing
		cs, _, err := Replay("down", r, map[string]Values{"m": series(0)}, origin, minute(6))
		if err != nil {
			t.Fatal(err)
		}
		if got := states(cs); got != want {
			t.Errorf("%s: %q, want %q", missing, got, want)
		}
	}
}

func TestReplayRate(t *testing.T) {
	// The component's rate alarm: more than 10% errors in 2 of 2 minutes
	// with at least 10 invocations. Minute 1 has 50% errors of 4 calls
	// (below the minimum: 0, not breaching), minutes 2-3 20% of 100, minute
	// 4 no invocations at all (no datapoint: notBreaching).
	r := Rule{Namespace: "AWS/Lambda", Metrics: RateQueries(10), ComparisonOperator: "GreaterThanThreshold", Threshold: 10,
		EvaluationPeriods: 2, DatapointsToAlarm: 2, TreatMissingData: "notBreaching", Period: time.Minute, ConfiguredPeriodSeconds: 60}
	in := map[string]Values{
		IDErrors:      series(0, 2, 20, 20, -1),
		IDInvocations: series(50, 4, 100, 100, -1),
	}
	cs, points, err := Replay("rate", r, in, origin, minute(5))
	if err != nil {
		t.Fatal(err)
	}
	if points[1].Value != 0 || points[2].Value != 20 || !points[4].Missing {
		t.Errorf("points %+v", points)
	}
	if got, want := states(cs), "1m0s OK, 4m0s ALARM, 5m0s OK"; got != want {
		t.Errorf("changes %q, want %q", got, want)
	}
}

func TestReplayPercentile(t *testing.T) {
	// The slow-call alarm on CloudWatch's own per-minute p99 values: above
	// 800 ms in 3 of 3 minutes with at least 10 invocations. Minute 2's p99
	// of 2 calls does not count.
	r := Rule{Namespace: "AWS/Lambda", Metrics: SlowCallQueries("p99", 10), ComparisonOperator: "GreaterThanThreshold", Threshold: 800,
		EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: "notBreaching", Period: time.Minute, ConfiguredPeriodSeconds: 60}
	in := map[string]Values{
		IDDuration:    series(120, 900, 2000, 950, 990, 1200, 100),
		IDInvocations: series(30, 30, 2, 30, 30, 30, 30),
	}
	cs, _, err := Replay("slow", r, in, origin, minute(7))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := states(cs), "1m0s OK, 6m0s ALARM, 7m0s OK"; got != want {
		t.Errorf("changes %q, want %q", got, want)
	}
}

func TestStatPercentile(t *testing.T) {
	var s []float64
	for i := 1; i <= 100; i++ {
		s = append(s, float64(i))
	}
	for stat, want := range map[string]float64{"p99": 99, "p50": 50, "p100": 100, "p99.5": 100, "p1": 1, "Sum": 5050, "Average": 50.5, "SampleCount": 100, "Maximum": 100, "Minimum": 1} {
		if got, ok := Stat(stat, s); !ok || got != want {
			t.Errorf("%s: %v %v, want %v", stat, got, ok, want)
		}
	}
	if got, _ := Stat("p99", []float64{3, 700}); got != 700 {
		t.Errorf("p99 of two samples is their maximum, got %v", got)
	}
	if _, ok := Stat("p99", nil); ok {
		t.Error("a percentile of no samples")
	}
}

// A simulated slow-call alarm on samples: Duration and Invocations put per
// call, evaluated with the same expression.
func TestAlarmMetricMathOnSamples(t *testing.T) {
	r := Rule{Namespace: "AWS/Lambda", Metrics: SlowCallQueries("p90", 5), ComparisonOperator: "GreaterThanThreshold", Threshold: 500,
		EvaluationPeriods: 1, DatapointsToAlarm: 1, TreatMissingData: "notBreaching", Period: time.Minute, ConfiguredPeriodSeconds: 60}
	a, err := New("slow", "", r, origin)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		d := 100.0
		if i >= 8 {
			d = 900 // 2 of 10 slow: the p90 is slow
		}
		a.PutMetric("Duration", at(0.5), d)
		a.PutMetric("Invocations", at(0.5), 1)
	}
	if c, changed := a.Evaluate(at(1)); !changed || c.New != StateAlarm {
		t.Fatalf("p90 of 10 calls, 2 slow: %+v", c)
	}
	a.PutMetric("Duration", at(1.5), 900) // one slow call: below the minimum
	a.PutMetric("Invocations", at(1.5), 1)
	if c, changed := a.Evaluate(at(2)); !changed || c.New != StateOK {
		t.Fatalf("one call: %+v", c)
	}
}

func TestParse(t *testing.T) {
	for expr, want := range map[string]float64{
		RateExpression(10):            25, // errors 5, invocations 20
		SlowCallExpression(30):        0,  // invocations 20 < 30
		"1 + 2 * 3 - -1":              8,
		"(1 + 2) * 3 / 2":             4.5,
		"IF(errors > 4, 1)":           1,
		"IF(errors != 5, 1, 2 <= 2)":  1,
		"invocations == 20":           1,
		"IF(invocations < 1, 7, 0.5)": 0.5,
	} {
		e, err := Parse(expr)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		got, ok := e.Eval(func(id string) (float64, bool) {
			v, ok := map[string]float64{"errors": 5, "invocations": 20, "duration": 900}[id]
			return v, ok
		})
		if !ok || got != want {
			t.Errorf("%s = %v (%v), want %v", expr, got, ok, want)
		}
	}
	// A missing input: no result.
	e, _ := Parse(RateExpression(10))
	if _, ok := e.Eval(func(id string) (float64, bool) { return 3, id != "invocations" }); ok {
		t.Error("a missing input gave a value")
	}
	for _, bad := range []string{"FILL(errors, 0)", "1 +", "IF(1)", "errors $ 2", "(1"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestRuleValidateMetricMath(t *testing.T) {
	r := countRule()
	r.MetricName, r.Statistic = "", ""
	r.Metrics = []Query{{ID: "a", MetricName: "Errors", Stat: "Sum"}, {ID: "e", Expression: "a / b", ReturnData: true}}
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), `uses "b"`) {
		t.Errorf("unknown id: %v", err)
	}
	r.Metrics = []Query{{ID: "a", MetricName: "Errors", Stat: "Sum", ReturnData: true}, {ID: "e", Expression: "a", ReturnData: true}}
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "exactly one") {
		t.Errorf("two returned: %v", err)
	}
}
