package component_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
)

// deployWithHealthcheckTimeout is deploy with a healthcheck whose Timeout is
// set (seconds; 0 leaves it to Lambda's default).
func deployWithHealthcheckTimeout(t *testing.T, timeout int, edit func(*component.Args)) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	var mu sync.Mutex
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		role := pulumi.String("arn:aws:iam::123456789012:role/app")
		down, err := lambda.NewFunction(ctx, "payments", &lambda.FunctionArgs{Role: role})
		if err != nil {
			return err
		}
		hc := &lambda.FunctionArgs{Role: role}
		if timeout > 0 {
			hc.Timeout = pulumi.Int(timeout)
		}
		health, err := lambda.NewFunction(ctx, "payments-health", hc)
		if err != nil {
			return err
		}
		a := baseArgs(userFunctions{down, health})
		if edit != nil {
			edit(&a)
		}
		mu.Lock()
		defer mu.Unlock()
		_, err = component.NewCircuitBreaker(ctx, "breaker", a)
		return err
	}, pulumi.WithMocks("project", "stack", rec))
	return rec, err
}

// Issue 10, recovery in one healthcheck interval: the schedule runs the
// healthcheck through the runner, which applies each verdict to the circuit.
func TestHealthcheckRunner(t *testing.T) {
	rec, err := deployWithHealthcheckTimeout(t, 30, func(a *component.Args) {
		a.HealthcheckQualifier = pulumi.StringRef("live")
		a.HealthcheckUnhealthyThreshold = pulumi.IntRef(2)
	})
	require.NoError(t, err)

	runner := rec.one(t, "aws:lambda/function:Function", "-health-runner")
	controller := rec.one(t, "aws:lambda/function:Function", "-controller").Inputs
	require.Equal(t, controller["code"], runner.Inputs["code"], "the controller's zip serves both roles")
	require.Equal(t, "healthrunner", runner.Inputs["handler"].StringValue(), "the role its bootstrap runs")
	require.Equal(t, "controller", controller["handler"].StringValue())
	require.Equal(t, 900.0, runner.Inputs["timeout"].NumberValue(), "Lambda's maximum: it outlasts any healthcheck, and is billed by the time used")
	require.Equal(t, 1.0, runner.Inputs["reservedConcurrentExecutions"].NumberValue(), "one slot: runs come one per interval")
	env := runner.Inputs["environment"].ObjectValue()["variables"].ObjectValue()
	require.Equal(t, healthArn+":live", env["HEALTHCHECK_FUNCTION_ARN"].StringValue())
	require.Equal(t, "2", env["HEALTHCHECK_UNHEALTHY_THRESHOLD"].StringValue())
	// 1 period of 60 s + 180 s of CloudWatch delay, the same number the alarm
	// handler orders notices with; known at preview (no output in it).
	require.Equal(t, "240", env["HEALTHCHECK_ALARM_WINDOW_SECONDS"].StringValue())
	handler := rec.one(t, "aws:lambda/function:Function", "-alarm-handler").Inputs
	require.Equal(t, "240", handler["environment"].ObjectValue()["variables"].ObjectValue()["HEALTHCHECK_ALARM_WINDOW_SECONDS"].StringValue())

	// IAM: the runner may write its own item and invoke the healthcheck at
	// its qualifier, nothing else; the controller may not invoke it.
	writer := rolePolicy(t, rec, "health-runner")
	require.Equal(t, []any{"payments"}, writer.Statement[0].Condition["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"])
	invoke := policy(t, rec.one(t, "aws:iam/rolePolicy:RolePolicy", "-health-runner-invoke-policy").Inputs["policy"].StringValue())
	require.Len(t, invoke.Statement, 1)
	require.Equal(t, []string{"lambda:InvokeFunction"}, invoke.Statement[0].Action)
	require.Equal(t, []string{healthArn + ":live"}, invoke.Statement[0].Resource)
	for _, st := range rolePolicy(t, rec, "controller").Statement {
		require.NotContains(t, st.Action, "lambda:InvokeFunction")
	}

	// One run is one check: no retry by Scheduler nor by Lambda.
	retries := rec.one(t, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "-health-runner-retries").Inputs
	require.Equal(t, runner.State["name"].StringValue(), retries["functionName"].StringValue())
	require.Equal(t, 0.0, retries["maximumRetryAttempts"].NumberValue())
	require.Equal(t, 60.0, retries["maximumEventAgeInSeconds"].NumberValue())

	schedule := rec.one(t, "aws:scheduler/schedule:Schedule", "-healthcheck")
	target := schedule.Inputs["target"].ObjectValue()
	require.Equal(t, runner.State["arn"].StringValue(), target["arn"].StringValue())
	require.Equal(t, 0.0, target["retryPolicy"].ObjectValue()["maximumRetryAttempts"].NumberValue())
	for _, before := range []string{"breaker-health-runner-invoke-policy", "breaker-health-runner-policy", "breaker-health-runner-retries"} {
		require.Truef(t, schedule.dependsOn(before), "the first run must find %s in place: %v", before, schedule.Dependencies)
	}
}

// The healthcheck's timeout is an output: checked once known, naming the
// input and the limit.
func TestHealthcheckTimeoutTheRunnerCannotWaitFor(t *testing.T) {
	_, err := deployWithHealthcheckTimeout(t, 895, nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), "healthcheckFunction: its timeout is 895 s")
	require.Contains(t, err.Error(), "at most 890 s")

	for _, ok := range []int{0, 3, 890} {
		_, err := deployWithHealthcheckTimeout(t, ok, nil)
		require.NoError(t, err, "timeout %d", ok)
	}
	require.NoError(t, component.CheckHealthcheckTimeout(nil), "unset: Lambda's default 3 s")
}

func TestHealthcheckUnhealthyThresholdIsChecked(t *testing.T) {
	for _, n := range []int{0, 101} {
		_, err := component.Resolve(component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(),
			HealthcheckUnhealthyThreshold: pulumi.IntRef(n)})
		require.Error(t, err)
		require.Contains(t, err.Error(), "healthcheckUnhealthyThreshold")
		require.True(t, strings.Contains(err.Error(), "use 1 to 100"), err.Error())
	}
	s, err := component.Resolve(component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn()})
	require.NoError(t, err)
	require.Equal(t, circuit.DefaultHealthcheckUnhealthyThreshold, s.HealthcheckUnhealthyThreshold)
}
