package healthrunner

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// Invoker is the part of the Lambda API the runner uses.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// NotAVerdictCodes are the errors the Invoke API can answer instead of
// running the healthcheck, from its API reference
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors)
// and the codes aws-sdk-go-v2's Lambda client decodes for Invoke, plus
// AccessDeniedException (a denied lambda:InvokeFunction, which the API
// answers without a modelled error). None of them is the healthcheck's
// answer, so none is a verdict (issue 14 item 20):
//
//   - throttling: TooManyRequestsException (the healthcheck's concurrency or
//     the account's; the SDK has already retried it), EC2ThrottledException;
//   - Lambda's own failures and states: ServiceException,
//     ResourceNotReadyException (the function is inactive or still being
//     created), ResourceConflictException, SnapStart*, RecursiveInvocation-
//     Exception, DurableExecutionAlreadyStartedException;
//   - the function's environment, which Lambda could not set up: KMS* (its
//     environment variables' key), EC2*, ENILimitReached, SubnetIPAddress-
//     LimitReached, InvalidSubnetID, InvalidSecurityGroupID, EFS*, S3Files*,
//     InvalidRuntime, InvalidZipFile;
//   - the request: AccessDenied, ResourceNotFound, NoPublishedVersion,
//     InvalidParameterValue, InvalidRequestContent, UnsupportedMediaType,
//     RequestTooLarge, SerializedRequestEntityTooLarge.
//
// The healthcheck's answer is a 200 response: with X-Amz-Function-Error
// (FunctionError) it is unhealthy, without it healthy (Invoke API,
// "Response Syntax"). The request path is stricter with the downstream
// (component/statemachine InvocationErrors counts throttling and the
// environment's errors as failures: they fail the downstream's callers), but
// the healthcheck is a different function, whose throttling or broken
// environment says nothing about the downstream.
var NotAVerdictCodes = []string{
	"AccessDeniedException",
	"DurableExecutionAlreadyStartedException",
	"EC2AccessDeniedException",
	"EC2ThrottledException",
	"EC2UnexpectedException",
	"EFSIOException",
	"EFSMountConnectivityException",
	"EFSMountFailureException",
	"EFSMountTimeoutException",
	"ENILimitReachedException",
	"InvalidParameterValueException",
	"InvalidRequestContentException",
	"InvalidRuntimeException",
	"InvalidSecurityGroupIDException",
	"InvalidSubnetIDException",
	"InvalidZipFileException",
	"KMSAccessDeniedException",
	"KMSDisabledException",
	"KMSInvalidStateException",
	"KMSNotFoundException",
	"NoPublishedVersionException",
	"RecursiveInvocationException",
	"RequestTooLargeException",
	"ResourceConflictException",
	"ResourceNotFoundException",
	"ResourceNotReadyException",
	"S3FilesMountConnectivityException",
	"S3FilesMountFailureException",
	"S3FilesMountTimeoutException",
	"SerializedRequestEntityTooLargeException",
	"ServiceException",
	"SnapStartException",
	"SnapStartNotReadyException",
	"SnapStartTimeoutException",
	"SubnetIPAddressLimitReachedException",
	"TooManyRequestsException",
	"UnsupportedMediaTypeException",
}

// NoVerdictError is an invoke that could not be made: logged, nothing changed.
// It is returned as the function's error so that the runner's own Errors
// metric shows the misconfiguration.
type NoVerdictError struct{ Err error }

func (e *NoVerdictError) Error() string {
	return "the healthcheck could not be invoked (no verdict, the circuit is unchanged): " + circuit.Echo(e.Err.Error())
}
func (e *NoVerdictError) Unwrap() error { return e.Err }

// runHealthcheck invokes the healthcheck synchronously and turns its answer
// into a verdict for the run scheduled at `at`.
func (h *Handler) runHealthcheck(ctx context.Context, log *slog.Logger, run ScheduledRun, at time.Time) (circuit.HealthcheckVerdict, error) {
	input := []byte(run.Input)
	if len(input) == 0 {
		input = []byte("{}")
	}
	in := &lambda.InvokeInput{
		FunctionName: aws.String(h.cfg.FunctionArn),
		// RequestResponse: the answer is the verdict. The invocation is an
		// ordinary one, so the healthcheck's Errors metric, and with it the
		// healthcheck alarm, still sees every failed run.
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        input,
	}
	// The verdict must still be written when the healthcheck does not
	// answer: the invoke gets the function's remaining time less the write's.
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-writeReserve))
		defer cancel()
	}
	started := time.Now()
	out, err := h.invoker.Invoke(ctx, in)
	elapsed := time.Since(started)
	if err != nil {
		var api smithy.APIError
		switch {
		case errors.As(err, &api):
			// Every error of the Invoke API, listed or one AWS adds later:
			// Lambda answered instead of the healthcheck.
			log.Error("healthcheck not run: no verdict", "code", circuit.Echo(api.ErrorCode()), "listed", isNotAVerdict(api.ErrorCode()),
				"error", circuit.Echo(err.Error()), "durationMs", elapsed.Milliseconds())
			return circuit.HealthcheckVerdict{}, &NoVerdictError{Err: err}
		case errors.Is(err, context.DeadlineExceeded):
			// No answer within the runner's time (its own, less the write's):
			// the healthcheck hangs, which callers of the downstream would
			// meet too.
			log.Warn("healthcheck did not answer in time: unhealthy", "error", circuit.Echo(err.Error()), "durationMs", elapsed.Milliseconds())
			return circuit.HealthcheckVerdict{Healthy: false, At: at, Detail: "no answer within the runner's time"}, nil
		default:
			// The request never reached Lambda, or its answer never came
			// back (the runner's network): the breaker's problem.
			log.Error("healthcheck not invoked: no verdict", "error", circuit.Echo(err.Error()), "durationMs", elapsed.Milliseconds())
			return circuit.HealthcheckVerdict{}, &NoVerdictError{Err: err}
		}
	}
	if out.FunctionError != nil {
		detail := "function error " + circuit.Echo(aws.ToString(out.FunctionError))
		if name := errorType(out.Payload); name != "" {
			detail = name
		}
		log.Info("healthcheck failed: unhealthy", "functionError", circuit.Echo(aws.ToString(out.FunctionError)), "detail", detail, "durationMs", elapsed.Milliseconds())
		return circuit.HealthcheckVerdict{Healthy: false, At: at, Detail: detail}, nil
	}
	log.Info("healthcheck succeeded: healthy", "durationMs", elapsed.Milliseconds())
	return circuit.HealthcheckVerdict{Healthy: true, At: at}, nil
}

// writeReserve is the runner's time kept for the write after the invoke: a
// consistent read and a conditional write with retries on conflict.
const writeReserve = 5 * time.Second

func isNotAVerdict(code string) bool {
	for _, c := range NotAVerdictCodes {
		if c == code {
			return true
		}
	}
	return false
}

// errorType reads errorType from a Lambda function error's payload
// ({"errorMessage": ..., "errorType": ...}): the name without the message,
// which may carry data.
func errorType(payload []byte) string {
	var e struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(payload, &e) != nil {
		return ""
	}
	return circuit.Echo(e.ErrorType)
}
