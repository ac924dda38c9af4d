package component_test

// Issue 10, bullet 1 (failure rate with a minimum throughput): the downstream
// alarm in mode "rate" is a CloudWatch metric-math alarm. The expression's IF
// is one of metric math's functions
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html,
// "Metric math syntax and functions"); an alarm on metric math takes its
// metrics in metric_query, and the Terraform AWS provider refuses namespace,
// metric_name, dimensions, period and statistic beside it (ConflictsWith in
// internal/service/cloudwatch/metric_alarm.go, recorded in
// dev/fakes/standinaws/reference/terraform-aws.json).

import (
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func rateMonitoring(percent float64, minimum int) *component.MonitoringArgs {
	return &component.MonitoringArgs{Mode: pulumi.StringRef("rate"), ErrorRatePercent: pulumi.Float64Ref(percent), MinimumInvocations: pulumi.IntRef(minimum)}
}

// queries decodes an alarm's metricQueries by id.
func queries(t *testing.T, alarm resource.PropertyMap) map[string]map[string]any {
	t.Helper()
	require.True(t, alarm["metricQueries"].IsArray(), "metricQueries: %v", alarm["metricQueries"])
	out := map[string]map[string]any{}
	for _, q := range alarm["metricQueries"].Mappable().([]any) {
		m := q.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

func TestRateAlarmDividesErrorsByInvocationsAboveAMinimum(t *testing.T) {
	rec, _, err := deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.DownstreamMonitoring = rateMonitoring(25, 20)
		return a
	})
	require.NoError(t, err)
	down := rec.one(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors").Inputs

	// What the provider refuses beside metric_query is not set at all.
	for _, k := range []resource.PropertyKey{"namespace", "metricName", "dimensions", "period", "statistic", "extendedStatistic"} {
		require.Falsef(t, down.HasValue(k), "%s must not be set on a metric-math alarm", k)
	}
	require.Equal(t, 25.0, down["threshold"].NumberValue(), "the threshold is the percentage")
	require.Equal(t, "Circuit breaker payments: error rate of the downstream function above 25% in periods of at least 20 invocations. ALARM opens the circuit; it closes again through half-open probes.",
		down["alarmDescription"].StringValue())
	require.Equal(t, "GreaterThanThreshold", down["comparisonOperator"].StringValue())
	require.Equal(t, "notBreaching", down["treatMissingData"].StringValue(), "a period without invocations has no data and does not breach")
	require.Equal(t, 3.0, down["evaluationPeriods"].NumberValue())
	require.Equal(t, 3.0, down["datapointsToAlarm"].NumberValue())

	q := queries(t, down)
	require.Len(t, q, 3)
	require.Equal(t, "IF(invocations >= 20, 100 * errors / invocations, 0)", q["rate"]["expression"])
	require.Equal(t, true, q["rate"]["returnData"])
	fn := "payments-" + shortName("payments")
	for id, metric := range map[string]string{"errors": "Errors", "invocations": "Invocations"} {
		require.Equal(t, false, q[id]["returnData"], id)
		m := q[id]["metric"].(map[string]any)
		require.Equal(t, "AWS/Lambda", m["namespace"], id)
		require.Equal(t, metric, m["metricName"], id)
		require.Equal(t, "Sum", m["stat"], id)
		require.Equal(t, 60.0, m["period"], id)
		require.Equal(t, map[string]any{"FunctionName": fn}, m["dimensions"], id)
	}
}

// The minimum throughput is what tells 2 errors in 3 calls from 2 in 100,000:
// the expression, evaluated as CloudWatch does per period, on both.
func TestRateExpressionNeedsTheMinimumThroughput(t *testing.T) {
	require.Equal(t, "IF(invocations >= 10, 100 * errors / invocations, 0)", component.RateExpression(10))
	rate := func(errors, invocations, minimum float64) float64 {
		if invocations >= minimum {
			return 100 * errors / invocations
		}
		return 0
	}
	require.Equal(t, 0.0, rate(2, 3, 10), "2 errors in 3 calls at night: below the minimum, not a rate")
	require.Less(t, rate(2, 100000, 10), 1.0, "2 errors in 100,000 calls at noon: far below any sensible percentage")
	require.Equal(t, 50.0, rate(10, 20, 10))
}

// The qualifier's dimensions (Resource = name:qualifier) reach every metric of
// the query, as they reach the count alarm's dimensions.
func TestRateAlarmWatchesTheQualifier(t *testing.T) {
	rec, _, err := deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.DownstreamQualifier = pulumi.StringRef("live")
		a.DownstreamMonitoring = rateMonitoring(10, 5)
		a.DownstreamMonitoring.TreatMissingData = pulumi.StringRef("ignore")
		a.DownstreamMonitoring.Period = pulumi.IntRef(300)
		return a
	})
	require.NoError(t, err)
	down := rec.one(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors").Inputs
	require.Equal(t, "ignore", down["treatMissingData"].StringValue())
	fn := "payments-" + shortName("payments")
	for _, id := range []string{"errors", "invocations"} {
		m := queries(t, down)[id]["metric"].(map[string]any)
		require.Equal(t, map[string]any{"FunctionName": fn, "Resource": fn + ":live"}, m["dimensions"], id)
		require.Equal(t, 300.0, m["period"], id)
	}
	// The healthcheck alarm stays a count alarm.
	health := rec.one(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-healthcheck-errors").Inputs
	require.Equal(t, "Errors", health["metricName"].StringValue())
	require.False(t, health.HasValue("metricQueries"))
}

func TestBadMonitoringModeNamesTheFieldAndTheFix(t *testing.T) {
	cases := []struct {
		name   string
		m      *component.MonitoringArgs
		health bool
		field  string
		fix    string
	}{
		{"unknown mode", &component.MonitoringArgs{Mode: pulumi.StringRef("ratio")}, false, "downstreamMonitoring.mode", "not one of count, rate"},
		{"percent missing", &component.MonitoringArgs{Mode: pulumi.StringRef("rate")}, false, "downstreamMonitoring.errorRatePercent", "is required with mode \"rate\""},
		{"percent zero", rateMonitoring(0, 10), false, "downstreamMonitoring.errorRatePercent", "above 0 and at most 100"},
		{"percent above 100", rateMonitoring(100.5, 10), false, "downstreamMonitoring.errorRatePercent", "above 0 and at most 100"},
		{"minimum zero", rateMonitoring(50, 0), false, "downstreamMonitoring.minimumInvocations", "at least 1 invocation"},
		{"rate with a metric name", func() *component.MonitoringArgs {
			m := rateMonitoring(50, 10)
			m.MetricName = pulumi.StringRef("Errors")
			return m
		}(), false, "downstreamMonitoring.metricName", "drop metricName"},
		{"rate with a threshold", func() *component.MonitoringArgs {
			m := rateMonitoring(50, 10)
			m.Threshold = pulumi.Float64Ref(5)
			return m
		}(), false, "downstreamMonitoring.threshold", "drop threshold"},
		{"rate with a statistic", func() *component.MonitoringArgs {
			m := rateMonitoring(50, 10)
			m.Statistic = pulumi.StringRef("Sum")
			return m
		}(), false, "downstreamMonitoring.statistic", "drop statistic"},
		{"rate below the percentage", func() *component.MonitoringArgs {
			m := rateMonitoring(50, 10)
			m.ComparisonOperator = pulumi.StringRef("LessThanThreshold")
			return m
		}(), false, "downstreamMonitoring.comparisonOperator", "use GreaterThanThreshold or GreaterThanOrEqualToThreshold"},
		{"rate period", func() *component.MonitoringArgs {
			m := rateMonitoring(50, 10)
			m.Period = pulumi.IntRef(30)
			return m
		}(), false, "downstreamMonitoring.period", "multiple of 60"},
		{"percent in count mode", &component.MonitoringArgs{ErrorRatePercent: pulumi.Float64Ref(5)}, false, "downstreamMonitoring.errorRatePercent", "set downstreamMonitoring.mode to \"rate\""},
		{"minimum in count mode", &component.MonitoringArgs{MinimumInvocations: pulumi.IntRef(5)}, false, "downstreamMonitoring.minimumInvocations", "applies only with mode \"rate\""},
		{"rate on the healthcheck", rateMonitoring(50, 10), true, "healthcheckMonitoring.mode", "only downstreamMonitoring takes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn()}
			if tc.health {
				a.HealthcheckMonitoring = tc.m
			} else {
				a.DownstreamMonitoring = tc.m
			}
			_, err := component.Resolve(a)
			require.Error(t, err)
			var line string
			for _, l := range strings.Split(err.Error(), "\n") {
				if strings.Contains(l, tc.field) {
					line = l
				}
			}
			require.NotEmptyf(t, line, "no problem names %s in %v", tc.field, err)
			require.Contains(t, line, tc.fix)
		})
	}
	// The count alarm's defaults stay as they were.
	s, err := component.Resolve(component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(),
		DownstreamMonitoring: rateMonitoring(50, 10)})
	require.NoError(t, err)
	require.Equal(t, "rate", s.DownstreamMonitoring.Mode)
	require.Equal(t, "count", s.HealthcheckMonitoring.Mode)
}

// Issue 10, bullet 5: onStoreError reaches the definition: failClosed's read
// Catch ends in CircuitUnavailable (executed in
// component/statemachine/failclosed_test.go), failOpen's invokes.
func TestOnStoreErrorReachesTheDefinition(t *testing.T) {
	for mode, want := range map[string]string{"failOpen": `"Next": "InvokeDownstream"`, "failClosed": `"Next": "RejectCircuitUnavailable"`} {
		rec, _, err := deploy(t, func(f userFunctions) component.Args {
			a := baseArgs(f)
			a.OnStoreError = pulumi.StringRef(mode)
			return a
		})
		require.NoError(t, err, mode)
		def := definition(t, rec)
		require.Contains(t, def, want, mode)
		require.Equal(t, mode == "failClosed", strings.Contains(def, `"CircuitUnavailable"`), mode)
	}
	_, err := component.Resolve(component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(),
		OnStoreError: pulumi.StringRef("closed")})
	require.ErrorContains(t, err, "onStoreError")
	require.ErrorContains(t, err, `"closed" is not one of failOpen, failClosed`)
}
