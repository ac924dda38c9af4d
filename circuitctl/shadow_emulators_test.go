//go:build emulators

package circuitctl_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/alarmeval"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
)

// status --shadow shows shadow mode's would-rejects (docs/shadow-mode.md):
// the WouldRejects sums of the last hour and day, for the breaker (a
// per-key circuit shows its service's); without the flag, nothing is asked of
// CloudWatch; a CloudWatch error is shown and the status stands.
func TestStatusShowsWouldRejects(t *testing.T) {
	f := newFixture(t)
	f.put(t, circuit.Circuit{ServiceName: "payments", State: circuit.Open, OpenUntil: now.Add(time.Minute)})
	cw := &fakeMetrics{pageSize: 1000, series: map[string]alarmeval.Values{
		circuit.WouldRejectsMetric + " Sum": {
			now.Add(-30 * time.Minute): 4, now.Add(-2 * time.Minute): 3, // the last hour
			now.Add(-5 * time.Hour): 10, now.Add(-30 * time.Hour): 100, // the day; older
		},
	}}
	env := circuitctl.Env{NewMetrics: func(context.Context, circuitctl.Conn) (circuitctl.MetricsAPI, error) { return cw, nil }}

	r := runWith(t, env, "status", "payments", "--table", f.table, "--endpoint-url", endpoint)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	require.NotContains(t, r.stdout, "would-rejects")
	require.Empty(t, cw.requests, "no CloudWatch call without --shadow")

	r = runWith(t, env, "status", "payments", "--shadow", "--table", f.table, "--endpoint-url", endpoint)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	require.Contains(t, r.stdout, "would-rejects      7 in the last hour, 17 in the last day")
	q := cw.requests[0].MetricDataQueries[0].MetricStat
	require.Equal(t, circuit.MetricNamespace, *q.Metric.Namespace)
	require.Equal(t, "payments", *q.Metric.Dimensions[0].Value)

	r = runWith(t, env, "status", "payments#acme", "--shadow", "--output", "json", "--table", f.table, "--endpoint-url", endpoint)
	var v circuitctl.View
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), r)
	require.Equal(t, &circuitctl.WouldRejectsView{LastHour: 7, LastDay: 17}, v.WouldRejects, "a key's circuit shows its breaker's count")

	denied := circuitctl.Env{NewMetrics: func(context.Context, circuitctl.Conn) (circuitctl.MetricsAPI, error) {
		return nil, errors.New("AccessDenied")
	}}
	r = runWith(t, denied, "status", "payments", "--shadow", "--table", f.table, "--endpoint-url", endpoint)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	require.Contains(t, r.stdout, "could not read CircuitBreaker WouldRejects (cloudwatch:GetMetricData): AccessDenied")
}
