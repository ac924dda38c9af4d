package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// alarmHandler is our Go Lambda on the alarm topic: it applies each alarm
// notification to the circuit's item (lambdas/alarmhandler). It tells the two
// alarms apart by name, so each source's state is kept separately.
func (g *graph) alarmHandler(table circuitTable, alarms alarmPath) (*lambda.Function, error) {
	env := g.openPolicyEnv()
	env["DOWNSTREAM_ALARM_NAME"] = alarms.downstream.Name
	env["HEALTHCHECK_ALARM_NAME"] = alarms.healthcheck.Name
	fn, err := g.goLambda("alarm-handler", "alarmhandler", "applies alarm notifications to the circuit", table, env)
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
