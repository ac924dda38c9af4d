package handler

import "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"

// The alarm handler's environment contract is functions/alarmhandler/config,
// which the component links without this package's AWS clients; these are its
// names here.
type (
	Config             = config.Config
	ConfigurationError = config.ConfigurationError
)

// ConfigFromEnv is config.FromEnv.
func ConfigFromEnv(getenv func(string) string) (Config, error) { return config.FromEnv(getenv) }

// Environment variables the handler reads (config's).
const (
	EnvTableName              = config.EnvTableName
	EnvServiceName            = config.EnvServiceName
	EnvDownstreamAlarmName    = config.EnvDownstreamAlarmName
	EnvHealthcheckAlarmName   = config.EnvHealthcheckAlarmName
	EnvSlowCallAlarmName      = config.EnvSlowCallAlarmName
	EnvOpenDurationSeconds    = config.EnvOpenDurationSeconds
	EnvMaxOpenDuration        = config.EnvMaxOpenDuration
	EnvBackoffMultiplier      = config.EnvBackoffMultiplier
	EnvHealthcheckAlarmWindow = config.EnvHealthcheckAlarmWindow
	EnvAlarmTopicArn          = config.EnvAlarmTopicArn
	EnvProbeTimeoutSeconds    = config.EnvProbeTimeoutSeconds
)
