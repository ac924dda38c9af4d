// Command controller is the bootstrap of the controller zip, which serves two
// roles, each its own package with a typed handler: the controller
// (functions/controller/handler: the request path's trip, elect and reopen)
// and the healthcheck runner (functions/healthrunner). The function's Handler
// setting (_HANDLER) names the role; this file only dispatches and wires the
// runtime. One zip for both keeps the plugin small: they share the SDK.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	ctlconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner"
	hrconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

func main() {
	// One JSON object per line on stdout: the function's LoggingConfig is JSON,
	// so CloudWatch Logs Insights can filter on every attribute.
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	lambda.Start(newHandler(log))
}

// newHandler picks the role and validates its configuration at cold start. A
// misconfigured function (an unknown Handler, a bad variable) still starts
// and fails every invocation with the configuration error, so the problem
// shows in Lambda's error metric and in each failed invocation's response
// (and the state machine's history), not only in one init log line.
func newHandler(log *slog.Logger) any {
	role, err := lambdaenv.Role(os.Getenv, "controller bootstrap", ctlconfig.Handler, hrconfig.Handler)
	if err != nil {
		return lambdaenv.Failing[any](log, err)
	}
	// The SDK's own loading honours AWS_ENDPOINT_URL_DYNAMODB (and _LAMBDA),
	// which the tests use to point the real bootstrap at dynalite and at a
	// local Lambda front.
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		return lambdaenv.Failing[any](log, err)
	}
	switch role {
	case hrconfig.Handler:
		cfg, err := hrconfig.FromEnv(os.Getenv)
		if err != nil {
			return lambdaenv.Failing[any](log, err)
		}
		return healthrunner.New(cfg, dynamodb.NewFromConfig(awsCfg), awslambda.NewFromConfig(awsCfg), log, nil).Handle
	default:
		cfg, err := ctlconfig.FromEnv(os.Getenv)
		if err != nil {
			return lambdaenv.Failing[any](log, err)
		}
		return handler.New(cfg, dynamodb.NewFromConfig(awsCfg), log, nil).Handle
	}
}
