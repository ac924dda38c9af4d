package healthrunner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner"
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

const service = "payments"

var endpoint string

// The Lambda clock, deliberately far from the runs' scheduled times: a test
// that passes scheduledTime shows that it is used.
var lambdaClock = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

var t0 = time.Date(2026, 11, 27, 0, 10, 0, 0, time.UTC)

// rig is one runner on a fresh table, with captured logs.
type rig struct {
	t      *testing.T
	h      *healthrunner.Handler
	client *dynamodb.Client
	store  *circuitstore.Store
	cfg    healthrunner.Config
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

func newRunner(t *testing.T, threshold int, fake healthrunner.Invoker) *rig {
	r := &rig{t: t, client: testenv.DynamoClient(t, endpoint)}
	r.cfg = healthrunner.Config{
		TableName:    testenv.CreateCircuitTable(t, r.client),
		ServiceName:  service,
		Policy:       circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
		ProbeTimeout: 40 * time.Second,
		FunctionArn:  healthcheckArn,
		Healthcheck:  circuit.HealthcheckPolicy{UnhealthyThreshold: threshold, AlarmWindow: 3 * time.Minute},
	}
	r.store = circuitstore.New(r.client, r.cfg.TableName)
	log := slog.New(slog.NewJSONHandler(&r.logs, nil))
	r.h = healthrunner.New(r.cfg, r.client, fake, log, func() time.Time { return lambdaClock }).WithMetrics(io.Discard)
	return r
}

// call decodes payload as the Lambda runtime does (aws-lambda-go's default
// json.Unmarshal into the handler's event type) and runs it.
func (r *rig) call(payload string) (healthrunner.RunResult, error) {
	r.t.Helper()
	var run healthrunner.ScheduledRun
	if err := json.Unmarshal([]byte(payload), &run); err != nil {
		return healthrunner.RunResult{}, err
	}
	return r.h.Handle(context.Background(), run)
}

func (r *rig) must(payload string) healthrunner.RunResult {
	r.t.Helper()
	resp, err := r.call(payload)
	require.NoError(r.t, err, payload)
	return resp
}

// put replaces the circuit with c through the store.
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

// scheduled is the payload the component's schedule sends, as EventBridge
// Scheduler delivers it once it has replaced <aws.scheduler.scheduled-time>
// (a UTC time without a fraction, e.g. 2022-03-22T18:59:43Z:
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
func scheduled(d time.Duration) string {
	return strings.ReplaceAll(healthrunner.RunInput(`{"probe":"deep"}`), "<aws.scheduler.scheduled-time>", t0.Add(d).Format(time.RFC3339))
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
		assert.Contains(t, healthrunner.NotAVerdictCodes, e.ErrorCode())
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
		assert.Contains(t, healthrunner.NotAVerdictCodes, name)
	}
}

type hangingLambda struct{}

func (hangingLambda) Invoke(ctx context.Context, _ *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
