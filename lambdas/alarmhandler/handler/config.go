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
	// EnvSlowCallAlarmName is the alarm on the downstream's Duration; unset or
	// empty when the breaker has no slow-call alarm.
	EnvSlowCallAlarmName   = "SLOW_CALL_ALARM_NAME"
	EnvOpenDurationSeconds = lambdaenv.OpenDurationSeconds
	EnvMaxOpenDuration     = lambdaenv.MaxOpenDuration
	EnvBackoffMultiplier   = lambdaenv.BackoffMultiplier
	// The dead-letter queue the reconciliation drains; unset: nothing to drain.
	EnvDeadLetterQueueURL = lambdaenv.DeadLetterQueueURL
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
	SlowCallAlarmName    string // "" when there is no slow-call alarm
	Policy               circuit.Policy
	DeadLetterQueueURL   string
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
		SlowCallAlarmName:    getenv(EnvSlowCallAlarmName),
		Policy:               r.OpenPolicy(),
		DeadLetterQueueURL:   getenv(EnvDeadLetterQueueURL),

		HealthcheckAlarmWindow: r.OptionalSeconds(EnvHealthcheckAlarmWindow),
	}
	if c.DownstreamAlarmName != "" && c.DownstreamAlarmName == c.HealthcheckAlarmName {
		// The alarm name is what tells the sources apart.
		r.Bad("%s and %s name the same alarm", EnvDownstreamAlarmName, EnvHealthcheckAlarmName)
	}
	if c.SlowCallAlarmName != "" && (c.SlowCallAlarmName == c.DownstreamAlarmName || c.SlowCallAlarmName == c.HealthcheckAlarmName) {
		r.Bad("%s names the same alarm as %s or %s", EnvSlowCallAlarmName, EnvDownstreamAlarmName, EnvHealthcheckAlarmName)
	}
	if err := r.Err("alarm handler"); err != nil {
		return Config{}, err
	}
	return c, nil
}
