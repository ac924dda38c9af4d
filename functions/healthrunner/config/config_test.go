package config_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner/config"
)

const healthcheckArn = "arn:aws:lambda:us-east-1:123456789012:function:health:live"

func valid() config.Config {
	return config.Config{
		TableName: "circuits", ServiceName: "payments",
		Policy:       circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 1.5},
		ProbeTimeout: 127 * time.Second,
		FunctionArn:  healthcheckArn,
		Healthcheck:  circuit.HealthcheckPolicy{UnhealthyThreshold: 2, AlarmWindow: 240 * time.Second},
	}
}

// What the component renders is what the function reads back.
func TestEnvRoundTrip(t *testing.T) {
	c := valid()
	env := c.Env()
	got, err := config.FromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, c, got)
	require.Equal(t, healthcheckArn, env[config.EnvHealthcheckFunctionArn])
}

func TestFromEnvNamesEveryProblem(t *testing.T) {
	_, err := config.FromEnv(func(string) string { return "" })
	var ce *config.ConfigurationError
	require.True(t, errors.As(err, &ce))
	for _, v := range []string{config.EnvTableName, config.EnvServiceName, config.EnvHealthcheckFunctionArn, config.EnvHealthcheckUnhealthyThreshold} {
		assert.Contains(t, err.Error(), v)
	}

	for k, v := range map[string]string{
		config.EnvHealthcheckFunctionArn:        "health",
		config.EnvHealthcheckUnhealthyThreshold: "0",
		config.EnvProbeTimeoutSeconds:           "-1",
	} {
		env := valid().Env()
		env[k] = v
		_, err := config.FromEnv(func(key string) string { return env[key] })
		require.Error(t, err, k)
		assert.Contains(t, err.Error(), k, "names the variable")
	}
}
