package component_test

// Issue 10, bullet 2 (slow calls): a third alarm, on the downstream's AWS/Lambda
// Duration (milliseconds:
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html)
// as a percentile (ExtendedStatistic, pNN or pNN.NN:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html),
// that notifies the breaker's topic like the others; the alarm handler takes
// it as circuit.SourceSlowCalls.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

const alarmType = "aws:cloudwatch/metricAlarm:MetricAlarm"

func slow(ms float64) *component.SlowCallMonitoringArgs {
	return &component.SlowCallMonitoringArgs{ThresholdMs: pulumi.Float64Ref(ms)}
}

func TestSlowCallAlarmWatchesTheDownstreamsDuration(t *testing.T) {
	rec, _, err := deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.DownstreamQualifier = pulumi.StringRef("live")
		a.SlowCallMonitoring = slow(1500)
		a.SlowCallMonitoring.Percentile = pulumi.StringRef("p99.9")
		a.SlowCallMonitoring.EvaluationPeriods = pulumi.IntRef(5)
		return a
	})
	require.NoError(t, err)
	topicArn := rec.state(t, "aws:sns/topic:Topic", "-alarms", "arn")
	topicName := rec.state(t, "aws:sns/topic:Topic", "-alarms", "name")
	a := rec.one(t, alarmType, "-downstream-slow-calls").Inputs
	require.Equal(t, topicName+"-downstream-slow-calls", a["name"].StringValue())
	// A metric-math alarm (item 17): Duration's percentile and Invocations'
	// Sum, the same dimensions as the error alarm's (TestSlowCallAlarmNeedsAMinimumSample).
	for _, k := range []resource.PropertyKey{"namespace", "metricName", "dimensions", "period", "statistic", "extendedStatistic"} {
		require.False(t, a.HasValue(k), "the provider refuses %s beside metric_query", k)
	}
	q := slowQueries(t, a)
	require.Equal(t, "p99.9", q["duration"]["metric"].(map[string]any)["stat"])
	require.Equal(t, 60.0, q["duration"]["metric"].(map[string]any)["period"])
	require.Equal(t, 1500.0, a["threshold"].NumberValue())
	require.Equal(t, "GreaterThanThreshold", a["comparisonOperator"].StringValue())
	require.Equal(t, 5.0, a["evaluationPeriods"].NumberValue())
	require.Equal(t, 5.0, a["datapointsToAlarm"].NumberValue(), "unset datapoints are the evaluation periods, as in CloudWatch")
	require.Equal(t, "notBreaching", a["treatMissingData"].StringValue())
	fn := "payments-" + shortName("payments")
	for _, id := range []string{"duration", "invocations"} {
		require.Equal(t, map[string]any{"FunctionName": fn, "Resource": fn + ":live"}, q[id]["metric"].(map[string]any)["dimensions"], id)
	}
	for _, k := range []resource.PropertyKey{"alarmActions", "okActions", "insufficientDataActions"} {
		require.Equal(t, []any{topicArn}, a[k].Mappable(), k)
	}

	// The handler knows the alarm by name, and the topic takes its notices.
	env := rec.one(t, "aws:lambda/function:Function", "-alarm-handler").Inputs["environment"].ObjectValue()["variables"].Mappable().(map[string]any)
	require.Equal(t, rec.state(t, alarmType, "-downstream-slow-calls", "name"), env["SLOW_CALL_ALARM_NAME"])
	tp := policy(t, rec.one(t, "aws:sns/topicPolicy:TopicPolicy", "-alarms-policy").Inputs["policy"].StringValue())
	require.ElementsMatch(t, []any{
		rec.state(t, alarmType, "-downstream-errors", "arn"),
		rec.state(t, alarmType, "-healthcheck-errors", "arn"),
		rec.state(t, alarmType, "-downstream-slow-calls", "arn"),
	}, tp.Statement[0].Condition["ArnLike"]["aws:SourceArn"])
	// Created once the handler is subscribed, like the other alarms.
	slowAlarm := rec.one(t, alarmType, "-downstream-slow-calls")
	require.True(t, slowAlarm.dependsOn("breaker-alarm-handler-subscription"), "deps: %v", slowAlarm.Dependencies)
}

func TestNoSlowCallAlarmByDefault(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	for _, c := range rec.of(alarmType) {
		require.False(t, strings.HasSuffix(c.Name, "-downstream-slow-calls"))
	}
	env := rec.one(t, "aws:lambda/function:Function", "-alarm-handler").Inputs["environment"].ObjectValue()["variables"].Mappable().(map[string]any)
	require.NotContains(t, env, "SLOW_CALL_ALARM_NAME")
}

