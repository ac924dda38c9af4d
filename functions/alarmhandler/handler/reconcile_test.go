//go:build emulators

package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
)

// fakeAlarms answers DescribeAlarms with a recorded response. The fixture
// testdata/describe-alarms-*.json has the shape of a DescribeAlarms response
// recorded against AWS (LocalStack's AWS-validated snapshot
// tests/aws/services/cloudwatch/test_cloudwatch.snapshot.json,
// test_enable_disable_alarm_actions "describe_alarm": MetricAlarms with
// StateValue, StateReason, StateTransitionedTimestamp, StateUpdatedTimestamp)
// and decodes into aws-sdk-go-v2's own output type, so a field the SDK does not
// have fails the decode.
type fakeAlarms struct {
	out   *cloudwatch.DescribeAlarmsOutput
	err   error
	calls []*cloudwatch.DescribeAlarmsInput
}

func (f *fakeAlarms) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f.calls = append(f.calls, in)
	return f.out, f.err
}

func recordedAlarms(t *testing.T, name string) *fakeAlarms {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var out cloudwatch.DescribeAlarmsOutput
	require.NoError(t, dec.Decode(&out), "fixture %s must decode into cloudwatch.DescribeAlarmsOutput", name)
	return &fakeAlarms{out: &out}
}

// fakeQueue is an SQS queue: received messages are hidden until deleted (the
// visibility timeout outlasts a run), deleted ones are gone.
type fakeQueue struct {
	msgs    []sqstypes.Message
	hidden  map[string]bool
	deleted []string
}

func (q *fakeQueue) add(id, body string) {
	q.msgs = append(q.msgs, sqstypes.Message{MessageId: aws.String(id), ReceiptHandle: aws.String("rh-" + id), Body: aws.String(body)})
}

func (q *fakeQueue) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if q.hidden == nil {
		q.hidden = map[string]bool{}
	}
	out := &sqs.ReceiveMessageOutput{}
	for _, m := range q.msgs {
		if len(out.Messages) >= int(in.MaxNumberOfMessages) {
			break
		}
		if !q.hidden[*m.ReceiptHandle] {
			q.hidden[*m.ReceiptHandle] = true
			out.Messages = append(out.Messages, m)
		}
	}
	return out, nil
}

func (q *fakeQueue) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	for i, m := range q.msgs {
		if *m.ReceiptHandle == *in.ReceiptHandle {
			q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
			q.deleted = append(q.deleted, *m.MessageId)
			return &sqs.DeleteMessageOutput{}, nil
		}
	}
	return nil, errors.New("ReceiptHandleIsInvalid")
}

// invocationRecord wraps an event as Lambda's on-failure destination does
// (Lambda Developer Guide, "Capturing records of Lambda asynchronous
// invocations", the example invocation record).
func invocationRecord(t *testing.T, event []byte) string {
	t.Helper()
	rec := map[string]any{
		"version":   "1.0",
		"timestamp": "2026-11-27T06:20:09.412Z",
		"requestContext": map[string]any{
			"requestId":              "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
			"functionArn":            "arn:aws:lambda:us-east-1:123456789012:function:payments-breaker-alarm-handler-1a2b3c4:$LATEST",
			"condition":              "RetriesExhausted",
			"approximateInvokeCount": 3,
		},
		"requestPayload":  json.RawMessage(event),
		"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
		"responsePayload": map[string]any{"errorType": "UpdateError", "errorMessage": "updating the circuit: throttled"},
	}
	b, err := json.Marshal(rec)
	require.NoError(t, err)
	return string(b)
}

