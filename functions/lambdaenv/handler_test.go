package lambdaenv_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

// A bootstrap runs the role its Handler names, and no role at all for any
// other Handler: the setting before roles had names ("bootstrap"), none, a
// role of another zip, a role in another case.
func TestRoleIsTheHandlerOrAConfigurationError(t *testing.T) {
	env := func(h string) func(string) string {
		return func(k string) string {
			if k == lambdaenv.Handler {
				return h
			}
			return ""
		}
	}
	role, err := lambdaenv.Role(env("healthrunner"), "controller bootstrap", "controller", "healthrunner")
	require.NoError(t, err)
	assert.Equal(t, "healthrunner", role)

	for _, h := range []string{"bootstrap", "", "reconciler", "Controller", " controller"} {
		role, err := lambdaenv.Role(env(h), "controller bootstrap", "controller", "healthrunner")
		var ce *lambdaenv.ConfigurationError
		require.True(t, errors.As(err, &ce), "%q: %v", h, err)
		assert.Empty(t, role)
		assert.Contains(t, err.Error(), "invalid controller bootstrap configuration")
		assert.Contains(t, err.Error(), "_HANDLER")
		assert.Contains(t, err.Error(), "controller, healthrunner", "names the roles it serves")
	}
}
