// Command alarmhandler is the circuit breaker's Lambda on the alarm topic: it
// applies CloudWatch alarm notifications to its circuit's item in DynamoDB. The
// logic is in package handler; this file only wires the runtime.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/alarmhandler/handler"
)

func main() {
	// One JSON object per line on stdout: the function's LoggingConfig is JSON,
	// so CloudWatch Logs Insights can filter on every attribute.
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	lambda.Start(newHandler(log))
}

// newHandler validates the configuration at cold start. A misconfigured
// function still starts and fails every invocation with the configuration
// error, so the problem shows in Lambda's error metric and in each failed
// invocation's response, not only in one init log line.
func newHandler(log *slog.Logger) func(context.Context, events.SNSEvent) error {
	cfg, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		return func(context.Context, events.SNSEvent) error { return err }
	}
	// The SDK's own loading honours AWS_ENDPOINT_URL_DYNAMODB, which the tests
	// use to point the real bootstrap at dynalite.
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("loading AWS configuration", "error", err.Error())
		return func(context.Context, events.SNSEvent) error { return err }
	}
	h := handler.New(cfg, dynamodb.NewFromConfig(awsCfg), log, nil)
	return h.Handle
}
