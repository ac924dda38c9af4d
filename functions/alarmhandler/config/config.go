// Package config is the alarm handler's environment contract: the component
// renders the function's environment with Config.Env, the function reads it
// back at cold start with FromEnv (and OwnerFromEnv). It imports no AWS SDK, so
// the provider can link it.
package config

import (
	"encoding/json"
	"fmt"
	"strconv"
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
	// The dead-letter queue the reconciliation drains; unset: nothing to drain.
	EnvDeadLetterQueueURL = lambdaenv.DeadLetterQueueURL
	// EnvHealthcheckAlarmWindow (optional, 0 when unset) dates a healthcheck
	// notice's data, to order it against the controller's verdicts.
	EnvHealthcheckAlarmWindow = lambdaenv.HealthcheckAlarmWindow
	// EnvAlarmTopicArn is the breaker's topic: its partition, Region and
	// account are the alarms'. Notifications from anything else are refused.
	EnvAlarmTopicArn = lambdaenv.AlarmTopicArn
	// EnvFunctionName is the handler's own name, set by Lambda: a dead-letter
	// record is replayed only if it is this function's.
	EnvFunctionName = lambdaenv.FunctionName
	// EnvProbeTimeoutSeconds (optional) bounds a stored half-open deadline
	// for circuit.Repair; unset, that deadline is left alone.
	EnvProbeTimeoutSeconds = lambdaenv.ProbeTimeoutSeconds
	// The ownership check (functions/alarmhandler/handler/owner.go): the
	// breaker's identity (unset turns the check off) and how long an owner's
	// last run holds the item.
	EnvOwner             = lambdaenv.Owner
	EnvOwnerLeaseSeconds = lambdaenv.OwnerLeaseSeconds
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
	// TopicArn is the alarm topic (arn:PARTITION:sns:REGION:ACCOUNT:NAME);
	// FunctionName the handler's own name.
	TopicArn     string
	FunctionName string
	// ProbeTimeout is the controller's half-open period, 0 if unknown.
	ProbeTimeout time.Duration
	// Owner is read apart, by OwnerFromEnv: a bad lease fails only the check.
	Owner Owner
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

// FunctionArn is the handler's own unqualified ARN (the component creates it
// beside its topic, so in the topic's partition, Region and account).
func (c Config) FunctionArn() string {
	p, r, a := c.arn()
	return "arn:" + p + ":lambda:" + r + ":" + a + ":function:" + c.FunctionName
}

// Limits bound the item's deadlines for circuit.Repair.
func (c Config) Limits() circuit.Limits {
	return circuit.Limits{Open: c.Policy, ProbeTimeout: c.ProbeTimeout}
}

// Env renders c as the function's environment, as FromEnv and OwnerFromEnv
// read it. FunctionName is Lambda's own variable and is not rendered.
func (c Config) Env() map[string]string {
	env := map[string]string{
		EnvTableName:              c.TableName,
		EnvServiceName:            c.ServiceName,
		EnvDownstreamAlarmName:    c.DownstreamAlarmName,
		EnvHealthcheckAlarmName:   c.HealthcheckAlarmName,
		EnvDeadLetterQueueURL:     c.DeadLetterQueueURL,
		EnvHealthcheckAlarmWindow: lambdaenv.FormatSeconds(c.HealthcheckAlarmWindow),
		EnvAlarmTopicArn:          c.TopicArn,
		EnvProbeTimeoutSeconds:    lambdaenv.FormatSeconds(c.ProbeTimeout),
	}
	lambdaenv.PutOpenPolicy(env, c.Policy)
	if c.SlowCallAlarmName != "" {
		env[EnvSlowCallAlarmName] = c.SlowCallAlarmName
	}
	if c.Owner.ID != "" {
		env[EnvOwner] = c.Owner.ID
	}
	if c.Owner.Lease > 0 {
		env[EnvOwnerLeaseSeconds] = lambdaenv.FormatSeconds(c.Owner.Lease)
	}
	return env
}

// ConfigurationError is a bad or missing environment variable.
type ConfigurationError = lambdaenv.ConfigurationError

// ConfigFromEnv reads and validates the configuration, reporting every problem
// at once.
func FromEnv(getenv func(string) string) (Config, error) {
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
		TopicArn:               r.Required(EnvAlarmTopicArn),
		FunctionName:           r.Required(EnvFunctionName),
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
	if err := r.Err("alarm handler"); err != nil {
		return Config{}, err
	}
	return c, nil
}

// DefaultOwnerLease holds the item for a breaker whose schedule is not known.
const DefaultOwnerLease = 24 * time.Hour

// Owner is this breaker's identity and its lease on the item.
type Owner struct {
	ID    string
	Lease time.Duration
}

// OwnerFromEnv reads the owner; an empty ID is no owner (the check is off).
func OwnerFromEnv(getenv func(string) string) (Owner, error) {
	o := Owner{ID: getenv(EnvOwner), Lease: DefaultOwnerLease}
	if s := getenv(EnvOwnerLeaseSeconds); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 60 {
			return Owner{}, fmt.Errorf("alarm handler: %s is %q; set a whole number of seconds, at least 60", EnvOwnerLeaseSeconds, s)
		}
		o.Lease = time.Duration(n) * time.Second
	}
	return o, nil
}

// ReconcileEvent is the reconciliation schedule's event: EventBridge
// Scheduler's templated Lambda target invokes the alarm handler with the
// schedule's Input, unwrapped. It is here, beside the environment, because
// the component writes it (ReconcileInput) and the handler reads it.
type ReconcileEvent struct {
	Reconcile bool `json:"reconcile"`
}

// ReconcileInput is the schedule's Input: {"reconcile":true}.
func ReconcileInput() string {
	b, _ := json.Marshal(ReconcileEvent{Reconcile: true}) // a struct of a bool: never fails
	return string(b)
}

// Handler is the alarm handler's role name: the function's Handler setting,
// by which the bootstrap it shares with the reconciler picks its role
// (functions/alarmhandler/main.go).
const Handler = "alarmhandler"
