// Package config is the healthcheck runner's environment contract: the
// component renders the function's environment with Config.Env, the function
// reads it back at cold start with FromEnv. It imports no AWS SDK, so the
// provider can link it.
package config

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

// Environment variables the runner reads; the component sets them all.
const (
	EnvTableName           = lambdaenv.TableName
	EnvServiceName         = lambdaenv.ServiceName
	EnvOpenDurationSeconds = lambdaenv.OpenDurationSeconds
	EnvMaxOpenDuration     = lambdaenv.MaxOpenDuration
	EnvBackoffMultiplier   = lambdaenv.BackoffMultiplier
	// EnvProbeTimeoutSeconds is the controller's half-open period: it bounds a
	// stored half-open deadline when the runner repairs the item
	// (circuit.Limits).
	EnvProbeTimeoutSeconds = lambdaenv.ProbeTimeoutSeconds // integer seconds > 0
	// EnvHealthcheckFunctionArn is the healthcheck's ARN, qualified by its
	// alias or version when it has one (the one the role may invoke).
	EnvHealthcheckFunctionArn = "HEALTHCHECK_FUNCTION_ARN"
	// EnvHealthcheckUnhealthyThreshold: consecutive unhealthy verdicts that
	// open the circuit (integer in circuit.HealthcheckUnhealthyThresholdRange).
	EnvHealthcheckUnhealthyThreshold = "HEALTHCHECK_UNHEALTHY_THRESHOLD"
	// EnvHealthcheckAlarmWindow (optional, 0 when unset) orders the verdicts
	// against the healthcheck alarm's notices; the alarm handler has the same.
	EnvHealthcheckAlarmWindow = lambdaenv.HealthcheckAlarmWindow
)

// Config is the healthcheck runner's configuration for one circuit.
type Config struct {
	TableName   string
	ServiceName string
	// Policy is how long a circuit the verdicts open stays open.
	Policy circuit.Policy
	// ProbeTimeout is the controller's half-open period (circuit.Limits).
	ProbeTimeout time.Duration
	// FunctionArn is the healthcheck the runner invokes.
	FunctionArn string
	Healthcheck circuit.HealthcheckPolicy
}

// ConfigurationError is a bad or missing environment variable.
type ConfigurationError = lambdaenv.ConfigurationError

// Limits bound the item's deadlines for circuit.Repair.
func (c Config) Limits() circuit.Limits {
	return circuit.Limits{Open: c.Policy, ProbeTimeout: c.ProbeTimeout}
}

// Env renders c as the function's environment, as FromEnv reads it.
func (c Config) Env() map[string]string {
	env := map[string]string{
		EnvTableName:                     c.TableName,
		EnvServiceName:                   c.ServiceName,
		EnvProbeTimeoutSeconds:           lambdaenv.FormatSeconds(c.ProbeTimeout),
		EnvHealthcheckFunctionArn:        c.FunctionArn,
		EnvHealthcheckUnhealthyThreshold: strconv.Itoa(c.Healthcheck.UnhealthyThreshold),
		EnvHealthcheckAlarmWindow:        lambdaenv.FormatSeconds(c.Healthcheck.AlarmWindow),
	}
	lambdaenv.PutOpenPolicy(env, c.Policy)
	return env
}

// FromEnv reads and validates the configuration, reporting every problem at
// once.
func FromEnv(getenv func(string) string) (Config, error) {
	r := lambdaenv.New(getenv)
	c := Config{
		TableName:    r.Required(EnvTableName),
		ServiceName:  r.Required(EnvServiceName),
		Policy:       r.OpenPolicy(),
		ProbeTimeout: r.Seconds(EnvProbeTimeoutSeconds, 1),
		FunctionArn:  r.Required(EnvHealthcheckFunctionArn),
	}
	if c.FunctionArn != "" && (!strings.HasPrefix(c.FunctionArn, "arn:") || !strings.Contains(c.FunctionArn, ":function:")) {
		r.Bad("%s=%s is not a Lambda function ARN", EnvHealthcheckFunctionArn, circuit.Quote(c.FunctionArn))
	}
	c.Healthcheck.UnhealthyThreshold = int(r.Integer(EnvHealthcheckUnhealthyThreshold,
		int64(circuit.HealthcheckUnhealthyThresholdRange.Min), int64(circuit.HealthcheckUnhealthyThresholdRange.Max)))
	c.Healthcheck.AlarmWindow = r.OptionalSeconds(EnvHealthcheckAlarmWindow)
	if err := r.Err("healthcheck runner"); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Handler is the runner's role name: the function's Handler setting, by
// which the controller's bootstrap, which it shares, picks this role
// (functions/controller/main.go).
const Handler = "healthrunner"

// ScheduledRun is one run of the healthcheck schedule: the schedule's Input
// (RunInput) once EventBridge Scheduler has replaced its context attribute.
// It is here, beside the environment, because the component writes it and
// the runner reads it.
type ScheduledRun struct {
	// ScheduledTime is the run's time as Scheduler renders
	// <aws.scheduler.scheduled-time>: it identifies the run, so a run
	// delivered twice counts once. Absent: the Lambda's clock.
	ScheduledTime string `json:"scheduledTime,omitempty"`
	// Input is the JSON document passed to the healthcheck ({} when absent).
	Input json.RawMessage `json:"input,omitempty"`
}

// RunInput is the schedule's Input for a healthcheck whose payload is
// healthcheckInput (valid JSON: the component checks it). Scheduler replaces
// <aws.scheduler.scheduled-time> with the time the run was scheduled for,
// e.g. 2022-03-22T18:59:43Z
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
func RunInput(healthcheckInput string) string {
	return `{"scheduledTime":"<aws.scheduler.scheduled-time>","input":` + healthcheckInput + `}`
}
