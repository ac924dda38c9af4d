// Package config is the reconciler's environment contract: the component
// renders the function's environment with Config.Env, the function reads it
// back at cold start with FromEnv (and OwnerFromEnv). It imports no AWS SDK,
// so the provider can link it.
package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

// Environment variables the reconciler reads besides the alarm handler's
// (ahconfig: the same table, alarms, topic and policy, which it applies
// notices with); the component sets them all.
const (
	// EnvAlarmHandlerName is the alarm handler's function name: the
	// dead-letter queue holds its failed invocations, and only those are
	// replayed.
	EnvAlarmHandlerName = "ALARM_HANDLER_NAME"
	// EnvDeadLetterQueueURL is the alarm handler's dead-letter queue, which
	// the reconciler drains; unset: nothing to drain.
	EnvDeadLetterQueueURL = lambdaenv.DeadLetterQueueURL
	// The ownership check (functions/reconciler/owner.go): the breaker's
	// identity (unset turns the check off) and how long an owner's last run
	// holds the item.
	EnvOwner             = lambdaenv.Owner
	EnvOwnerLeaseSeconds = lambdaenv.OwnerLeaseSeconds
)

// Config is the reconciler's configuration for one circuit.
type Config struct {
	// Config is the alarm handler's: the reconciler applies the alarms'
	// state through the alarm handler's rule, with its settings.
	ahconfig.Config
	AlarmHandlerName   string
	DeadLetterQueueURL string
	// Owner is read apart, by OwnerFromEnv: a bad lease fails only the check.
	Owner Owner
}

// AlarmHandlerArn is the alarm handler's unqualified ARN, which its failure
// records in the dead-letter queue carry.
func (c Config) AlarmHandlerArn() string { return c.FunctionArn(c.AlarmHandlerName) }

// Env renders c as the function's environment, as FromEnv and OwnerFromEnv
// read it.
func (c Config) Env() map[string]string {
	env := c.Config.Env()
	env[EnvAlarmHandlerName] = c.AlarmHandlerName
	env[EnvDeadLetterQueueURL] = c.DeadLetterQueueURL
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

// FromEnv reads and validates the configuration, reporting every problem at
// once.
func FromEnv(getenv func(string) string) (Config, error) {
	r := lambdaenv.New(getenv)
	c := Config{
		Config:             ahconfig.Read(r, getenv),
		AlarmHandlerName:   r.Required(EnvAlarmHandlerName),
		DeadLetterQueueURL: getenv(EnvDeadLetterQueueURL),
	}
	if err := r.Err("reconciler"); err != nil {
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
			return Owner{}, fmt.Errorf("reconciler: %s is %q; set a whole number of seconds, at least 60", EnvOwnerLeaseSeconds, s)
		}
		o.Lease = time.Duration(n) * time.Second
	}
	return o, nil
}

// ReconcileEvent is the reconciliation schedule's event: EventBridge
// Scheduler's templated Lambda target invokes the reconciler with the
// schedule's Input, unwrapped. It is here, beside the environment, because
// the component writes it (ReconcileInput) and the reconciler reads it. It
// is the alarm handler's former reconciliation input, unchanged, so that a
// run dead-lettered by the alarm handler before the reconciler existed is
// still recognised (and retired).
type ReconcileEvent struct {
	Reconcile bool `json:"reconcile"`
}

// ReconcileInput is the schedule's Input: {"reconcile":true}.
func ReconcileInput() string {
	b, _ := json.Marshal(ReconcileEvent{Reconcile: true}) // a struct of a bool: never fails
	return string(b)
}

// Handler is the reconciler's role name: the function's Handler setting, by
// which the alarm handler's bootstrap, which it shares, picks this role
// (functions/alarmhandler/main.go).
const Handler = "reconciler"
