package handler_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseLines(t *testing.T, b *bytes.Buffer) []map[string]any { return emfLines(t, b) }

func TestOwnerFromEnv(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	o, err := handler.OwnerFromEnv(env(nil))
	require.NoError(t, err)
	assert.Equal(t, handler.Owner{Lease: handler.DefaultOwnerLease}, o, "no owner: the check is off")
	o, err = handler.OwnerFromEnv(env(map[string]string{handler.EnvOwner: "p/s/n", handler.EnvOwnerLeaseSeconds: "900"}))
	require.NoError(t, err)
	assert.Equal(t, handler.Owner{ID: "p/s/n", Lease: 15 * time.Minute}, o)
	for _, bad := range []string{"x", "30", "-1"} {
		_, err = handler.OwnerFromEnv(env(map[string]string{handler.EnvOwnerLeaseSeconds: bad}))
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), handler.EnvOwnerLeaseSeconds)
	}
}
