package component

import (
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// alarmHandler is our Go Lambda on the alarm topic: it applies each alarm
// notification to the circuit's item (lambdas/alarmhandler).
func (g *graph) alarmHandler(table circuitTable, alarms alarmPath) (*lambda.Function, error) {
	code, err := LambdaArchive("alarmhandler")
	if err != nil {
		return nil, err
	}
	logs, err := cloudwatch.NewLogGroup(g.ctx, g.child("alarm-handler-logs"), &cloudwatch.LogGroupArgs{
		NamePrefix:      pulumi.String("/aws/lambda/circuitbreaker/" + g.name + "-"),
		RetentionInDays: pulumi.Int(g.s.LogRetentionDays),
		Tags:            g.tags,
	}, g.parent)
	if err != nil {
		return nil, err
	}
	svc := g.s.ServiceName
	policy := pulumi.All(table.arn, logs.Arn).ApplyT(func(v []any) string {
		return AlarmHandlerPolicy(v[0].(string), svc, v[1].(string))
	}).(pulumi.StringOutput)
	role, err := g.role("alarm-handler", "lambda.amazonaws.com", policy)
	if err != nil {
		return nil, err
	}
	fn, err := lambda.NewFunction(g.ctx, g.child("alarm-handler"), &lambda.FunctionArgs{
		Description:   pulumi.Sprintf("Circuit breaker %s: applies alarm notifications to the circuit", svc),
		Runtime:       pulumi.String("provided.al2023"),
		Architectures: pulumi.StringArray{pulumi.String("arm64")},
		Handler:       pulumi.String("bootstrap"),
		Code:          code,
		MemorySize:    pulumi.Int(128),
		Timeout:       pulumi.Int(30),
		Role:          role.role.Arn,
		Environment: lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{
			"TABLE_NAME":                table.name,
			"SERVICE_NAME":              pulumi.String(svc),
			"DOWNSTREAM_ALARM_NAME":     alarms.downstream.Name,
			"HEALTHCHECK_ALARM_NAME":    alarms.healthcheck.Name,
			"OPEN_DURATION_SECONDS":     pulumi.String(strconv.Itoa(g.s.OpenDurationSeconds)),
			"MAX_OPEN_DURATION_SECONDS": pulumi.String(strconv.Itoa(g.s.MaxOpenDurationSeconds)),
			"OPEN_BACKOFF_MULTIPLIER":   pulumi.String(strconv.FormatFloat(g.s.OpenBackoffMultiplier, 'f', -1, 64)),
		}},
		LoggingConfig: lambda.FunctionLoggingConfigArgs{
			LogFormat:           pulumi.String("JSON"),
			LogGroup:            logs.Name,
			ApplicationLogLevel: pulumi.String("INFO"),
			SystemLogLevel:      pulumi.String("WARN"),
		},
		Tags: g.tags,
	}, g.parent, pulumi.DependsOn([]pulumi.Resource{role.policy}))
	if err != nil {
		return nil, err
	}
	perm, err := lambda.NewPermission(g.ctx, g.child("alarm-handler-invoke"), &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  fn.Name,
		Principal: pulumi.String("sns.amazonaws.com"),
		SourceArn: alarms.topic.Arn,
	}, g.parent)
	if err != nil {
		return nil, err
	}
	if _, err := sns.NewTopicSubscription(g.ctx, g.child("alarm-handler-subscription"), &sns.TopicSubscriptionArgs{
		Topic:    alarms.topic.Arn,
		Protocol: pulumi.String("lambda"),
		Endpoint: fn.Arn,
	}, g.parent, pulumi.DependsOn([]pulumi.Resource{perm})); err != nil {
		return nil, err
	}
	return fn, nil
}
