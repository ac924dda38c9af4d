package handler_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

type hangingLambda struct{}

func (hangingLambda) Invoke(ctx context.Context, _ *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
