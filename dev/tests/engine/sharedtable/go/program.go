// Package sharedtable is the Go stack of the engine tests' shared-table case
// (dev/tests/engine): one DynamoDB table, declared by the program, brought to two
// circuit breakers. The same program as ../index.js and ../__main__.py.
//
// Config: logLevel (both breakers' execution log level), healthcheckSchedule
// and failureThreshold (which changes both state machines' definitions), all
// optional.
package sharedtable

import (
	"encoding/json"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/sdk/go/circuitbreaker"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Services are the two breakers' circuits, one item each in the shared table.
var Services = []string{"checkout", "Refunds_EU-2026_ledger-v2_partner_X9z"}

const code = `export const handler = async (event) => ({ ok: true });`

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
	role, err := iam.NewRole(ctx, "shop-fn", &iam.RoleArgs{AssumeRolePolicy: pulumi.String(trust)})
	if err != nil {
		return err
	}
	function := func(name string) (*lambda.Function, error) {
		return lambda.NewFunction(ctx, name, &lambda.FunctionArgs{
			Runtime: lambda.RuntimeNodeJS22dX,
			Handler: pulumi.String("index.handler"),
			Role:    role.Arn,
			Code:    pulumi.NewAssetArchive(map[string]any{"index.mjs": pulumi.NewStringAsset(code)}),
		})
	}
	downstream, err := function("shop")
	if err != nil {
		return err
	}
	healthcheck, err := function("shop-health")
	if err != nil {
		return err
	}
	// No sort key: the table's rangeKey output is absent, the case that made
	// every preview show phantom updates.
	table, err := dynamodb.NewTable(ctx, "circuits", &dynamodb.TableArgs{
		Attributes:  dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String("serviceName"), Type: pulumi.String("S")}},
		HashKey:     pulumi.String("serviceName"),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
	})
	if err != nil {
		return err
	}
	cfg := config.New(ctx, "")
	for _, svc := range Services {
		args := &circuitbreaker.CircuitBreakerArgs{
			ServiceName:         svc,
			DownstreamFunction:  downstream,
			HealthcheckFunction: healthcheck,
			Table:               table,
		}
		if v, err := cfg.Try("logLevel"); err == nil {
			args.LogLevel = &v
		}
		if v, err := cfg.Try("healthcheckSchedule"); err == nil {
			args.HealthcheckSchedule = &v
		}
		if v, err := cfg.TryInt("failureThreshold"); err == nil {
			args.FailureThreshold = &v
		}
		cb, err := circuitbreaker.NewCircuitBreaker(ctx, svc, args)
		if err != nil {
			return err
		}
		ctx.Export(svc+"StateMachineArn", cb.StateMachineArn)
		// An on-call subscription to the breaker's topic, passed as the
		// resource (a reference the engine sends the aws provider as the
		// topic's ID, its ARN), as docs/using.md's TypeScript does.
		if _, err := sns.NewTopicSubscription(ctx, svc+"-oncall", &sns.TopicSubscriptionArgs{
			Topic:    cb.Topic,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String("oncall@example.com"),
		}); err != nil {
			return err
		}
	}
	ctx.Export("tableName", table.Name)
	return nil
}
