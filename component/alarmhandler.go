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
	dlq   *sqs.Queue
	ready []pulumi.Resource
	// reconcile is the grant reconciliation needs (reconcile.go); its schedule
	// waits for it.
	reconcile *iam.RolePolicy
}

// alarmHandler is our Go Lambda on the alarm topic: it applies each alarm
// notification to the circuit's item (functions/alarmhandler). It tells the two
// alarms apart by name, so each source's state is kept separately; the names
// are known before the alarms exist (alarms.go), so the handler is subscribed
// before either alarm can notify.
func (g *graph) alarmHandler(table circuitTable, topic alarmTopic) (*alarmHandlerPath, error) {
	// The queue first: the handler's reconciliation drains it, so the handler
	// is configured with its URL.
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
		// Reconciliation records this breaker as its item's owner and reports
		// another breaker on the item (functions/alarmhandler/handler/owner.go).
		Owner: ahconfig.Owner{
			ID:    BreakerIdentity(g.ctx.Project(), g.ctx.Stack(), g.name),
			Lease: seconds(OwnerLeaseSeconds(g.s.ReconcileSchedule)),
		},
	}
	// The handler refuses a notification that did not come through this
	// topic from one of these alarms in this account and Region: the topic's
	// ARN gives it all three (the alarms' ARNs are built as AlarmArn does).
	inputs := []any{table.name, topic.downstreamAlarmName, topic.healthcheckAlarmName, dlq.Url, topic.topic.Arn}
	if topic.slowCallAlarmName != nil {
		inputs = append(inputs, *topic.slowCallAlarmName)
	}
	env := renderEnv(func(v []string) map[string]string {
		cfg.TableName, cfg.DownstreamAlarmName, cfg.HealthcheckAlarmName, cfg.DeadLetterQueueURL, cfg.TopicArn = v[0], v[1], v[2], v[3], v[4]
		if len(v) > 5 {
			cfg.SlowCallAlarmName = v[5]
		}
		return cfg.Env()
	}, inputs...)
	h, err := g.goLambda("alarm-handler", "alarmhandler", ahconfig.Handler, "applies alarm notifications to the circuit", alarmHandlerTimeoutSeconds, table, env, g.s.AlarmHandlerReservedConcurrency)
	if err != nil {
		return nil, err
	}
	retries, err := g.undelivered(h, dlq)
	if err != nil {
		return nil, err
	}
	reconcile, err := g.reconcileGrant(h, topic, dlq)
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
	return &alarmHandlerPath{fn: h.fn, dlq: dlq, ready: []pulumi.Resource{sub, retries}, reconcile: reconcile}, nil
}

// deadLetterQueue keeps the notifications the handler could not apply. SNS
// invokes it asynchronously and Lambda drops an event after its retries; a
// dropped healthcheck OK would leave the hold in place until the next alarm
// change, so failed events land in a queue operators can see (an output) and
// alarm on, and that the handler's reconciliation replays, instead of
// vanishing.
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
