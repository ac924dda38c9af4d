//go:build emulators

package reconciler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler"
)

// Issue 14 items 6 and 22: each reconciliation run repairs what the item
// holds that the rules cannot trust, even when no alarm moved: an open
// deadline in 9998 (a trip "at" 9998), a hand-written override, a counter
// that is not a number, a version of the wrong type. Before, an unreadable
// counter failed every run (and every write).
func TestReconciliationRepairsAnIdleCircuit(t *testing.T) {
	r := newRigWith(t, func(c *reconciler.Config) { c.ProbeTimeout = 40 * time.Second })
	rc := r.reconciler(recordedAlarms(t, "describe-alarms-healthcheck-ok.json"), &fakeQueue{}, &bytes.Buffer{})
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
	rep, err := rc.Reconcile(context.Background())
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
	_, err = rc.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, version, r.circuit().Version, "nothing more to repair: no write")
}

// Issue 14 item 7c: the dead-letter queue is replayed only for the alarm
// handler's own failure records (Lambda Developer Guide, "Capturing records
// of Lambda asynchronous invocations": requestContext.functionArn is the
// function's ARN with the version that ran), whose notifications pass the
// live checks.
func TestDeadLetterReplayOnlyOfOwnFailureRecords(t *testing.T) {
	r := newRig(t)
	r.cfg.DeadLetterQueueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/payments-breaker-alarm-handler-dlq-1a2b3c4"
	q := &fakeQueue{}
	alarmEvent := fixtureBytes(t, "healthcheck-alarm.json")
	other := strings.Replace(invocationRecord(t, alarmEvent), "function:payments-breaker-alarm-handler-1a2b3c4", "function:someone-else", 1)
	forged, err := json.Marshal(edited(t, "healthcheck-alarm.json", nil, func(e *events.SNSEntity) { e.TopicArn = "arn:aws:sns:us-east-1:123456789012:other" }))
	require.NoError(t, err)
	q.add("other-function", other)
	q.add("bare-event", string(alarmEvent))
	q.add("forged-topic", invocationRecord(t, forged))
	q.add("own", invocationRecord(t, alarmEvent))
	rc := r.reconciler(&fakeAlarms{err: errDescribe}, q, &bytes.Buffer{})

	r.now = mustTime(t, "2026-11-27T00:12:30.000Z")
	rep, _ := rc.Reconcile(context.Background())
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
	assert.Contains(t, whys["other-function"], "not a failure record of the alarm handler")
	assert.Contains(t, whys["bare-event"], "not a record of a failed invocation")
	assert.Contains(t, whys["forged-topic"], "not from this breaker's topic")
}

// Issue 14 item 6, for items an earlier release already wrote: a
// healthcheck ALARM dated 9999 is healed by reconciliation, which reads the
// alarm's real OK.
func TestReconciliationHealsAStoredFutureAlarm(t *testing.T) {
	far := mustTime(t, "9999-12-31T23:59:59.999Z")
	r := newRig(t)
	rc := r.reconciler(recordedAlarms(t, "describe-alarms-healthcheck-ok.json"), &fakeQueue{}, &bytes.Buffer{})
	put(t, r, circuit.Circuit{State: circuit.Open, Openings: 1, Healthcheck: circuit.AlarmStatus{State: circuit.AlarmStateAlarm, ChangedAt: far}})
	r.now = mustTime(t, "2026-11-27T00:25:00.000Z")
	_, err := rc.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, circuit.Closed, r.circuit().State)
}

// Issue 14 item 9: a 200 KB field in a dead-lettered record gives a bounded
// error and bounded log lines.
func TestHugeDeadLetterRecordsGiveBoundedLogs(t *testing.T) {
	r := newRig(t)
	r.now = mustTime(t, "2026-11-27T00:12:04.000Z")
	q := &fakeQueue{}
	alarmEvent := fixtureBytes(t, "healthcheck-alarm.json")
	q.add("huge-arn", strings.Replace(invocationRecord(t, alarmEvent), alarmHandlerName, strings.Repeat("x", 200_000), 1))
	q.add("huge-condition", strings.Replace(invocationRecord(t, []byte(`{"Records":[]}`)), "RetriesExhausted", strings.Repeat("y", 200_000), 1))
	r.cfg.DeadLetterQueueURL = dlqURL
	rc := r.reconciler(&fakeAlarms{err: errDescribe}, q, &bytes.Buffer{})
	_, err := rc.Reconcile(context.Background())
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 1024, "error: %.200s", err.Error())
	for _, line := range strings.Split(strings.TrimSpace(r.logs.String()), "\n") {
		assert.Less(t, len(line), 2048, "log line: %.200s", line)
	}
}
