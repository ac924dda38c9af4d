package component

import (
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

// alarmHandler is our Go Lambda on the alarm topic: it applies each alarm
// notification to the circuit's item (lambdas/alarmhandler). It tells the two
// alarms apart by name, so each source's state is kept separately.
func (g *graph) alarmHandler(table circuitTable, alarms alarmPath) (*lambda.Function, *sqs.Queue, error) {
	env := g.openPolicyEnv()
	env["DOWNSTREAM_ALARM_NAME"] = alarms.downstream.Name
	env["HEALTHCHECK_ALARM_NAME"] = alarms.healthcheck.Name
	h, err := g.goLambda("alarm-handler", "alarmhandler", "applies alarm notifications to the circuit", alarmHandlerTimeoutSeconds, table, env)
	if err != nil {
		return nil, nil, err
	}
	dlq, err := g.undelivered(h)
	if err != nil {
		return nil, nil, err
	}
	perm, err := lambda.NewPermission(g.ctx, g.child("alarm-handler-invoke"), &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  h.fn.Name,
		Principal: pulumi.String("sns.amazonaws.com"),
		SourceArn: alarms.topic.Arn,
	}, g.parent)
	if err != nil {
		return nil, nil, err
	}
	if _, err := sns.NewTopicSubscription(g.ctx, g.child("alarm-handler-subscription"), &sns.TopicSubscriptionArgs{
		Topic:    alarms.topic.Arn,
		Protocol: pulumi.String("lambda"),
		Endpoint: h.fn.Arn,
	}, g.parent, pulumi.DependsOn([]pulumi.Resource{perm})); err != nil {
		return nil, nil, err
	}
	return h.fn, dlq, nil
}

// undelivered keeps the notifications the handler could not apply. SNS invokes
// it asynchronously and Lambda drops an event after its retries; a dropped
// healthcheck OK would leave the hold in place until the next alarm change, so
// failed events land in a queue operators can see (an output), alarm on and
// replay, instead of vanishing.
func (g *graph) undelivered(h *ourLambda) (*sqs.Queue, error) {
	q, err := sqs.NewQueue(g.ctx, g.child("alarm-handler-dlq"), &sqs.QueueArgs{
		MessageRetentionSeconds: pulumi.Int(14 * 24 * 3600),
		SqsManagedSseEnabled:    pulumi.Bool(true),
		Tags:                    g.tags,
	}, g.parent)
	if err != nil {
		return nil, err
	}
	// Lambda sends to an on-failure destination with the function's own role.
	send, err := iam.NewRolePolicy(g.ctx, g.child("alarm-handler-dlq-policy"), &iam.RolePolicyArgs{
		Role:   h.role.role.Name,
		Policy: q.Arn.ApplyT(QueueSendPolicy).(pulumi.StringOutput),
	}, g.parent)
	if err != nil {
		return nil, err
	}
	_, err = lambda.NewFunctionEventInvokeConfig(g.ctx, g.child("alarm-handler-retries"), &lambda.FunctionEventInvokeConfigArgs{
		FunctionName:             h.fn.Name,
		MaximumRetryAttempts:     pulumi.Int(2),
		MaximumEventAgeInSeconds: pulumi.Int(6 * 3600),
		DestinationConfig: lambda.FunctionEventInvokeConfigDestinationConfigArgs{
			OnFailure: lambda.FunctionEventInvokeConfigDestinationConfigOnFailureArgs{Destination: q.Arn},
		},
	}, g.parent, pulumi.DependsOn([]pulumi.Resource{send}))
	return q, err
}
