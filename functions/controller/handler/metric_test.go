//go:build emulators

package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 9 (CircuitState on transitions): the controller's transitions publish
// a CircuitState datapoint at once (EMF, circuit/circuitmetric), stamped with
// the request's clock; an action that changes nothing publishes none.
func TestControllerTransitionsPublishCircuitState(t *testing.T) {
	r := newRig(t, 1)
	var metrics bytes.Buffer
	r.h.WithMetrics(&metrics)
	r.put(circuit.Circuit{State: circuit.Closed, Failures: 3})
	r.must(`{"action":"trip","at":"` + at(0) + `","failures":3,"error":"DownstreamBoom"}`)
	lines := strings.Split(strings.TrimSpace(metrics.String()), "\n")
	require.Len(t, lines, 1)
	var emf map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &emf))
	assert.Equal(t, float64(circuit.MetricOpen), emf["CircuitState"])
	assert.Equal(t, service, emf["ServiceName"])
	assert.Equal(t, float64(t0.UnixMilli()), emf["_aws"].(map[string]any)["Timestamp"])
	d := emf["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	assert.Equal(t, circuit.MetricNamespace, d["Namespace"])
	assert.Equal(t, []any{[]any{circuit.MetricDimension}}, d["Dimensions"])
	assert.Equal(t, []any{map[string]any{"Name": circuit.MetricName, "Unit": "None"}}, d["Metrics"])

	// A trip of an open circuit changes nothing: no datapoint.
	metrics.Reset()
	assert.False(t, r.must(`{"action":"trip","at":"`+at(0)+`","failures":3,"error":"DownstreamBoom"}`).Changed)
	assert.Empty(t, metrics.String())

	// A per-key circuit's transitions publish none: one custom metric per key
	// would be unbounded (docs/per-key.md).
	key := circuit.ItemKey(service, "eu")
	_, err := r.store.Update(context.Background(), key, func(circuit.Circuit) (circuit.Circuit, bool, error) {
		return circuit.Circuit{State: circuit.Closed, Failures: 3}, true, nil
	})
	require.NoError(t, err)
	r.must(`{"action":"trip","at":"` + at(0) + `","failures":3,"error":"DownstreamBoom","key":"eu"}`)
	keyed, err := r.store.Get(context.Background(), key)
	require.NoError(t, err)
	assert.Equal(t, circuit.Open, keyed.State, "the key's circuit did trip")
	assert.Empty(t, metrics.String())
}
