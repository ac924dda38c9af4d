package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// schedule runs the healthcheck with EventBridge Scheduler (the original used an
// EventBridge rule). A missed run is not retried: the next one is at most one
// interval away, and a late check would report stale health.
func (g *graph) schedule() (*scheduler.Schedule, error) {
	policy := g.args.HealthcheckFunction.Arn.ApplyT(SchedulerPolicy).(pulumi.StringOutput)
	role, err := g.role("schedule", "scheduler.amazonaws.com", policy)
	if err != nil {
		return nil, err
	}
	ready := []pulumi.Resource{role.policy}
	if g.s.ManageHealthcheckInvokeConfig {
		cfg, err := g.healthcheckInvokeConfig()
		if err != nil {
			return nil, err
		}
		ready = append(ready, cfg)
	}
	// Schedules take no tags (the Scheduler API has none for them); the role does.
	return scheduler.NewSchedule(g.ctx, g.child("healthcheck"), &scheduler.ScheduleArgs{
		Description:        pulumi.Sprintf("Circuit breaker %s: runs the healthcheck", g.s.ServiceName),
		ScheduleExpression: pulumi.String(g.s.HealthcheckSchedule),
		FlexibleTimeWindow: scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
		Target: scheduler.ScheduleTargetArgs{
			Arn:     g.healthArn,
			RoleArn: role.role.Arn,
			Input:   pulumi.String(g.s.HealthcheckInput),
			RetryPolicy: scheduler.ScheduleTargetRetryPolicyArgs{
				MaximumRetryAttempts:     pulumi.Int(0),
				MaximumEventAgeInSeconds: pulumi.Int(60),
			},
		},
	}, g.parent, pulumi.DependsOn(ready))
}

// healthcheckInvokeConfig makes one scheduled run one check. The schedule's
// retry policy covers only the delivery to Lambda: Scheduler invokes the
// function asynchronously, and Lambda retries a failed asynchronous invocation
// twice by default, over about three minutes (Lambda Developer Guide,
// "Asynchronous invocation" and "Invoking a Lambda function on a schedule with
// EventBridge Scheduler"), which would triple the probes on a sick service and
// keep the healthcheck alarm in ALARM for longer. So the user's function gets an
// asynchronous invocation configuration for the qualifier the schedule invokes:
// no retries, and events older than the API's minimum of 60 s dropped (a late
// check is stale). Lambda keeps one such configuration per function and
// qualifier and the provider's create overwrites one that exists
// (PutFunctionEventInvokeConfig; terraform-provider-aws
// internal/service/lambda/function_event_invoke_config.go), hence the opt-out,
// manageHealthcheckInvokeConfig.
func (g *graph) healthcheckInvokeConfig() (*lambda.FunctionEventInvokeConfig, error) {
	var qualifier pulumi.StringPtrInput
	if g.healthQ.set {
		qualifier = g.healthQ.name.ToStringPtrOutput()
	}
	return lambda.NewFunctionEventInvokeConfig(g.ctx, g.child("healthcheck-invoke-config"), &lambda.FunctionEventInvokeConfigArgs{
		FunctionName:             g.args.HealthcheckFunction.Name,
		Qualifier:                qualifier,
		MaximumRetryAttempts:     pulumi.Int(0),
		MaximumEventAgeInSeconds: pulumi.Int(60),
	}, g.parent)
}
