package alarmeval

import (
	"strings"
	"testing"
	"time"
)

var origin = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func rule(op string, threshold float64, n, m int, missing string) Rule {
	return Rule{
		Namespace: "AWS/Lambda", MetricName: "Errors", Dimensions: map[string]string{"FunctionName": "f"},
		Statistic: "Sum", ComparisonOperator: op, Threshold: threshold,
		EvaluationPeriods: n, DatapointsToAlarm: m, TreatMissingData: missing,
		Period: time.Minute, ConfiguredPeriodSeconds: 60,
	}
}

func at(minutes float64) time.Time { return origin.Add(time.Duration(minutes * float64(time.Minute))) }

// The semantics follow AWS, "Using Amazon CloudWatch alarms"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html):
// "Evaluating an alarm" (Period, Evaluation Periods, Datapoints to Alarm: M
// out of the last N datapoints breaching go to ALARM), and "Configuring how
// CloudWatch alarms treat missing data" (notBreaching, breaching, ignore:
// the current state is maintained, missing: INSUFFICIENT_DATA when all are
// missing). New alarms start in INSUFFICIENT_DATA.

// The original's downstream alarm: Sum > 1 in 3 of 3 one-minute periods.
func TestThreeOfThree(t *testing.T) {
	a, err := New("down", "", rule("GreaterThanThreshold", 1, 3, 3, "notBreaching"), origin)
	if err != nil {
		t.Fatal(err)
	}
	if _, changed := a.Evaluate(at(0.5)); changed || a.State() != StateInsufficientData {
		t.Fatalf("before any period ended: %s", a.State())
	}
	// Minute 0: healthy invocations, so datapoints of 0.
	a.Put(at(0.2), 0)
	a.Put(at(0.4), 0)
	if c, changed := a.Evaluate(at(1)); !changed || c.New != StateOK || c.Old != StateInsufficientData {
		t.Fatalf("after a healthy minute: %+v %v", c, changed)
	}
	// Minutes 1-3 with 2 errors each: ALARM once the third has ended, not before.
	for m := 1; m <= 3; m++ {
		a.Put(at(float64(m)+0.1), 1)
		a.Put(at(float64(m)+0.2), 1)
		c, changed := a.Evaluate(at(float64(m + 1)))
		if m < 3 && changed {
			t.Fatalf("minute %d: changed early: %+v", m, c)
		}
		if m == 3 {
			if !changed || c.New != StateAlarm {
				t.Fatalf("after three breaching minutes: %+v", c)
			}
			if !strings.HasPrefix(c.Reason, "Threshold Crossed: 3 out of the last 3 datapoints [2.0 (27/11/26 00:03:00), 2.0") {
				t.Errorf("reason %q", c.Reason)
			}
		}
	}
	// No invocations at all (the circuit is open): missing, not breaching.
	if c, changed := a.Evaluate(at(5)); !changed || c.New != StateOK {
		t.Fatalf("missing data treated as not breaching: %+v", c)
	}
}

func TestMissingData(t *testing.T) {
	for missing, want := range map[string]string{
		"notBreaching": StateOK,
		"breaching":    StateAlarm,
		"missing":      StateInsufficientData,
		"ignore":       StateInsufficientData, // unchanged
	} {
		a, err := New("h", "", rule("GreaterThanOrEqualToThreshold", 1, 1, 1, missing), origin)
		if err != nil {
			t.Fatal(err)
		}
		a.Evaluate(at(1))
		if got := a.State(); got != want {
			t.Errorf("%s: %s, want %s", missing, got, want)
		}
	}
}

func TestRejectsWhatItDoesNotSimulate(t *testing.T) {
	r := rule("GreaterThanUpperThreshold", 1, 1, 2, "sometimes")
	r.Statistic = "p101"
	err := r.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"DatapointsToAlarm", "ComparisonOperator", "Statistic", "TreatMissingData"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not name %s", err, want)
		}
	}
}

// CloudWatch bounds Period x EvaluationPeriods: 7 days, 1 day for periods
// under an hour (CloudWatch API Reference, PutMetricAlarm, Period), on the
// configured period when a simulation compresses it. Beyond it Replay
// allocated EvaluationPeriods datapoints per period (out of memory for
// 2147483647, TestReplayRefusesAnEvaluationRangeCloudWatchRefuses).
func TestValidateBoundsTheEvaluationRange(t *testing.T) {
	rule := func(period time.Duration, configured, n int) Rule {
		return Rule{MetricName: "Errors", Statistic: "Sum", ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "missing",
			EvaluationPeriods: n, DatapointsToAlarm: 1, Period: period, ConfiguredPeriodSeconds: configured}
	}
	for _, tc := range []struct {
		r  Rule
		ok bool
	}{
		{rule(time.Minute, 60, 1440), true},
		{rule(time.Minute, 60, 1441), false},
		{rule(time.Hour, 3600, 168), true},
		{rule(time.Hour, 3600, 169), false},
		{rule(time.Second, 60, 1440), true}, // compressed: the configured period counts
		{rule(time.Second, 0, 86400), true},
		{rule(time.Minute, 60, 2147483647), false},
	} {
		if err := tc.r.Validate(); (err == nil) != tc.ok {
			t.Errorf("%d x %v (configured %d s): %v, want ok %v", tc.r.EvaluationPeriods, tc.r.Period, tc.r.ConfiguredPeriodSeconds, err, tc.ok)
		}
	}
}
