// Command alarmhandler is the bootstrap of the alarm handler zip, which serves
// two roles, each its own package with a typed handler: the alarm handler
// (functions/alarmhandler/handler: the alarm topic's SNS events) and the
// reconciler (functions/reconciler: the reconciliation schedule's runs). The
// function's Handler setting (_HANDLER) names the role; this file only
// dispatches and wires the runtime. One zip for both keeps the plugin small:
// they share the notice rule and the SDK.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler"
	rcconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
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
// shows in Lambda's error metric and in each failed invocation's response,
// not only in one init log line.
func newHandler(log *slog.Logger) any {
	role, err := lambdaenv.Role(os.Getenv, "alarm handler bootstrap", ahconfig.Handler, rcconfig.Handler)
	if err != nil {
		return lambdaenv.Failing[any](log, err)
	}
	// The SDK's own loading honours AWS_ENDPOINT_URL_DYNAMODB (and _CLOUDWATCH,
	// _SQS), which the tests use to point the real bootstrap at dynalite and at
	// fakes.
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		return lambdaenv.Failing[any](log, err)
	}
	switch role {
	case rcconfig.Handler:
		cfg, err := rcconfig.FromEnv(os.Getenv)
		if err != nil {
			return lambdaenv.Failing[any](log, err)
		}
		owner, err := rcconfig.OwnerFromEnv(os.Getenv)
		if err != nil {
			return lambdaenv.Failing[any](log, err)
		}
		return reconciler.New(cfg, dynamodb.NewFromConfig(awsCfg), cloudwatch.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg), log, nil).
			WithOwner(owner).Handle
	default:
		cfg, err := ahconfig.FromEnv(os.Getenv)
		if err != nil {
			return lambdaenv.Failing[any](log, err)
		}
		return handler.New(cfg, dynamodb.NewFromConfig(awsCfg), log, nil).Handle
	}
}
