//go:build emulators

package handler_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 14 item 6: "at" more than circuit.MaxClockSkew
// ahead of the Lambda's clock are refused, logged, and change nothing. The
// reported case: a trip "at" 9998 opened the circuit until 9998.
func TestTimesFromTheFutureAreRefused(t *testing.T) {
	r := newRig(t, 1)
	r.put(circuit.Circuit{State: circuit.Closed, Failures: 3})
	before := r.item()
	r.logLines()
	for _, payload := range []string{
		`{"action":"trip","at":"9998-01-01T00:00:00Z","failures":3,"error":"DownstreamBoom"}`,
		`{"action":"elect","at":"9998-01-01T00:00:00Z"}`,
		`{"action":"reopen","error":"x","at":"` + circuit.FormatTime(lambdaClock.Add(circuit.MaxClockSkew+time.Millisecond)) + `"}`,
	} {
		_, err := r.call(payload)
		var bad *handler.InvalidRequestError
		require.ErrorAs(t, err, &bad, payload)
		assert.Equal(t, "at", bad.Field)
		assert.Contains(t, bad.Problem, "ahead of this function's clock")
		assert.Equal(t, before, r.item(), "%s changed the item", payload)
		line := r.logLines()[0]
		assert.Equal(t, "invalid controller request", line["msg"])
		assert.Equal(t, "at", line["field"])
	}
	// Up to the skew: a clock a little ahead is not refused.
	resp := r.must(`{"action":"trip","at":"` + circuit.FormatTime(lambdaClock.Add(circuit.MaxClockSkew)) + `","failures":3}`)
	assert.Equal(t, circuit.Open, resp.State)

}

// Issue 14 item 6, state an earlier bug left: a trip "at" 9998 already
// written; the next call's election repairs the deadline and admits the probe
// (the runner's repair: functions/healthrunner).
func TestFarFutureTimesInTheItemAreRepaired(t *testing.T) {
	r := newRig(t, 1)
	r.put(circuit.Circuit{State: circuit.Open, OpenUntil: time.Date(9998, 1, 1, 0, 1, 0, 0, time.UTC), Openings: 1})
	resp := r.must(`{"action":"elect","at":"` + circuit.FormatTime(lambdaClock) + `"}`)
	assert.True(t, resp.Admitted)
	assert.Equal(t, circuit.HalfOpen, resp.State)
}

// Issue 14 item 22: a hand-written override the rules do not know, and
// counters the decoder cannot read, neither hold the circuit nor fail the
// controller: the probe is elected and the item is written back readable.
func TestHandWrittenValuesDoNotWedgeTheController(t *testing.T) {
	r := newRig(t, 1)
	_, err := r.client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(r.cfg.TableName), Item: circuitstore.Item{
		circuit.KeyAttribute:         &types.AttributeValueMemberS{Value: service},
		circuit.AttrState:            &types.AttributeValueMemberS{Value: string(circuit.Open)},
		circuit.AttrOpenUntil:        &types.AttributeValueMemberS{Value: at(0)},
		circuit.AttrOverride:         &types.AttributeValueMemberS{Value: "forced_open"},
		circuit.AttrFailures:         &types.AttributeValueMemberS{Value: "three"},
		circuit.AttrOpenings:         &types.AttributeValueMemberN{Value: "-4"},
		circuit.AttrSuccesses:        &types.AttributeValueMemberN{Value: "1E+30"},
		circuit.AttrVersion:          &types.AttributeValueMemberS{Value: "v7"},
		circuit.AttrTransitionReason: &types.AttributeValueMemberS{Value: "an operator's edit"},
	}})
	require.NoError(t, err)
	resp := r.must(`{"action":"elect","at":"` + at(time.Minute) + `"}`)
	assert.True(t, resp.Admitted, "the unknown override is none, as in the state machine")
	assert.Equal(t, circuit.HalfOpen, resp.State)

	item := r.item()
	assert.NotContains(t, item, circuit.AttrOverride)
	assert.Equal(t, &types.AttributeValueMemberN{Value: "0"}, item[circuit.AttrFailures])
	assert.Equal(t, &types.AttributeValueMemberN{Value: "0"}, item[circuit.AttrOpenings])
	assert.Equal(t, &types.AttributeValueMemberN{Value: "1"}, item[circuit.AttrVersion])
	var fixes []any
	for _, l := range r.logLines() {
		if l["msg"] == "circuit item repaired" {
			fixes = l["fixes"].([]any)
		}
	}
	joined, _ := json.Marshal(fixes)
	for _, want := range []string{"override", "failures", "openings -4", "successes", "version"} {
		assert.Contains(t, string(joined), want)
	}
}

// Issue 14 item 9: a 200 KB field, wherever it is, gives bounded errors and
// bounded log lines.
func TestHugeFieldsGiveBoundedLogs(t *testing.T) {
	huge := strings.Repeat("A\x1b[31m\n", 200_000/8)
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	r := newRig(t, 1)
	r.put(circuit.Circuit{State: circuit.Closed, Failures: 3})
	payloads := []string{
		`{"action":` + q(huge) + `}`,
		`{"action":"elect","at":` + q(huge) + `}`,
		`{"action":"elect",` + q(huge) + `:1}`,
		`{"action":"elect","key":` + q(huge) + `}`,
		`{"action":"reopen","halfOpenUntil":` + q(huge) + `}`,
		`{"action":"trip","failures":3,"error":` + q(huge) + `}`,
	}
	check := func(t *testing.T, r *rig, err error) {
		t.Helper()
		if err != nil {
			assert.Less(t, len(err.Error()), 1024, "error: %.200s", err.Error())
		}
		logs := r.logs.take()
		require.NotEmpty(t, logs)
		for _, line := range strings.Split(strings.TrimSpace(string(logs)), "\n") {
			assert.Less(t, len(line), 2048, "log line: %.200s", line)
		}
	}
	for _, p := range payloads {
		_, err := r.call(p)
		check(t, r, err)
	}
	assert.LessOrEqual(t, len(r.circuit().LastTransition.Reason), 300, "the item keeps a bounded reason")

}
