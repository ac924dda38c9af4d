package reconciler_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	rcconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
)

func TestOwnerFromEnv(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	o, err := rcconfig.OwnerFromEnv(env(nil))
	require.NoError(t, err)
	assert.Equal(t, rcconfig.Owner{Lease: rcconfig.DefaultOwnerLease}, o, "no owner: the check is off")
	o, err = rcconfig.OwnerFromEnv(env(map[string]string{rcconfig.EnvOwner: "p/s/n", rcconfig.EnvOwnerLeaseSeconds: "900"}))
	require.NoError(t, err)
	assert.Equal(t, rcconfig.Owner{ID: "p/s/n", Lease: 15 * time.Minute}, o)
	for _, bad := range []string{"x", "30", "-1"} {
		_, err = rcconfig.OwnerFromEnv(env(map[string]string{rcconfig.EnvOwnerLeaseSeconds: bad}))
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), rcconfig.EnvOwnerLeaseSeconds)
	}
}
