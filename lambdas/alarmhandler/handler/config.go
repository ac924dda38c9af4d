package handler

import (
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/lambdaenv"
)

// Environment variables the handler reads; the component sets them all.
const (
	EnvTableName            = lambdaenv.TableName
	EnvServiceName          = lambdaenv.ServiceName
	EnvDownstreamAlarmName  = "DOWNSTREAM_ALARM_NAME"  // alarm on the downstream's errors
	EnvHealthcheckAlarmName = "HEALTHCHECK_ALARM_NAME" // alarm on the healthcheck's errors
	EnvOpenDurationSeconds  = lambdaenv.OpenDurationSeconds
	EnvMaxOpenDuration      = lambdaenv.MaxOpenDuration
	EnvBackoffMultiplier    = lambdaenv.BackoffMultiplier
	// EnvHealthcheckAlarmWindow (optional, 0 when unset) dates a healthcheck
	// notice's data, to order it against the controller's verdicts.
	EnvHealthcheckAlarmWindow = lambdaenv.HealthcheckAlarmWindow
)

// Config is the handler's configuration for one circuit.
type Config struct {
	TableName            string
	ServiceName          string
	DownstreamAlarmName  string
	HealthcheckAlarmName string
	Policy               circuit.Policy
	// HealthcheckAlarmWindow becomes every healthcheck notice's Window.
	HealthcheckAlarmWindow time.Duration
}

// ConfigurationError is a bad or missing environment variable.
type ConfigurationError = lambdaenv.ConfigurationError

// ConfigFromEnv reads and validates the configuration, reporting every problem
// at once.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := lambdaenv.New(getenv)
	c := Config{
		TableName:            r.Required(EnvTableName),
		ServiceName:          r.Required(EnvServiceName),
		DownstreamAlarmName:  r.Required(EnvDownstreamAlarmName),
		HealthcheckAlarmName: r.Required(EnvHealthcheckAlarmName),
		Policy:               r.OpenPolicy(),

		HealthcheckAlarmWindow: r.OptionalSeconds(EnvHealthcheckAlarmWindow),
	}
	if c.DownstreamAlarmName != "" && c.DownstreamAlarmName == c.HealthcheckAlarmName {
		// The alarm name is what tells the sources apart.
		r.Bad("%s and %s name the same alarm", EnvDownstreamAlarmName, EnvHealthcheckAlarmName)
	}
	if err := r.Err("alarm handler"); err != nil {
		return Config{}, err
	}
	return c, nil
}
