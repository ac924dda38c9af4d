package component

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/alarmeval"
)

// alarmTopic is the topic both alarms notify, with its policy, and the names
// the alarms will have. The names are fixed before the alarms exist, so the
// handler can be configured with them and subscribed, and the topic policy can
// name the alarms, before either alarm is created: an alarm notifies on its
// first evaluation, and a notification published before the handler is
// subscribed would be lost.
type alarmTopic struct {
	topic                *sns.Topic
	policy               *sns.TopicPolicy
	downstreamAlarmName  pulumi.StringOutput
	healthcheckAlarmName pulumi.StringOutput
	// slowCallAlarmName is set only with slowCallMonitoring.
	slowCallAlarmName *pulumi.StringOutput
}

type alarmPath struct {
	downstream  *cloudwatch.MetricAlarm
	healthcheck *cloudwatch.MetricAlarm
	slowCalls   *cloudwatch.MetricAlarm // nil without slowCallMonitoring
}

// The alarms are named after the topic, whose auto-name is unique in the
// account and Region (a random suffix), so the alarms' are too.
const (
	downstreamAlarmSuffix  = "-downstream-errors"
	healthcheckAlarmSuffix = "-healthcheck-errors"
	slowCallAlarmSuffix    = "-downstream-slow-calls"
)

// topic creates the topic and the policy that lets only this breaker's own
// alarms publish to it.
func (g *graph) topic() (alarmTopic, error) {
	topic, err := sns.NewTopic(g.ctx, g.child("alarms"), &sns.TopicArgs{Tags: g.tags}, g.parent)
	if err != nil {
		return alarmTopic{}, err
	}
	down := pulumi.Sprintf("%s%s", topic.Name, downstreamAlarmSuffix)
	health := pulumi.Sprintf("%s%s", topic.Name, healthcheckAlarmSuffix)
	names := []any{topic.Arn, g.account, down, health}
	var slow *pulumi.StringOutput
	if g.s.SlowCalls != nil {
		s := pulumi.Sprintf("%s%s", topic.Name, slowCallAlarmSuffix)
		slow = &s
		names = append(names, s)
	}
	policy := pulumi.All(names...).ApplyT(func(v []any) string {
		arn, account := v[0].(string), v[1].(string)
		var alarms []string
		for _, name := range v[2:] {
			alarms = append(alarms, AlarmArn(arn, account, name.(string)))
		}
		return TopicPolicy(arn, account, alarms)
	}).(pulumi.StringOutput)
	tp, err := sns.NewTopicPolicy(g.ctx, g.child("alarms-policy"), &sns.TopicPolicyArgs{
		Arn:    topic.Arn,
		Policy: policy,
	}, g.parent)
	if err != nil {
		return alarmTopic{}, err
	}
	return alarmTopic{topic: topic, policy: tp, downstreamAlarmName: down, healthcheckAlarmName: health, slowCallAlarmName: slow}, nil
}

// alarms creates the two alarms, once the topic may be published to and the
// handler is subscribed and keeps what it cannot apply (handler.ready). Every
// alarm has ALARM, OK and INSUFFICIENT_DATA actions: the original had no OK
// action on the downstream alarm, which is how its circuits stayed open
// forever.
func (g *graph) alarms(topic alarmTopic, handler *alarmHandlerPath) (alarmPath, error) {
	ready := pulumi.DependsOn(append([]pulumi.Resource{topic.policy}, handler.ready...))
	what := "errors of the downstream function"
	if m := g.s.DownstreamMonitoring; m.Mode == MonitoringRate {
		what = fmt.Sprintf("error rate of the downstream function above %s%% in periods of at least %d invocations", ftoa(m.ErrorRatePercent), m.MinimumInvocations)
	}
	down, err := g.alarm("downstream-errors", topic.downstreamAlarmName, g.args.DownstreamFunction, g.downQ, g.s.DownstreamMonitoring, topic.topic,
		what+". ALARM opens the circuit; it closes again through half-open probes.", ready)
	if err != nil {
		return alarmPath{}, err
	}
	health, err := g.alarm("healthcheck-errors", topic.healthcheckAlarmName, g.args.HealthcheckFunction, g.healthQ, g.s.HealthcheckMonitoring, topic.topic,
		"errors of the healthcheck function. ALARM holds the circuit open; OK closes it.", ready)
	if err != nil {
		return alarmPath{}, err
	}
	path := alarmPath{downstream: down, healthcheck: health}
	if m := g.s.SlowCalls; m != nil {
		path.slowCalls, err = g.slowCallAlarm(*topic.slowCallAlarmName, *m, topic.topic, ready)
		if err != nil {
			return alarmPath{}, err
		}
	}
	return path, nil
}

