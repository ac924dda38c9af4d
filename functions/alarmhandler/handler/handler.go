// Package handler is the alarm handler Lambda's logic: it turns the CloudWatch
// alarm notifications that SNS delivers into changes of one circuit's item.
//
// The handler knows the names of its circuit's alarms (two, three with
// slowCallMonitoring), so it tells the sources apart by name and keeps them
// separately (the original flipped one boolean on whichever alarm fired). Each source's notifications are ordered by
// the alarm's own StateChangeTime, so SNS's duplicates and out-of-order
// deliveries change nothing; that also makes Lambda's automatic retries of a
// failed invocation safe.
package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
)

// Handler applies alarm notifications to one circuit.
type Handler struct {
	cfg   Config
	store *circuitstore.Store
	log   *slog.Logger
	now   func() time.Time

	// metrics is the CircuitState metric's sink (metric.go).
	metrics io.Writer
}

// New returns a handler writing through client. now is the clock for transition
// times and open durations (nil: time.Now).
func New(cfg Config, client circuitstore.API, log *slog.Logger, now func() time.Time) *Handler {
	if now == nil {
		now = time.Now
	}
	return &Handler{cfg: cfg, store: circuitstore.New(client, cfg.TableName), log: log, now: now, metrics: os.Stdout}
}

// MalformedNotificationError is a notification the handler cannot apply. Its type
// name is the errorType Lambda reports, so that failed invocations say why in
// Lambda's own error metric and logs.
type MalformedNotificationError struct {
	Record    int    // index in the SNS event's Records; -1 for the event itself
	MessageID string // SNS MessageId, to find the delivery
	Field     string // the offending field, e.g. "StateChangeTime"
	Problem   string
	// What the notification said, for the log line: none of it is secret.
	AlarmName, State, ChangeTime string
}

func (e *MalformedNotificationError) Error() string {
	where := "event"
	if e.Record >= 0 {
		where = fmt.Sprintf("record %d", e.Record)
	}
	if e.MessageID != "" {
		where += ", SNS message " + quote(e.MessageID)
	}
	return fmt.Sprintf("malformed alarm notification (%s): %s: %s", where, e.Field, e.Problem)
}

// UpdateError is a failure to read or write the circuit. Lambda retries the
// invocation, which is safe: notifications already applied are then stale.
type UpdateError struct{ Err error }

func (e *UpdateError) Error() string { return "updating the circuit: " + e.Err.Error() }
func (e *UpdateError) Unwrap() error { return e.Err }

// cloudWatchTimeLayouts: CloudWatch writes "2026-11-27T00:10:39.123+0000"; the
// others accept hand-made or future variants that are still unambiguous.
var cloudWatchTimeLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	time.RFC3339Nano,
}

// quote is how a value from a notification appears in an error or a log
// line: bounded and escaped (circuit.Quote), however large the notification.
func quote(s string) string { return circuit.Quote(s) }

