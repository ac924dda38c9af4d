package handler_test

import (
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The slow-call alarm in testdata/slowcalls-*.json, named as the component
// names it (the topic's name plus "-downstream-slow-calls").
const slowCallAlarm = "payments-breaker-alarms-3f9c2a1-downstream-slow-calls"

func withSlowCalls(c *handler.Config) { c.SlowCallAlarmName = slowCallAlarm }

func TestSlowCallAlarmNameMustDiffer(t *testing.T) {
	env := map[string]string{
		handler.EnvTableName:            "circuits",
		handler.EnvServiceName:          "payments",
		handler.EnvDownstreamAlarmName:  downstreamAlarm,
		handler.EnvHealthcheckAlarmName: healthcheckAlarm,
		handler.EnvSlowCallAlarmName:    downstreamAlarm,
		handler.EnvOpenDurationSeconds:  "60",
		handler.EnvMaxOpenDuration:      "600",
		handler.EnvBackoffMultiplier:    "2",
		handler.EnvAlarmTopicArn:        topicArn,
	}
	_, err := handler.ConfigFromEnv(func(k string) string { return env[k] })
	require.ErrorContains(t, err, "SLOW_CALL_ALARM_NAME names the same alarm")
	env[handler.EnvSlowCallAlarmName] = slowCallAlarm
	cfg, err := handler.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, slowCallAlarm, cfg.SlowCallAlarmName)
	delete(env, handler.EnvSlowCallAlarmName)
	cfg, err = handler.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err, "the slow-call alarm is optional")
	assert.Empty(t, cfg.SlowCallAlarmName)
}
