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
