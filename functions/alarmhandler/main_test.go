//go:build emulators

package main

// These tests run the real bootstrap, built like the shipped one but for this
// machine, under the Lambda Runtime Interface Emulator, against dynalite: the
// runtime wiring, environment handling, SDK endpoint resolution and error
// responses are exercised as Lambda would, not only the handler package.

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	downstreamAlarm  = "payments-breaker-downstream-errors-5b1e0c7"
	healthcheckAlarm = "payments-breaker-healthcheck-errors-9d4a6f2"
	service          = "payments"
	// The fixtures' topic, and the alarm handler's function name (its
	// failure records' functionArn, which the reconciler checks).
	topicArn     = "arn:aws:sns:us-east-1:123456789012:payments-breaker-alarms-3f9c2a1"
	functionName = "payments-breaker-alarm-handler-1a2b3c4"
)

type lambdaError struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

// invoke POSTs a fixture to the RIE and returns the function's error, if any.
func invoke(t *testing.T, url, fixture string) *lambdaError {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("handler", "testdata", fixture))
	require.NoError(t, err)
	return invokeBody(t, url, string(body))
}

// invokeBody POSTs body to the RIE and returns the function's error, if any.
func invokeBody(t *testing.T, url, body string) *lambdaError {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	// The RIE answers 200 for handler errors too; the body tells them apart.
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
	if string(raw) == "null" {
		return nil
	}
	var le lambdaError
	require.NoError(t, json.Unmarshal(raw, &le), "%s", raw)
	require.NotEmpty(t, le.ErrorType, "unexpected response %s", raw)
	return &le
}

func getItem(t *testing.T, c *dynamodb.Client, table string) circuitstore.Item {
	return testenv.CircuitItem(t, c, table, service)
}

