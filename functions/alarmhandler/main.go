// Command alarmhandler is the circuit breaker's Lambda on the alarm topic: it
// applies CloudWatch alarm notifications to its circuit's item in DynamoDB, and,
// invoked by the reconciliation schedule, the alarms' current state and its
// dead-letter queue. The logic is in package handler; this file only wires the
// runtime.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
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
func newHandler(log *slog.Logger) func(context.Context, json.RawMessage) error {
	cfg, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		return func(context.Context, json.RawMessage) error { return err }
	}
	// The SDK's own loading honours AWS_ENDPOINT_URL_DYNAMODB (and _CLOUDWATCH,
	// _SQS), which the tests use to point the real bootstrap at dynalite and at
	// fakes.
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("loading AWS configuration", "error", err.Error())
		return func(context.Context, json.RawMessage) error { return err }
	}
	owner, err := handler.OwnerFromEnv(os.Getenv)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		return func(context.Context, json.RawMessage) error { return err }
	}
	h := handler.New(cfg, dynamodb.NewFromConfig(awsCfg), log, nil).
		WithReconciliation(cloudwatch.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg)).
		WithOwner(owner)
	return h.Invoke
}
