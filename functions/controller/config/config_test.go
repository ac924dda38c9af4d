package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"
)

// What the component renders is what the function reads back.
func TestEnvRoundTrip(t *testing.T) {
	ctl := config.Config{
		TableName: "circuits", ServiceName: "payments",
		Policy: circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 1.5},
		Probes: circuit.ProbePolicy{MaxCalls: 3, Timeout: 127 * time.Second},
	}
	env := ctl.Env()
	got, err := config.FromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, ctl, got)
	require.Equal(t, "1.5", ctl.Env()[config.EnvBackoffMultiplier])
	require.Equal(t, "127", ctl.Env()[config.EnvProbeTimeoutSeconds])
}
