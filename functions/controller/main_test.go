//go:build emulators

package main

// These tests run the real bootstrap, built like the shipped one but for this
// machine, under the Lambda Runtime Interface Emulator, against dynalite: the
// runtime wiring, environment handling, SDK endpoint resolution and the error
// responses the state machine's Catch sees are exercised as Lambda would.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
	ctlconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner"
	hrconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const service = "payments"

// invoke POSTs payload to the RIE and returns the raw response body. The RIE
// answers 200 for handler errors too; the body tells them apart.
func invoke(t *testing.T, url, payload string) map[string]any {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(payload))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), "%s", raw)
	return m
}

// env is the controller's environment, with the Handler setting (_HANDLER:
// the RIE takes the function's Handler from its own AWS_LAMBDA_FUNCTION_HANDLER, else
// _HANDLER, and sets it as the runtime's _HANDLER (aws-lambda-runtime-interface-emulator
// internal/lambda/rie/handlers.go, rapidcore/env SetHandler), as Lambda does from the
// function's Handler setting).
func env(table, endpoint string) map[string]string {
	return map[string]string{
		lambdaenv.Handler:              ctlconfig.Handler,
		handler.EnvTableName:           table,
		handler.EnvServiceName:         service,
		handler.EnvOpenDurationSeconds: "60",
		handler.EnvMaxOpenDuration:     "600",
		handler.EnvBackoffMultiplier:   "2",
		handler.EnvHalfOpenMaxCalls:    "1",
		handler.EnvProbeTimeoutSeconds: "30",
		"AWS_ENDPOINT_URL_DYNAMODB":    endpoint,
	}
}

func TestBootstrapUnderRIE(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	client := testenv.DynamoClient(t, endpoint)
	table := testenv.CreateCircuitTable(t, client)
	fn := testenv.StartRIE(t, testenv.BuildBootstrap(t, "./functions/controller"), env(table, endpoint))

	// What the state machine's RecordFailure leaves behind: a counter and a version.
	_, err := client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       circuitstore.Item{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: service}},
		UpdateExpression:          aws.String("ADD failures :n, version :one"),
		ExpressionAttributeValues: circuitstore.Item{":n": &types.AttributeValueMemberN{Value: "2"}, ":one": &types.AttributeValueMemberN{Value: "1"}},
	})
	require.NoError(t, err)

	out := invoke(t, fn.InvokeURL, `{"action":"trip","at":"2026-06-01T12:00:00.000Z","failures":2,"error":"DownstreamBoom"}`)
	assert.Equal(t, map[string]any{
		"action": "trip", "changed": true, "admitted": false, "state": "OPEN", "override": "",
		"openUntil": "2026-06-01T12:01:00.000Z", "halfOpenUntil": "", "version": float64(2),
	}, out)

	out = invoke(t, fn.InvokeURL, `{"action":"elect","at":"2026-06-01T12:01:00.000Z"}`)
	assert.Equal(t, true, out["admitted"])
	assert.Equal(t, "HALF_OPEN", out["state"])
	assert.Equal(t, "2026-06-01T12:01:30.000Z", out["halfOpenUntil"])

	out = invoke(t, fn.InvokeURL, `{"action":"reopen","at":"2026-06-01T12:01:05.000Z","error":"States.Timeout","halfOpenUntil":"2026-06-01T12:01:30.000Z"}`)
	assert.Equal(t, "OPEN", out["state"])
	assert.Equal(t, "2026-06-01T12:03:05.000Z", out["openUntil"], "backed off: two minutes")

	// Malformed input: the errorType and the field, as the caller sees them.
	out = invoke(t, fn.InvokeURL, `{"action":"trip","failures":1,"at":"yesterday"}`)
	assert.Equal(t, "InvalidRequestError", out["errorType"])
	assert.Contains(t, out["errorMessage"], "at: ")

	logs := fn.Output()
	var transitions []string
	for _, line := range strings.Split(logs, "\n") {
		if i := strings.Index(line, "{"); i >= 0 && strings.Contains(line, `"msg":"circuit transition"`) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(line[i:]), &m), line)
			assert.Equal(t, service, m["service"])
			transitions = append(transitions, m["from"].(string)+">"+m["to"].(string))
		}
	}
	assert.Equal(t, []string{"CLOSED>OPEN", "OPEN>HALF_OPEN", "HALF_OPEN>OPEN"}, transitions)
	assert.NotContains(t, logs, testenv.FakeSecretAccessKey, "the environment is never logged")
}

