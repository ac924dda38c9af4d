//go:build emulators

package handler_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 10, bullet 2: the slow-call alarm opens the circuit as a source of its
// own. The fixture's Trigger has a percentile alarm's shape: "StatisticType":
// "ExtendedStatistic" with "ExtendedStatistic" naming it, "Unit": null and
// "AlarmDescription": null as CloudWatch sends them (a notification recorded
// from AWS in a public Lambda's log, found by that string; the other fields as
// in aws/aws-lambda-go events/testdata/cloudwatch-alarm-sns-payload-single-metric.json).
func TestSlowCallAlarmOpensTheCircuitAsItsOwnSource(t *testing.T) {
	r := newRigWith(t, withSlowCalls)
	require.NoError(t, r.deliver("slowcalls-alarm.json", "2026-11-27T00:10:40.000Z"))
	item := r.item()
	assert.Equal(t, s("OPEN"), item[circuit.AttrState])
	assert.Equal(t, s("2026-11-27T00:11:40.000Z"), item[circuit.AttrOpenUntil])
	assert.Equal(t, s("ALARM"), item[circuit.AttrSlowCallAlarm])
	assert.Equal(t, s("2026-11-27T00:10:38.456Z"), item[circuit.AttrSlowCallAlarmAt])
	assert.NotContains(t, item, circuit.AttrDownstreamAlarm, "the error alarm's attributes are not the slow-call alarm's")
	assert.Contains(t, item[circuit.AttrTransitionReason].(*types.AttributeValueMemberS).Value, slowCallAlarm)
	lines := r.logLines()
	require.Len(t, lines, 1)
	assert.Equal(t, "slowCalls", lines[0]["source"])

	// The error alarm, which changed later, does not make the slow-call
	// alarm's OK stale, and neither OK closes: probes do.
	require.NoError(t, r.deliver("downstream-alarm.json", "2026-11-27T00:10:41.000Z"))
	require.NoError(t, r.deliver("slowcalls-ok.json", "2026-11-27T00:14:39.000Z"))
	c := r.circuit()
	assert.Equal(t, circuit.Open, c.State)
	assert.Equal(t, circuit.AlarmStateOK, c.SlowCalls.State)
	assert.Equal(t, circuit.AlarmStateAlarm, c.Downstream.State)
	assert.Equal(t, "RECORDED", r.logLines()[0]["outcome"])

	// A duplicate of the slow-call ALARM is stale.
	require.NoError(t, r.deliver("slowcalls-alarm.json", "2026-11-27T00:15:00.000Z"))
	assert.Equal(t, "STALE", r.logLines()[0]["outcome"])
}

// Without a slow-call alarm configured, its notification is malformed (it is
// none of this circuit's alarms) and changes nothing.
func TestSlowCallAlarmWithoutConfigurationIsRefused(t *testing.T) {
	r := newRig(t)
	err := r.deliver("slowcalls-alarm.json", "2026-11-27T00:10:40.000Z")
	var bad *handler.MalformedNotificationError
	require.True(t, errors.As(err, &bad), "got %v", err)
	assert.Equal(t, "AlarmName", bad.Field)
	assert.Empty(t, r.item())
}

// Issue 10, bullet 1: a rate alarm is the downstream alarm as a metric-math
// alarm: CloudWatch's notification then has Trigger.Metrics and no MetricName
// (the shape of aws/aws-lambda-go events/testdata/cloudwatch-alarm-sns-payload-multiple-metrics.json),
// which the handler reads like any other, and it opens the circuit.
func TestRateAlarmNotificationOpensTheCircuit(t *testing.T) {
	r := newRigWith(t, withSlowCalls)
	require.NoError(t, r.deliver("downstream-rate-alarm.json", "2026-11-27T00:10:40.000Z"))
	item := r.item()
	assert.Equal(t, s("OPEN"), item[circuit.AttrState])
	assert.Equal(t, s("ALARM"), item[circuit.AttrDownstreamAlarm])
	assert.NotContains(t, item, circuit.AttrSlowCallAlarm)
	assert.Equal(t, "downstream", r.logLines()[0]["source"])
}
