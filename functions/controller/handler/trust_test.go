//go:build emulators

package handler_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 14 item 6: "at" and scheduledTime more than circuit.MaxClockSkew
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
		`{"action":"forceOpen","reason":"x","at":"` + circuit.FormatTime(lambdaClock.Add(circuit.MaxClockSkew+time.Millisecond)) + `"}`,
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

	fake := &fakeLambda{answer: failing}
	runner := newRunner(t, 1, fake)
	_, err := runner.call(`{"action":"healthcheck","scheduledTime":"9999-12-31T23:59:59Z"}`)
	var bad *handler.InvalidRequestError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "scheduledTime", bad.Field)
	assert.Empty(t, fake.calls, "the healthcheck is not run for a run from the future")
	assert.Empty(t, runner.item())
}

// Issue 14 item 6, state an earlier bug left: the item already holds far
// future times (an open deadline in 9998, a healthcheck ALARM and a run in
// 9999). The next write of either Lambda role repairs them, so the healthy
// runs release the hold and the next call is a probe.
func TestFarFutureTimesInTheItemAreRepaired(t *testing.T) {
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	fake := &fakeLambda{answer: healthy}
	runner := newRunner(t, 1, fake)
	runner.put(circuit.Circuit{State: circuit.Open, OpenUntil: time.Date(9998, 1, 1, 0, 1, 0, 0, time.UTC), Openings: 1,
		Healthcheck: circuit.AlarmStatus{State: circuit.AlarmStateAlarm, ChangedAt: far}, HealthcheckRuns: circuit.HealthcheckRuns{At: far, Unhealthy: 1}})
	require.Equal(t, circuit.Reject, circuit.Decide(runner.circuit(), lambdaClock, 1))

	resp := runner.must(scheduled(time.Minute))
	assert.Equal(t, "HEALTHY", resp.Verdict)
	assert.Equal(t, circuit.Closed, resp.State, "the healthy run releases the hold and closes")
	c := runner.circuit()
	assert.Equal(t, t0.Add(time.Minute), c.HealthcheckRuns.At)
	assert.True(t, c.OpenUntil.IsZero())
	var repaired map[string]any
	for _, l := range runner.logLines() {
		if l["msg"] == "circuit item repaired" {
			repaired = l
		}
	}
	require.NotNil(t, repaired, "the repair is logged")
	assert.Equal(t, "WARN", repaired["level"])
	assert.Len(t, repaired["fixes"], 3)

	// The controller: a trip "at" 9998 already written; the next call's
	// election repairs the deadline and admits the probe.
	r := newRig(t, 1)
	r.put(circuit.Circuit{State: circuit.Open, OpenUntil: time.Date(9998, 1, 1, 0, 1, 0, 0, time.UTC), Openings: 1})
	resp = r.must(`{"action":"elect","at":"` + circuit.FormatTime(lambdaClock) + `"}`)
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

// Issue 14 item 8: the runner is the controller's code, but takes only its
// own job; the controller does not run the healthcheck.
func TestRunnerTakesOnlyTheHealthcheck(t *testing.T) {
	fake := &fakeLambda{answer: healthy}
	runner := newRunner(t, 1, fake)
	runner.put(circuit.Circuit{State: circuit.Closed, Failures: 5})
	before := runner.item()
	for _, payload := range []string{
		`{"action":"forceOpen","reason":"INC-1"}`,
		`{"action":"forceClosed","reason":"INC-1"}`,
		`{"action":"release"}`,
		`{"action":"trip","failures":5,"error":"x"}`,
		`{"action":"elect"}`,
		`{"action":"reopen"}`,
	} {
		_, err := runner.call(payload)
		var bad *handler.InvalidRequestError
		require.ErrorAs(t, err, &bad, payload)
		assert.Equal(t, "action", bad.Field)
		assert.Contains(t, bad.Problem, "healthcheck runner, which takes only healthcheck")
		assert.Equal(t, before, runner.item(), payload)
	}
	assert.Empty(t, fake.calls)
	assert.Equal(t, "HEALTHY", runner.must(scheduled(time.Minute)).Verdict)
}

// Issue 14 item 13: runs overlap when one is slower than the interval. The
// run scheduled first fails slowly; the next one answers healthy first. The
// slow failure, applied last, is older than the healthy run and must not open
// the circuit.
func TestSlowUnhealthyRunFinishingLastDoesNotOpen(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	var n int
	var mu sync.Mutex
	fake := &fakeLambda{answer: func() (*lambda.InvokeOutput, error) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			started <- struct{}{}
			<-release
			return failing()
		}
		return healthy()
	}}
	r := newRunner(t, 1, fake)
	slow := make(chan handler.Response, 1)
	go func() {
		resp, err := r.call(scheduled(time.Minute))
		assert.NoError(t, err)
		slow <- resp
	}()
	<-started
	fast := r.must(scheduled(2 * time.Minute))
	assert.Equal(t, "HEALTHY", fast.Verdict)
	assert.True(t, fast.Changed, "the healthy run is recorded")
	close(release)
	resp := <-slow
	assert.Equal(t, "UNHEALTHY", resp.Verdict)
	assert.False(t, resp.Changed, "stale: older than the healthy run")
	c := r.circuit()
	assert.Equal(t, circuit.Closed, c.State)
	assert.Equal(t, t0.Add(2*time.Minute), c.HealthcheckRuns.At)
	assert.Equal(t, circuit.Admit, circuit.Decide(c, lambdaClock, 1))
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
		`{"action":"forceOpen","reason":` + q(huge) + `}`,
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

	runner := newRunner(t, 1, &fakeLambda{answer: func() (*lambda.InvokeOutput, error) {
		return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String(huge), Payload: []byte(`{"errorType":` + q(huge) + `,"errorMessage":` + q(huge) + `}`)}, nil
	}})
	for _, p := range []string{
		`{"action":"healthcheck","scheduledTime":` + q(huge) + `}`,
		scheduled(time.Minute),
	} {
		_, err := runner.call(p)
		check(t, runner, err)
	}
	runner.h.WithInvoker(&fakeLambda{answer: func() (*lambda.InvokeOutput, error) { return nil, &smithy.GenericAPIError{Code: huge, Message: huge} }})
	_, err := runner.call(scheduled(2 * time.Minute))
	check(t, runner, err)
}
