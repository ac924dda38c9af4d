package component

import (
	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// alarmHandlerTimeoutSeconds: SNS invokes the handler asynchronously, off the
// request path, so its timeout is in no execution's budget; one read and one
// conditional write of an item need far less.
const alarmHandlerTimeoutSeconds = 30

// alarmHandlerPath is the handler and what must exist before an alarm may
// notify it (ready): its subscription and its failure destination.
type alarmHandlerPath struct {
	fn    *lambda.Function
	role  *iamRole // the reconciler runs under it too (reconcile.go)
	dlq   *sqs.Queue
	ready []pulumi.Resource
	// config renders the handler's configuration from the deploy-time
	// values of inputs: the reconciler applies notices with the same.
	config func(v []string) ahconfig.Config
	inputs []any
}

// alarmHandler is our Go Lambda on the alarm topic: it applies each alarm
// notification to the circuit's item (functions/alarmhandler). It tells the two
// alarms apart by name, so each source's state is kept separately; the names
// are known before the alarms exist (alarms.go), so the handler is subscribed
// before either alarm can notify.
func (g *graph) alarmHandler(table circuitTable, topic alarmTopic) (*alarmHandlerPath, error) {
	dlq, err := g.deadLetterQueue()
	if err != nil {
		return nil, err
	}
	// Repair (circuit.Limits) bounds a half-open deadline by the controller's
	// probe timeout.
	budget, err := probeBudget(g.s)
	if err != nil {
		return nil, err
	}
	cfg := ahconfig.Config{
		ServiceName:            g.s.ServiceName,
		Policy:                 g.openPolicy(),
		HealthcheckAlarmWindow: seconds(HealthcheckAlarmWindowSeconds(g.s.HealthcheckMonitoring)),
		ProbeTimeout:           seconds(budget),
	}
	// The handler refuses a notification that did not come through this
	// topic from one of these alarms in this account and Region: the topic's
	// ARN gives it all three (the alarms' ARNs are built as AlarmArn does).
	inputs := []any{table.name, topic.downstreamAlarmName, topic.healthcheckAlarmName, topic.topic.Arn}
	if topic.slowCallAlarmName != nil {
		inputs = append(inputs, *topic.slowCallAlarmName)
	}
	config := func(v []string) ahconfig.Config {
		c := cfg
		c.TableName, c.DownstreamAlarmName, c.HealthcheckAlarmName, c.TopicArn = v[0], v[1], v[2], v[3]
		if len(v) > 4 {
			c.SlowCallAlarmName = v[4]
		}
		return c
	}
	env := renderEnv(func(v []string) map[string]string { return config(v).Env() }, inputs...)
	h, err := g.goLambda("alarm-handler", "alarmhandler", ahconfig.Handler, "applies alarm notifications to the circuit", alarmHandlerTimeoutSeconds, table, env, g.s.AlarmHandlerReservedConcurrency)
	if err != nil {
		return nil, err
	}
	retries, err := g.undelivered(h, dlq)
	if err != nil {
		return nil, err
	}
	perm, err := lambda.NewPermission(g.ctx, g.child("alarm-handler-invoke"), &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  h.fn.Name,
		Principal: pulumi.String("sns.amazonaws.com"),
		SourceArn: topic.topic.Arn,
	}, g.parent)
	if err != nil {
		return nil, err
	}
	sub, err := sns.NewTopicSubscription(g.ctx, g.child("alarm-handler-subscription"), &sns.TopicSubscriptionArgs{
		Topic:    topic.topic.Arn,
		Protocol: pulumi.String("lambda"),
		Endpoint: h.fn.Arn,
	}, g.parent, pulumi.DependsOn([]pulumi.Resource{perm}))
	if err != nil {
		return nil, err
	}
	return &alarmHandlerPath{fn: h.fn, role: h.role, dlq: dlq, ready: []pulumi.Resource{sub, retries}, config: config, inputs: inputs}, nil
}

// deadLetterQueue keeps the notifications the handler could not apply. SNS
// invokes it asynchronously and Lambda drops an event after its retries; a
// dropped healthcheck OK would leave the hold in place until the next alarm
// change, so failed events land in a queue operators can see (an output) and
// alarm on, and that the reconciler replays, instead of vanishing
// (functions/reconciler).
func (g *graph) deadLetterQueue() (*sqs.Queue, error) {
	return sqs.NewQueue(g.ctx, g.child("alarm-handler-dlq"), &sqs.QueueArgs{
		MessageRetentionSeconds: pulumi.Int(14 * 24 * 3600),
		SqsManagedSseEnabled:    pulumi.Bool(true),
		Tags:                    g.tags,
	}, g.parent)
}

// undelivered sends what the handler failed on to q.
func (g *graph) undelivered(h *ourLambda, q *sqs.Queue) (*lambda.FunctionEventInvokeConfig, error) {
	// Lambda sends to an on-failure destination with the function's own role.
	send, err := iam.NewRolePolicy(g.ctx, g.child("alarm-handler-dlq-policy"), &iam.RolePolicyArgs{
		Role:   h.role.role.Name,
		Policy: q.Arn.ApplyT(QueueSendPolicy).(pulumi.StringOutput),
	}, g.parent)
	if err != nil {
		return nil, err
	}
	return lambda.NewFunctionEventInvokeConfig(g.ctx, g.child("alarm-handler-retries"), &lambda.FunctionEventInvokeConfigArgs{
		FunctionName:             h.fn.Name,
		MaximumRetryAttempts:     pulumi.Int(2),
		MaximumEventAgeInSeconds: pulumi.Int(6 * 3600),
		DestinationConfig: lambda.FunctionEventInvokeConfigDestinationConfigArgs{
			OnFailure: lambda.FunctionEventInvokeConfigDestinationConfigOnFailureArgs{Destination: q.Arn},
		},
	}, g.parent, pulumi.DependsOn([]pulumi.Resource{send}))
}