// Issue 9 (alarm reconciliation): the healthcheck's OK notification is lost,
// so the circuit stays held open; one reconciliation run, reading the alarms'
// current state, closes it. A second run and the late notification itself are
// stale and write nothing.
func TestReconciliationHealsALostHealthcheckOK(t *testing.T) {
	r := newRig(t)
	var metrics bytes.Buffer
	alarms := recordedAlarms(t, "describe-alarms-healthcheck-ok.json")
	r.h.WithReconciliation(alarms, &fakeQueue{}).WithMetrics(&metrics)

	require.NoError(t, r.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"))
	held := r.circuit()
	require.Equal(t, circuit.Open, held.State)
	require.Equal(t, circuit.Reject, circuit.Decide(held, held.OpenUntil.Add(time.Hour), 1), "held open")
	// healthcheck-ok.json (00:20:05.731) is lost.

	// The next run, one period later.
	r.now = mustTime(t, "2026-11-27T00:25:00.000Z")
	metrics.Reset()
	require.NoError(t, r.h.Invoke(context.Background(), json.RawMessage(config.ReconcileInput())))
	require.Len(t, alarms.calls, 1)
	assert.Equal(t, []string{downstreamAlarm, healthcheckAlarm}, alarms.calls[0].AlarmNames, "exactly this breaker's alarms")
	c := r.circuit()
	assert.Equal(t, circuit.Closed, c.State, "healed")
	assert.Equal(t, circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: mustTime(t, "2026-11-27T00:20:05.731Z")}, c.Healthcheck,
		"ordered by the alarm's StateTransitionedTimestamp, as its notification would have been")
	assert.Equal(t, circuit.Admit, circuit.Decide(c, r.now, 1))
	assert.Equal(t, circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: mustTime(t, "2026-11-26T23:59:14.090Z")}, c.Downstream,
		"not StateUpdatedTimestamp, which moves without a state change")

	// CircuitState: the transition's datapoint (2 -> 0) and the run's own.
	lines := emfLines(t, &metrics)
	require.Len(t, lines, 2)
	for _, l := range lines {
		assert.Equal(t, service, l["ServiceName"])
		assert.Equal(t, float64(circuit.MetricClosed), l["CircuitState"])
		d := l["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
		assert.Equal(t, circuit.MetricNamespace, d["Namespace"])
		assert.Equal(t, []any{[]any{"ServiceName"}}, d["Dimensions"])
		assert.Equal(t, float64(r.now.UnixMilli()), l["_aws"].(map[string]any)["Timestamp"])
	}

	// Idempotent: a second run, and the lost notification arriving late, write nothing.
	version := c.Version
	r.now = mustTime(t, "2026-11-27T00:30:00.000Z")
	rep, err := r.h.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, circuit.OutcomeStale, rep.Alarms[circuit.SourceHealthcheck])
	assert.Equal(t, circuit.OutcomeStale, rep.Alarms[circuit.SourceDownstream])
	require.NoError(t, r.deliver("healthcheck-ok.json", "2026-11-27T00:31:00.000Z"))
	assert.Equal(t, version, r.circuit().Version, "no write after the heal")
}