func TestBadSlowCallMonitoringNamesTheFieldAndTheFix(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(a *component.Args)
		field string
		fix   string
	}{
		{"no threshold", func(a *component.Args) { a.SlowCallMonitoring = &component.SlowCallMonitoringArgs{} }, "slowCallMonitoring.thresholdMs", "is required"},
		{"threshold zero", func(a *component.Args) { a.SlowCallMonitoring = slow(0) }, "slowCallMonitoring.thresholdMs", "above 0 milliseconds"},
		{"threshold at the state machine's timeout", func(a *component.Args) {
			a.DownstreamTimeoutSeconds = pulumi.IntRef(2)
			a.SlowCallMonitoring = slow(2000)
		}, "slowCallMonitoring.thresholdMs", "not below downstreamTimeoutSeconds (2 s = 2000 ms)"},
		{"percentile not a percentile", func(a *component.Args) {
			a.SlowCallMonitoring = slow(500)
			a.SlowCallMonitoring.Percentile = pulumi.StringRef("Average")
		}, "slowCallMonitoring.percentile", `e.g. "p99"`},
		{"percentile above 100", func(a *component.Args) {
			a.SlowCallMonitoring = slow(500)
			a.SlowCallMonitoring.Percentile = pulumi.StringRef("p101")
		}, "slowCallMonitoring.percentile", "not a percentile statistic the aws provider accepts"},
		{"period", func(a *component.Args) {
			a.SlowCallMonitoring = slow(500)
			a.SlowCallMonitoring.Period = pulumi.IntRef(90)
		}, "slowCallMonitoring.period", "multiple of 60"},
		{"datapoints", func(a *component.Args) {
			a.SlowCallMonitoring = slow(500)
			a.SlowCallMonitoring.DatapointsToAlarm = pulumi.IntRef(4)
		}, "slowCallMonitoring.datapointsToAlarm", "between 1 and evaluationPeriods (3)"},
		{"missing data", func(a *component.Args) {
			a.SlowCallMonitoring = slow(500)
			a.SlowCallMonitoring.TreatMissingData = pulumi.StringRef("zero")
		}, "slowCallMonitoring.treatMissingData", "not one of missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn()}
			tc.edit(&a)
			_, err := component.Resolve(a)
			require.Error(t, err)
			require.Contains(t, inputError(t, err)[tc.field], tc.fix, "%v", err)
		})
	}
}

// The function's timeout is an output: a threshold it can never reach fails
// the preview once the timeout is known (here: a plain input, known at
// preview), and the update otherwise; an unset timeout is Lambda's default,
// 3 s (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
func TestSlowCallThresholdMustBeBelowTheFunctionsTimeout(t *testing.T) {
	run := func(timeout *int, thresholdMs float64, opts ...pulumi.RunOption) error {
		return pulumi.RunErr(func(ctx *pulumi.Context) error {
			f, err := newFunctions(ctx)
			if err != nil {
				return err
			}
			args := &lambda.FunctionArgs{Role: pulumi.String("arn:aws:iam::123456789012:role/app")}
			if timeout != nil {
				args.Timeout = pulumi.IntPtr(*timeout)
			}
			f.downstream, err = lambda.NewFunction(ctx, "slow", args)
			if err != nil {
				return err
			}
			a := baseArgs(f)
			a.SlowCallMonitoring = slow(thresholdMs)
			_, err = component.NewCircuitBreaker(ctx, "breaker", a)
			return err
		}, append([]pulumi.RunOption{pulumi.WithMocks("project", "stack", &recorder{})}, opts...)...)
	}
	for _, mode := range []struct {
		name string
		opts []pulumi.RunOption
	}{{"up", nil}, {"preview", []pulumi.RunOption{preview}}} {
		t.Run(mode.name, func(t *testing.T) {
			err := run(pulumi.IntRef(2), 2000, mode.opts...)
			require.Error(t, err)
			require.Contains(t, inputError(t, err)["slowCallMonitoring.thresholdMs"], "not below downstreamFunction's timeout (2 s)")
			require.NoError(t, run(pulumi.IntRef(2), 1999, mode.opts...))
			require.NoError(t, run(nil, 2500, mode.opts...))
			if mode.name == "preview" {
				// The mocks leave an unset timeout unknown at preview (the real
				// provider fills in its default, 3, at Check): checked at up.
				return
			}
			err = run(nil, 3000, mode.opts...)
			require.Error(t, err)
			require.Contains(t, inputError(t, err)["slowCallMonitoring.thresholdMs"], "(3 s)")
		})
	}
}

