package statemachine

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// Config is everything the request path's definition depends on. The component
// fills it from its inputs and from outputs (table name, function ARN) inside an
// apply, so Definition must stay cheap and free of side effects.
type Config struct {
	// ServiceName keys the circuit's item in the table and names the circuit in
	// CircuitOpen causes. Breakers sharing a table must use distinct names.
	ServiceName string
	// TableName is the circuit table's name (not its ARN).
	TableName string
	// DownstreamArn is the protected function's ARN, already qualified with the
	// version or alias when the user gave one, so that the state machine invokes
	// exactly what the user chose.
	DownstreamArn string
	// DownstreamTimeoutSeconds bounds each invocation attempt (the Task's
	// TimeoutSeconds); a timed-out attempt fails with States.Timeout.
	DownstreamTimeoutSeconds int
	// Retry is the policy for invoking the downstream. Nil means DefaultRetry().
	Retry *RetryPolicy

	// FailureThreshold is how many consecutive counted failures of the
	// downstream (each after its Retry; timeouts included) trip the circuit.
	// In circuit.FailureThresholdRange; circuit.DefaultFailureThreshold is the
	// peers' usual.
	FailureThreshold int
	// HalfOpenMaxCalls is how many probes one half-open period admits
	// (circuit.HalfOpenMaxCallsRange). The controller Lambda's
	// HALF_OPEN_MAX_CALLS must be the same.
	HalfOpenMaxCalls int
	// SuccessThreshold is how many probe successes close the circuit, between 1
	// and HalfOpenMaxCalls (more could never be reached within one period).
	SuccessThreshold int
	// IgnoreErrors are error names of the downstream that count neither as a
	// failure nor as a success (e.g. a business "ValidationError"): the
	// execution still fails with them, but the circuit does not move. An
	// ignored error of a probe frees its slot for another probe.
	IgnoreErrors []string
	// FallbackArn, when set, is the Lambda invoked with the caller's payload
	// instead of failing fast with CircuitOpen; its result is the execution's
	// output and its error the execution's error. Qualified like DownstreamArn.
	FallbackArn string
	// FallbackTimeoutSeconds bounds each attempt of the fallback (its Task's
	// TimeoutSeconds); required with FallbackArn.
	FallbackTimeoutSeconds int
	// ControllerArn is the controller Lambda (functions/controller), invoked for
	// the rare transitions that need time arithmetic: trip, probe election,
	// reopen.
	ControllerArn string
	// FailClosed: when the circuit cannot be read (after the read's short
	// retry), the execution fails with ErrorCircuitUnavailable and invokes
	// nothing, the fallback included. False (the default) fails open: the call
	// goes through as if the circuit were closed.
	FailClosed bool

	// Shadow runs the breaker in shadow mode (the component's enforce:
	// false; circuit.ModeShadow, docs/shadow-mode.md): every rejection is
	// counted as a would-reject and invoked, its outcome uncounted; the
	// fallback is not used. False (the default) enforces.
	Shadow bool

	// CircuitKey, when set, is a JSONPath into the execution input (e.g.
	// "$.provider") whose value keys one circuit per key beside the breaker's
	// own (docs/per-key.md, circuit.GoverningRules). Empty: one circuit, and the
	// definition is exactly the plain one.
	CircuitKey string

	// ResultFailureWhen are conditions on the downstream's successful result
	// that make it count as a failure, for the in-line trip and for probes
	// (resultcheck.go, circuit.ResultCondition). Empty: every result is a
	// success, and the definition is exactly the one without them.
	ResultFailureWhen []circuit.ResultCondition
	// FailOnResultFailure: a result that meets a condition fails the
	// execution with ErrorDownstreamResultFailure instead of being returned.
	FailOnResultFailure bool
}

// RetryPolicy is the downstream Task's Retry, in ASL's terms.
type RetryPolicy struct {
	// MaxAttempts is the number of retries after the first attempt; 0 disables
	// retrying (the other fields are then ignored).
	MaxAttempts int
	// IntervalSeconds is the wait before the first retry.
	IntervalSeconds int
	// BackoffRate multiplies the wait before each further retry (at least 1).
	BackoffRate float64
	// MaxDelaySeconds caps the wait between retries; 0 means no cap.
	MaxDelaySeconds int
	// Errors are the error names retried. Empty means TransientLambdaErrors().
	Errors []string
}

// TransientLambdaErrors are the Lambda service's own transient failures: the
// invocation did not run, or the service could not tell us how it ended, so
// retrying is what AWS recommends for every lambda:invoke Task ("Handle
// transient Lambda service exceptions" in the Step Functions docs). That list
// includes Lambda.AWSLambdaException, under which a denied invoke arrives (see
// InvocationErrors), and it stays retried: IAM takes seconds to propagate, so
// a denial right after a deploy (a new grant, or a qualifier change) heals
// within the default retries' 7 s, whereas a lasting one costs each call those
// seconds before it fails, uncounted. Errors raised by
// the function itself are deliberately absent: retrying them would multiply the
// load on a failing downstream, which is what a breaker exists to prevent, and
// would re-run calls that may not be idempotent.
func TransientLambdaErrors() []string {
	return []string{
		"Lambda.ServiceException",
		"Lambda.AWSLambdaException",
		"Lambda.SdkClientException",
		"Lambda.TooManyRequestsException",
	}
}

