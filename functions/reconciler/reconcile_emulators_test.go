//go:build emulators

package reconciler_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler"
	rcconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
)

func TestMain(m *testing.M) { testenv.MainWithDynalite(m, &endpoint) }

// Issue 9 (alarm reconciliation): the healthcheck's OK notification is lost,
// so the circuit stays held open; one reconciliation run, reading the alarms'
// current state, closes it. A second run and the late notification itself are
// stale and write nothing.
func TestReconciliationHealsALostHealthcheckOK(t *testing.T) {
	r := newRig(t)
	var metrics bytes.Buffer
	alarms := recordedAlarms(t, "describe-alarms-healthcheck-ok.json")
	rc := r.reconciler(alarms, &fakeQueue{}, &metrics)

	require.NoError(t, r.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"))
	held := r.circuit()
	require.Equal(t, circuit.Open, held.State)
	require.Equal(t, circuit.Reject, circuit.Decide(held, held.OpenUntil.Add(time.Hour), 1), "held open")
	// healthcheck-ok.json (00:20:05.731) is lost.

	// The next run, one period later.
	r.now = mustTime(t, "2026-11-27T00:25:00.000Z")
	metrics.Reset()
	rep, err := rc.Handle(context.Background(), reconciler.ReconcileEvent{Reconcile: true})
	require.NoError(t, err)
	assert.Equal(t, circuit.OutcomeClosed, rep.Alarms[circuit.SourceHealthcheck])
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
	rep, err = rc.Reconcile(context.Background())
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
	q := &fakeQueue{}
	okEvent, err := fixtureBytes(t, "healthcheck-ok.json"), error(nil)
	require.NoError(t, err)
	q.add("lost-ok", invocationRecord(t, okEvent))
	q.add("garbage", invocationRecord(t, []byte(`{"Records":[{"Sns":{"MessageId":"m1","TopicArn":"`+topicArn+`","Message":"not json"}}]}`)))
	q.add("failed-run", invocationRecord(t, []byte(rcconfig.ReconcileInput())))
	denied := &fakeAlarms{err: errors.New("AccessDenied: not authorized to perform cloudwatch:DescribeAlarms")}
	rc := r.reconciler(denied, q, &bytes.Buffer{})

	require.NoError(t, r.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"))
	r.now = mustTime(t, "2026-11-27T06:25:00.000Z")
	r.logs.Reset()
	rep, err := rc.Reconcile(context.Background())
	var rerr *reconciler.ReconcileError
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
	_, _ = rc.Reconcile(context.Background())
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
	rc := r.reconciler(alarms, &fakeQueue{}, &bytes.Buffer{})
	require.NoError(t, r.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"))
	before := r.circuit()
	r.now = mustTime(t, "2026-11-27T00:25:00.000Z")
	rep, err := rc.Reconcile(context.Background())
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
	alarms := recordedAlarms(t, "describe-alarms-healthcheck-ok.json")
	slowOne := alarms.out.MetricAlarms[0]
	slowOne.AlarmName = aws.String(slowAlarm)
	slowOne.StateValue = "ALARM"
	alarms.out.MetricAlarms = append(alarms.out.MetricAlarms, slowOne)
	rc := r.reconciler(alarms, &fakeQueue{}, &bytes.Buffer{})
	r.now = mustTime(t, "2026-11-27T00:25:00.000Z")
	rep, err := rc.Reconcile(context.Background())
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
	rc := r.reconciler(alarms, &fakeQueue{}, &bytes.Buffer{})
	r.now = mustTime(t, "2026-11-27T00:15:00.000Z")
	rep, err := rc.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, circuit.OutcomeStale, rep.Alarms[circuit.SourceDownstream])
	assert.Equal(t, circuit.Closed, r.circuit().State)

	down.StateTransitionedTimestamp = aws.Time(mustTime(t, "2026-11-27T00:14:02.000Z")) // ALARM again, OK lost in between
	rep, err = rc.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, circuit.OutcomeOpened, rep.Alarms[circuit.SourceDownstream])
	assert.Equal(t, circuit.Open, r.circuit().State)
}