func str(item circuitstore.Item, attr string) string {
	if v, ok := item[attr].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func TestBootstrapUnderRIE(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	client := testenv.DynamoClient(t, endpoint)
	table := testenv.CreateCircuitTable(t, client)
	bootstrap := testenv.BuildBootstrap(t, "./functions/alarmhandler")
	fn := testenv.StartRIE(t, bootstrap, map[string]string{
		handler.EnvTableName:            table,
		handler.EnvServiceName:          service,
		handler.EnvDownstreamAlarmName:  downstreamAlarm,
		handler.EnvHealthcheckAlarmName: healthcheckAlarm,
		handler.EnvAlarmTopicArn:        topicArn,
		handler.EnvOpenDurationSeconds:  "60",
		handler.EnvMaxOpenDuration:      "600",
		handler.EnvBackoffMultiplier:    "2",
		"AWS_ENDPOINT_URL_DYNAMODB":     endpoint,
		// The Handler setting: the RIE takes the function's Handler from its own AWS_LAMBDA_FUNCTION_HANDLER, else
		// _HANDLER, and sets it as the runtime's _HANDLER (aws-lambda-runtime-interface-emulator
		// internal/lambda/rie/handlers.go, rapidcore/env SetHandler), as Lambda does from the
		// function's Handler setting.
		lambdaenv.Handler: ahconfig.Handler,
	})

	start := time.Now().UTC()
	require.Nil(t, invoke(t, fn.InvokeURL, "downstream-alarm.json"))
	cold := time.Since(start)
	item := getItem(t, client, table)
	assert.Equal(t, "OPEN", str(item, circuit.AttrState))
	assert.Equal(t, "ALARM", str(item, circuit.AttrDownstreamAlarm))
	assert.Equal(t, "2026-11-27T00:10:39.123Z", str(item, circuit.AttrDownstreamAlarmAt))
	openUntil, err := circuit.ParseTime(str(item, circuit.AttrOpenUntil))
	require.NoError(t, err)
	assert.False(t, openUntil.Before(start.Add(time.Minute).Truncate(time.Millisecond)), "open for a minute from the handler's clock")
	opened := item

	var warm time.Duration
	t.Run("duplicate", func(t *testing.T) {
		again := time.Now()
		require.Nil(t, invoke(t, fn.InvokeURL, "downstream-alarm.json"))
		warm = time.Since(again)
		assert.Equal(t, opened, getItem(t, client, table))
	})
	t.Run("out of order", func(t *testing.T) {
		require.Nil(t, invoke(t, fn.InvokeURL, "downstream-alarm-earlier.json"))
		assert.Equal(t, opened, getItem(t, client, table))
	})
	t.Run("malformed", func(t *testing.T) {
		for fixture, field := range map[string]string{
			"malformed-json.json":          "Sns.Message",
			"malformed-not-an-alarm.json":  "Sns.Message",
			"malformed-field-type.json":    "Sns.Message.NewStateValue",
			"malformed-unknown-alarm.json": "AlarmName",
			"malformed-state.json":         "NewStateValue",
			"malformed-time.json":          "StateChangeTime",
			"malformed-missing-time.json":  "StateChangeTime",
		} {
			le := invoke(t, fn.InvokeURL, fixture)
			if assert.NotNil(t, le, fixture) {
				assert.Equal(t, "MalformedNotificationError", le.ErrorType, fixture)
				assert.Contains(t, le.ErrorMessage, field+": ", fixture)
			}
			assert.Equal(t, opened, getItem(t, client, table), "%s changed the item", fixture)
		}
	})
	t.Run("healthcheck hold then release", func(t *testing.T) {
		require.Nil(t, invoke(t, fn.InvokeURL, "healthcheck-alarm.json"))
		item := getItem(t, client, table)
		assert.Equal(t, "ALARM", str(item, circuit.AttrHealthcheckAlarm))
		assert.Equal(t, "OPEN", str(item, circuit.AttrState))
		require.Nil(t, invoke(t, fn.InvokeURL, "healthcheck-ok.json"))
		item = getItem(t, client, table)
		assert.Equal(t, "CLOSED", str(item, circuit.AttrState))
		assert.Equal(t, "OK", str(item, circuit.AttrHealthcheckAlarm))
		assert.Contains(t, str(item, circuit.AttrTransitionReason), healthcheckAlarm)
		assert.NotContains(t, item, circuit.AttrOpenUntil)
	})
	t.Run("downstream OK only records", func(t *testing.T) {
		require.Nil(t, invoke(t, fn.InvokeURL, "downstream-ok.json"))
		item := getItem(t, client, table)
		assert.Equal(t, "CLOSED", str(item, circuit.AttrState))
		assert.Equal(t, "OK", str(item, circuit.AttrDownstreamAlarm))
	})

	out := fn.Output()
	// The function's transition log reached stdout as one JSON object per line.
	var transitions int
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `"msg":"circuit transition"`) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(line[strings.Index(line, "{"):]), &m), line)
			assert.Equal(t, service, m["service"])
			transitions++
		}
	}
	assert.Equal(t, 2, transitions, "opened by the downstream alarm, closed by the healthcheck OK")
	assert.NotContains(t, out, "AWS_SECRET_ACCESS_KEY")
	assert.NotContains(t, out, testenv.FakeSecretAccessKey, "the environment is never logged")
	// Measurements for the record, not assertions: the RIE's own init report
	// (process start to the runtime's first poll) and the wall time of the first
	// (cold) and a warm invocation, from the HTTP client.
	if m := regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`).FindStringSubmatch(out); m != nil {
		t.Logf("init (RIE INIT REPORT): %s ms; first invocation %s, warm invocation %s", m[1], cold, warm)
	}
}

func TestBootstrapReportsBadConfigurationOnEveryInvocation(t *testing.T) {
	bootstrap := testenv.BuildBootstrap(t, "./functions/alarmhandler")
	url := testenv.RIE(t, bootstrap, map[string]string{
		lambdaenv.Handler:              ahconfig.Handler,
		handler.EnvServiceName:         service,
		handler.EnvOpenDurationSeconds: "soon",
	})
	for range 2 {
		le := invoke(t, url, "downstream-alarm.json")
		require.NotNil(t, le)
		assert.Equal(t, "ConfigurationError", le.ErrorType)
		assert.Contains(t, le.ErrorMessage, "TABLE_NAME is not set")
		assert.Contains(t, le.ErrorMessage, `OPEN_DURATION_SECONDS="soon"`)
	}
}

// The bootstrap runs the role its Handler setting names, and nothing when it
// names none: the setting before roles had names ("bootstrap"), none at all,
// or another zip's role fail every invocation, a notification and a
// reconciliation run alike, with a ConfigurationError that names the setting.
func TestUnknownHandlerFailsEveryInvocation(t *testing.T) {
	bootstrap := testenv.BuildBootstrap(t, "./functions/alarmhandler")
	for _, h := range []string{"bootstrap", "", "controller", "Reconciler"} {
		url := testenv.RIE(t, bootstrap, map[string]string{lambdaenv.Handler: h})
		for _, fixture := range []string{"downstream-alarm.json", "downstream-alarm.json"} {
			le := invoke(t, url, fixture)
			require.NotNil(t, le, h)
			assert.Equal(t, "ConfigurationError", le.ErrorType, h)
			assert.Contains(t, le.ErrorMessage, "_HANDLER", h)
			assert.Contains(t, le.ErrorMessage, "alarmhandler, reconciler", h)
		}
	}
}
