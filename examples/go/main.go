// A Go stack that protects a payments function with a circuit breaker.
//
// Deploy with `pulumi up` in this directory (Pulumi.yaml beside this file). The
// breaker is used here as a Go component straight from this module; stacks in
// other languages use the generated SDKs and the provider plugin.
package main

import (
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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
	pulumi.Run(func(ctx *pulumi.Context) error {
		role, err := iam.NewRole(ctx, "payments-fn", &iam.RoleArgs{
			AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
			ManagedPolicyArns: pulumi.StringArray{
				pulumi.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
			},
		})
		if err != nil {
			return err
		}
		function := func(name, code string, env pulumi.StringMap) (*lambda.Function, error) {
			return lambda.NewFunction(ctx, name, &lambda.FunctionArgs{
				Runtime: pulumi.String("nodejs22.x"),
				Handler: pulumi.String("index.handler"),
				Role:    role.Arn,
				Code: pulumi.NewAssetArchive(map[string]any{
					"index.mjs": pulumi.NewStringAsset(code),
				}),
				Environment: lambda.FunctionEnvironmentArgs{Variables: env},
			})
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

		breaker, err := component.NewCircuitBreaker(ctx, "payments", component.Args{
			ServiceName:         "payments",
			DownstreamFunction:  downstream,
			HealthcheckFunction: healthcheck,
			DownstreamMonitoring: &component.MonitoringArgs{
				Threshold: pulumi.Float64Ref(5),
			},
			Tags: pulumi.StringMap{"team": pulumi.String("checkout")},
		})
		if err != nil {
			return err
		}
		ctx.Export("stateMachineArn", breaker.StateMachineArn)
		ctx.Export("alarmTopicArn", breaker.TopicArn)
		return nil
	})
}
