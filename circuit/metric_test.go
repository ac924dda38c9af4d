package circuit

import (
	"testing"
	"time"
)

// Issue 9 (CircuitState metric): the metric is the effective state, the one
// Decide acts on, so an override or a healthcheck hold shows as what callers get.
func TestMetricValueIsTheEffectiveState(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	held := AlarmStatus{State: AlarmStateAlarm, ChangedAt: now}
	for _, tc := range []struct {
		name string
		c    Circuit
		want int
	}{
		{"no item", Circuit{}, MetricClosed},
		{"closed", Circuit{State: Closed}, MetricClosed},
		{"half-open", Circuit{State: HalfOpen}, MetricHalfOpen},
		{"open", Circuit{State: Open, OpenUntil: now.Add(time.Minute)}, MetricOpen},
		{"open, duration over, no probe yet", Circuit{State: Open, OpenUntil: now.Add(-time.Minute)}, MetricOpen},
		{"forced open over closed", Circuit{State: Closed, Override: ForcedOpen}, MetricOpen},
		{"forced closed over open", Circuit{State: Open, Override: ForcedClosed}, MetricClosed},
		{"forced closed over a hold", Circuit{State: Closed, Override: ForcedClosed, Healthcheck: held}, MetricClosed},
		{"healthcheck hold over closed", Circuit{State: Closed, Healthcheck: held}, MetricOpen},
	} {
		if got := tc.c.MetricValue(); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
		// The metric agrees with Decide: 2 exactly when callers are rejected
		// outright (before any probe election).
		if v := Decide(tc.c, now, 1); (v == Reject) != (tc.want == MetricOpen && tc.c.OpenUntil.After(now) || tc.want == MetricOpen && tc.c.State != Open) {
			t.Errorf("%s: Decide says %s but the metric is %d", tc.name, v, tc.want)
		}
	}
}