// InvocationErrors are the Lambda service's refusals of the invocation request
// itself: the breaker could not invoke the function, which says nothing about
// whether the function works. They never count as the downstream failing: on a
// closed circuit nothing is counted, a probe that could not be invoked frees
// its slot instead of reopening the circuit. The execution still fails with
// the error, so that the caller (and the state machine's metrics) see the
// breaker's own misconfiguration.
//
// Step Functions names a Lambda error "Lambda." + the Java SDK v1 exception
// class of its code; a code without a class of its own arrives as the base
// class, Lambda.AWSLambdaException, which every class of the SDK's Lambda
// model extends (e.g.
// https://docs.aws.amazon.com/AWSJavaSDK/latest/javadoc/com/amazonaws/services/lambda/model/ResourceNotFoundException.html).
// The list is the Invoke API's documented errors
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors)
// that describe the request rather than the function:
//
//   - AWSLambdaException: codes without a class, among them AccessDeniedException,
//     a denied lambda:InvokeFunction (the state machine's role lacks the grant,
//     a grant still propagating, or one replaced by a qualifier change while
//     executions ran; a denial is reported so, awslabs/aws-deployment-framework
//     issue #460);
//   - ResourceNotFoundException: the function, version or alias does not exist;
//   - InvalidParameterValueException: a parameter of the request is invalid;
//   - InvalidRequestContentException, UnsupportedMediaTypeException: the request
//     body or a header is not what Invoke accepts;
//   - RequestTooLargeException: the caller's payload is over Lambda's request
//     quota, the caller's problem, never the function's (unreachable while
//     Step Functions' 256 KiB state limit is below Lambda's 6 MB).
//
// Deliberately absent, so still counted: Lambda.ServiceException (Lambda could
// not run the function), Lambda.TooManyRequestsException (the function's
// concurrency is exhausted: overload, what a breaker is for),
// Lambda.SdkClientException (the call may have run), and the errors of the
// function's own environment (EC2*, ENI*, EFS*, KMS*, InvalidRuntime,
// InvalidZipFile, InvalidSubnetID, InvalidSecurityGroupID,
// SubnetIPAddressLimitReached, ResourceNotReady, ResourceConflict, SnapStart*):
// those fail the function for every caller, which is the downstream being
// down.
func InvocationErrors() []string {
	return []string{
		"Lambda.AWSLambdaException",
		"Lambda.ResourceNotFoundException",
		"Lambda.InvalidParameterValueException",
		"Lambda.InvalidRequestContentException",
		"Lambda.UnsupportedMediaTypeException",
		"Lambda.RequestTooLargeException",
	}
}

// DefaultRetry is the policy the Step Functions console proposes for
// lambda:invoke (3 retries, 1 s, doubling), restricted to TransientLambdaErrors.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, IntervalSeconds: 1, BackoffRate: 2, Errors: TransientLambdaErrors()}
}

// Limits from the services: DynamoDB's partition key size, table name rules,
// Lambda's maximum function timeout (a longer Task timeout could never fire
// first), and the ASL ranges of Retry fields.
const (
	maxServiceNameBytes = 2048
	maxTimeoutSeconds   = 900
	maxASLInteger       = 99999999
	maxDelaySeconds     = 31622400
)

var (
	tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)
	// arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>]
	functionArnRE = regexp.MustCompile(`^arn:(aws(?:-[a-z]+)*):lambda:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:function:[a-zA-Z0-9_-]{1,64}(?::(?:\$LATEST|[a-zA-Z0-9_-]{1,128}))?$`)
)

