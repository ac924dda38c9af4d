package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
)

// What the component renders is what the function reads back (its own name
// comes from Lambda, not from the component).
func TestEnvRoundTrip(t *testing.T) {
	c := config.Config{
		TableName: "circuits", ServiceName: "payments",
		DownstreamAlarmName: "down", HealthcheckAlarmName: "health", SlowCallAlarmName: "slow",
		Policy:                 circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
		DeadLetterQueueURL:     "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
		HealthcheckAlarmWindow: 240 * time.Second,
		TopicArn:               "arn:aws:sns:us-east-1:123456789012:alarms",
		FunctionName:           "handler",
		ProbeTimeout:           127 * time.Second,
		Owner:                  config.Owner{ID: "p/s/n", Lease: 900 * time.Second},
	}
	env := c.Env()
	require.NotContains(t, env, config.EnvFunctionName)
	env[config.EnvFunctionName] = c.FunctionName
	getenv := func(k string) string { return env[k] }
	got, err := config.FromEnv(getenv)
	require.NoError(t, err)
	owner, err := config.OwnerFromEnv(getenv)
	require.NoError(t, err)
	got.Owner = owner
	require.Equal(t, c, got)

	// No slow-call alarm, no owner: neither variable is set.
	c.SlowCallAlarmName, c.Owner = "", config.Owner{}
	require.NotContains(t, c.Env(), config.EnvSlowCallAlarmName)
	require.NotContains(t, c.Env(), config.EnvOwner)
	require.NotContains(t, c.Env(), config.EnvOwnerLeaseSeconds)
}

// The schedule's Input is these bytes: a change would change every deployed
// reconciliation schedule.
func TestReconcileInput(t *testing.T) {
	require.Equal(t, `{"reconcile":true}`, config.ReconcileInput())
}
