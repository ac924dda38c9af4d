package handler

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
)

// Environment variables the handler reads; the component sets them all.
const (
	EnvTableName            = "TABLE_NAME"                // the circuit table
	EnvServiceName          = "SERVICE_NAME"              // the circuit's item key
	EnvDownstreamAlarmName  = "DOWNSTREAM_ALARM_NAME"     // alarm on the downstream's errors
	EnvHealthcheckAlarmName = "HEALTHCHECK_ALARM_NAME"    // alarm on the healthcheck's errors
	EnvOpenDurationSeconds  = "OPEN_DURATION_SECONDS"     // first opening, integer seconds > 0
	EnvMaxOpenDuration      = "MAX_OPEN_DURATION_SECONDS" // back-off cap, integer seconds >= open duration (0: no back-off)
	EnvBackoffMultiplier    = "OPEN_BACKOFF_MULTIPLIER"   // >= 0; <= 1 means no back-off
)

// Config is the handler's configuration for one circuit.
type Config struct {
	TableName            string
	ServiceName          string
	DownstreamAlarmName  string
	HealthcheckAlarmName string
	Policy               circuit.Policy
}

// ConfigurationError is a bad or missing environment variable. Its type name is
// the errorType Lambda reports for every invocation of a misconfigured function.
type ConfigurationError struct{ Problems []string }

func (e *ConfigurationError) Error() string {
	return "invalid alarm handler configuration: " + strings.Join(e.Problems, "; ")
}

// ConfigFromEnv reads and validates the configuration, reporting every problem
// at once (so one redeploy fixes them all). Values are quoted in errors only for
// the numeric settings: none of these variables is secret, but names are enough
// to find the mistake.
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
	seconds := func(name string, min int64) time.Duration {
		v := required(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min || n > math.MaxInt64/int64(time.Second) {
			bad("%s=%q is not a whole number of seconds >= %d", name, v, min)
			return 0
		}
		return time.Duration(n) * time.Second
	}

	c := Config{
		TableName:            required(EnvTableName),
		ServiceName:          required(EnvServiceName),
		DownstreamAlarmName:  required(EnvDownstreamAlarmName),
		HealthcheckAlarmName: required(EnvHealthcheckAlarmName),
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
	if c.DownstreamAlarmName != "" && c.DownstreamAlarmName == c.HealthcheckAlarmName {
		// The alarm name is what tells the sources apart.
		bad("%s and %s name the same alarm", EnvDownstreamAlarmName, EnvHealthcheckAlarmName)
	}
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
