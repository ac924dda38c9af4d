package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// schedule runs the healthcheck with EventBridge Scheduler (the original used an
// EventBridge rule). A missed run is not retried: the next one is at most one
// interval away, and a late check would report stale health.
func (g *graph) schedule() (*scheduler.Schedule, error) {
	policy := g.healthArn.ApplyT(SchedulerPolicy).(pulumi.StringOutput)
	role, err := g.role("schedule", "scheduler.amazonaws.com", policy)
	if err != nil {
		return nil, err
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
	}, g.parent, pulumi.DependsOn([]pulumi.Resource{role.policy}))
}
