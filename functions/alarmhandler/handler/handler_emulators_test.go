//go:build emulators

package handler_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDownstreamAlarmOpensTheCircuit(t *testing.T) {
	r := newRig(t)
	require.NoError(t, r.deliver("downstream-alarm.json", "2026-11-27T00:10:40.000Z"))

	item := r.item()
	assert.Equal(t, s("OPEN"), item[circuit.AttrState])
	assert.Equal(t, s("2026-11-27T00:11:40.000Z"), item[circuit.AttrOpenUntil], "open for OpenDuration from the handler's clock")
	assert.Equal(t, s("ALARM"), item[circuit.AttrDownstreamAlarm])
	assert.Equal(t, s("2026-11-27T00:10:39.123Z"), item[circuit.AttrDownstreamAlarmAt], "ordered by the alarm's own StateChangeTime")
	assert.Equal(t, n("1"), item[circuit.AttrOpenings])
	assert.Equal(t, n("1"), item[circuit.AttrVersion])
	assert.Equal(t, s("CLOSED"), item[circuit.AttrTransitionFrom])
	assert.Equal(t, s("OPEN"), item[circuit.AttrTransitionTo])
	assert.Equal(t, s("2026-11-27T00:10:40.000Z"), item[circuit.AttrTransitionAt])
	assert.Contains(t, item[circuit.AttrTransitionReason].(*types.AttributeValueMemberS).Value, downstreamAlarm)
	assert.NotContains(t, item, circuit.AttrHealthcheckAlarm)

	lines := r.logLines()
	require.Len(t, lines, 1)
	assert.Equal(t, "circuit transition", lines[0]["msg"])
	assert.Equal(t, service, lines[0]["service"])
	assert.Equal(t, "CLOSED", lines[0]["from"])
	assert.Equal(t, "OPEN", lines[0]["to"])
	assert.Equal(t, "2026-11-27T00:10:40.000Z", lines[0]["at"])
	assert.Equal(t, downstreamAlarm, lines[0]["alarm"])
	assert.Equal(t, "downstream", lines[0]["source"])
	assert.Contains(t, lines[0]["reason"], downstreamAlarm)
}

func TestDuplicateChangesNothing(t *testing.T) {
	r := newRig(t)
	require.NoError(t, r.deliver("downstream-alarm.json", "2026-11-27T00:10:40.000Z"))
	before := r.item()
	// SNS delivers at least once: the same notification a minute later.
	require.NoError(t, r.deliver("downstream-alarm.json", "2026-11-27T00:11:40.000Z"))
	assert.Equal(t, before, r.item(), "not even the version moves")
	lines := r.logLines()
	require.Len(t, lines, 1)
	assert.Equal(t, "alarm notification ignored", lines[0]["msg"])
	assert.Equal(t, "STALE", lines[0]["outcome"])
}

func TestOutOfOrderDeliveryIsIgnored(t *testing.T) {
	r := newRig(t)
	// The OK (00:25:41) arrives before the ALARM it followed (00:10:39).
	require.NoError(t, r.deliver("downstream-ok.json", "2026-11-27T00:25:42.000Z"))
	require.Equal(t, s("CLOSED"), r.item()[circuit.AttrState])
	before := r.item()
	require.NoError(t, r.deliver("downstream-alarm.json", "2026-11-27T00:25:43.000Z"))
	assert.Equal(t, before, r.item(), "the late ALARM must not open the circuit")
	assert.Equal(t, s("OK"), r.item()[circuit.AttrDownstreamAlarm])
	assert.Equal(t, "alarm notification ignored", r.logLines()[0]["msg"])

	// And an older ALARM after a newer one changes nothing either.
	r2 := newRig(t)
	require.NoError(t, r2.deliver("downstream-alarm.json", "2026-11-27T00:10:40.000Z"))
	before = r2.item()
	require.NoError(t, r2.deliver("downstream-alarm-earlier.json", "2026-11-27T00:10:41.000Z"))
	assert.Equal(t, before, r2.item())
}

