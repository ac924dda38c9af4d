// Package lambdaenv reads our Lambdas' configuration from the environment the
// component sets: every problem at once (so one redeploy fixes them all), with
// the variable's name, and never a value that is not a number. Each function's
// contract (functions/controller/config, functions/healthrunner/config,
// functions/alarmhandler/config, functions/reconciler/config,
// functions/eventpublisher/config) uses it to read and render its variables.
package lambdaenv

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// Variables every Lambda of ours reads.
const (
	TableName           = "TABLE_NAME"                // the circuit table
	ServiceName         = "SERVICE_NAME"              // the circuit's item key
	OpenDurationSeconds = "OPEN_DURATION_SECONDS"     // first opening, integer seconds > 0
	MaxOpenDuration     = "MAX_OPEN_DURATION_SECONDS" // back-off cap, integer seconds >= open duration (0: no back-off)
	BackoffMultiplier   = "OPEN_BACKOFF_MULTIPLIER"   // >= 0; <= 1 means no back-off
	// HealthcheckAlarmWindow is circuit.HealthcheckPolicy.AlarmWindow, integer
	// seconds >= 0: the alarm handler and the healthcheck runner must agree on it, as
	// it orders the healthcheck alarm's notices against the verdicts.
	HealthcheckAlarmWindow = "HEALTHCHECK_ALARM_WINDOW_SECONDS"
)

// ConfigurationError is a bad or missing environment variable. Its type name is
// the errorType Lambda reports for every invocation of a misconfigured function.
type ConfigurationError struct {
	Lambda   string // which of our Lambdas, for the message
	Problems []string
}

func (e *ConfigurationError) Error() string {
	return "invalid " + e.Lambda + " configuration: " + strings.Join(e.Problems, "; ")
}

// Reader collects problems while reading variables.
type Reader struct {
	getenv   func(string) string
	problems []string
}

// New reads through getenv (os.Getenv, or a map's lookup in tests).
func New(getenv func(string) string) *Reader { return &Reader{getenv: getenv} }

// Bad records a problem found by the caller's own checks.
func (r *Reader) Bad(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// Required is a non-empty variable.
func (r *Reader) Required(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		r.Bad("%s is not set", name)
	}
	return v
}

// Integer is a whole number within [min, max].
func (r *Reader) Integer(name string, min, max int64) int64 {
	v := r.Required(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || n > max {
		r.Bad("%s=%q is not a whole number between %d and %d", name, v, min, max)
		return 0
	}
	return n
}

// Seconds is a whole number of seconds, at least min.
func (r *Reader) Seconds(name string, min int64) time.Duration {
	return time.Duration(r.Integer(name, min, math.MaxInt64/int64(time.Second))) * time.Second
}

// OptionalSeconds is Seconds for a variable that may be unset (0).
func (r *Reader) OptionalSeconds(name string) time.Duration {
	if strings.TrimSpace(r.getenv(name)) == "" {
		return 0
	}
	return r.Seconds(name, 0)
}

// OpenPolicy is how long a circuit opened by this Lambda stays open.
func (r *Reader) OpenPolicy() circuit.Policy {
	var p circuit.Policy
	p.OpenDuration = r.Seconds(OpenDurationSeconds, 1)
	p.MaxOpenDuration = r.Seconds(MaxOpenDuration, 0)
	if v := r.Required(BackoffMultiplier); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			r.Bad("%s=%q is not a number >= 0", BackoffMultiplier, v)
		}
		p.BackoffMultiplier = f
	}
	if len(r.problems) == 0 {
		if err := p.Validate(); err != nil {
			r.Bad("%s/%s/%s: %v", OpenDurationSeconds, MaxOpenDuration, BackoffMultiplier, err)
		}
	}
	return p
}

// Err is every problem found, or nil.
func (r *Reader) Err(lambda string) error {
	if len(r.problems) == 0 {
		return nil
	}
	return &ConfigurationError{Lambda: lambda, Problems: r.problems}
}

// DeadLetterQueueURL is the alarm handler's dead-letter queue, which its
// reconciliation drains.
const DeadLetterQueueURL = "DEAD_LETTER_QUEUE_URL"

// AlarmTopicArn is the breaker's alarm topic, in the alarm handler's
// environment: only notifications of this topic, from the breaker's alarms
// in the topic's account and Region, are applied.
const AlarmTopicArn = "ALARM_TOPIC_ARN"

// ProbeTimeoutSeconds is a half-open period's length (integer seconds > 0):
// the controller admits probes for it, and the alarm handler bounds a stored
// half-open deadline by it (circuit.Limits).
const ProbeTimeoutSeconds = "PROBE_TIMEOUT_SECONDS"

// FunctionName is the function's own name, which Lambda sets in every
// function's environment (Lambda Developer Guide, "Defined runtime
// environment variables": AWS_LAMBDA_FUNCTION_NAME).
const FunctionName = "AWS_LAMBDA_FUNCTION_NAME"

// Render helpers: the component and the Lambdas format a value one way, so a
// value read back at cold start is the one the component wrote.

// FormatSeconds is a duration as whole seconds.
func FormatSeconds(d time.Duration) string {
	return strconv.FormatInt(int64(d/time.Second), 10)
}

// FormatFloat is the shortest decimal that reads back as f.
func FormatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// PutOpenPolicy writes p as OpenPolicy reads it.
func PutOpenPolicy(env map[string]string, p circuit.Policy) {
	env[OpenDurationSeconds] = FormatSeconds(p.OpenDuration)
	env[MaxOpenDuration] = FormatSeconds(p.MaxOpenDuration)
	env[BackoffMultiplier] = FormatFloat(p.BackoffMultiplier)
}
