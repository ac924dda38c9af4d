//go:build emulators

package healthrunner_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 14 item 6: a scheduledTime more than circuit.MaxClockSkew ahead of
// the Lambda's clock is refused before the healthcheck runs.
func TestRunFromTheFutureIsRefused(t *testing.T) {
	fake := &fakeLambda{answer: failing}
	r := newRunner(t, 1, fake)
	_, err := r.call(`{"scheduledTime":"9999-12-31T23:59:59Z"}`)
	var bad *healthrunner.InvalidRunError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "scheduledTime", bad.Field)
	assert.Empty(t, fake.calls, "the healthcheck is not run for a run from the future")
	assert.Empty(t, r.item())
}

// Issue 14 item 6, state an earlier bug left: the item already holds far
// future times (an open deadline in 9998, a healthcheck ALARM and a run in
// 9999). The runner's next write repairs them, so the healthy run releases
// the hold.
func TestFarFutureTimesInTheItemAreRepaired(t *testing.T) {
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newRunner(t, 1, &fakeLambda{answer: healthy})
	r.put(circuit.Circuit{State: circuit.Open, OpenUntil: time.Date(9998, 1, 1, 0, 1, 0, 0, time.UTC), Openings: 1,
		Healthcheck: circuit.AlarmStatus{State: circuit.AlarmStateAlarm, ChangedAt: far}, HealthcheckRuns: circuit.HealthcheckRuns{At: far, Unhealthy: 1}})
	require.Equal(t, circuit.Reject, circuit.Decide(r.circuit(), lambdaClock, 1))

	resp := r.must(scheduled(time.Minute))
	assert.Equal(t, "HEALTHY", resp.Verdict)
	assert.Equal(t, circuit.Closed, resp.State, "the healthy run releases the hold and closes")
	c := r.circuit()
	assert.Equal(t, t0.Add(time.Minute), c.HealthcheckRuns.At)
	assert.True(t, c.OpenUntil.IsZero())
	var repaired map[string]any
	for _, l := range r.logLines() {
		if l["msg"] == "circuit item repaired" {
			repaired = l
		}
	}
	require.NotNil(t, repaired, "the repair is logged")
	assert.Equal(t, "WARN", repaired["level"])
	assert.Len(t, repaired["fixes"], 3)
}

// Issue 14 item 8: the runner's only job is the healthcheck. Whatever its
// caller (the schedule's role) sends, a controller's or an operator's action
// included, the runner runs the healthcheck and applies its verdict: it has
// no code that trips, elects or forces.
func TestRunnerOnlyRunsTheHealthcheck(t *testing.T) {
	fake := &fakeLambda{answer: healthy}
	r := newRunner(t, 1, fake)
	r.put(circuit.Circuit{State: circuit.Closed, Failures: 5})
	for _, payload := range []string{
		`{"action":"forceOpen","reason":"INC-1"}`,
		`{"action":"trip","failures":5,"error":"x"}`,
	} {
		resp := r.must(payload)
		assert.Equal(t, "HEALTHY", resp.Verdict, payload)
		c := r.circuit()
		assert.Equal(t, circuit.Closed, c.State, payload)
		assert.Equal(t, circuit.NoOverride, c.Override, payload)
	}
	assert.Len(t, fake.calls, 2)
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
	slow := make(chan healthrunner.RunResult, 1)
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
	r := newRunner(t, 1, &fakeLambda{answer: func() (*lambda.InvokeOutput, error) {
		return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String(huge), Payload: []byte(`{"errorType":` + q(huge) + `,"errorMessage":` + q(huge) + `}`)}, nil
	}})
	for _, p := range []string{
		`{"scheduledTime":` + q(huge) + `}`,
		scheduled(time.Minute),
	} {
		_, err := r.call(p)
		check(t, r, err)
	}
	assert.LessOrEqual(t, len(r.circuit().LastTransition.Reason), 300, "the item keeps a bounded reason")
	r.h.WithInvoker(&fakeLambda{answer: func() (*lambda.InvokeOutput, error) { return nil, &smithy.GenericAPIError{Code: huge, Message: huge} }})
	_, err := r.call(scheduled(2 * time.Minute))
	check(t, r, err)
}
