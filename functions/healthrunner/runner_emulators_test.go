//go:build emulators

package healthrunner_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHealthcheckVerdictsMoveTheCircuit(t *testing.T) {
	fake := &fakeLambda{answer: failing}
	r := newRunner(t, 1, fake)

	resp := r.must(scheduled(time.Minute))
	assert.Equal(t, "UNHEALTHY", resp.Verdict)
	assert.Equal(t, circuit.Open, resp.State)
	c := r.circuit()
	assert.Equal(t, circuit.AlarmStateAlarm, c.Healthcheck.State, "held")
	assert.Equal(t, t0.Add(time.Minute), c.HealthcheckRuns.At, "the run is the schedule's time")
	assert.Contains(t, c.LastTransition.Reason, "DownstreamUnavailable")
	assert.NotContains(t, c.LastTransition.Reason, "card processor down", "the error's name, never its message")

	require.Len(t, fake.calls, 1)
	in := fake.calls[0]
	assert.Equal(t, healthcheckArn, aws.ToString(in.FunctionName), "the qualified ARN the role may invoke")
	assert.Equal(t, types.InvocationTypeRequestResponse, in.InvocationType)
	assert.JSONEq(t, `{"probe":"deep"}`, string(in.Payload), "the schedule's healthcheck input")

	// The downstream recovers; the next run closes the circuit.
	fake.answer = healthy
	resp = r.must(scheduled(2 * time.Minute))
	assert.Equal(t, "HEALTHY", resp.Verdict)
	assert.Equal(t, circuit.Closed, resp.State)
	assert.True(t, resp.Changed)
	assert.Equal(t, circuit.AlarmStateOK, r.circuit().Healthcheck.State)

	// Healthy again: only the run is recorded (issue 14 item 13: one write
	// per run, so that an older, slower run finishing later is stale).
	version := r.circuit().Version
	resp = r.must(scheduled(3 * time.Minute))
	assert.True(t, resp.Changed)
	assert.Equal(t, circuit.Closed, resp.State)
	assert.Equal(t, version+1, r.circuit().Version)
	assert.Equal(t, t0.Add(3*time.Minute), r.circuit().HealthcheckRuns.At)
}

func TestHealthcheckRunDeliveredTwiceCountsOnce(t *testing.T) {
	fake := &fakeLambda{answer: failing}
	r := newRunner(t, 2, fake)
	r.must(scheduled(time.Minute))
	resp := r.must(scheduled(time.Minute)) // Lambda's asynchronous retry, or Scheduler's at-least-once
	assert.False(t, resp.Changed)
	c := r.circuit()
	assert.Equal(t, 1, c.HealthcheckRuns.Unhealthy)
	assert.Equal(t, circuit.Closed, c.State, "one run, below the threshold of 2")
	r.must(scheduled(2 * time.Minute))
	assert.Equal(t, circuit.Open, r.circuit().State)
}

// Issue 14 item 20: whatever the Invoke API answers instead of running the
// healthcheck (throttling, ResourceNotReadyException, KMSAccessDenied-
// Exception, ...) is the breaker's or Lambda's problem, never the
// healthcheck's answer: no verdict, nothing written.
func TestHealthcheckThatCannotBeInvokedIsNoVerdict(t *testing.T) {
	noVerdict := func(t *testing.T, answer func() (*lambda.InvokeOutput, error)) {
		t.Helper()
		r := newRunner(t, 1, &fakeLambda{answer: answer})
		_, err := r.call(scheduled(time.Minute))
		var nv *healthrunner.NoVerdictError
		require.ErrorAs(t, err, &nv)
		assert.Equal(t, int64(0), r.circuit().Version, "nothing written")
		assert.Empty(t, r.item())
	}
	for _, code := range healthrunner.NotAVerdictCodes {
		t.Run(code, func(t *testing.T) { noVerdict(t, refused(code)) })
	}
	t.Run("an error code AWS adds later", func(t *testing.T) { noVerdict(t, refused("SomethingNewException")) })
	t.Run("throttled after the SDK's retries", func(t *testing.T) {
		noVerdict(t, func() (*lambda.InvokeOutput, error) {
			return nil, &smithy.OperationError{ServiceID: "Lambda", OperationName: "Invoke",
				Err: &retry.MaxAttemptsError{Attempt: 3, Err: &types.TooManyRequestsException{Message: aws.String("Rate Exceeded.")}}}
		})
	})
	t.Run("the runner's network", func(t *testing.T) {
		noVerdict(t, func() (*lambda.InvokeOutput, error) {
			return nil, errors.New("dial tcp 10.0.0.1:443: connect: connection refused")
		})
	})
	t.Run("a function error stays unhealthy", func(t *testing.T) {
		r := newRunner(t, 1, &fakeLambda{answer: failing})
		assert.Equal(t, "UNHEALTHY", r.must(scheduled(time.Minute)).Verdict)
	})
}

func TestHealthcheckBadScheduledTime(t *testing.T) {
	r := newRunner(t, 1, &fakeLambda{answer: healthy})
	_, err := r.call(`{"scheduledTime":"<aws.scheduler.scheduled-time>"}`)
	var bad *healthrunner.InvalidRunError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "scheduledTime", bad.Field)
}

// A healthcheck that does not answer in time is unhealthy, and the verdict is
// still written: the invoke gets the runner's remaining time less the write's.
func TestHealthcheckThatHangsIsUnhealthyAndWritten(t *testing.T) {
	r := newRunner(t, 1, hangingLambda{})
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	started := time.Now()
	resp, err := r.h.Handle(ctx, healthrunner.ScheduledRun{ScheduledTime: t0.Add(time.Minute).Format(time.RFC3339), Input: []byte(`{}`)})
	require.NoError(t, err)
	assert.Less(t, time.Since(started), 3*time.Second, "cut 5 s before the runner's own deadline")
	assert.Equal(t, "UNHEALTHY", resp.Verdict)
	assert.Equal(t, circuit.Open, r.circuit().State)
}

func TestMain(m *testing.M) { testenv.MainWithDynalite(m, &endpoint) }
