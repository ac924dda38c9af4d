package handler

import (
	"math"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/lambdaenv"
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

// ConfigurationError is a bad or missing environment variable.
type ConfigurationError = lambdaenv.ConfigurationError

// ConfigFromEnv reads and validates the configuration, reporting every problem
// at once.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := lambdaenv.New(getenv)
	c := Config{
		TableName:   r.Required(EnvTableName),
		ServiceName: r.Required(EnvServiceName),
		Policy:      r.OpenPolicy(),
	}
	c.Probes.MaxCalls = int(r.Integer(EnvHalfOpenMaxCalls, 1, math.MaxInt32))
	c.Probes.Timeout = r.Seconds(EnvProbeTimeoutSeconds, 1)
	if err := r.Err("controller"); err != nil {
		return Config{}, err
	}
	return c, nil
}
