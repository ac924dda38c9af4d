//go:build emulators

package handler_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// edited is a fixture with its alarm message's JSON fields replaced (a nil
// value removes the field) and the record edited by rec.
func edited(t *testing.T, name string, fields map[string]any, rec func(*events.SNSEntity)) events.SNSEvent {
	t.Helper()
	ev := fixture(t, name)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(ev.Records[0].SNS.Message), &m))
	for k, v := range fields {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	ev.Records[0].SNS.Message = string(b)
	if rec != nil {
		rec(&ev.Records[0].SNS)
	}
	return ev
}

// Issue 14 item 7b: a notification is applied only if it came through this
// breaker's topic, from one of its alarms, in the topic's account and
// Region. CloudWatch's notification carries AWSAccountId and AlarmArn
// (aws/aws-lambda-go events.CloudWatchAlarmSNSPayload and its sample
// testdata/cloudwatch-alarm-sns-payload-single-metric.json); its Region is a
// display name, so the ARN pins the Region.
func TestForgedNotificationsAreRefused(t *testing.T) {
	const otherTopic = "arn:aws:sns:us-east-1:123456789012:someone-elses-topic"
	alarmArn := "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + healthcheckAlarm
	for _, tc := range []struct {
		name   string
		fields map[string]any
		rec    func(*events.SNSEntity)
		field  string
	}{
		{"another topic", nil, func(e *events.SNSEntity) { e.TopicArn = otherTopic }, "Sns.TopicArn"},
		{"no topic", nil, func(e *events.SNSEntity) { e.TopicArn = "" }, "Sns.TopicArn"},
		{"another account", map[string]any{"AWSAccountId": "210987654321"}, nil, "AWSAccountId"},
		{"the alarm in another Region", map[string]any{"AlarmArn": strings.Replace(alarmArn, "us-east-1", "eu-west-1", 1)}, nil, "AlarmArn"},
		{"the alarm in another account", map[string]any{"AlarmArn": strings.Replace(alarmArn, "123456789012", "210987654321", 1)}, nil, "AlarmArn"},
		{"another alarm's ARN under this alarm's name", map[string]any{"AlarmArn": alarmArn + "-x"}, nil, "AlarmArn"},
		{"no alarm ARN", map[string]any{"AlarmArn": nil}, nil, "AlarmArn"},
		{"an alarm of another breaker", map[string]any{"AlarmName": "orders-breaker-healthcheck-errors-1"}, nil, "AlarmName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.now = mustTime(t, "2026-11-27T00:12:04.000Z")
			err := r.h.Handle(context.Background(), edited(t, "healthcheck-alarm.json", tc.fields, tc.rec))
			var bad *handler.MalformedNotificationError
			require.ErrorAs(t, err, &bad)
			assert.Equal(t, tc.field, bad.Field)
			assert.Empty(t, r.item(), "nothing written: a forged ALARM holds nothing")
			assert.Equal(t, "malformed alarm notification", r.logLines()[0]["msg"])
		})
	}
	r := newRig(t)
	require.NoError(t, r.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"), "the genuine one applies")
	assert.Equal(t, circuit.Open, r.circuit().State)
}

// Issue 14 item 6: a notification dated beyond the handler's clock (plus
// circuit.MaxClockSkew) is refused; the reported cases were a healthcheck
// ALARM dated 9999, which held the circuit through the real OK, and a
// downstream notice dated 9999, which made every later ALARM stale.
func TestNotificationsFromTheFutureAreRefused(t *testing.T) {
	r := newRig(t)
	r.now = mustTime(t, "2026-11-27T00:12:04.000Z")
	for _, name := range []string{"healthcheck-alarm.json", "downstream-ok.json"} {
		err := r.h.Handle(context.Background(), edited(t, name, map[string]any{"StateChangeTime": "9999-12-31T23:59:59.999+0000"}, nil))
		var bad *handler.MalformedNotificationError
		require.ErrorAs(t, err, &bad, name)
		assert.Equal(t, "StateChangeTime", bad.Field)
		assert.Contains(t, bad.Problem, "ahead of this function's clock")
	}
	assert.Empty(t, r.item())
	require.NoError(t, r.deliver("downstream-alarm.json", "2026-11-27T00:10:40.000Z"))
	assert.Equal(t, circuit.Open, r.circuit().State, "the real ALARM is not stale")
}