// Issue 14, item 18: the percentiles the aws provider refuses are refused at
// preview, naming the field. The rule is the Terraform AWS provider's
// extended_statistic ValidateFunc (internal/service/cloudwatch/metric_alarm.go:
// `p` then \d{1,2}(\.\d{1,2})? or 100, anchored), and CloudWatch's "pNN.NN",
// a number above 0 and at most 100 (CloudWatch User Guide, "Statistics
// definitions"), which rules out p0.
func TestPercentileIsTheProvidersRule(t *testing.T) {
	resolve := func(percentile string) error {
		a := component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(), SlowCallMonitoring: slow(500)}
		a.SlowCallMonitoring.Percentile = pulumi.StringRef(percentile)
		_, err := component.Resolve(a)
		return err
	}
	for _, ok := range []string{"p1", "p5", "p05", "p50", "p90", "p99", "p99.9", "p99.99", "p0.1", "p100"} {
		require.NoErrorf(t, resolve(ok), "%s is a percentile the provider and CloudWatch accept", ok)
	}
	for _, bad := range []string{"p99.999", "p100.0", "p050", "p101", "p0", "p00", "p0.0", "p", "p.5", "P99", "p99.", "p-1", "tm99", "Average", " p99", "p99 "} {
		err := resolve(bad)
		require.Errorf(t, err, "%q", bad)
		require.Contains(t, inputError(t, err)["slowCallMonitoring.percentile"], fmt.Sprintf("%q", bad))
	}
}

// slowQueries indexes a slow-call alarm's metric queries by id.
func slowQueries(t *testing.T, a resource.PropertyMap) map[string]map[string]any {
	t.Helper()
	require.True(t, a.HasValue("metricQueries"), "the slow-call alarm has no metric queries: %v", a)
	out := map[string]map[string]any{}
	for _, q := range a["metricQueries"].ArrayValue() {
		m := q.Mappable().(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

// Issue 14, item 17: a percentile is evaluated however few calls there were,
// so one slow call in each of three quiet minutes would open the circuit. Like
// the rate mode's minimumInvocations, the slow-call alarm counts a period only
// with at least minimumInvocations calls (default 10, the rate mode's own
// default): IF(invocations >= N, duration, 0) in CloudWatch metric math
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html,
// "Metric math syntax and functions": IF), over the Duration percentile (a
// metric query's stat takes one: the Terraform AWS provider's
// metric_query.metric.stat) and the Sum of Invocations of the same function
// and qualifier. The provider refuses metric_name, namespace, dimensions,
// period and extended_statistic beside metric_query (ConflictsWith), so the
// alarm sets none of them.
func TestSlowCallAlarmNeedsAMinimumSample(t *testing.T) {
	for _, tc := range []struct {
		name    string
		minimum *int
		want    int
	}{{"default", nil, component.DefaultMinimumInvocations}, {"set", pulumi.IntRef(25), 25}} {
		t.Run(tc.name, func(t *testing.T) {
			rec, _, err := deploy(t, func(f userFunctions) component.Args {
				a := baseArgs(f)
				a.SlowCallMonitoring = slow(800)
				a.SlowCallMonitoring.MinimumInvocations = tc.minimum
				return a
			})
			require.NoError(t, err)
			a := rec.one(t, alarmType, "-downstream-slow-calls").Inputs
			q := slowQueries(t, a)
			require.Len(t, q, 3)
			fn := "payments-" + shortName("payments")
			duration := q["duration"]["metric"].(map[string]any)
			require.Equal(t, map[string]any{"namespace": "AWS/Lambda", "metricName": "Duration", "stat": "p99", "period": 60.0,
				"dimensions": map[string]any{"FunctionName": fn}}, duration)
			require.Equal(t, false, q["duration"]["returnData"])
			invocations := q["invocations"]["metric"].(map[string]any)
			require.Equal(t, map[string]any{"namespace": "AWS/Lambda", "metricName": "Invocations", "stat": "Sum", "period": 60.0,
				"dimensions": map[string]any{"FunctionName": fn}}, invocations)
			require.Equal(t, false, q["invocations"]["returnData"])
			require.Equal(t, fmt.Sprintf("IF(invocations >= %d, duration, 0)", tc.want), q["slow"]["expression"])
			require.Equal(t, component.SlowCallExpression(tc.want), q["slow"]["expression"])
			require.Equal(t, true, q["slow"]["returnData"])
			require.Equal(t, 800.0, a["threshold"].NumberValue())
			require.Contains(t, a["alarmDescription"].StringValue(), fmt.Sprintf("at least %d invocations", tc.want))
			for _, k := range []resource.PropertyKey{"namespace", "metricName", "dimensions", "period", "statistic", "extendedStatistic"} {
				require.False(t, a.HasValue(k), k)
			}
		})
	}
	for _, bad := range []int{0, -3} {
		a := component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(), SlowCallMonitoring: slow(500)}
		a.SlowCallMonitoring.MinimumInvocations = pulumi.IntRef(bad)
		_, err := component.Resolve(a)
		require.Error(t, err)
		require.Contains(t, inputError(t, err)["slowCallMonitoring.minimumInvocations"], "at least 1 invocation")
	}
}
