package component

import (
	"strconv"
	"strings"

	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Reconciliation (functions/alarmhandler/handler/reconcile.go): on a schedule,
// the alarm handler applies both alarms' current state and replays its
// dead-letter queue through the same rule as a notification, so a lost or
// dead-lettered notification is healed within one period. It is a mode of the
// handler, not a Lambda of its own, so that the rule and the alarm names live
// in one function.

// BreakerIdentity is how a breaker's reconciliation names it as its item's
// owner: the project, the stack and the component's name, stable for the
// breaker's life and distinct across the stacks that may share a table. Not
// the component's URN: an output of the component, which a child's input may
// not wait on (the SDK would make the child wait for the component's
// children, itself included).
func BreakerIdentity(project, stack, name string) string { return project + "/" + stack + "/" + name }

// ownerLeaseRuns is how many reconciliation periods an owner may miss before
// another breaker takes its item over (owner.go): a few missed runs (a
// throttled or failed invocation) never look like a breaker that is gone.
const ownerLeaseRuns = 3

// OwnerLeaseSeconds is the owner's lease for a rate(...) schedule, at least 15
// minutes; 0 for a cron(...) schedule, whose period varies: the handler's
// default (a day) applies. schedule is valid (Resolve checks it).
func OwnerLeaseSeconds(schedule string) int {
	m := ratePattern.FindStringSubmatch(schedule)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]int{"minute": 60, "hour": 3600, "day": 86400}[strings.TrimSuffix(m[2], "s")]
	return max(ownerLeaseRuns*n*unit, 15*60)
}

// reconcileGrant adds to the handler's role what reconciliation reads and
// drains: this breaker's alarms (two, three with slowCallMonitoring) and its
// own queue (ReconcilePolicy).
func (g *graph) reconcileGrant(h *ourLambda, topic alarmTopic, dlq *sqs.Queue) (*iam.RolePolicy, error) {
	names := pulumi.StringArray{topic.downstreamAlarmName, topic.healthcheckAlarmName}
	if topic.slowCallAlarmName != nil {
		names = append(names, *topic.slowCallAlarmName)
	}
	policy := pulumi.All(topic.topic.Arn, g.account, dlq.Arn, names).ApplyT(func(v []any) string {
		arn, account := v[0].(string), v[1].(string)
		var alarms []string
		for _, name := range v[3].([]string) {
			alarms = append(alarms, AlarmArn(arn, account, name))
		}
		return ReconcilePolicy(alarms, v[2].(string))
	}).(pulumi.StringOutput)
	return iam.NewRolePolicy(g.ctx, g.child("alarm-handler-reconcile-policy"), &iam.RolePolicyArgs{
		Role:   h.role.role.Name,
		Policy: policy,
	}, g.parent)
}

// reconcileSchedule invokes the handler with ahconfig.ReconcileInput() every
// reconcileSchedule. Scheduler invokes it asynchronously, so a failed run gets
// the handler's own retries and then lands in its dead-letter queue, where the
// next run retires it; the schedule itself retries nothing (a late run is
// superseded by the next one).
func (g *graph) reconcileSchedule(h *alarmHandlerPath) (*scheduler.Schedule, error) {
	policy := h.fn.Arn.ApplyT(ReconcileSchedulerPolicy).(pulumi.StringOutput)
	role, err := g.role("reconcile", "scheduler.amazonaws.com", policy)
	if err != nil {
		return nil, err
	}
	return scheduler.NewSchedule(g.ctx, g.child("reconcile"), &scheduler.ScheduleArgs{
		Description:        pulumi.Sprintf("Circuit breaker %s: reconciles the circuit with its alarms and dead-letter queue", g.s.ServiceName),
		ScheduleExpression: pulumi.String(g.s.ReconcileSchedule),
		FlexibleTimeWindow: scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
		Target: scheduler.ScheduleTargetArgs{
			Arn:     h.fn.Arn,
			RoleArn: role.role.Arn,
			Input:   pulumi.String(ahconfig.ReconcileInput()),
			RetryPolicy: scheduler.ScheduleTargetRetryPolicyArgs{
				MaximumRetryAttempts:     pulumi.Int(0),
				MaximumEventAgeInSeconds: pulumi.Int(60),
			},
		},
	}, g.parent, pulumi.DependsOn([]pulumi.Resource{role.policy, h.reconcile}))
}
