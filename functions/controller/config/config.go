// Package config is the controller's environment contract (and the healthcheck
// runner's, which runs the controller's code): the component renders the
// function's environment with Config.Env, the function reads it back at cold
// start with FromEnv. It imports no AWS SDK, so the provider can link it.
package config

import (
	"strconv"
	"strings"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

// Environment variables the controller reads; the component sets them all.
const (
	EnvTableName           = lambdaenv.TableName
	EnvServiceName         = lambdaenv.ServiceName
	EnvOpenDurationSeconds = lambdaenv.OpenDurationSeconds
	EnvMaxOpenDuration     = lambdaenv.MaxOpenDuration
	EnvBackoffMultiplier   = lambdaenv.BackoffMultiplier
	// EnvHalfOpenMaxCalls must equal the state machine's HalfOpenMaxCalls: the
	// controller admits probes up to it, the definition's conditional write too.
	EnvHalfOpenMaxCalls = "HALF_OPEN_MAX_CALLS" // integer in circuit.HalfOpenMaxCallsRange
	// EnvProbeTimeoutSeconds is a half-open period's length: at least the longest
	// a probe's execution can take (the downstream's timeout times its attempts,
	// plus the retries' waits), or live probes would be presumed lost.
	EnvProbeTimeoutSeconds = lambdaenv.ProbeTimeoutSeconds // integer seconds > 0
	// EnvHealthcheckFunctionArn is set on the healthcheck runner only: the
	// healthcheck's ARN, qualified by its alias or version when it has one
	// (the one the role may invoke). Unset: the healthcheck action is refused.
	EnvHealthcheckFunctionArn = "HEALTHCHECK_FUNCTION_ARN"
	// EnvHealthcheckUnhealthyThreshold: consecutive unhealthy verdicts that
	// open the circuit (integer >= 1); required with the ARN.
	EnvHealthcheckUnhealthyThreshold = "HEALTHCHECK_UNHEALTHY_THRESHOLD"
	// EnvHealthcheckAlarmWindow (optional, 0 when unset) orders the verdicts
	// against the healthcheck alarm's notices; the alarm handler has the same.
	EnvHealthcheckAlarmWindow = lambdaenv.HealthcheckAlarmWindow
)

// HealthcheckConfig is the healthcheck runner's part of the configuration.
type HealthcheckConfig struct {
	FunctionArn string
	Policy      circuit.HealthcheckPolicy
}

// Config is the controller's configuration for one circuit.
type Config struct {
	TableName   string
	ServiceName string
	Policy      circuit.Policy
	Probes      circuit.ProbePolicy
	Healthcheck HealthcheckConfig
}

// ConfigurationError is a bad or missing environment variable.
type ConfigurationError = lambdaenv.ConfigurationError

// Env renders c as the function's environment, as FromEnv reads it; the
// healthcheck's variables only when it has a FunctionArn (the runner).
func (c Config) Env() map[string]string {
	env := map[string]string{
		EnvTableName:           c.TableName,
		EnvServiceName:         c.ServiceName,
		EnvHalfOpenMaxCalls:    strconv.Itoa(c.Probes.MaxCalls),
		EnvProbeTimeoutSeconds: lambdaenv.FormatSeconds(c.Probes.Timeout),
	}
	lambdaenv.PutOpenPolicy(env, c.Policy)
	if c.Healthcheck.FunctionArn != "" {
		env[EnvHealthcheckFunctionArn] = c.Healthcheck.FunctionArn
		env[EnvHealthcheckUnhealthyThreshold] = strconv.Itoa(c.Healthcheck.Policy.UnhealthyThreshold)
		env[EnvHealthcheckAlarmWindow] = lambdaenv.FormatSeconds(c.Healthcheck.Policy.AlarmWindow)
	}
	return env
}

// FromEnv reads and validates the configuration, reporting every problem at
// once.
func FromEnv(getenv func(string) string) (Config, error) {
	r := lambdaenv.New(getenv)
	c := Config{
		TableName:   r.Required(EnvTableName),
		ServiceName: r.Required(EnvServiceName),
		Policy:      r.OpenPolicy(),
	}
	c.Probes.MaxCalls = int(r.Integer(EnvHalfOpenMaxCalls, int64(circuit.HalfOpenMaxCallsRange.Min), int64(circuit.HalfOpenMaxCallsRange.Max)))
	c.Probes.Timeout = r.Seconds(EnvProbeTimeoutSeconds, 1)
	if arn := strings.TrimSpace(getenv(EnvHealthcheckFunctionArn)); arn != "" {
		if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":function:") {
			r.Bad("%s=%q is not a Lambda function ARN", EnvHealthcheckFunctionArn, arn)
		}
		c.Healthcheck.FunctionArn = arn
		c.Healthcheck.Policy.UnhealthyThreshold = int(r.Integer(EnvHealthcheckUnhealthyThreshold,
			int64(circuit.HealthcheckUnhealthyThresholdRange.Min), int64(circuit.HealthcheckUnhealthyThresholdRange.Max)))
		c.Healthcheck.Policy.AlarmWindow = r.OptionalSeconds(EnvHealthcheckAlarmWindow)
	}
	if err := r.Err("controller"); err != nil {
		return Config{}, err
	}
	return c, nil
}
