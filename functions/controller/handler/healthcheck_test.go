package handler_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
)

const healthcheckArn = "arn:aws:lambda:us-east-1:123456789012:function:payments-health:live"

// fakeLambda answers Invoke as Lambda does for a synchronous invocation: a
// function error is a 200 with FunctionError "Unhandled" and the error
// document as payload (Invoke API, "FunctionError": "If present, indicates
// that an error occurred during function execution",
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_ResponseSyntax).
type fakeLambda struct {
	mu     sync.Mutex
	calls  []*lambda.InvokeInput
	answer func() (*lambda.InvokeOutput, error)
}

func (f *fakeLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, in)
	f.mu.Unlock()
	return f.answer()
}

func healthy() (*lambda.InvokeOutput, error) {
	return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"ok":true}`)}, nil
}

func failing() (*lambda.InvokeOutput, error) {
	return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
		Payload: []byte(`{"errorMessage":"card processor down","errorType":"DownstreamUnavailable"}`)}, nil
}

func refused(code string) func() (*lambda.InvokeOutput, error) {
	return func() (*lambda.InvokeOutput, error) {
		return nil, &smithy.GenericAPIError{Code: code, Message: "refused"}
	}
}

func newRunner(t *testing.T, threshold int, fake *fakeLambda) *rig {
	r := newRig(t, 1)
	r.cfg.Healthcheck = handler.HealthcheckConfig{
		FunctionArn: healthcheckArn,
		Policy:      circuit.HealthcheckPolicy{UnhealthyThreshold: threshold, AlarmWindow: 3 * time.Minute},
	}
	r.h = handler.New(r.cfg, r.client, r.h.Logger(), func() time.Time { return lambdaClock }).WithInvoker(fake)
	return r
}

// scheduled is the payload the component's schedule sends, as EventBridge
// Scheduler delivers it once it has replaced <aws.scheduler.scheduled-time>
// (a UTC time without a fraction, e.g. 2022-03-22T18:59:43Z:
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
func scheduled(d time.Duration) string {
	return `{"action":"healthcheck","scheduledTime":"` + t0.Add(d).Format(time.RFC3339) + `","input":{"probe":"deep"}}`
}

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
		var nv *handler.NoVerdictError
		require.ErrorAs(t, err, &nv)
		assert.Equal(t, int64(0), r.circuit().Version, "nothing written")
		assert.Empty(t, r.item())
	}
	for _, code := range handler.NotAVerdictCodes {
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

// Every error the SDK models for Invoke is listed (the list is the
// documentation; an unlisted one is no verdict all the same).
func TestNotAVerdictCodesCoverTheInvokeErrors(t *testing.T) {
	for _, e := range []smithy.APIError{
		&types.DurableExecutionAlreadyStartedException{}, &types.EC2AccessDeniedException{}, &types.EC2ThrottledException{},
		&types.EC2UnexpectedException{}, &types.EFSIOException{}, &types.EFSMountConnectivityException{},
		&types.EFSMountFailureException{}, &types.EFSMountTimeoutException{}, &types.ENILimitReachedException{},
		&types.InvalidParameterValueException{}, &types.InvalidRequestContentException{}, &types.InvalidRuntimeException{},
		&types.InvalidSecurityGroupIDException{}, &types.InvalidSubnetIDException{}, &types.InvalidZipFileException{},
		&types.KMSAccessDeniedException{}, &types.KMSDisabledException{}, &types.KMSInvalidStateException{},
		&types.KMSNotFoundException{}, &types.NoPublishedVersionException{}, &types.RecursiveInvocationException{},
		&types.RequestTooLargeException{}, &types.ResourceConflictException{}, &types.ResourceNotFoundException{},
		&types.ResourceNotReadyException{}, &types.S3FilesMountConnectivityException{}, &types.S3FilesMountFailureException{},
		&types.S3FilesMountTimeoutException{}, &types.SerializedRequestEntityTooLargeException{}, &types.ServiceException{},
		&types.SnapStartException{}, &types.SnapStartNotReadyException{}, &types.SnapStartTimeoutException{},
		&types.SubnetIPAddressLimitReachedException{}, &types.TooManyRequestsException{}, &types.UnsupportedMediaTypeException{},
	} {
		assert.Contains(t, handler.NotAVerdictCodes, e.ErrorCode())
	}
}

// The runner refuses at least what the request path does not count against
// the downstream (component/statemachine InvocationErrors, whose
// Lambda.AWSLambdaException is AccessDeniedException here).
func TestNotAVerdictCodesCoverTheRequestPaths(t *testing.T) {
	for _, e := range statemachine.InvocationErrors() {
		name := strings.TrimPrefix(e, "Lambda.")
		if name == "AWSLambdaException" {
			name = "AccessDeniedException"
		}
		assert.Contains(t, handler.NotAVerdictCodes, name)
	}
}

func TestHealthcheckRefusedWithoutARunnerConfiguration(t *testing.T) {
	r := newRig(t, 1)
	_, err := r.call(scheduled(time.Minute))
	var bad *handler.InvalidRequestError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "action", bad.Field)
	assert.Contains(t, bad.Problem, handler.EnvHealthcheckFunctionArn)
}

func TestHealthcheckBadScheduledTime(t *testing.T) {
	r := newRunner(t, 1, &fakeLambda{answer: healthy})
	_, err := r.call(`{"action":"healthcheck","scheduledTime":"<aws.scheduler.scheduled-time>"}`)
	var bad *handler.InvalidRequestError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "scheduledTime", bad.Field)
}

func TestHealthcheckConfigFromEnv(t *testing.T) {
	env := map[string]string{
		handler.EnvTableName: "t", handler.EnvServiceName: "s",
		handler.EnvOpenDurationSeconds: "60", handler.EnvMaxOpenDuration: "600", handler.EnvBackoffMultiplier: "2",
		handler.EnvHalfOpenMaxCalls: "1", handler.EnvProbeTimeoutSeconds: "40",
		handler.EnvHealthcheckFunctionArn: healthcheckArn,
	}
	_, err := handler.ConfigFromEnv(func(k string) string { return env[k] })
	require.Error(t, err, "the threshold is required with the ARN")
	assert.Contains(t, err.Error(), handler.EnvHealthcheckUnhealthyThreshold)

	env[handler.EnvHealthcheckUnhealthyThreshold] = "2"
	env[handler.EnvHealthcheckAlarmWindow] = "180"
	cfg, err := handler.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, circuit.HealthcheckPolicy{UnhealthyThreshold: 2, AlarmWindow: 3 * time.Minute}, cfg.Healthcheck.Policy)
}

// A healthcheck that does not answer in time is unhealthy, and the verdict is
// still written: the invoke gets the runner's remaining time less the write's.
func TestHealthcheckThatHangsIsUnhealthyAndWritten(t *testing.T) {
	r := newRunner(t, 1, &fakeLambda{})
	r.h.WithInvoker(hangingLambda{})
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	started := time.Now()
	resp, err := r.h.Handle(ctx, []byte(scheduled(time.Minute)))
	require.NoError(t, err)
	assert.Less(t, time.Since(started), 3*time.Second, "cut 5 s before the runner's own deadline")
	assert.Equal(t, "UNHEALTHY", resp.Verdict)
	assert.Equal(t, circuit.Open, r.circuit().State)
}

type hangingLambda struct{}

func (hangingLambda) Invoke(ctx context.Context, _ *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
