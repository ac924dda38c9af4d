// Command controller is the circuit breaker's Go Lambda for the request path's
// rare transitions (trip, probe election, reopen) and the operators' overrides;
// deployed a second time as the healthcheck runner (action healthcheck).
// The logic is in package handler; this file only wires the runtime.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
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
// invocation's response (and the state machine's history), not only in one
// init log line.
func newHandler(log *slog.Logger) func(context.Context, json.RawMessage) (handler.Response, error) {
	cfg, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		return func(context.Context, json.RawMessage) (handler.Response, error) { return handler.Response{}, err }
	}
	// The SDK's own loading honours AWS_ENDPOINT_URL_DYNAMODB, which the tests
	// use to point the real bootstrap at dynalite.
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("loading AWS configuration", "error", err.Error())
		return func(context.Context, json.RawMessage) (handler.Response, error) { return handler.Response{}, err }
	}
	h := handler.New(cfg, dynamodb.NewFromConfig(awsCfg), log, nil)
	if cfg.Healthcheck.FunctionArn != "" {
		// The healthcheck runner: AWS_ENDPOINT_URL_LAMBDA points it at a
		// local Lambda front in tests, as for DynamoDB.
		h.WithInvoker(awslambda.NewFromConfig(awsCfg))
	}
	return h.Handle
}
