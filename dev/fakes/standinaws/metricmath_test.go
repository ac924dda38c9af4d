package standinaws_test

import (
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// Issue 10, bullet 1: the real provider refuses a metric alarm that sets both
// metricName and metricQueries (aws_cloudwatch_metric_alarm metric_name and
// metric_query: ConflictsWith in the Terraform AWS provider's
// internal/service/cloudwatch/metric_alarm.go, recorded in
// reference/terraform-aws.json), worded as terraform-plugin-sdk's
// validateConflictingAttributes. The stand-in refuses it too, so a rate alarm
// that kept the count alarm's fields could not pass the tests.
func TestCheckRefusesMetricNameBesideMetricQueries(t *testing.T) {
	query := []any{map[string]any{"id": "rate", "expression": "IF(invocations >= 10, 100 * errors / invocations, 0)", "returnData": true}}
	reasons, _ := check(t, alarm, "a", map[string]any{
		"comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1,
		"metricName": "Errors", "metricQueries": query,
	})
	require.Contains(t, reasons, `Conflicting configuration arguments. "metric_name": conflicts with metric_query. Examine values at 'a.metricName'.`)

	reasons, _ = check(t, alarm, "a", map[string]any{
		"comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1,
		"metricQueries": query,
	})
	require.Empty(t, reasons)
}

// The breaker's rate alarm passes the stand-in's Check: it sets none of the
// fields that conflict with metric_query.
func TestRateAlarmPassesTheStandInsCheck(t *testing.T) {
	require.Empty(t, deployThroughStandInWith(t, "payments", func(a *component.Args) {
		a.DownstreamMonitoring = &component.MonitoringArgs{Mode: pulumi.StringRef("rate"), ErrorRatePercent: pulumi.Float64Ref(20)}
	}))
}

// Issue 10, bullet 2: the slow-call alarm (ExtendedStatistic on Duration)
// passes the stand-in's Check, which refuses statistic beside
// extended_statistic as the Terraform provider does (ConflictsWith in
// reference/terraform-aws.json).
func TestSlowCallAlarmPassesTheStandInsCheck(t *testing.T) {
	reasons, _ := check(t, alarm, "a", map[string]any{
		"comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1,
		"metricName": "Duration", "namespace": "AWS/Lambda", "period": 60,
		"statistic": "Average", "extendedStatistic": "p99",
	})
	require.Contains(t, reasons, `Conflicting configuration arguments. "statistic": conflicts with extended_statistic. Examine values at 'a.statistic'.`)
	require.Empty(t, deployThroughStandInWith(t, "payments", func(a *component.Args) {
		a.SlowCallMonitoring = &component.SlowCallMonitoringArgs{ThresholdMs: pulumi.Float64Ref(1000), Percentile: pulumi.StringRef("p99.9")}
		a.DownstreamMonitoring = &component.MonitoringArgs{Mode: pulumi.StringRef("rate"), ErrorRatePercent: pulumi.Float64Ref(20)}
	}))
}

// Issue 14, items 17 and 18: the statistics the Terraform AWS provider takes
// (internal/service/cloudwatch/metric_alarm.go): extended_statistic must match
// its percentile pattern, `p` then \d{1,2}(\.\d{1,2})? or 100 (so p99.999,
// p100.0 and p050 are refused, worded as terraform-plugin-sdk's
// validation.StringMatch: "invalid value for KEY (MESSAGE)"), and a metric
// query's stat is the Statistic enum OR that pattern (validation.AnyDiag), so
// a percentile of a metric in a metric-math alarm is accepted. The probes of
// dev/tools/tfawsschema recorded the first as unmodeled and the second as the enum
// alone; gen's validatorFixes correct both.
func TestCheckTakesTheProvidersStatistics(t *testing.T) {
	base := map[string]any{"comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1,
		"metricName": "Duration", "namespace": "AWS/Lambda", "period": 60}
	for _, ok := range []string{"p99", "p99.9", "p99.99", "p100", "p5", "tm99"} {
		reasons, _ := check(t, alarm, "a", with(base, "extendedStatistic", ok))
		require.Emptyf(t, reasons, "extendedStatistic %s", ok)
	}
	for _, bad := range []string{"p99.999", "p100.0", "p050", "p101", "P99", "Average"} {
		reasons, _ := check(t, alarm, "a", with(base, "extendedStatistic", bad))
		require.Equalf(t, []string{"invalid value for extended_statistic (invalid statistic, see: " +
			"https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html). Examine values at 'a.extendedStatistic'."}, reasons, "extendedStatistic %s", bad)
	}
	query := func(stat string) map[string]any {
		return map[string]any{"comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1, "metricQueries": []any{
			map[string]any{"id": "duration", "metric": map[string]any{"metricName": "Duration", "namespace": "AWS/Lambda", "period": 60, "stat": stat}},
		}}
	}
	for _, ok := range []string{"p99", "p99.9", "Sum", "Average"} {
		reasons, _ := check(t, alarm, "a", query(ok))
		require.Emptyf(t, reasons, "metric stat %s", ok)
	}
	for _, bad := range []string{"p99.999", "sum", "Total"} {
		reasons, _ := check(t, alarm, "a", query(bad))
		require.Lenf(t, reasons, 1, "metric stat %s", bad)
		require.Contains(t, reasons[0], "expected metric_query.0.metric.0.stat to be one of")
	}
}
