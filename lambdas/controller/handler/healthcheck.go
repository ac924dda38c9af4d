package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
)

// Invoker is the part of the Lambda API the healthcheck action uses.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// WithInvoker gives the handler the Lambda client it runs the healthcheck
// with; without one the healthcheck action is refused as not configured.
func (h *Handler) WithInvoker(inv Invoker) *Handler {
	h.invoker = inv
	return h
}

// NotAVerdictCodes are the Invoke API's error codes that say the controller
// could not invoke the healthcheck at all, so they say nothing about the
// downstream: the same refusals the request path does not count against the
// downstream (component/statemachine InvocationErrors, whose
// Lambda.AWSLambdaException is AccessDeniedException here, the Go SDK naming
// every code; https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors).
// Every other failure to get an answer (throttling, Lambda's service errors,
// the function's environment failing, a timeout) is an unhealthy verdict, as
// it would fail the downstream's callers too.
var NotAVerdictCodes = []string{
	"AccessDeniedException",
	"ResourceNotFoundException",
	"InvalidParameterValueException",
	"InvalidRequestContentException",
	"UnsupportedMediaTypeException",
	"RequestTooLargeException",
}

// NoVerdictError is an invoke that could not be made: logged, nothing changed.
// It is returned as the function's error so that the controller's own Errors
// metric shows the misconfiguration.
type NoVerdictError struct{ Err error }

func (e *NoVerdictError) Error() string {
	return "the healthcheck could not be invoked (no verdict, the circuit is unchanged): " + e.Err.Error()
}
func (e *NoVerdictError) Unwrap() error { return e.Err }

// runHealthcheck invokes the healthcheck synchronously and turns its answer
// into a verdict for the run scheduled at `at`.
func (h *Handler) runHealthcheck(ctx context.Context, log *slog.Logger, req Request, at time.Time) (circuit.HealthcheckVerdict, error) {
	input := []byte(req.Input)
	if len(input) == 0 {
		input = []byte("{}")
	}
	in := &lambda.InvokeInput{
		FunctionName: aws.String(h.cfg.Healthcheck.FunctionArn),
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
		if errors.As(err, &api) && isNotAVerdict(api.ErrorCode()) {
			log.Error("healthcheck not invoked: no verdict", "code", api.ErrorCode(), "error", err.Error())
			return circuit.HealthcheckVerdict{}, &NoVerdictError{Err: err}
		}
		log.Warn("healthcheck invocation failed: unhealthy", "error", err.Error(), "durationMs", elapsed.Milliseconds())
		return circuit.HealthcheckVerdict{Healthy: false, At: at, Detail: shorten(err.Error())}, nil
	}
	if out.FunctionError != nil {
		detail := "function error " + aws.ToString(out.FunctionError)
		if name := errorType(out.Payload); name != "" {
			detail = name
		}
		log.Info("healthcheck failed: unhealthy", "functionError", aws.ToString(out.FunctionError), "detail", detail, "durationMs", elapsed.Milliseconds())
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
	return shorten(e.ErrorType)
}

func shorten(s string) string {
	if len(s) > 2*maxQuoted {
		return s[:2*maxQuoted] + "..."
	}
	return s
}

// healthcheckTime is the run's identity: the schedule's time for it, else the
// request's at, else the Lambda's clock.
func healthcheckTime(req Request, now time.Time) (time.Time, *InvalidRequestError) {
	if req.ScheduledTime == "" {
		return now, nil
	}
	t, err := circuit.ParseTime(req.ScheduledTime)
	if err != nil {
		return time.Time{}, &InvalidRequestError{Field: "scheduledTime", Problem: fmt.Sprintf("%s is not an RFC 3339 time like 2026-11-27T00:10:00Z (the schedule's <aws.scheduler.scheduled-time>)", quote(req.ScheduledTime))}
	}
	return t.UTC(), nil
}
