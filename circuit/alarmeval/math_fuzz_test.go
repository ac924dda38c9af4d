package alarmeval

import (
	"math"
	"testing"
)

// FuzzMetricMath: a metric-math expression as a deployed alarm holds it
// (circuitctl replay reads it back with DescribeAlarms; whoever may edit the
// alarm writes it). Whatever it holds, Parse does not panic, and what it
// accepts evaluates, lists its ids and reads its guard without panicking.
// Seeds: the component's own expressions and CloudWatch's documented syntax
// ("Metric math syntax and functions": IF(condition, a, b), comparisons,
// arithmetic).
func FuzzMetricMath(f *testing.F) {
	for _, s := range []string{RateExpression(10), SlowCallExpression(10), "IF(m1 > 0, m2 / m1 * 100, 0)", "m1+m2*-3/(4-4)",
		"IF(invocations >= 10, 100 * errors / invocations)", "1e3", "..", "IF(", "IF(a,b,c,d)", "SUM(METRICS())", "a == b != c", "((((a))))", "-", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		ids := e.IDs()
		for _, id := range ids {
			e.Guard(id)
		}
		e.Eval(func(id string) (float64, bool) { return float64(len(id)), len(id)%2 == 0 })
		e.Eval(func(string) (float64, bool) { return math.NaN(), true })
	})
}
