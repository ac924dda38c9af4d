package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"
)

// What the component renders is what the function reads back, the controller
// and the healthcheck runner alike.
func TestEnvRoundTrip(t *testing.T) {
	ctl := config.Config{
		TableName: "circuits", ServiceName: "payments",
		Policy: circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 1.5},
		Probes: circuit.ProbePolicy{MaxCalls: 3, Timeout: 127 * time.Second},
	}
	runner := ctl
	runner.Healthcheck = config.HealthcheckConfig{
		FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:health:live",
		Policy:      circuit.HealthcheckPolicy{UnhealthyThreshold: 2, AlarmWindow: 240 * time.Second},
	}
	for _, c := range []config.Config{ctl, runner} {
		env := c.Env()
		got, err := config.FromEnv(func(k string) string { return env[k] })
		require.NoError(t, err)
		require.Equal(t, c, got)
	}
	require.NotContains(t, ctl.Env(), config.EnvHealthcheckFunctionArn)
	require.Equal(t, "1.5", ctl.Env()[config.EnvBackoffMultiplier])
	require.Equal(t, "127", ctl.Env()[config.EnvProbeTimeoutSeconds])
}