// Issue 9 (drain the dead-letter queue): a dead-lettered healthcheck OK is
// applied through the same rule and deleted, even when DescribeAlarms fails; a
// malformed message is left (and logged) for an operator; a failed
// reconciliation run in the queue is retired.
func TestReconciliationDrainsTheDeadLetterQueue(t *testing.T) {
	r := newRig(t)
	r.cfg.DeadLetterQueueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/payments-breaker-alarm-handler-dlq-1a2b3c4"
	r.h = handler.New(r.cfg, r.client, r.h.Logger(), func() time.Time { return r.now })
	q := &fakeQueue{}
	okEvent, err := os.ReadFile(filepath.Join("testdata", "healthcheck-ok.json"))
	require.NoError(t, err)
	q.add("lost-ok", invocationRecord(t, okEvent))
	q.add("garbage", invocationRecord(t, []byte(`{"Records":[{"Sns":{"MessageId":"m1","TopicArn":"`+topicArn+`","Message":"not json"}}]}`)))
	q.add("failed-run", invocationRecord(t, []byte(config.ReconcileInput())))
	denied := &fakeAlarms{err: errors.New("AccessDenied: not authorized to perform cloudwatch:DescribeAlarms")}
	r.h.WithReconciliation(denied, q).WithMetrics(&bytes.Buffer{})

	require.NoError(t, r.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"))
	r.now = mustTime(t, "2026-11-27T06:25:00.000Z")
	r.logs.Reset()
	rep, err := r.h.Reconcile(context.Background())
	var rerr *handler.ReconcileError
	require.ErrorAs(t, err, &rerr, "a denied DescribeAlarms fails the run, visibly")
	assert.Contains(t, err.Error(), "DescribeAlarms")

	assert.Equal(t, circuit.Closed, r.circuit().State, "the dead-lettered OK healed the circuit")
	assert.Equal(t, 1, rep.DLQApplied)
	assert.Equal(t, 1, rep.DLQRetired)
	assert.Equal(t, 1, rep.DLQLeft)
	assert.ElementsMatch(t, []string{"lost-ok", "failed-run"}, q.deleted)
	require.Len(t, q.msgs, 1)
	assert.Equal(t, "garbage", *q.msgs[0].MessageId, "a malformed message stays for an operator")
	var logged bool
	for _, l := range r.logLines() {
		if l["msg"] == "dead-lettered message left in the queue" && l["sqsMessageId"] == "garbage" {
			logged = true
			assert.Equal(t, "Sns.Message", l["field"])
		}
	}
	assert.True(t, logged, "the malformed message is logged")

	// A replayed message that is older than what was applied is stale: deleted, no write.
	version := r.circuit().Version
	q.hidden = nil
	q.add("dup", invocationRecord(t, okEvent))
	_, _ = r.h.Reconcile(context.Background())
	assert.Contains(t, q.deleted, "dup")
	assert.Equal(t, version, r.circuit().Version)
}

// An alarm whose actions are disabled (monitoring actionsEnabled: false)
// notifies nobody and so never moves the circuit; reconciliation must not
// either, whatever its state.
func TestReconciliationSkipsAlarmsWithActionsDisabled(t *testing.T) {
	r := newRig(t)
	alarms := recordedAlarms(t, "describe-alarms-healthcheck-ok.json")
	for i := range alarms.out.MetricAlarms {
		alarms.out.MetricAlarms[i].ActionsEnabled = aws.Bool(false)
	}
	r.h.WithReconciliation(alarms, &fakeQueue{}).WithMetrics(&bytes.Buffer{})
	require.NoError(t, r.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"))
	before := r.circuit()
	r.now = mustTime(t, "2026-11-27T00:25:00.000Z")
	rep, err := r.h.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Empty(t, rep.Alarms)
	assert.Equal(t, before, r.circuit())
}

// With a slow-call alarm configured, reconciliation describes it too and
// applies its state to its own source.
func TestReconciliationCoversTheSlowCallAlarm(t *testing.T) {
	r := newRig(t)
	const slowAlarm = "payments-breaker-downstream-slow-calls-77aa0c1"
	r.cfg.SlowCallAlarmName = slowAlarm
	r.h = handler.New(r.cfg, r.client, r.h.Logger(), func() time.Time { return r.now })
	alarms := recordedAlarms(t, "describe-alarms-healthcheck-ok.json")
	slowOne := alarms.out.MetricAlarms[0]
	slowOne.AlarmName = aws.String(slowAlarm)
	slowOne.StateValue = "ALARM"
	alarms.out.MetricAlarms = append(alarms.out.MetricAlarms, slowOne)
	r.h.WithReconciliation(alarms, &fakeQueue{}).WithMetrics(&bytes.Buffer{})
	r.now = mustTime(t, "2026-11-27T00:25:00.000Z")
	rep, err := r.h.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{downstreamAlarm, healthcheckAlarm, slowAlarm}, alarms.calls[0].AlarmNames)
	assert.Equal(t, circuit.OutcomeOpened, rep.Alarms[circuit.SourceSlowCalls], "a slow-call ALARM opens, like the downstream's")
	assert.Equal(t, circuit.Open, r.circuit().State)
}

// The same transition read back with a timestamp a few milliseconds off its
// notification's is not a new one: a downstream ALARM that probes have since
// closed is not reopened by it. A real new ALARM, periods later, is applied.
func TestReconciliationDoesNotReplayTheSameTransitionSlightlyOff(t *testing.T) {
	r := newRig(t)
	require.NoError(t, r.deliver("downstream-alarm.json", "2026-11-27T00:10:40.000Z")) // ALARM at 00:10:39.123
	_, err := r.store.Update(context.Background(), service, func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		c.State, c.OpenUntil, c.Openings = circuit.Closed, time.Time{}, 0 // the probes closed it
		return c, true, nil
	})
	require.NoError(t, err)
	alarms := recordedAlarms(t, "describe-alarms-healthcheck-ok.json")
	down := &alarms.out.MetricAlarms[0]
	down.StateValue = "ALARM"
	down.StateTransitionedTimestamp = aws.Time(mustTime(t, "2026-11-27T00:10:39.140Z"))
	r.h.WithReconciliation(alarms, &fakeQueue{}).WithMetrics(&bytes.Buffer{})
	r.now = mustTime(t, "2026-11-27T00:15:00.000Z")
	rep, err := r.h.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, circuit.OutcomeStale, rep.Alarms[circuit.SourceDownstream])
	assert.Equal(t, circuit.Closed, r.circuit().State)

	down.StateTransitionedTimestamp = aws.Time(mustTime(t, "2026-11-27T00:14:02.000Z")) // ALARM again, OK lost in between
	rep, err = r.h.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, circuit.OutcomeOpened, rep.Alarms[circuit.SourceDownstream])
	assert.Equal(t, circuit.Open, r.circuit().State)
}
