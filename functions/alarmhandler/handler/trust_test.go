//go:build emulators

package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
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
// time from the future orders nothing, and the real notifications, the
// reconciliation and the repair set the circuit right.
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
	t.Run("the same, healed by reconciliation", func(t *testing.T) {
		r := newRig(t)
		r.h.WithReconciliation(recordedAlarms(t, "describe-alarms-healthcheck-ok.json"), &fakeQueue{}).WithMetrics(&bytes.Buffer{})
		put(t, r, circuit.Circuit{State: circuit.Open, Openings: 1, Healthcheck: circuit.AlarmStatus{State: circuit.AlarmStateAlarm, ChangedAt: far}})
		r.now = mustTime(t, "2026-11-27T00:25:00.000Z")
		_, err := r.h.Reconcile(context.Background())
		require.NoError(t, err)
		assert.Equal(t, circuit.Closed, r.circuit().State)
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

// Issue 14 items 6 and 22: each reconciliation run repairs what the item
// holds that the rules cannot trust, even when no alarm moved: an open
// deadline in 9998 (a trip "at" 9998), a hand-written override, a counter
// that is not a number, a version of the wrong type. Before, an unreadable
// counter failed every run (and every write).
func TestReconciliationRepairsAnIdleCircuit(t *testing.T) {
	r := newRigWith(t, func(c *handler.Config) { c.ProbeTimeout = 40 * time.Second })
	r.h.WithReconciliation(recordedAlarms(t, "describe-alarms-healthcheck-ok.json"), &fakeQueue{}).WithMetrics(&bytes.Buffer{})
	// The alarms' state is already applied: reconciliation moves nothing.
	put(t, r, circuit.Circuit{State: circuit.Closed,
		Downstream:  circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: mustTime(t, "2026-11-26T23:59:14.090Z")},
		Healthcheck: circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: mustTime(t, "2026-11-27T00:20:05.731Z")}})
	_, err := r.client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:                aws.String(r.cfg.TableName),
		Key:                      circuitstore.Item{circuit.KeyAttribute: s(service)},
		UpdateExpression:         aws.String("SET #st = :open, openUntil = :far, #ov = :ov, failures = :garbage, version = :v"),
		ExpressionAttributeNames: map[string]string{"#st": circuit.AttrState, "#ov": circuit.AttrOverride},
		ExpressionAttributeValues: circuitstore.Item{":open": s("OPEN"), ":far": s("9998-01-01T00:01:00.000Z"),
			":ov": s("forced-open"), ":garbage": s("lots"), ":v": &types.AttributeValueMemberBOOL{Value: true}},
	})
	require.NoError(t, err)
	r.now = mustTime(t, "2026-11-27T00:30:00.000Z")
	r.logs.Reset()
	rep, err := r.h.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, circuit.OutcomeStale, rep.Alarms[circuit.SourceHealthcheck])
	c := r.circuit()
	assert.Empty(t, c.Unreadable)
	assert.Equal(t, circuit.NoOverride, c.Override)
	assert.True(t, c.OpenUntil.IsZero())
	assert.Equal(t, circuit.Elect, circuit.Decide(c, r.now, 1), "the next call is a probe")
	var fixes []any
	for _, l := range r.logLines() {
		if l["msg"] == "circuit item repaired" {
			assert.Equal(t, "WARN", l["level"], "logged loudly")
			fixes = append(fixes, l["fixes"].([]any)...)
		}
	}
	joined, _ := json.Marshal(fixes)
	for _, want := range []string{"failures", "version", "override", "openUntil 9998-01-01T00:01:00.000Z"} {
		assert.Contains(t, string(joined), want)
	}

	version := c.Version
	_, err = r.h.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, version, r.circuit().Version, "nothing more to repair: no write")
}

// Issue 14 item 7c: the dead-letter queue is replayed only for this
// function's own failure records (Lambda Developer Guide, "Capturing records
// of Lambda asynchronous invocations": requestContext.functionArn is the
// function's ARN with the version that ran), whose notifications pass the
// live checks.
func TestDeadLetterReplayOnlyOfOwnFailureRecords(t *testing.T) {
	r := newRig(t)
	r.cfg.DeadLetterQueueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/payments-breaker-alarm-handler-dlq-1a2b3c4"
	r.h = handler.New(r.cfg, r.client, r.h.Logger(), func() time.Time { return r.now })
	q := &fakeQueue{}
	alarmEvent, err := os.ReadFile(filepath.Join("testdata", "healthcheck-alarm.json"))
	require.NoError(t, err)
	other := strings.Replace(invocationRecord(t, alarmEvent), "function:payments-breaker-alarm-handler-1a2b3c4", "function:someone-else", 1)
	forged, err := json.Marshal(edited(t, "healthcheck-alarm.json", nil, func(e *events.SNSEntity) { e.TopicArn = "arn:aws:sns:us-east-1:123456789012:other" }))
	require.NoError(t, err)
	q.add("other-function", other)
	q.add("bare-event", string(alarmEvent))
	q.add("forged-topic", invocationRecord(t, forged))
	q.add("own", invocationRecord(t, alarmEvent))
	r.h.WithReconciliation(&fakeAlarms{err: errDescribe}, q).WithMetrics(&bytes.Buffer{})

	r.now = mustTime(t, "2026-11-27T00:12:30.000Z")
	rep, _ := r.h.Reconcile(context.Background())
	assert.Equal(t, 1, rep.DLQApplied)
	assert.Equal(t, 3, rep.DLQLeft)
	assert.Equal(t, []string{"own"}, q.deleted)
	assert.Equal(t, circuit.Open, r.circuit().State, "only its own record applied")
	whys := map[string]string{}
	for _, l := range r.logLines() {
		if l["msg"] == "dead-lettered message left in the queue" {
			whys[l["sqsMessageId"].(string)] = l["why"].(string)
		}
	}
	assert.Contains(t, whys["other-function"], "not a failure record of this function")
	assert.Contains(t, whys["bare-event"], "not a record of a failed invocation")
	assert.Contains(t, whys["forged-topic"], "not from this breaker's topic")
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

	q := &fakeQueue{}
	alarmEvent, err := os.ReadFile(filepath.Join("testdata", "healthcheck-alarm.json"))
	require.NoError(t, err)
	q.add("huge-arn", strings.Replace(invocationRecord(t, alarmEvent), "payments-breaker-alarm-handler-1a2b3c4", strings.Repeat("x", 200_000), 1))
	q.add("huge-condition", strings.Replace(invocationRecord(t, []byte(`{"Records":[]}`)), "RetriesExhausted", strings.Repeat("y", 200_000), 1))
	r.cfg.DeadLetterQueueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"
	r.h = handler.New(r.cfg, r.client, r.h.Logger(), func() time.Time { return r.now })
	r.h.WithReconciliation(&fakeAlarms{err: errDescribe}, q).WithMetrics(&bytes.Buffer{})
	_, err = r.h.Reconcile(context.Background())
	check(t, nil)
	assert.Error(t, err)
}

var errDescribe = errors.New("AccessDenied: not authorized to perform cloudwatch:DescribeAlarms")
