package component

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type alarmPath struct {
	topic       *sns.Topic
	downstream  *cloudwatch.MetricAlarm
	healthcheck *cloudwatch.MetricAlarm
}

// alarms creates the topic and the two alarms that notify it. Every alarm has
// ALARM, OK and INSUFFICIENT_DATA actions: the original had no OK action on the
// downstream alarm, which is how its circuits stayed open forever.
func (g *graph) alarms() (alarmPath, error) {
	topic, err := sns.NewTopic(g.ctx, g.child("alarms"), &sns.TopicArgs{Tags: g.tags}, g.parent)
	if err != nil {
		return alarmPath{}, err
	}
	down, err := g.alarm("downstream-errors", g.args.DownstreamFunction, g.s.DownstreamQualifier, g.s.DownstreamMonitoring, topic,
		"errors of the downstream function. ALARM opens the circuit; it closes again through half-open probes.")
	if err != nil {
		return alarmPath{}, err
	}
	health, err := g.alarm("healthcheck-errors", g.args.HealthcheckFunction, g.s.HealthcheckQualifier, g.s.HealthcheckMonitoring, topic,
		"errors of the healthcheck function. ALARM holds the circuit open; OK closes it.")
	if err != nil {
		return alarmPath{}, err
	}
	policy := pulumi.All(topic.Arn, g.account, down.Arn, health.Arn).ApplyT(func(v []any) string {
		return TopicPolicy(v[0].(string), v[1].(string), []string{v[2].(string), v[3].(string)})
	}).(pulumi.StringOutput)
	if _, err := sns.NewTopicPolicy(g.ctx, g.child("alarms-policy"), &sns.TopicPolicyArgs{
		Arn:    topic.Arn,
		Policy: policy,
	}, g.parent); err != nil {
		return alarmPath{}, err
	}
	return alarmPath{topic: topic, downstream: down, healthcheck: health}, nil
}

func (g *graph) alarm(suffix string, fn *lambda.Function, qualifier string, m Monitoring, topic *sns.Topic, what string) (*cloudwatch.MetricAlarm, error) {
	actions := pulumi.Array{topic.Arn}
	return cloudwatch.NewMetricAlarm(g.ctx, g.child(suffix), &cloudwatch.MetricAlarmArgs{
		AlarmDescription:        pulumi.String(fmt.Sprintf("Circuit breaker %s: %s", g.s.ServiceName, what)),
		Namespace:               pulumi.String("AWS/Lambda"),
		MetricName:              pulumi.String(m.MetricName),
		Dimensions:              AlarmDimensions(fn.Name, qualifier),
		Statistic:               pulumi.String(m.Statistic),
		ComparisonOperator:      pulumi.String(m.ComparisonOperator),
		Threshold:               pulumi.Float64(m.Threshold),
		Period:                  pulumi.Int(m.Period),
		EvaluationPeriods:       pulumi.Int(m.EvaluationPeriods),
		DatapointsToAlarm:       pulumi.Int(m.DatapointsToAlarm),
		TreatMissingData:        pulumi.String(m.TreatMissingData),
		ActionsEnabled:          pulumi.Bool(m.ActionsEnabled),
		AlarmActions:            actions,
		OkActions:               actions,
		InsufficientDataActions: actions,
		Tags:                    g.tags,
	}, g.parent)
}

// AlarmDimensions selects a function's metrics, or one alias's or version's:
// Lambda publishes those under the extra dimension Resource = "name:qualifier".
func AlarmDimensions(functionName pulumi.StringOutput, qualifier string) pulumi.StringMapInput {
	if qualifier == "" {
		return pulumi.StringMap{"FunctionName": functionName}
	}
	return pulumi.StringMap{
		"FunctionName": functionName,
		"Resource":     pulumi.Sprintf("%s:%s", functionName, qualifier),
	}
}