func TestDownstreamOKDoesNotClose(t *testing.T) {
	r := newRig(t)
	require.NoError(t, r.deliver("downstream-alarm.json", "2026-11-27T00:10:40.000Z"))
	require.NoError(t, r.deliver("downstream-ok.json", "2026-11-27T00:25:42.000Z"))
	c := r.circuit()
	assert.Equal(t, circuit.Open, c.State, "recovery goes through half-open probes, not an alarm")
	assert.Equal(t, circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: mustTime(t, "2026-11-27T00:25:41.877Z")}, c.Downstream)
	assert.Equal(t, int64(2), c.Version)
	assert.Equal(t, circuit.Elect, circuit.Decide(c, c.OpenUntil, 1), "a probe is elected once OpenUntil has passed")
	lines := r.logLines()
	require.Len(t, lines, 1)
	assert.Equal(t, "alarm notification recorded", lines[0]["msg"])
}

func TestHealthcheckHoldsThenReleases(t *testing.T) {
	r := newRig(t)
	require.NoError(t, r.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"))
	c := r.circuit()
	assert.Equal(t, circuit.Open, c.State)
	assert.Equal(t, circuit.AlarmStateAlarm, c.Healthcheck.State)
	assert.Equal(t, circuit.Reject, circuit.Decide(c, c.OpenUntil.Add(time.Hour), 1), "the hold outlasts the open duration")

	require.NoError(t, r.deliver("healthcheck-ok.json", "2026-11-27T00:20:06.000Z"))
	item := r.item()
	assert.Equal(t, s("CLOSED"), item[circuit.AttrState])
	assert.NotContains(t, item, circuit.AttrOpenUntil, "a closed circuit has no openUntil")
	assert.Equal(t, n("0"), item[circuit.AttrOpenings], "the back-off starts over")
	assert.Equal(t, s("OK"), item[circuit.AttrHealthcheckAlarm])
	assert.Equal(t, s("OPEN"), item[circuit.AttrTransitionFrom])
	assert.Equal(t, s("CLOSED"), item[circuit.AttrTransitionTo])
	assert.Contains(t, item[circuit.AttrTransitionReason].(*types.AttributeValueMemberS).Value, healthcheckAlarm)
	assert.Equal(t, circuit.Admit, circuit.Decide(r.circuit(), mustTime(t, "2026-11-27T00:20:06.000Z"), 1))
	lines := r.logLines()
	require.Len(t, lines, 1)
	assert.Equal(t, "circuit transition", lines[0]["msg"])
	assert.Equal(t, "CLOSED", lines[0]["to"])
	assert.Equal(t, "healthcheck", lines[0]["source"])
}

func TestHealthcheckInsufficientDataReleasesWithoutClosing(t *testing.T) {
	r := newRig(t)
	require.NoError(t, r.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"))
	require.NoError(t, r.deliver("healthcheck-insufficient-data.json", "2026-11-27T00:18:31.000Z"))
	c := r.circuit()
	assert.Equal(t, circuit.Open, c.State)
	assert.Equal(t, circuit.AlarmStateInsufficientData, c.Healthcheck.State)
	assert.Equal(t, circuit.Elect, circuit.Decide(c, c.OpenUntil, 1), "released: probes resume after OpenUntil")
	assert.Equal(t, "RELEASED", r.logLines()[0]["outcome"])
}

func TestDownstreamAlarmThenHealthcheckOK(t *testing.T) {
	// The original's defect 1: the downstream alarm opened the circuit while the
	// healthcheck stayed healthy, and nothing ever closed it again.
	r := newRig(t)
	require.NoError(t, r.deliver("downstream-alarm.json", "2026-11-27T00:10:40.000Z"))
	require.NoError(t, r.deliver("healthcheck-ok.json", "2026-11-27T00:20:06.000Z"))
	c := r.circuit()
	// An OK that does not follow the healthcheck's own ALARM only records: it
	// says nothing about the downstream, which recovers through probes.
	assert.Equal(t, circuit.Open, c.State)
	assert.Equal(t, circuit.AlarmStateOK, c.Healthcheck.State)
	assert.Equal(t, circuit.AlarmStateAlarm, c.Downstream.State)
	assert.Equal(t, mustTime(t, "2026-11-27T00:11:40.000Z"), c.OpenUntil)
	assert.Equal(t, circuit.Elect, circuit.Decide(c, c.OpenUntil, 1), "not open forever")
	assert.Equal(t, circuit.Reject, circuit.Decide(c, c.OpenUntil.Add(-time.Millisecond), 1))
}

func TestMalformedNotificationsChangeNothing(t *testing.T) {
	tests := []struct {
		fixture string
		field   string
	}{
		{"malformed-json.json", "Sns.Message"},
		{"malformed-not-an-alarm.json", "Sns.Message"},
		{"malformed-field-type.json", "Sns.Message.NewStateValue"},
		{"malformed-unknown-alarm.json", "AlarmName"},
		{"malformed-state.json", "NewStateValue"},
		{"malformed-time.json", "StateChangeTime"},
		{"malformed-missing-time.json", "StateChangeTime"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			r := newRig(t)
			require.NoError(t, r.deliver("downstream-alarm.json", "2026-11-27T00:10:40.000Z"))
			before := r.item()
			err := r.deliver(tt.fixture, "2026-11-27T00:30:01.000Z")
			var bad *handler.MalformedNotificationError
			require.True(t, errors.As(err, &bad), "want a MalformedNotificationError, got %v", err)
			assert.Equal(t, tt.field, bad.Field)
			assert.Contains(t, err.Error(), tt.field, "the error names the field")
			assert.Equal(t, before, r.item(), "no state change")

			lines := r.logLines()
			require.Len(t, lines, 1)
			assert.Equal(t, "malformed alarm notification", lines[0]["msg"])
			assert.Equal(t, "ERROR", lines[0]["level"])
			assert.Equal(t, tt.field, lines[0]["field"])
			// Identify the notification, never dump it.
			logged := r.logs.String()
			for _, secretish := range []string{"Threshold Crossed", "AWSAccountId", "123456789012", "Signature", "SigningCertUrl"} {
				assert.NotContains(t, logged, secretish)
			}
		})
	}
}

func TestMalformedErrorsSayWhatIsWrong(t *testing.T) {
	r := newRig(t)
	err := r.deliver("malformed-unknown-alarm.json", "2026-11-27T00:30:01.000Z")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"orders-breaker-downstream-errors-77aa01e" is neither this circuit's downstream alarm`)
	err = r.deliver("malformed-state.json", "2026-11-27T00:30:01.000Z")
	assert.Contains(t, err.Error(), `NewStateValue: "ALARMED" is not ALARM, OK or INSUFFICIENT_DATA`)
	err = r.deliver("malformed-time.json", "2026-11-27T00:30:01.000Z")
	assert.Contains(t, err.Error(), `StateChangeTime: "27/11/2026 00:30:00" is not a time`)
	assert.Empty(t, r.item(), "nothing was written")
}

func TestEmptyEventIsMalformed(t *testing.T) {
	r := newRig(t)
	err := r.h.Handle(context.Background(), events.SNSEvent{})
	var bad *handler.MalformedNotificationError
	require.True(t, errors.As(err, &bad))
	assert.Equal(t, "Records", bad.Field)
	assert.Empty(t, r.item())
}

func TestOneBadRecordSpoilsTheWholeEvent(t *testing.T) {
	r := newRig(t)
	ev := fixture(t, "downstream-alarm.json")
	ev.Records = append(ev.Records, fixture(t, "malformed-state.json").Records...)
	r.now = mustTime(t, "2026-11-27T00:10:40.000Z")
	err := r.h.Handle(context.Background(), ev)
	var bad *handler.MalformedNotificationError
	require.True(t, errors.As(err, &bad))
	assert.Equal(t, 1, bad.Record)
	assert.Empty(t, r.item(), "the good record before it was not applied either")
}

func TestSeveralRecordsApplyInOrder(t *testing.T) {
	r := newRig(t)
	ev := fixture(t, "healthcheck-alarm.json")
	ev.Records = append(ev.Records, fixture(t, "healthcheck-ok.json").Records...)
	r.now = mustTime(t, "2026-11-27T00:20:06.000Z")
	require.NoError(t, r.h.Handle(context.Background(), ev))
	c := r.circuit()
	assert.Equal(t, circuit.Closed, c.State)
	assert.Equal(t, int64(2), c.Version)
}

func TestStoreFailureIsAnUpdateError(t *testing.T) {
	r := newRig(t)
	cfg := r.cfg
	cfg.TableName = "no-such-table"
	h := handler.New(cfg, r.client, slog.New(slog.NewJSONHandler(&r.logs, nil)), nil)
	err := h.Handle(context.Background(), fixture(t, "downstream-alarm.json"))
	var upd *handler.UpdateError
	require.True(t, errors.As(err, &upd), "got %v", err)
	assert.Contains(t, err.Error(), "no-such-table")
}

// CloudWatch writes StateChangeTime as "2015-06-03T17:43:27.123+0000"
// (milliseconds, a +0000 offset: AWS's sample notification, as in
// aws/aws-lambda-go events/testdata/cloudwatch-alarm-sns-payload-single-metric.json;
// LocalStack's AWS-recorded CloudWatch snapshots mask the value). Whether it
// drops ".000" like Step Functions does is not recorded anywhere we found, so
// both forms are read, as the same instant, and stored in our fixed width.
func TestStateChangeTimeInEitherForm(t *testing.T) {
	for _, c := range []struct{ changeTime, stored string }{
		{"2026-11-27T00:10:39.123+0000", "2026-11-27T00:10:39.123Z"},
		{"2026-11-27T00:10:39.000+0000", "2026-11-27T00:10:39.000Z"},
		{"2026-11-27T00:10:39+0000", "2026-11-27T00:10:39.000Z"},
		{"2026-11-27T01:10:39+0100", "2026-11-27T00:10:39.000Z"},
		{"2026-11-27T00:10:39Z", "2026-11-27T00:10:39.000Z"},
	} {
		t.Run(c.changeTime, func(t *testing.T) {
			r := newRig(t)
			ev := fixture(t, "downstream-alarm.json")
			ev.Records[0].SNS.Message = strings.Replace(ev.Records[0].SNS.Message, `"StateChangeTime":"2026-11-27T00:10:39.123+0000"`, `"StateChangeTime":"`+c.changeTime+`"`, 1)
			require.Contains(t, ev.Records[0].SNS.Message, c.changeTime)
			r.now = mustTime(t, "2026-11-27T00:10:40Z")
			require.NoError(t, r.h.Handle(context.Background(), ev))
			assert.Equal(t, s(c.stored), r.item()[circuit.AttrDownstreamAlarmAt])
		})
	}
}

// Issue 10: the healthcheck runner's healthy verdict for the 00:11:30 run
// closed the circuit; the alarm's ALARM for the datapoint of 00:11 (the
// fixture: state change at 00:12:03, CloudWatch's delay) comes after it. With
// the window the component configures (one 60 s period and 180 s of delay)
// the notice speaks for runs from 00:08 on, which the
// verdict is newer than: it is superseded and moves nothing.
func TestHealthcheckAlarmSupersededByANewerVerdict(t *testing.T) {
	verdict := mustTime(t, "2026-11-27T00:11:30.000Z")
	closed := circuit.Circuit{State: circuit.Closed,
		Healthcheck:     circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: verdict},
		HealthcheckRuns: circuit.HealthcheckRuns{At: verdict}}

	r := newRig(t)
	r.cfg.HealthcheckAlarmWindow = 240 * time.Second
	r.h = handler.New(r.cfg, r.client, slog.New(slog.NewJSONHandler(&r.logs, nil)), func() time.Time { return r.now })
	put, err := r.store.Update(context.Background(), service, func(circuit.Circuit) (circuit.Circuit, bool, error) { return closed, true, nil })
	require.NoError(t, err)
	require.NoError(t, r.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"))
	c := r.circuit()
	assert.Equal(t, circuit.Closed, c.State)
	assert.Equal(t, circuit.AlarmStateOK, c.Healthcheck.State, "the hold stays released")
	assert.Equal(t, put.Version, c.Version, "nothing written")
	lines := r.logLines()
	require.NotEmpty(t, lines)
	assert.Equal(t, "SUPERSEDED", lines[len(lines)-1]["outcome"])

	// Without a window the notice is taken to be as new as its state change,
	// newer than the verdict: the alarm acts, as the backup does.
	r2 := newRig(t)
	_, err = r2.store.Update(context.Background(), service, func(circuit.Circuit) (circuit.Circuit, bool, error) { return closed, true, nil })
	require.NoError(t, err)
	require.NoError(t, r2.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"))
	assert.Equal(t, circuit.Open, r2.circuit().State)
}

func TestMain(m *testing.M) { testenv.MainWithDynalite(m, &endpoint) }