// slowCallAlarm alarms when the percentile of the downstream's Duration stays
// above the threshold in periods with at least MinimumInvocations calls: slow
// calls count against the downstream beside the in-line timeout, which already
// counts as a failure. A percentile alone is evaluated however few calls there
// were (one slow call in a quiet minute is that minute's p99), so, as the rate
// mode does, the alarm is a metric-math alarm on SlowCallExpression. Lambda
// reports Duration in milliseconds
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html).
// It watches the same function and qualifier as the error alarm, and its
// notices are a source of their own (circuit.SourceSlowCalls).
func (g *graph) slowCallAlarm(name pulumi.StringOutput, m SlowCallMonitoring, topic *sns.Topic, ready pulumi.ResourceOption) (*cloudwatch.MetricAlarm, error) {
	actions := pulumi.Array{topic.Arn}
	return cloudwatch.NewMetricAlarm(g.ctx, g.child("downstream-slow-calls"), &cloudwatch.MetricAlarmArgs{
		Name: name,
		AlarmDescription: pulumi.String(fmt.Sprintf("Circuit breaker %s: %s Duration of the downstream function above %s ms in periods of at least %d invocations. "+
			"ALARM opens the circuit; it closes again through half-open probes.",
			g.s.ServiceName, m.Percentile, ftoa(m.ThresholdMs), m.MinimumInvocations)),
		// The Terraform provider refuses namespace, metric_name, dimensions,
		// period and extended_statistic beside metric_query (ConflictsWith in
		// dev/fakes/standinaws/reference/terraform-aws.json): they move into
		// the queries' metrics.
		MetricQueries:           slowCallQueries(alarmDimensions(g.args.DownstreamFunction.Name, g.downQ), m),
		ComparisonOperator:      pulumi.String("GreaterThanThreshold"),
		Threshold:               pulumi.Float64(m.ThresholdMs),
		EvaluationPeriods:       pulumi.Int(m.EvaluationPeriods),
		DatapointsToAlarm:       pulumi.Int(m.DatapointsToAlarm),
		TreatMissingData:        pulumi.String(m.TreatMissingData),
		ActionsEnabled:          pulumi.Bool(m.ActionsEnabled),
		AlarmActions:            actions,
		OkActions:               actions,
		InsufficientDataActions: actions,
		Tags:                    g.tags,
	}, g.parent, ready)
}

// SlowCallExpression is the slow-call alarm's metric-math expression: the
// period's Duration percentile, or 0 when the period had fewer than minimum
// invocations, so that a quiet period never breaches (the threshold is above
// 0). IF is a metric-math function
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html,
// "Metric math syntax and functions"); a period with no invocations has no
// datapoints at all and is missing data, which treatMissingData decides.
func SlowCallExpression(minimumInvocations int) string {
	return alarmeval.SlowCallExpression(minimumInvocations)
}

// slowCallQueries are the slow-call alarm's metrics: the percentile of
// Duration (a metric query's stat takes a percentile: the Terraform
// provider's metric_query.metric.stat is the Statistic enum or the extended
// statistic pattern) and the Sum of Invocations, with the error alarm's
// dimensions, and the expression, the only query that returns data.
func slowCallQueries(dims pulumi.StringMapInput, m SlowCallMonitoring) cloudwatch.MetricAlarmMetricQueryArray {
	metric := func(id, metricName, stat string) cloudwatch.MetricAlarmMetricQueryArgs {
		return cloudwatch.MetricAlarmMetricQueryArgs{
			Id:         pulumi.String(id),
			ReturnData: pulumi.Bool(false),
			Metric: &cloudwatch.MetricAlarmMetricQueryMetricArgs{
				Namespace:  pulumi.String("AWS/Lambda"),
				MetricName: pulumi.String(metricName),
				Dimensions: dims,
				Period:     pulumi.Int(m.Period),
				Stat:       pulumi.String(stat),
			},
		}
	}
	return cloudwatch.MetricAlarmMetricQueryArray{
		metric(alarmeval.IDDuration, "Duration", m.Percentile),
		metric(alarmeval.IDInvocations, "Invocations", "Sum"),
		cloudwatch.MetricAlarmMetricQueryArgs{
			Id:         pulumi.String("slow"),
			Expression: pulumi.String(SlowCallExpression(m.MinimumInvocations)),
			Label:      pulumi.String(fmt.Sprintf("Duration %s (ms), periods with at least %d invocations", m.Percentile, m.MinimumInvocations)),
			ReturnData: pulumi.Bool(true),
		},
	}
}