func TestBootstrapReportsBadConfigurationOnEveryInvocation(t *testing.T) {
	url := testenv.RIE(t, testenv.BuildBootstrap(t, "./functions/controller"), map[string]string{
		lambdaenv.Handler:           ctlconfig.Handler,
		handler.EnvServiceName:      service,
		handler.EnvHalfOpenMaxCalls: "many",
	})
	for range 2 {
		out := invoke(t, url, `{"action":"elect"}`)
		assert.Equal(t, "ConfigurationError", out["errorType"])
		assert.Contains(t, out["errorMessage"], "TABLE_NAME is not set")
		assert.Contains(t, out["errorMessage"], `HALF_OPEN_MAX_CALLS="many"`)
	}
}

// Issue 10: the healthcheck runner is this bootstrap with Handler
// "healthrunner" (functions/healthrunner). Fed the payload EventBridge Scheduler sends for the
// component's schedule (its Input, <aws.scheduler.scheduled-time> replaced as
// Scheduler does, e.g. 2022-03-22T18:59:43Z:
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html),
// it invokes the demo healthcheck (another real bootstrap under the RIE, down
// for its first outageFor) through the Lambda Invoke API, and applies the
// verdict.
func TestHealthcheckRunnerUnderRIE(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	client := testenv.DynamoClient(t, endpoint)
	table := testenv.CreateCircuitTable(t, client)

	// Both bootstraps are built before the outage's clock starts: a build is
	// a `go build` per test process, which on a loaded machine with a cold
	// cache took over 20 s, and the healthcheck was then up again before the
	// first run (the run found it HEALTHY and the test failed).
	healthBootstrap := testenv.BuildBootstrap(t, "./dev/testlambdas/healthcheck")
	runnerBootstrap := testenv.BuildBootstrap(t, "./functions/controller")
	const outageFor = 10 * time.Second
	epoch := time.Now()
	health := testenv.StartRIE(t, healthBootstrap,
		outage.Schedule{Epoch: epoch, Windows: []outage.Window{{After: 0, For: outageFor}}}.Env())
	front, err := url.Parse(health.InvokeURL)
	require.NoError(t, err)

	runner := testenv.StartRIE(t, runnerBootstrap, runnerEnv(table, endpoint, "AWS_ENDPOINT_URL_LAMBDA", front.Scheme+"://"+front.Host))

	payload := func(scheduled string) string {
		return strings.ReplaceAll(healthrunner.RunInput(`{"probe":"deep"}`), "<aws.scheduler.scheduled-time>", scheduled)
	}
	out := invoke(t, runner.InvokeURL, payload("2026-06-01T12:00:00Z"))
	require.Less(t, time.Since(epoch), outageFor, "the first run must meet the outage: starting two RIEs took longer than the outage lasts")
	assert.Equal(t, "UNHEALTHY", out["verdict"], "%v", out)
	assert.Equal(t, "OPEN", out["state"])

	// The same run delivered again (Lambda's or Scheduler's at-least-once).
	out = invoke(t, runner.InvokeURL, payload("2026-06-01T12:00:00Z"))
	assert.Equal(t, false, out["changed"])

	c, err := circuitstore.New(client, table).Get(context.Background(), service)
	require.NoError(t, err)
	assert.Equal(t, circuit.AlarmStateAlarm, c.Healthcheck.State)
	assert.Contains(t, c.LastTransition.Reason, "HealthcheckFailed", "the healthcheck's errorType, through X-Amz-Function-Error")
	assert.Equal(t, 1, c.HealthcheckRuns.Unhealthy)

	// Recovered: the next run closes the circuit.
	time.Sleep(time.Until(epoch.Add(outageFor + 100*time.Millisecond)))
	out = invoke(t, runner.InvokeURL, payload("2026-06-01T12:01:00Z"))
	assert.Equal(t, "HEALTHY", out["verdict"], "%v", out)
	assert.Equal(t, "CLOSED", out["state"])
}

