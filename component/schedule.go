package component

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
	hrconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner/config"
)

// schedule runs the healthcheck with EventBridge Scheduler (the original used an
// EventBridge rule), through the breaker's healthcheck runner
// (functions/healthrunner, which ships in the controller's zip): it invokes
// the healthcheck synchronously and applies its verdict to the circuit on
// every run (circuit ApplyVerdict), so that the circuit opens or closes within one interval
// instead of one alarm evaluation plus CloudWatch's metric delay. The
// healthcheck alarm stays: the runner's invocation is an ordinary one, so the
// healthcheck's Errors metric still counts every failed run.
//
// A function of its own rather than the request path's controller: a run
// lasts as long as the healthcheck (up to its timeout), while the
// controller's timeout is bound to the state machine's Task timeout
// (statemachine.ControllerFunctionTimeoutSeconds), and a slow healthcheck must
// never take the concurrency reserved for trips and elections. Its role alone
// may invoke the healthcheck.
//
// A missed run is not retried: the next one is at most one interval away, and
// a late check would report stale health.
func (g *graph) schedule(table circuitTable) (*scheduler.Schedule, error) {
	runner, ready, err := g.healthcheckRunner(table)
	if err != nil {
		return nil, err
	}
	policy := runner.fn.Arn.ApplyT(SchedulerPolicy).(pulumi.StringOutput)
	role, err := g.role("schedule", "scheduler.amazonaws.com", policy)
	if err != nil {
		return nil, err
	}
	ready = append(ready, role.policy)
	// Schedules take no tags (the Scheduler API has none for them); the role does.
	return scheduler.NewSchedule(g.ctx, g.child("healthcheck"), &scheduler.ScheduleArgs{
		Description:        pulumi.Sprintf("Circuit breaker %s: runs the healthcheck", g.s.ServiceName),
		ScheduleExpression: pulumi.String(g.s.HealthcheckSchedule),
		FlexibleTimeWindow: scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
		Target: scheduler.ScheduleTargetArgs{
			Arn:     runner.fn.Arn,
			RoleArn: role.role.Arn,
			Input:   pulumi.String(hrconfig.RunInput(g.s.HealthcheckInput)),
			RetryPolicy: scheduler.ScheduleTargetRetryPolicyArgs{
				MaximumRetryAttempts:     pulumi.Int(0),
				MaximumEventAgeInSeconds: pulumi.Int(60),
			},
		},
	}, g.parent, pulumi.DependsOn(ready))
}

// RunnerTimeoutSeconds is the healthcheck runner's timeout: Lambda's maximum,
// so that it outlasts any healthcheck it waits for (Lambda bills the time
// used, not the timeout). The runner keeps RunnerWriteReserveSeconds of it for
// its write, which bounds the healthcheck's timeout (checkHealthcheckTimeout).
const RunnerTimeoutSeconds = 900

// RunnerWriteReserveSeconds is the part of the runner's timeout kept for a
// cold start, one consistent read and one conditional write with their
// retries on conflict, as the controller's budget allows for them
// (statemachine.ControllerFunctionTimeoutSeconds), plus 2 s.
const RunnerWriteReserveSeconds = statemachine.ControllerFunctionTimeoutSeconds + 2

// MetricDelayAllowanceSeconds is how late CloudWatch may evaluate a Lambda
// metric's datapoint. AWS documents no figure; measured, an alarm on a
// one-minute metric changed state 3 to 5 minutes after the breaching minute
// (Stack Overflow question 64045238), and marbot-io/monitoring-jump-start pull
// request 63 allows 3 minutes for Lambda metrics (beyond the function's
// timeout: Lambda dates a datapoint by the invocation's start and publishes it
// when it ends, Lambda Developer Guide, "Using CloudWatch metrics with
// Lambda"). 3 minutes.
const MetricDelayAllowanceSeconds = 180

// HealthcheckAlarmWindowSeconds is how far back the healthcheck alarm's data
// is taken to reach when it changes state (circuit.HealthcheckPolicy
// .AlarmWindow): its evaluated periods and CloudWatch's delay. The
// healthcheck's own duration is left out on purpose: its timeout is an output,
// often unknown at preview, and an underestimated window costs little. A
// notice then taken for newer than it is can hold the circuit until the next
// run's verdict, one interval, never longer.
func HealthcheckAlarmWindowSeconds(m Monitoring) int {
	return m.EvaluationPeriods*m.Period + MetricDelayAllowanceSeconds
}

