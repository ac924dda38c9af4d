// Command eventpublisher is the circuit breaker's Lambda on the circuit table's
// DynamoDB stream: it publishes one EventBridge event per transition of a
// circuit. The logic is in package handler; this file only wires the runtime.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	epconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	lambda.Start(newHandler(log))
}

// newHandler validates the configuration at cold start; a misconfigured
// function fails every invocation with the configuration error, so the
// mapping's retries and its on-failure destination keep the records' place.
func newHandler(log *slog.Logger) func(context.Context, json.RawMessage) (events.DynamoDBEventResponse, error) {
	fail := lambdaenv.Failing[events.DynamoDBEventResponse]
	// One role in this zip; the Handler setting is still checked, so that
	// every function of ours fails alike when it names no role.
	if _, err := lambdaenv.Role(os.Getenv, "event publisher bootstrap", epconfig.Handler); err != nil {
		return fail(log, err)
	}
	cfg, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		return fail(log, err)
	}
	// The SDK's own loading honours AWS_ENDPOINT_URL_EVENTBRIDGE, which tests
	// use to point the real bootstrap at a local endpoint.
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		return fail(log, err)
	}
	// HandleRaw decodes each record itself: a record the SDK's decoder
	// cannot read is skipped instead of failing the whole batch.
	return handler.New(cfg, eventbridge.NewFromConfig(awsCfg), log, nil).HandleRaw
}