// Parse turns one SNS record into a notice, or says which field is wrong. A
// notice is applied only if it came through this breaker's topic from one of
// its alarms, in the topic's account and Region (issue 14 item 7b): the topic
// policy lets only those alarms publish, and this check holds even where the
// policy is wider (a topic policy edited by hand, a test invoking the handler
// directly, a replayed dead-letter record).
func (h *Handler) Parse(i int, r events.SNSEventRecord) (circuit.AlarmNotice, *MalformedNotificationError) {
	bad := &MalformedNotificationError{Record: i, MessageID: circuit.Echo(r.SNS.MessageID)}
	fail := func(field, format string, args ...any) (circuit.AlarmNotice, *MalformedNotificationError) {
		bad.Field, bad.Problem = field, fmt.Sprintf(format, args...)
		return circuit.AlarmNotice{}, bad
	}
	if r.SNS.TopicArn != h.cfg.TopicArn {
		return fail("Sns.TopicArn", "%s is not this breaker's alarm topic (%s)", quote(r.SNS.TopicArn), h.cfg.TopicArn)
	}
	if strings.TrimSpace(r.SNS.Message) == "" {
		return fail("Sns.Message", "empty: expected a CloudWatch alarm notification")
	}
	var m events.CloudWatchAlarmSNSPayload
	if err := json.Unmarshal([]byte(r.SNS.Message), &m); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return fail("Sns.Message."+circuit.Echo(typeErr.Field), "has JSON type %s, expected %s", typeErr.Value, typeErr.Type)
		}
		// The JSON error names a position and a character, never the content.
		return fail("Sns.Message", "not a CloudWatch alarm notification (JSON object expected): %s", circuit.Echo(err.Error()))
	}
	bad.AlarmName, bad.State, bad.ChangeTime = circuit.Echo(m.AlarmName), circuit.Echo(m.NewStateValue), circuit.Echo(m.StateChangeTime)

	n := circuit.AlarmNotice{AlarmName: m.AlarmName, State: circuit.AlarmState(m.NewStateValue), Reason: m.NewStateReason}
	if m.AlarmName == "" {
		return fail("AlarmName", "missing")
	}
	if !h.Classify(&n) {
		if h.cfg.SlowCallAlarmName != "" {
			return fail("AlarmName", "%s is none of this circuit's alarms: downstream (%s), healthcheck (%s), slow calls (%s)",
				quote(m.AlarmName), h.cfg.DownstreamAlarmName, h.cfg.HealthcheckAlarmName, h.cfg.SlowCallAlarmName)
		}
		return fail("AlarmName", "%s is neither this circuit's downstream alarm (%s) nor its healthcheck alarm (%s)",
			quote(m.AlarmName), h.cfg.DownstreamAlarmName, h.cfg.HealthcheckAlarmName)
	}
	// CloudWatch's notification names the alarm's account (AWSAccountId) and
	// ARN, whose fields are the Region's code and the account; its Region
	// field is the Region's display name ("US East (N. Virginia)"), so the
	// ARN is what pins the Region.
	if m.AWSAccountID != h.cfg.Account() {
		return fail("AWSAccountId", "%s is not this breaker's account (%s)", quote(m.AWSAccountID), h.cfg.Account())
	}
	if want := h.cfg.AlarmArn(m.AlarmName); m.AlarmARN != want {
		return fail("AlarmArn", "%s is not this breaker's alarm %s in its account and Region (%s)", quote(m.AlarmARN), m.AlarmName, want)
	}
	switch n.State {
	case circuit.AlarmStateAlarm, circuit.AlarmStateOK, circuit.AlarmStateInsufficientData:
	default:
		return fail("NewStateValue", "%s is not ALARM, OK or INSUFFICIENT_DATA", quote(m.NewStateValue))
	}
	if m.StateChangeTime == "" {
		return fail("StateChangeTime", "missing: notifications cannot be ordered without it")
	}
	for _, layout := range cloudWatchTimeLayouts {
		if t, err := time.Parse(layout, m.StateChangeTime); err == nil {
			n.ChangedAt = t.UTC()
			break
		}
	}
	if n.ChangedAt.IsZero() {
		return fail("StateChangeTime", "%s is not a time like 2026-11-27T00:10:39.123+0000", quote(m.StateChangeTime))
	}
	// A notice dated ahead of any clock would make every later notice of its
	// alarm stale (issue 14 item 6).
	if err := circuit.CheckTime("StateChangeTime", n.ChangedAt, h.now()); err != nil {
		return fail("StateChangeTime", "%v", err)
	}
	return n, nil
}

// Classify sets the notice's source from its alarm name, for a notification
// and a reconciliation (functions/reconciler) alike, and dates a healthcheck notice's data by the
// alarm's window, so that either is ordered against the runner's verdicts the
// same way. False: none of this circuit's alarms.
func (h *Handler) Classify(n *circuit.AlarmNotice) bool {
	switch {
	case n.AlarmName == "":
		return false
	case n.AlarmName == h.cfg.DownstreamAlarmName:
		n.Source = circuit.SourceDownstream
	case n.AlarmName == h.cfg.HealthcheckAlarmName:
		n.Source = circuit.SourceHealthcheck
		n.Window = h.cfg.HealthcheckAlarmWindow
	case h.cfg.SlowCallAlarmName != "" && n.AlarmName == h.cfg.SlowCallAlarmName:
		n.Source = circuit.SourceSlowCalls
	default:
		return false
	}
	return true
}