// CheckHealthcheckTimeout refuses a healthcheck the runner cannot wait for and
// still write its verdict. timeout is the function's output (nil: Lambda's
// default, 3 s).
func CheckHealthcheckTimeout(timeout *int) error {
	if timeout == nil {
		return nil
	}
	if max := RunnerTimeoutSeconds - RunnerWriteReserveSeconds; *timeout > max {
		return fmt.Errorf("healthcheckFunction: its timeout is %d s, but the breaker's healthcheck runner, which waits for it and then writes "+
			"the circuit, can run at most Lambda's %d s; give the healthcheck a timeout of at most %d s", *timeout, RunnerTimeoutSeconds, max)
	}
	return nil
}

// healthcheckTimeoutCheck is CheckHealthcheckTimeout once the healthcheck's
// timeout is known, as an output nothing consumes (like the aliases' check):
// it fails the deployment without making any child wait for the function.
func (g *graph) healthcheckTimeoutCheck() pulumi.Input {
	return g.args.HealthcheckFunction.Timeout.ApplyT(func(t *int) (bool, error) {
		return true, CheckHealthcheckTimeout(t)
	}).(pulumi.BoolOutput)
}

// healthcheckRunner deploys the healthcheck runner (the controller's zip,
// Handler hrconfig.Handler),
// with a grant to invoke the healthcheck (ready: what the schedule waits for).
func (g *graph) healthcheckRunner(table circuitTable) (*ourLambda, []pulumi.Resource, error) {
	budget, err := probeBudget(g.s)
	if err != nil {
		return nil, nil, err
	}
	run := hrconfig.Config{
		ServiceName:  g.s.ServiceName,
		Policy:       g.openPolicy(),
		ProbeTimeout: seconds(budget),
		Healthcheck: circuit.HealthcheckPolicy{
			UnhealthyThreshold: g.s.HealthcheckUnhealthyThreshold,
			AlarmWindow:        seconds(HealthcheckAlarmWindowSeconds(g.s.HealthcheckMonitoring)),
		},
	}
	env := renderEnv(func(v []string) map[string]string {
		run.TableName, run.FunctionArn = v[0], v[1]
		return run.Env()
	}, table.name, g.healthArn)
	// One slot when the breaker reserves concurrency at all: runs come one an
	// interval, and an outage that uses up the account's concurrency must not
	// silence the verdicts.
	reserved := 0
	if g.s.ControllerReservedConcurrency > 0 {
		reserved = 1
	}
	runner, err := g.goLambda("health-runner", "controller", hrconfig.Handler, "runs the healthcheck and applies its verdict to the circuit",
		RunnerTimeoutSeconds, table, env, reserved)
	if err != nil {
		return nil, nil, err
	}
	invoke, err := iam.NewRolePolicy(g.ctx, g.child("health-runner-invoke-policy"), &iam.RolePolicyArgs{
		Role:   runner.role.role.Name,
		Policy: g.healthArn.ApplyT(HealthcheckInvokePolicy).(pulumi.StringOutput),
	}, g.parent)
	if err != nil {
		return nil, nil, err
	}
	// One run is one check: Scheduler invokes the runner asynchronously, and
	// Lambda would retry a failed run twice by default (Lambda Developer Guide,
	// "Asynchronous invocation"; "Invoking a Lambda function on a schedule").
	// Ours, so always managed.
	cfg, err := lambda.NewFunctionEventInvokeConfig(g.ctx, g.child("health-runner-retries"), &lambda.FunctionEventInvokeConfigArgs{
		FunctionName:             runner.fn.Name,
		MaximumRetryAttempts:     pulumi.Int(0),
		MaximumEventAgeInSeconds: pulumi.Int(60),
	}, g.parent)
	if err != nil {
		return nil, nil, err
	}
	return runner, []pulumi.Resource{runner.role.policy, invoke, cfg}, nil
}