// Validate reports every invalid field at once, each error naming its field, so
// that a user fixes their program in one round trip.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("statemachine: Config.%s: %s", field, fmt.Sprintf(format, args...)))
	}

	switch {
	case strings.TrimSpace(c.ServiceName) == "":
		bad("ServiceName", "must not be empty")
	case !utf8.ValidString(c.ServiceName):
		bad("ServiceName", "must be valid UTF-8")
	case len(c.ServiceName) > maxServiceNameBytes:
		bad("ServiceName", "is %d bytes, more than DynamoDB's %d-byte partition key limit", len(c.ServiceName), maxServiceNameBytes)
	}

	if !tableNameRE.MatchString(c.TableName) {
		bad("TableName", "%q is not a DynamoDB table name (3-255 characters of a-z, A-Z, 0-9, '_', '-', '.')", c.TableName)
	}

	if !functionArnRE.MatchString(c.DownstreamArn) {
		bad("DownstreamArn", "%q is not a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>])", c.DownstreamArn)
	}

	if c.DownstreamTimeoutSeconds < 1 || c.DownstreamTimeoutSeconds > maxTimeoutSeconds {
		bad("DownstreamTimeoutSeconds", "is %d, must be between 1 and %d (Lambda's maximum function timeout)", c.DownstreamTimeoutSeconds, maxTimeoutSeconds)
	}

	if c.Retry != nil {
		errs = append(errs, c.Retry.validate()...)
	}

	if r := circuit.FailureThresholdRange; !r.Contains(c.FailureThreshold) {
		bad("FailureThreshold", "is %d, must be %s", c.FailureThreshold, r)
	}
	if r := circuit.HalfOpenMaxCallsRange; !r.Contains(c.HalfOpenMaxCalls) {
		bad("HalfOpenMaxCalls", "is %d, must be %s", c.HalfOpenMaxCalls, r)
	}
	if c.SuccessThreshold < 1 || (c.HalfOpenMaxCalls >= 1 && !circuit.SuccessThresholdRange(c.HalfOpenMaxCalls).Contains(c.SuccessThreshold)) {
		bad("SuccessThreshold", "is %d, must be between 1 and HalfOpenMaxCalls (%d): a half-open period admits no more probes than that", c.SuccessThreshold, c.HalfOpenMaxCalls)
	}
	c.validateResultFailureWhen(bad)
	seen := map[string]bool{}
	for i, e := range c.IgnoreErrors {
		field := fmt.Sprintf("IgnoreErrors[%d]", i)
		switch {
		case strings.TrimSpace(e) == "":
			bad(field, "must not be empty")
		case e == "States.ALL" || e == "States.TaskFailed":
			// Wildcards: ignoring every error would leave only timeouts (or
			// nothing) to trip the circuit.
			bad(field, "%s is a wildcard; ignoring every error would stop the circuit from ever tripping", e)
		case seen[e]:
			bad(field, "%q is listed twice", e)
		}
		seen[e] = true
	}

	downstreamOK := functionArnRE.MatchString(c.DownstreamArn)
	otherFunction := func(field, arn string) {
		m := functionArnRE.FindStringSubmatch(arn)
		switch {
		case m == nil:
			bad(field, "%q is not a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>])", arn)
		case arn == c.DownstreamArn:
			bad(field, "is the downstream itself")
		case downstreamOK && m[1] != c.partition():
			// One state machine runs in one partition.
			bad(field, "is in partition %s, the downstream in %s", m[1], c.partition())
		}
	}
	if c.FallbackArn != "" {
		otherFunction("FallbackArn", c.FallbackArn)
		if c.FallbackTimeoutSeconds < 1 || c.FallbackTimeoutSeconds > maxTimeoutSeconds {
			bad("FallbackTimeoutSeconds", "is %d, must be between 1 and %d (Lambda's maximum function timeout)", c.FallbackTimeoutSeconds, maxTimeoutSeconds)
		}
	}
	otherFunction("ControllerArn", c.ControllerArn)
	c.validateCircuitKey(bad)
	return errors.Join(errs...)
}

func (r RetryPolicy) validate() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("statemachine: Config.Retry.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if r.MaxAttempts < 0 || r.MaxAttempts > maxASLInteger {
		bad("MaxAttempts", "is %d, must be between 0 (no retry) and %d", r.MaxAttempts, maxASLInteger)
	}
	if r.MaxAttempts <= 0 {
		return errs
	}
	if r.IntervalSeconds < 1 || r.IntervalSeconds > maxASLInteger {
		bad("IntervalSeconds", "is %d, must be between 1 and %d", r.IntervalSeconds, maxASLInteger)
	}
	if math.IsNaN(r.BackoffRate) || math.IsInf(r.BackoffRate, 0) || r.BackoffRate < 1 {
		bad("BackoffRate", "is %v, must be a number of at least 1", r.BackoffRate)
	}
	if r.MaxDelaySeconds < 0 || r.MaxDelaySeconds > maxDelaySeconds {
		bad("MaxDelaySeconds", "is %d, must be 0 (no cap) or between 1 and %d", r.MaxDelaySeconds, maxDelaySeconds)
	}
	for i, e := range r.Errors {
		switch {
		case strings.TrimSpace(e) == "":
			bad(fmt.Sprintf("Errors[%d]", i), "must not be empty")
		case e == "States.ALL" && len(r.Errors) > 1:
			// An ASL rule: the wildcard must stand alone in its ErrorEquals.
			bad(fmt.Sprintf("Errors[%d]", i), "States.ALL must be the only error name when used")
		}
	}
	return errs
}

// retryPolicy is the effective policy: the user's, or the default.
func (c Config) retryPolicy() RetryPolicy {
	if c.Retry == nil {
		return DefaultRetry()
	}
	r := *c.Retry
	if len(r.Errors) == 0 {
		r.Errors = TransientLambdaErrors()
	}
	return r
}

// partition is the AWS partition of the downstream, so that the service
// integration ARNs are right outside the commercial partition (aws-cn,
// aws-us-gov) too. Only valid after Validate.
func (c Config) partition() string {
	return functionArnRE.FindStringSubmatch(c.DownstreamArn)[1]
}
