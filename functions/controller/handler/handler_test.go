package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
)

const service = "payments"

var endpoint string

// The Lambda clock, deliberately far from the times in requests: a test that
// passes "at" shows that "at" is used.
var lambdaClock = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

var t0 = time.Date(2026, 11, 27, 0, 10, 0, 0, time.UTC)

// rig is one controller on a fresh table, with captured logs.
type rig struct {
	t      *testing.T
	h      *handler.Handler
	client *dynamodb.Client
	store  *circuitstore.Store
	cfg    handler.Config
	logs   syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) take() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := bytes.Clone(b.buf.Bytes())
	b.buf.Reset()
	return out
}

func newRig(t *testing.T, maxCalls int) *rig {
	r := &rig{t: t, client: testenv.DynamoClient(t, endpoint)}
	r.cfg = handler.Config{
		TableName:   testenv.CreateCircuitTable(t, r.client),
		ServiceName: service,
		Policy:      circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
		Probes:      circuit.ProbePolicy{MaxCalls: maxCalls, Timeout: 40 * time.Second},
	}
	r.store = circuitstore.New(r.client, r.cfg.TableName)
	log := slog.New(slog.NewJSONHandler(&r.logs, nil))
	r.h = handler.New(r.cfg, r.client, log, func() time.Time { return lambdaClock })
	return r
}

func (r *rig) call(payload string) (handler.Response, error) {
	r.t.Helper()
	return r.h.Handle(context.Background(), json.RawMessage(payload))
}

func (r *rig) must(payload string) handler.Response {
	r.t.Helper()
	resp, err := r.call(payload)
	require.NoError(r.t, err, payload)
	return resp
}

// put replaces the circuit with c through the store (the codec the state
// machine reads).
func (r *rig) put(c circuit.Circuit) {
	r.t.Helper()
	_, err := r.store.Update(context.Background(), service, func(circuit.Circuit) (circuit.Circuit, bool, error) { return c, true, nil })
	require.NoError(r.t, err)
}

func (r *rig) circuit() circuit.Circuit {
	r.t.Helper()
	c, err := r.store.Get(context.Background(), service)
	require.NoError(r.t, err)
	return c
}

func (r *rig) item() circuitstore.Item {
	return testenv.CircuitItem(r.t, r.client, r.cfg.TableName, service)
}

func (r *rig) logLines() []map[string]any {
	r.t.Helper()
	return testenv.JSONLines(r.t, r.logs.take())
}

func at(d time.Duration) string { return circuit.FormatTime(t0.Add(d)) }

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		handler.EnvTableName:           "circuits",
		handler.EnvServiceName:         "payments",
		handler.EnvOpenDurationSeconds: "30",
		handler.EnvMaxOpenDuration:     "300",
		handler.EnvBackoffMultiplier:   "1.5",
		handler.EnvHalfOpenMaxCalls:    "3",
		handler.EnvProbeTimeoutSeconds: "95",
	}
	cfg, err := handler.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, handler.Config{
		TableName: "circuits", ServiceName: "payments",
		Policy: circuit.Policy{OpenDuration: 30 * time.Second, MaxOpenDuration: 5 * time.Minute, BackoffMultiplier: 1.5},
		Probes: circuit.ProbePolicy{MaxCalls: 3, Timeout: 95 * time.Second},
	}, cfg)

	_, err = handler.ConfigFromEnv(func(string) string { return "" })
	var ce *handler.ConfigurationError
	require.True(t, errors.As(err, &ce))
	assert.Len(t, ce.Problems, 7, "every missing variable at once: %v", ce.Problems)

	for k, v := range map[string]string{
		handler.EnvHalfOpenMaxCalls:    "101", // over circuit.HalfOpenMaxCallsRange, as the component's check
		handler.EnvProbeTimeoutSeconds: "-1",
		handler.EnvOpenDurationSeconds: "soon",
		handler.EnvBackoffMultiplier:   "NaN",
		handler.EnvMaxOpenDuration:     "10", // shorter than the open duration
	} {
		bad := map[string]string{}
		for kk, vv := range env {
			bad[kk] = vv
		}
		bad[k] = v
		_, err := handler.ConfigFromEnv(func(key string) string { return bad[key] })
		require.Error(t, err, k)
		assert.Contains(t, err.Error(), k, "names the variable")
	}
}
