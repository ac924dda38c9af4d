// Package config is the controller's environment contract: the component
// renders the function's environment with Config.Env, the function reads it
// back at cold start with FromEnv. It imports no AWS SDK, so the provider can
// link it. (The healthcheck runner's is functions/healthrunner/config.)
package config

import (
	"strconv"

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
)

// Config is the controller's configuration for one circuit.
type Config struct {
	TableName   string
	ServiceName string
	Policy      circuit.Policy
	Probes      circuit.ProbePolicy
}

// ConfigurationError is a bad or missing environment variable.
type ConfigurationError = lambdaenv.ConfigurationError

// Env renders c as the function's environment, as FromEnv reads it.
func (c Config) Env() map[string]string {
	env := map[string]string{
		EnvTableName:           c.TableName,
		EnvServiceName:         c.ServiceName,
		EnvHalfOpenMaxCalls:    strconv.Itoa(c.Probes.MaxCalls),
		EnvProbeTimeoutSeconds: lambdaenv.FormatSeconds(c.Probes.Timeout),
	}
	lambdaenv.PutOpenPolicy(env, c.Policy)
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
	if err := r.Err("controller"); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Handler is the controller's role name: the function's Handler setting, by
// which the bootstrap it shares with the healthcheck runner picks its role
// (functions/controller/main.go).
const Handler = "controller"
