package component

import (
	"strconv"
	"strings"

	rcconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Reconciliation (functions/reconciler): on a schedule, the reconciler applies
// the alarms' current state and replays the alarm handler's dead-letter queue
// through the alarm handler's rule, so a lost or dead-lettered notification is
// healed within one period.

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

// reconciler deploys the reconciler (functions/reconciler: the alarm
// handler's zip, Handler rcconfig.Handler), which the reconciliation schedule
// invokes: it applies the alarms' current state and replays the alarm
// handler's dead-letter queue through the alarm handler's rule, so a lost or
// dead-lettered notification is healed within one period.
//
// It runs under the alarm handler's role, which already holds its grants
// (ReconcilePolicy: its alarms and its queue, now also the reconciler's log
// group): a role of its own would move the alarm handler's reconcile policy
// to another role, which an upgrade does by deleting a child
// (docs/security.md). Its own function and log group: a run lasts longer than
// a notice and must not take the alarm handler's reserved concurrency.
func (g *graph) reconciler(table circuitTable, topic alarmTopic, h *alarmHandlerPath) (*lambda.Function, []pulumi.Resource, error) {
	logs, err := g.lambdaLogGroup("reconciler")
	if err != nil {
		return nil, nil, err
	}
	grant, err := g.reconcileGrant(h, topic, logs)
	if err != nil {
		return nil, nil, err
	}
	n := len(h.inputs)
	env := renderEnv(func(v []string) map[string]string {
		return rcconfig.Config{
			Config:             h.config(v[:n]),
			AlarmHandlerName:   v[n],
			DeadLetterQueueURL: v[n+1],
			// Each run records this breaker as its item's owner and reports
			// another breaker on the item (functions/reconciler/owner.go).
			Owner: rcconfig.Owner{
				ID:    BreakerIdentity(g.ctx.Project(), g.ctx.Stack(), g.name),
				Lease: seconds(OwnerLeaseSeconds(g.s.ReconcileSchedule)),
			},
		}.Env()
	}, append(append([]any{}, h.inputs...), h.fn.Name, h.dlq.Url)...)
	fn, err := g.lambdaFunction("reconciler", "alarmhandler", rcconfig.Handler, "reconciles the circuit with its alarms and dead-letter queue",
		pulumi.Int(reconcilerTimeoutSeconds), env, 0, h.role, logs, []pulumi.Resource{h.role.policy, grant})
	if err != nil {
		return nil, nil, err
	}
	return fn, []pulumi.Resource{grant}, nil
}

// reconcilerTimeoutSeconds: one DescribeAlarms, up to ten long-polled
// receives of the queue and one write per alarm or message, as when the
// alarm handler ran reconciliation (alarmHandlerTimeoutSeconds).
const reconcilerTimeoutSeconds = alarmHandlerTimeoutSeconds

// reconcileGrant adds to the alarm handler's role, which the reconciler runs
// under, what reconciliation reads and drains: this breaker's alarms (two,
// three with slowCallMonitoring), its own queue, and the reconciler's log
// group (ReconcilePolicy).
func (g *graph) reconcileGrant(h *alarmHandlerPath, topic alarmTopic, logs *cloudwatch.LogGroup) (*iam.RolePolicy, error) {
	names := pulumi.StringArray{topic.downstreamAlarmName, topic.healthcheckAlarmName}
	if topic.slowCallAlarmName != nil {
		names = append(names, *topic.slowCallAlarmName)
	}
	policy := pulumi.All(topic.topic.Arn, g.account, h.dlq.Arn, names, logs.Arn).ApplyT(func(v []any) string {
		arn, account := v[0].(string), v[1].(string)
		var alarms []string
		for _, name := range v[3].([]string) {
			alarms = append(alarms, AlarmArn(arn, account, name))
		}
		return ReconcilePolicy(alarms, v[2].(string), v[4].(string))
	}).(pulumi.StringOutput)
	return iam.NewRolePolicy(g.ctx, g.child("alarm-handler-reconcile-policy"), &iam.RolePolicyArgs{
		Role:   h.role.role.Name,
		Policy: policy,
	}, g.parent)
}

// reconcileSchedule invokes the reconciler with rcconfig.ReconcileInput()
// every reconcileSchedule. Scheduler invokes it asynchronously, with Lambda's
// retries; the schedule itself retries nothing (a late run is superseded by
// the next one).
func (g *graph) reconcileSchedule(table circuitTable, topic alarmTopic, h *alarmHandlerPath) (*scheduler.Schedule, error) {
	fn, ready, err := g.reconciler(table, topic, h)
	if err != nil {
		return nil, err
	}
	policy := fn.Arn.ApplyT(ReconcileSchedulerPolicy).(pulumi.StringOutput)
	role, err := g.role("reconcile", "scheduler.amazonaws.com", policy)
	if err != nil {
		return nil, err
	}
	return scheduler.NewSchedule(g.ctx, g.child("reconcile"), &scheduler.ScheduleArgs{
		Description:        pulumi.Sprintf("Circuit breaker %s: reconciles the circuit with its alarms and dead-letter queue", g.s.ServiceName),
		ScheduleExpression: pulumi.String(g.s.ReconcileSchedule),
		FlexibleTimeWindow: scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
		Target: scheduler.ScheduleTargetArgs{
			Arn:     fn.Arn,
			RoleArn: role.role.Arn,
			Input:   pulumi.String(rcconfig.ReconcileInput()),
			RetryPolicy: scheduler.ScheduleTargetRetryPolicyArgs{
				MaximumRetryAttempts:     pulumi.Int(0),
				MaximumEventAgeInSeconds: pulumi.Int(60),
			},
		},
	}, g.parent, pulumi.DependsOn(append(ready, role.policy)))
}