// checkSlowCallThreshold is, like the alias check, an output of the component
// that no child waits on: the function's timeout is an output, so a threshold
// it can never reach fails the preview when the timeout is known, and the
// update otherwise. nil without slowCallMonitoring.
func (g *graph) checkSlowCallThreshold() pulumi.Input {
	m := g.s.SlowCalls
	if m == nil {
		return nil
	}
	return g.args.DownstreamFunction.Timeout.ApplyT(func(timeout *int) (float64, error) {
		return m.ThresholdMs, SlowCallThreshold(m.ThresholdMs, timeout)
	}).(pulumi.Float64Output)
}

func (g *graph) alarm(suffix string, name pulumi.StringOutput, fn *lambda.Function, q qualifier, m Monitoring, topic *sns.Topic, what string, ready pulumi.ResourceOption) (*cloudwatch.MetricAlarm, error) {
	actions := pulumi.Array{topic.Arn}
	args := &cloudwatch.MetricAlarmArgs{
		Name:                    name,
		AlarmDescription:        pulumi.String(fmt.Sprintf("Circuit breaker %s: %s", g.s.ServiceName, what)),
		ComparisonOperator:      pulumi.String(m.ComparisonOperator),
		Threshold:               pulumi.Float64(m.Threshold),
		EvaluationPeriods:       pulumi.Int(m.EvaluationPeriods),
		DatapointsToAlarm:       pulumi.Int(m.DatapointsToAlarm),
		TreatMissingData:        pulumi.String(m.TreatMissingData),
		ActionsEnabled:          pulumi.Bool(m.ActionsEnabled),
		AlarmActions:            actions,
		OkActions:               actions,
		InsufficientDataActions: actions,
		Tags:                    g.tags,
	}
	dims := alarmDimensions(fn.Name, q)
	if m.Mode == MonitoringRate {
		// The Terraform provider refuses namespace, metric_name, dimensions,
		// period and statistic beside metric_query (ConflictsWith in
		// dev/fakes/standinaws/reference/terraform-aws.json): they move into
		// each metric of the query.
		args.Threshold = pulumi.Float64(m.ErrorRatePercent)
		args.MetricQueries = rateQueries(dims, m)
	} else {
		args.Namespace = pulumi.String("AWS/Lambda")
		args.MetricName = pulumi.String(m.MetricName)
		args.Dimensions = dims
		args.Statistic = pulumi.String(m.Statistic)
		args.Period = pulumi.Int(m.Period)
	}
	return cloudwatch.NewMetricAlarm(g.ctx, g.child(suffix), args, g.parent, ready)
}

// RateExpression is the rate alarm's metric-math expression: the error
// percentage of a period, or 0 when the period had fewer than minimum
// invocations, so that a quiet period never breaches (and invocations is at
// least 1 wherever it divides). IF is a metric-math function
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html,
// "Metric math syntax and functions"). A period with no invocations has no
// datapoints at all and is missing data: treatMissingData decides it.
func RateExpression(minimumInvocations int) string {
	return alarmeval.RateExpression(minimumInvocations)
}

// rateQueries are the rate alarm's metrics: the Sums of Errors and
// Invocations of the monitored function (and qualifier, the same dimensions
// as a count alarm), and the expression, the only query that returns data.
func rateQueries(dims pulumi.StringMapInput, m Monitoring) cloudwatch.MetricAlarmMetricQueryArray {
	metric := func(id, metricName string) cloudwatch.MetricAlarmMetricQueryArgs {
		return cloudwatch.MetricAlarmMetricQueryArgs{
			Id:         pulumi.String(id),
			ReturnData: pulumi.Bool(false),
			Metric: &cloudwatch.MetricAlarmMetricQueryMetricArgs{
				Namespace:  pulumi.String("AWS/Lambda"),
				MetricName: pulumi.String(metricName),
				Dimensions: dims,
				Period:     pulumi.Int(m.Period),
				Stat:       pulumi.String("Sum"),
			},
		}
	}
	return cloudwatch.MetricAlarmMetricQueryArray{
		metric(alarmeval.IDErrors, "Errors"),
		metric(alarmeval.IDInvocations, "Invocations"),
		cloudwatch.MetricAlarmMetricQueryArgs{
			Id:         pulumi.String("rate"),
			Expression: pulumi.String(RateExpression(m.MinimumInvocations)),
			Label:      pulumi.String(fmt.Sprintf("Error rate (%%), periods with at least %d invocations", m.MinimumInvocations)),
			ReturnData: pulumi.Bool(true),
		},
	}
}

// alarmDimensions selects a function's metrics, or one alias's or version's:
// Lambda publishes those under the extra dimension Resource = "name:qualifier".
func alarmDimensions(functionName pulumi.StringOutput, q qualifier) pulumi.StringMapInput {
	if !q.set {
		return pulumi.StringMap{"FunctionName": functionName}
	}
	return pulumi.StringMap{
		"FunctionName": functionName,
		"Resource":     pulumi.Sprintf("%s:%s", functionName, q.name),
	}
}
