package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The names of the alarms in testdata/, as the component would configure them.
const (
	downstreamAlarm  = "payments-breaker-downstream-errors-5b1e0c7"
	healthcheckAlarm = "payments-breaker-healthcheck-errors-9d4a6f2"
	service          = "payments"
	// The topic the fixtures' notifications came through (Sns.TopicArn), and
	// the handler's own name (Lambda's AWS_LAMBDA_FUNCTION_NAME).
	topicArn     = "arn:aws:sns:us-east-1:123456789012:payments-breaker-alarms-3f9c2a1"
	functionName = "payments-breaker-alarm-handler-1a2b3c4"
)

var endpoint string

// rig is one handler on a fresh table, with a settable clock and captured logs.
type rig struct {
	t      *testing.T
	h      *handler.Handler
	client *dynamodb.Client
	store  *circuitstore.Store
	now    time.Time
	logs   bytes.Buffer
	cfg    handler.Config
}

func newRig(t *testing.T) *rig { return newRigWith(t, nil) }

// newRigWith is newRig with edit applied to the handler's configuration.
func newRigWith(t *testing.T, edit func(*handler.Config)) *rig {
	r := &rig{t: t, client: testenv.DynamoClient(t, endpoint)}
	r.cfg = handler.Config{
		TableName:            testenv.CreateCircuitTable(t, r.client),
		ServiceName:          service,
		DownstreamAlarmName:  downstreamAlarm,
		HealthcheckAlarmName: healthcheckAlarm,
		Policy:               circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
		TopicArn:             topicArn,
	}
	if edit != nil {
		edit(&r.cfg)
	}
	r.store = circuitstore.New(r.client, r.cfg.TableName)
	log := slog.New(slog.NewJSONHandler(&r.logs, nil))
	r.h = handler.New(r.cfg, r.client, log, func() time.Time { return r.now })
	return r
}

func fixture(t *testing.T, name string) events.SNSEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var ev events.SNSEvent
	require.NoError(t, json.Unmarshal(b, &ev), "fixture %s", name)
	return ev
}

// deliver hands fixture name to the handler at the handler clock's time at.
func (r *rig) deliver(name string, at string) error {
	r.t.Helper()
	r.now = mustTime(r.t, at)
	r.logs.Reset()
	return r.h.Handle(context.Background(), fixture(r.t, name))
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := circuit.ParseTime(s)
	require.NoError(t, err)
	return tm
}

func (r *rig) item() circuitstore.Item {
	return testenv.CircuitItem(r.t, r.client, r.cfg.TableName, service)
}

func (r *rig) circuit() circuit.Circuit {
	r.t.Helper()
	c, err := r.store.Get(context.Background(), service)
	require.NoError(r.t, err)
	return c
}

// logLines parses the captured JSON log: one object per line.
func (r *rig) logLines() []map[string]any {
	r.t.Helper()
	return testenv.JSONLines(r.t, r.logs.Bytes())
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		handler.EnvTableName:            "circuits",
		handler.EnvServiceName:          "payments",
		handler.EnvDownstreamAlarmName:  downstreamAlarm,
		handler.EnvHealthcheckAlarmName: healthcheckAlarm,
		handler.EnvOpenDurationSeconds:  "60",
		handler.EnvMaxOpenDuration:      "600",
		handler.EnvBackoffMultiplier:    "1.5",
		handler.EnvAlarmTopicArn:        topicArn,
	}
	get := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, err := handler.ConfigFromEnv(get(env))
	require.NoError(t, err)
	assert.Equal(t, circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 1.5}, cfg.Policy)
	assert.Equal(t, "payments", cfg.ServiceName)

	bad := map[string]string{
		handler.EnvDownstreamAlarmName:  "same",
		handler.EnvHealthcheckAlarmName: "same",
		handler.EnvOpenDurationSeconds:  "1m",
		handler.EnvMaxOpenDuration:      "-5",
		handler.EnvBackoffMultiplier:    "NaN",
	}
	_, err = handler.ConfigFromEnv(get(bad))
	var cerr *handler.ConfigurationError
	require.True(t, errors.As(err, &cerr))
	for _, want := range []string{"TABLE_NAME is not set", "SERVICE_NAME is not set", "name the same alarm",
		`OPEN_DURATION_SECONDS="1m"`, `MAX_OPEN_DURATION_SECONDS="-5"`, `OPEN_BACKOFF_MULTIPLIER="NaN"`} {
		assert.Contains(t, err.Error(), want)
	}

	inconsistent := map[string]string{}
	for k, v := range env {
		inconsistent[k] = v
	}
	inconsistent[handler.EnvMaxOpenDuration] = "30"
	_, err = handler.ConfigFromEnv(get(inconsistent))
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "shorter than the open duration"), err.Error())
}

func TestHealthcheckAlarmWindowFromEnv(t *testing.T) {
	env := map[string]string{
		handler.EnvTableName: "t", handler.EnvServiceName: service,
		handler.EnvDownstreamAlarmName: downstreamAlarm, handler.EnvHealthcheckAlarmName: healthcheckAlarm,
		handler.EnvOpenDurationSeconds: "60", handler.EnvMaxOpenDuration: "600", handler.EnvBackoffMultiplier: "2",
		handler.EnvAlarmTopicArn: topicArn,
	}
	cfg, err := handler.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Zero(t, cfg.HealthcheckAlarmWindow, "unset: 0, as before the runner existed")
	env[handler.EnvHealthcheckAlarmWindow] = "240"
	cfg, err = handler.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, 240*time.Second, cfg.HealthcheckAlarmWindow)
	env[handler.EnvHealthcheckAlarmWindow] = "soon"
	_, err = handler.ConfigFromEnv(func(k string) string { return env[k] })
	require.ErrorContains(t, err, handler.EnvHealthcheckAlarmWindow)
}