// Handle is the Lambda handler. Every record is checked before any is applied,
// so a malformed event changes nothing.
func (h *Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	log := h.log.With("service", h.cfg.ServiceName)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	if len(ev.Records) == 0 {
		err := &MalformedNotificationError{Record: -1, Field: "Records", Problem: "no SNS records: expected an SNS event from the alarm topic"}
		log.Error("malformed alarm notification", "field", err.Field, "error", err.Error())
		return err
	}
	notices := make([]circuit.AlarmNotice, len(ev.Records))
	for i, r := range ev.Records {
		n, bad := h.Parse(i, r)
		if bad != nil {
			// The fields that identify the notification and the one that was
			// wrong: never the payload (its reason text) nor the environment.
			log.Error("malformed alarm notification",
				"field", bad.Field, "problem", bad.Problem, "snsMessageId", bad.MessageID,
				"alarm", bad.AlarmName, "alarmState", bad.State, "stateChangeTime", bad.ChangeTime)
			return bad
		}
		notices[i] = n
	}
	for i, n := range notices {
		if _, err := h.Apply(ctx, log.With("snsMessageId", circuit.Echo(ev.Records[i].SNS.MessageID)), n, nil); err != nil {
			return err
		}
	}
	return nil
}

// Apply applies one notice to the circuit (circuit.ApplyAlarm), repairing the
// item with the same write; the reconciler applies the alarms' current state
// and dead-lettered notifications with it too. With seen, a notice returns
// STALE without a write when seen(the circuit as read) is true.
func (h *Handler) Apply(ctx context.Context, log *slog.Logger, n circuit.AlarmNotice, seen func(circuit.Circuit) bool) (circuit.Outcome, error) {
	now := h.now()
	var before circuit.Circuit
	var outcome circuit.Outcome
	var fixes []string
	// A notice must land whatever the request path does: when the write
	// conditioned on the version loses (the state machine counts calls on the
	// same item, up to every millisecond), it is written again as a merge,
	// conditioned only on what ApplyAlarm decided on (circuit.AlarmInputs).
	after, writes, err := h.store.UpdateMerging(ctx, h.cfg.ServiceName, func(c circuit.Circuit) (circuit.Circuit, bool, *circuitstore.Merge, error) {
		before = c
		// What the item holds that the rules cannot trust is repaired with
		// this write, before the notice applies (circuit.Repair).
		c, fixes = c.Repair(now, h.cfg.Limits())
		if seen != nil && seen(c) {
			outcome = circuit.OutcomeStale
			return c, len(fixes) > 0, nil, nil
		}
		next, out := c.ApplyAlarm(n, now, h.cfg.Policy)
		outcome = out
		merge := &circuitstore.Merge{Guard: circuit.AlarmInputs}
		if circuit.ResetsCounters(n, out) {
			merge.Reset = circuit.RequestPathCounters
		}
		return next, out.Changed() || len(fixes) > 0, merge, nil
	})
	log = log.With("source", string(n.Source), "alarm", n.AlarmName, "alarmState", string(n.State),
		"stateChangeTime", circuit.FormatTime(n.ChangedAt),
		"reads", writes.Reads, "writes", writes.Writes, "lostRaces", writes.LostRaces, "merged", writes.Merged)
	if len(fixes) > 0 && err == nil {
		log.Warn("circuit item repaired", "fixes", fixes, "version", after.Version)
	}
	if err != nil {
		log.Error("circuit update failed", "error", err.Error())
		return outcome, &UpdateError{Err: err}
	}
	if before.MetricValue() != after.MetricValue() {
		// A transition's datapoint at once, not only at the next reconciliation.
		h.emitState(after)
	}
	switch outcome {
	case circuit.OutcomeOpened, circuit.OutcomeClosed:
		t := after.LastTransition
		attrs := []any{"from", string(t.From), "to", string(t.To), "at", circuit.FormatTime(t.At),
			"reason", t.Reason, "version", after.Version}
		if !after.OpenUntil.IsZero() {
			attrs = append(attrs, "openUntil", circuit.FormatTime(after.OpenUntil))
		}
		log.Info("circuit transition", attrs...)
	case circuit.OutcomeStale:
		last := before.Alarm(n.Source)
		log.Info("alarm notification ignored", "outcome", string(outcome),
			"why", "stale or duplicate: not newer than the last notification applied for this alarm",
			"lastAppliedState", string(last.State), "lastAppliedChangeTime", circuit.FormatTime(last.ChangedAt))
	case circuit.OutcomeSuperseded:
		log.Info("alarm notification ignored", "outcome", string(outcome),
			"why", "superseded: the healthcheck's last verdict is newer than every run this alarm state evaluated",
			"lastVerdictRun", circuit.FormatTime(before.HealthcheckRuns.At), "window", n.Window.String())
	default:
		log.Info("alarm notification recorded", "outcome", string(outcome), "state", string(after.State), "version", after.Version)
	}
	return outcome, nil
}

// Logger is the handler's logger (tests rebuild a handler with it).
func (h *Handler) Logger() *slog.Logger { return h.log }
