package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
)

// What the component renders is what the function reads back.
func TestEnvRoundTrip(t *testing.T) {
	c := config.Config{
		Config: ahconfig.Config{
			TableName: "circuits", ServiceName: "payments",
			DownstreamAlarmName: "down", HealthcheckAlarmName: "health", SlowCallAlarmName: "slow",
			Policy:                 circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
			HealthcheckAlarmWindow: 240 * time.Second,
			TopicArn:               "arn:aws:sns:us-east-1:123456789012:alarms",
			ProbeTimeout:           127 * time.Second,
		},
		AlarmHandlerName:   "payments-breaker-alarm-handler-1a2b3c4",
		DeadLetterQueueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
		Owner:              config.Owner{ID: "p/s/n", Lease: 900 * time.Second},
	}
	env := c.Env()
	getenv := func(k string) string { return env[k] }
	got, err := config.FromEnv(getenv)
	require.NoError(t, err)
	owner, err := config.OwnerFromEnv(getenv)
	require.NoError(t, err)
	got.Owner = owner
	require.Equal(t, c, got)
	require.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:payments-breaker-alarm-handler-1a2b3c4", c.AlarmHandlerArn())

	// No owner: neither variable is set.
	c.Owner = config.Owner{}
	require.NotContains(t, c.Env(), config.EnvOwner)
	require.NotContains(t, c.Env(), config.EnvOwnerLeaseSeconds)

	// Every problem at once, named "reconciler".
	_, err = config.FromEnv(func(string) string { return "" })
	require.ErrorContains(t, err, "invalid reconciler configuration")
	require.ErrorContains(t, err, config.EnvAlarmHandlerName)
	require.ErrorContains(t, err, ahconfig.EnvDownstreamAlarmName)
}

// The schedule's Input is these bytes: a change would change every deployed
// reconciliation schedule.
func TestReconcileInput(t *testing.T) {
	require.Equal(t, `{"reconcile":true}`, config.ReconcileInput())
}
