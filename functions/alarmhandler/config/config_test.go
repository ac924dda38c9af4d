package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
)

// What the component renders is what the function reads back.
func TestEnvRoundTrip(t *testing.T) {
	c := config.Config{
		TableName: "circuits", ServiceName: "payments",
		DownstreamAlarmName: "down", HealthcheckAlarmName: "health", SlowCallAlarmName: "slow",
		Policy:                 circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
		HealthcheckAlarmWindow: 240 * time.Second,
		TopicArn:               "arn:aws:sns:us-east-1:123456789012:alarms",
		ProbeTimeout:           127 * time.Second,
	}
	env := c.Env()
	got, err := config.FromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, c, got)

	// No slow-call alarm: its variable is not set.
	c.SlowCallAlarmName = ""
	require.NotContains(t, c.Env(), config.EnvSlowCallAlarmName)
	require.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:f", c.FunctionArn("f"))
}
