// A Go stack that protects a payments function with a circuit breaker.
//
// Deploy with `pulumi up` in this directory (Pulumi.yaml beside this file).
// The breaker comes from the generated Go SDK and runs in the
// pulumi-resource-circuitbreaker plugin, as for TypeScript and Python stacks.
// Callers execute the breaker's state machine instead of invoking the payments
// function directly.
package main

import (
	"encoding/json"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/sdk/go/circuitbreaker"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// The downstream calls a payment provider; here it fails when asked to, so the
// breaker can be watched opening.
const downstreamCode = `export const handler = async (event) => {
  if (event.fail) throw new Error("payment provider unavailable");
  return { status: "charged", amount: event.amount };
};`

// The healthcheck must throw when the downstream is unhealthy.
const healthcheckCode = `export const handler = async () => {
  const res = await fetch(process.env.PROVIDER_STATUS_URL);
  if (!res.ok) throw new Error("payment provider status " + res.status);
  return { healthy: true };
};`

func main() {
	pulumi.Run(program)
}

func program(ctx *pulumi.Context) error {
	trust, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Principal": map[string]string{"Service": "lambda.amazonaws.com"},
			"Action":    "sts:AssumeRole",
		}},
	})
	if err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, "payments-fn", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(trust),
	})
	if err != nil {
		return err
	}
	logs, err := iam.NewRolePolicyAttachment(ctx, "payments-fn-logs", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: iam.ManagedPolicyAWSLambdaBasicExecutionRole,
	})
	if err != nil {
		return err
	}
	function := func(name, code string, env pulumi.StringMap) (*lambda.Function, error) {
		args := &lambda.FunctionArgs{
			Runtime: lambda.RuntimeNodeJS22dX,
			Handler: pulumi.String("index.handler"),
			Role:    role.Arn,
			Code: pulumi.NewAssetArchive(map[string]any{
				"index.mjs": pulumi.NewStringAsset(code),
			}),
		}
		if env != nil {
			args.Environment = lambda.FunctionEnvironmentArgs{Variables: env}
		}
		return lambda.NewFunction(ctx, name, args, pulumi.DependsOn([]pulumi.Resource{logs}))
	}
	downstream, err := function("payments", downstreamCode, nil)
	if err != nil {
		return err
	}
	healthcheck, err := function("payments-health", healthcheckCode, pulumi.StringMap{
		"PROVIDER_STATUS_URL": pulumi.String("https://status.example.com/payments"),
	})
	if err != nil {
		return err
	}

	// The healthcheck's schedule from the stack's config, else the default.
	var healthcheckSchedule *string
	if schedule, err := config.New(ctx, "").Try("healthcheckSchedule"); err == nil {
		healthcheckSchedule = &schedule
	}
	breaker, err := circuitbreaker.NewCircuitBreaker(ctx, "payments", &circuitbreaker.CircuitBreakerArgs{
		ServiceName:          "payments",
		DownstreamFunction:   downstream,
		HealthcheckFunction:  healthcheck,
		HealthcheckSchedule:  healthcheckSchedule,
		DownstreamMonitoring: circuitbreaker.MonitoringArgs{Threshold: pulumi.Float64(5)},
		Tags:                 pulumi.StringMap{"team": pulumi.String("checkout")},
	})
	if err != nil {
		return err
	}
	ctx.Export("stateMachineArn", breaker.StateMachineArn)
	ctx.Export("stateMachineName", breaker.StateMachineName)
	ctx.Export("alarmTopicArn", breaker.TopicArn)
	ctx.Export("tableName", breaker.TableName)
	return nil
}
