// Package config is the alarm handler's environment contract: the component
// renders the function's environment with Config.Env, the function reads it
// back at cold start with FromEnv. It imports no AWS SDK, so the provider can
// link it. The reconciler applies notices with the same settings: its contract
// (functions/reconciler/config) embeds this one.
package config

import (
	"strings"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
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
	// EnvHealthcheckAlarmWindow (optional, 0 when unset) dates a healthcheck
	// notice's data, to order it against the controller's verdicts.
	EnvHealthcheckAlarmWindow = lambdaenv.HealthcheckAlarmWindow
	// EnvAlarmTopicArn is the breaker's topic: its partition, Region and
	// account are the alarms'. Notifications from anything else are refused.
	EnvAlarmTopicArn = lambdaenv.AlarmTopicArn
	// EnvProbeTimeoutSeconds (optional) bounds a stored half-open deadline
	// for circuit.Repair; unset, that deadline is left alone.
	EnvProbeTimeoutSeconds = lambdaenv.ProbeTimeoutSeconds
)

// Config is the handler's configuration for one circuit.
type Config struct {
	TableName            string
	ServiceName          string
	DownstreamAlarmName  string
	HealthcheckAlarmName string
	SlowCallAlarmName    string // "" when there is no slow-call alarm
	Policy               circuit.Policy
	// HealthcheckAlarmWindow becomes every healthcheck notice's Window.
	HealthcheckAlarmWindow time.Duration
	// TopicArn is the alarm topic (arn:PARTITION:sns:REGION:ACCOUNT:NAME).
	TopicArn string
	// ProbeTimeout is the controller's half-open period, 0 if unknown.
	ProbeTimeout time.Duration
}

// arn reads the partition, Region and account of the topic's ARN.
func (c Config) arn() (partition, region, account string) {
	parts := strings.SplitN(c.TopicArn, ":", 6)
	if len(parts) < 6 {
		return "", "", ""
	}
	return parts[1], parts[3], parts[4]
}

// Account is the account of the topic, and so of the alarms.
func (c Config) Account() string { _, _, a := c.arn(); return a }

// AlarmArn is the ARN of this breaker's alarm of that name: in the topic's
// partition, Region and account, as the component names it (component
// AlarmArn: arn:PARTITION:cloudwatch:REGION:ACCOUNT:alarm:NAME).
func (c Config) AlarmArn(name string) string {
	p, r, a := c.arn()
	return "arn:" + p + ":cloudwatch:" + r + ":" + a + ":alarm:" + name
}

// FunctionArn is the unqualified ARN of the breaker's function called name
// (the component creates its functions beside the topic, so in the topic's
// partition, Region and account).
func (c Config) FunctionArn(name string) string {
	p, r, a := c.arn()
	return "arn:" + p + ":lambda:" + r + ":" + a + ":function:" + name
}

// Limits bound the item's deadlines for circuit.Repair.
func (c Config) Limits() circuit.Limits {
	return circuit.Limits{Open: c.Policy, ProbeTimeout: c.ProbeTimeout}
}

// Env renders c as the function's environment, as FromEnv reads it.
func (c Config) Env() map[string]string {
	env := map[string]string{
		EnvTableName:              c.TableName,
		EnvServiceName:            c.ServiceName,
		EnvDownstreamAlarmName:    c.DownstreamAlarmName,
		EnvHealthcheckAlarmName:   c.HealthcheckAlarmName,
		EnvHealthcheckAlarmWindow: lambdaenv.FormatSeconds(c.HealthcheckAlarmWindow),
		EnvAlarmTopicArn:          c.TopicArn,
		EnvProbeTimeoutSeconds:    lambdaenv.FormatSeconds(c.ProbeTimeout),
	}
	lambdaenv.PutOpenPolicy(env, c.Policy)
	if c.SlowCallAlarmName != "" {
		env[EnvSlowCallAlarmName] = c.SlowCallAlarmName
	}
	return env
}

// ConfigurationError is a bad or missing environment variable.
type ConfigurationError = lambdaenv.ConfigurationError

// FromEnv reads and validates the configuration, reporting every problem at
// once.
func FromEnv(getenv func(string) string) (Config, error) {
	r := lambdaenv.New(getenv)
	c := Read(r, getenv)
	if err := r.Err("alarm handler"); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Read reads the configuration through r, which collects the problems (the
// reconciler reads these settings with its own).
func Read(r *lambdaenv.Reader, getenv func(string) string) Config {
	c := Config{
		TableName:              r.Required(EnvTableName),
		ServiceName:            r.Required(EnvServiceName),
		DownstreamAlarmName:    r.Required(EnvDownstreamAlarmName),
		HealthcheckAlarmName:   r.Required(EnvHealthcheckAlarmName),
		SlowCallAlarmName:      getenv(EnvSlowCallAlarmName),
		Policy:                 r.OpenPolicy(),
		HealthcheckAlarmWindow: r.OptionalSeconds(EnvHealthcheckAlarmWindow),
		TopicArn:               r.Required(EnvAlarmTopicArn),
		ProbeTimeout:           r.OptionalSeconds(EnvProbeTimeoutSeconds),
	}
	if c.TopicArn != "" {
		if parts := strings.Split(c.TopicArn, ":"); len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "sns" || parts[3] == "" || len(parts[4]) != 12 || parts[5] == "" {
			r.Bad("%s=%s is not an SNS topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME)", EnvAlarmTopicArn, circuit.Quote(c.TopicArn))
		}
	}
	if c.DownstreamAlarmName != "" && c.DownstreamAlarmName == c.HealthcheckAlarmName {
		// The alarm name is what tells the sources apart.
		r.Bad("%s and %s name the same alarm", EnvDownstreamAlarmName, EnvHealthcheckAlarmName)
	}
	if c.SlowCallAlarmName != "" && (c.SlowCallAlarmName == c.DownstreamAlarmName || c.SlowCallAlarmName == c.HealthcheckAlarmName) {
		r.Bad("%s names the same alarm as %s or %s", EnvSlowCallAlarmName, EnvDownstreamAlarmName, EnvHealthcheckAlarmName)
	}
	return c
}

// Handler is the alarm handler's role name: the function's Handler setting,
// by which the bootstrap it shares with the reconciler picks its role
// (functions/alarmhandler/main.go).
const Handler = "alarmhandler"
