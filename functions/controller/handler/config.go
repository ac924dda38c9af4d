package handler

import "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"

// The controller's environment contract is functions/controller/config, which
// the component links without this package's AWS clients; these are its names
// here.
type (
	Config             = config.Config
	ConfigurationError = config.ConfigurationError
)

// ConfigFromEnv is config.FromEnv.
func ConfigFromEnv(getenv func(string) string) (Config, error) { return config.FromEnv(getenv) }

// Environment variables the controller reads (config's).
const (
	EnvTableName           = config.EnvTableName
	EnvServiceName         = config.EnvServiceName
	EnvOpenDurationSeconds = config.EnvOpenDurationSeconds
	EnvMaxOpenDuration     = config.EnvMaxOpenDuration
	EnvBackoffMultiplier   = config.EnvBackoffMultiplier
	EnvHalfOpenMaxCalls    = config.EnvHalfOpenMaxCalls
	EnvProbeTimeoutSeconds = config.EnvProbeTimeoutSeconds
)
