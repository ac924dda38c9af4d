package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/config"
)

// What the component renders is what the function reads back.
func TestEnvRoundTrip(t *testing.T) {
	c := config.Config{BusName: "default", TableName: "circuits", ServiceName: "payments"}
	env := c.Env()
	got, err := config.FromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, c.BusName, got.BusName)
	require.Equal(t, c.TableName, got.TableName)
}
