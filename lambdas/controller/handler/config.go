package handler

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
)

// Environment variables the controller reads; the component sets them all.
const (
	EnvTableName           = "TABLE_NAME"                // the circuit table
	EnvServiceName         = "SERVICE_NAME"              // the circuit's item key
	EnvOpenDurationSeconds = "OPEN_DURATION_SECONDS"     // first opening, integer seconds > 0
	EnvMaxOpenDuration     = "MAX_OPEN_DURATION_SECONDS" // back-off cap, integer seconds >= open duration (0: no back-off)
	EnvBackoffMultiplier   = "OPEN_BACKOFF_MULTIPLIER"   // >= 0; <= 1 means no back-off
	// EnvHalfOpenMaxCalls must equal the state machine's HalfOpenMaxCalls: the
	// controller admits probes up to it, the definition's conditional write too.
	EnvHalfOpenMaxCalls = "HALF_OPEN_MAX_CALLS" // integer >= 1
	// EnvProbeTimeoutSeconds is a half-open period's length: at least the longest
	// a probe's execution can take (the downstream's timeout times its attempts,
	// plus the retries' waits), or live probes would be presumed lost.
	EnvProbeTimeoutSeconds = "PROBE_TIMEOUT_SECONDS" // integer seconds > 0
)

// Config is the controller's configuration for one circuit.
type Config struct {
	TableName   string
	ServiceName string
	Policy      circuit.Policy
	Probes      circuit.ProbePolicy
}

// ConfigurationError is a bad or missing environment variable. Its type name is
// the errorType Lambda reports for every invocation of a misconfigured function.
type ConfigurationError struct{ Problems []string }

func (e *ConfigurationError) Error() string {
	return "invalid controller configuration: " + strings.Join(e.Problems, "; ")
}

// ConfigFromEnv reads and validates the configuration, reporting every problem at
// once (so one redeploy fixes them all). No variable is secret; values are quoted
// only for the numeric ones, which is enough to find the mistake.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	required := func(name string) string {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			bad("%s is not set", name)
		}
		return v
	}
	integer := func(name string, min, max int64) int64 {
		v := required(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min || n > max {
			bad("%s=%q is not a whole number between %d and %d", name, v, min, max)
			return 0
		}
		return n
	}
	maxSeconds := int64(math.MaxInt64 / int64(time.Second))
	seconds := func(name string, min int64) time.Duration {
		return time.Duration(integer(name, min, maxSeconds)) * time.Second
	}

	c := Config{
		TableName:   required(EnvTableName),
		ServiceName: required(EnvServiceName),
	}
	c.Policy.OpenDuration = seconds(EnvOpenDurationSeconds, 1)
	c.Policy.MaxOpenDuration = seconds(EnvMaxOpenDuration, 0)
	if v := required(EnvBackoffMultiplier); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			bad("%s=%q is not a number >= 0", EnvBackoffMultiplier, v)
		}
		c.Policy.BackoffMultiplier = f
	}
	c.Probes.MaxCalls = int(integer(EnvHalfOpenMaxCalls, 1, math.MaxInt32))
	c.Probes.Timeout = seconds(EnvProbeTimeoutSeconds, 1)
	if len(problems) == 0 {
		if err := c.Policy.Validate(); err != nil {
			bad("%s/%s/%s: %v", EnvOpenDurationSeconds, EnvMaxOpenDuration, EnvBackoffMultiplier, err)
		}
	}
	if len(problems) > 0 {
		return Config{}, &ConfigurationError{Problems: problems}
	}
	return c, nil
}