// runnerEnv is the healthcheck runner's environment as the component renders
// it (hrconfig.Config.Env), with Lambda's Handler setting and extra pairs.
func runnerEnv(table, endpoint string, extra ...string) map[string]string {
	e := hrconfig.Config{
		TableName: table, ServiceName: service,
		Policy:       circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
		ProbeTimeout: 30 * time.Second,
		FunctionArn:  "arn:aws:lambda:us-east-1:123456789012:function:payments-health:live",
		Healthcheck:  circuit.HealthcheckPolicy{UnhealthyThreshold: 1, AlarmWindow: 4 * time.Minute},
	}.Env()
	e[lambdaenv.Handler] = hrconfig.Handler
	e["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
	for i := 0; i+1 < len(extra); i += 2 {
		e[extra[i]] = extra[i+1]
	}
	return e
}

// The bootstrap runs the role its Handler setting names, and nothing when it
// names none: the setting before roles had names ("bootstrap"), none at all,
// or another zip's role fail every invocation with a ConfigurationError that
// names the setting, and write nothing.
func TestUnknownHandlerFailsEveryInvocation(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	client := testenv.DynamoClient(t, endpoint)
	table := testenv.CreateCircuitTable(t, client)
	bootstrap := testenv.BuildBootstrap(t, "./functions/controller")
	for _, h := range []string{"bootstrap", "", "alarmhandler", "Controller"} {
		e := env(table, endpoint)
		e[lambdaenv.Handler] = h
		fn := testenv.StartRIE(t, bootstrap, e)
		for range 2 {
			out := invoke(t, fn.InvokeURL, `{"action":"trip","failures":1}`)
			assert.Equal(t, "ConfigurationError", out["errorType"], h)
			assert.Contains(t, out["errorMessage"], "_HANDLER", h)
			assert.Contains(t, out["errorMessage"], "controller, healthrunner", h)
		}
	}
	assert.Empty(t, testenv.CircuitItem(t, client, table, service), "nothing written")
}

// Issue 14 item 8, through the real bootstrap: the controller refuses the
// operators' overrides (circuitctl's conditional writes) and the schedule's
// run; the runner's typed event has nothing but a run (its tests:
// functions/healthrunner).
func TestControllerTakesOnlyItsActions(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	client := testenv.DynamoClient(t, endpoint)
	table := testenv.CreateCircuitTable(t, client)
	controller := testenv.StartRIE(t, testenv.BuildBootstrap(t, "./functions/controller"), env(table, endpoint))
	for _, payload := range []string{
		`{"action":"forceOpen","reason":"INC-1"}`,
		`{"action":"forceClosed","reason":"INC-1"}`,
		`{"action":"release"}`,
		`{"action":"healthcheck","scheduledTime":"2026-06-01T12:00:00Z","input":{}}`,
	} {
		out := invoke(t, controller.InvokeURL, payload)
		assert.Equal(t, "InvalidRequestError", out["errorType"], payload)
		assert.Contains(t, out["errorMessage"], "action: ", payload)
		if !strings.Contains(payload, "healthcheck") {
			assert.Contains(t, out["errorMessage"], "circuitctl", "says where overrides went: %s", payload)
		}
	}
	assert.Empty(t, testenv.CircuitItem(t, client, table, service), "nothing written")

	// Issue 14 items 6 and 9 at the same door: a trip "at" 9998 is refused,
	// and a 200 KB field makes a bounded error and bounded log lines.
	out := invoke(t, controller.InvokeURL, `{"action":"trip","at":"9998-01-01T00:00:00Z","failures":1}`)
	assert.Equal(t, "InvalidRequestError", out["errorType"])
	assert.Contains(t, out["errorMessage"], "at: at 9998-01-01T00:00:00.000Z is more than 5m0s ahead")
	huge := strings.Repeat("x", 200_000)
	out = invoke(t, controller.InvokeURL, `{"action":"elect","`+huge+`":1}`)
	assert.Equal(t, "InvalidRequestError", out["errorType"])
	assert.Less(t, len(out["errorMessage"].(string)), 1024)
	for _, line := range strings.Split(controller.Output(), "\n") {
		assert.Less(t, len(line), 2048, "log line: %.200s", line)
	}
	assert.Empty(t, testenv.CircuitItem(t, client, table, service), "nothing written")
}