// Issue 14 item 6, for items an earlier release already wrote: a stored
// time from the future orders nothing, and the real notifications set the
// circuit right (reconciliation's part: functions/reconciler).
func TestStoredFutureTimesYieldToRealNotifications(t *testing.T) {
	far := mustTime(t, "9999-12-31T23:59:59.999Z")
	t.Run("a healthcheck ALARM dated 9999 and its real OK", func(t *testing.T) {
		r := newRig(t)
		put(t, r, circuit.Circuit{State: circuit.Open, OpenUntil: mustTime(t, "2026-11-27T00:13:04.000Z"), Openings: 1,
			Healthcheck: circuit.AlarmStatus{State: circuit.AlarmStateAlarm, ChangedAt: far}})
		require.NoError(t, r.deliver("healthcheck-ok.json", "2026-11-27T00:20:06.000Z"))
		c := r.circuit()
		assert.Equal(t, circuit.Closed, c.State)
		assert.Equal(t, mustTime(t, "2026-11-27T00:20:05.731Z"), c.Healthcheck.ChangedAt)
	})
	t.Run("a downstream OK dated 9999 and a later real ALARM", func(t *testing.T) {
		r := newRig(t)
		put(t, r, circuit.Circuit{State: circuit.Closed, Downstream: circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: far}})
		require.NoError(t, r.deliver("downstream-alarm.json", "2026-11-27T00:10:40.000Z"))
		assert.Equal(t, circuit.Open, r.circuit().State)
	})
}

// put replaces the circuit with c through the store.
func put(t *testing.T, r *rig, c circuit.Circuit) {
	t.Helper()
	_, err := r.store.Update(context.Background(), service, func(circuit.Circuit) (circuit.Circuit, bool, error) { return c, true, nil })
	require.NoError(t, err)
}

// Issue 14 item 9: a 200 KB field, wherever it is, gives a bounded error and
// bounded log lines.
func TestHugeFieldsGiveBoundedLogs(t *testing.T) {
	huge := strings.Repeat("B\x1b[2J\n", 200_000/6)
	r := newRig(t)
	r.now = mustTime(t, "2026-11-27T00:12:04.000Z")
	check := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			assert.Less(t, len(err.Error()), 1024, "error: %.200s", err.Error())
		}
		for _, line := range strings.Split(strings.TrimSpace(r.logs.String()), "\n") {
			assert.Less(t, len(line), 2048, "log line: %.200s", line)
		}
		r.logs.Reset()
	}
	for _, ev := range []events.SNSEvent{
		edited(t, "healthcheck-alarm.json", nil, func(e *events.SNSEntity) { e.TopicArn = huge }),
		edited(t, "healthcheck-alarm.json", nil, func(e *events.SNSEntity) { e.MessageID = huge }),
		edited(t, "healthcheck-alarm.json", map[string]any{"AlarmName": huge}, nil),
		edited(t, "healthcheck-alarm.json", map[string]any{"AWSAccountId": huge}, nil),
		edited(t, "healthcheck-alarm.json", map[string]any{"AlarmArn": huge}, nil),
		edited(t, "healthcheck-alarm.json", map[string]any{"NewStateValue": huge}, nil),
		edited(t, "healthcheck-alarm.json", map[string]any{"StateChangeTime": huge}, nil),
		edited(t, "healthcheck-alarm.json", map[string]any{"NewStateReason": huge}, nil),
		edited(t, "healthcheck-alarm.json", map[string]any{"Trigger": map[string]any{huge: 1, "Period": "x"}}, nil),
	} {
		check(t, r.h.Handle(context.Background(), ev))
	}
	assert.LessOrEqual(t, len(r.circuit().LastTransition.Reason), 400, "the item keeps a bounded reason")

}
