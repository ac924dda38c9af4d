package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
)

// AlarmsAPI is the part of the CloudWatch client reconciliation uses.
type AlarmsAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// QueueAPI is the part of the SQS client draining the dead-letter queue uses.
type QueueAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Drain bounds: SQS returns at most 10 messages per receive. A run drains at
// most 100 messages, far more than two alarms can lose in one period; whatever
// is left waits for the next run. Received messages stay invisible for
// drainVisibilitySeconds, so a message left in the queue (malformed, or its
// write failed) is not received twice in one run. Receives long-poll for
// drainWaitSeconds: a short poll samples only some of SQS's servers and may
// answer "empty" while a message waits (Amazon SQS Developer Guide, "Amazon SQS
// short and long polling"), which would leave a lost notification for a later
// run; a long poll returns as soon as a message is there, so only the last,
// empty receive of a run waits.
const (
	drainBatch             = 10
	drainBatches           = 10
	drainVisibilitySeconds = 300
	drainWaitSeconds       = 1
)

// ReconcileReport is what one reconciliation run did: the function's response
// and its log line.
type ReconcileReport struct {
	Alarms      map[circuit.Source]circuit.Outcome `json:"alarms"`
	DLQApplied  int                                `json:"dlqApplied"`  // messages applied (or stale) and deleted
	DLQRetired  int                                `json:"dlqRetired"`  // failed reconciliation runs found in the queue, deleted: the next run supersedes them
	DLQLeft     int                                `json:"dlqLeft"`     // malformed messages or failed writes, left in the queue for an operator
	MetricValue int                                `json:"metricValue"` // the CircuitState value emitted at the end
	Repaired    int                                `json:"repaired"`    // values of the item circuit.Repair replaced at the end
}

// ReconcileError is a reconciliation run that could not do all of its work; the
// report says what it did.
type ReconcileError struct{ Problems []string }

func (e *ReconcileError) Error() string { return "reconciliation: " + strings.Join(e.Problems, "; ") }

// Reconcile applies the alarms' current state (the downstream's, the
// healthcheck's, and the slow-call alarm's when there is one), drains the
// dead-letter queue and emits the circuit's CircuitState metric.
func (h *Handler) Reconcile(ctx context.Context) (ReconcileReport, error) {
	log := h.log.With("service", h.cfg.ServiceName, "mode", "reconcile")
	rep := ReconcileReport{Alarms: map[circuit.Source]circuit.Outcome{}}
	var problems []string
	if h.alarms == nil {
		problems = append(problems, "no CloudWatch client configured")
	} else if err := h.reconcileAlarms(ctx, log, &rep); err != nil {
		problems = append(problems, err.Error())
	}
	if err := h.drain(ctx, log, &rep); err != nil {
		problems = append(problems, err.Error())
	}
	h.checkOwner(ctx, log)
	// Repair what the item holds that the rules cannot trust, even when no
	// alarm moved (an idle circuit is repaired within one run too), and read
	// the circuit for its metric in the same step.
	now := h.now()
	var fixes []string
	c, err := h.store.Update(ctx, h.cfg.ServiceName, func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		c, fixes = c.Repair(now, h.cfg.Limits())
		return c, len(fixes) > 0, nil
	})
	if err != nil {
		problems = append(problems, err.Error())
	} else {
		if len(fixes) > 0 {
			rep.Repaired = len(fixes)
			log.Warn("circuit item repaired", "fixes", fixes, "version", c.Version)
		}
		rep.MetricValue = c.MetricValue()
		h.emitState(c)
	}
	log.Info("reconciliation done", "downstream", string(rep.Alarms[circuit.SourceDownstream]),
		"healthcheck", string(rep.Alarms[circuit.SourceHealthcheck]), "dlqApplied", rep.DLQApplied,
		"dlqRetired", rep.DLQRetired, "dlqLeft", rep.DLQLeft, "circuitState", rep.MetricValue, "repaired", rep.Repaired)
	if len(problems) > 0 {
		err := &ReconcileError{Problems: problems}
		log.Error("reconciliation incomplete", "error", err.Error())
		return rep, err
	}
	return rep, nil
}

func (h *Handler) reconcileAlarms(ctx context.Context, log *slog.Logger, rep *ReconcileReport) error {
	names := []string{h.cfg.DownstreamAlarmName, h.cfg.HealthcheckAlarmName}
	if h.cfg.SlowCallAlarmName != "" {
		names = append(names, h.cfg.SlowCallAlarmName)
	}
	out, err := h.alarms.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
		AlarmNames: names,
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm},
	})
	if err != nil {
		return fmt.Errorf("describing alarms %s: %w", strings.Join(names, ", "), err)
	}
	found := map[string]bool{}
	var problems []string
	for _, a := range out.MetricAlarms {
		if a.ActionsEnabled != nil && !*a.ActionsEnabled {
			// The alarm's actions are off (monitoring actionsEnabled: false):
			// its state changes notify nobody and must not move the circuit,
			// so reconciliation must not move it either.
			found[aws.ToString(a.AlarmName)] = true
			log.Info("alarm not reconciled", "alarm", aws.ToString(a.AlarmName), "why", "its actions are disabled")
			continue
		}
		n, err := h.noticeOf(a)
		if err != nil {
			log.Error("alarm state unusable", "alarm", aws.ToString(a.AlarmName), "error", err.Error())
			problems = append(problems, err.Error())
			continue
		}
		found[n.AlarmName] = true
		outcome, err := h.notices.Apply(ctx, log.With("via", "DescribeAlarms"), n, func(c circuit.Circuit) bool { return sameTransition(c.Alarm(n.Source), n) })
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		rep.Alarms[n.Source] = outcome
	}
	for _, name := range names {
		if !found[name] {
			problems = append(problems, fmt.Sprintf("alarm %s not found (deleted, or outside this account and Region?)", name))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// noticeOf reads an alarm as the notification of its last state change. The
// order key is StateTransitionedTimestamp, "the date and time that the alarm's
// StateValue most recently changed" (aws-sdk-go-v2 cloudwatch types.MetricAlarm),
// which is the moment the notification of that change reports as its
// StateChangeTime, so a transition already applied from its notification is
// stale here. StateUpdatedTimestamp is not used while the other is present: it
// also moves when only the alarm's EvaluationState changes, and a newer time on
// an unchanged downstream ALARM would reopen a circuit its probes had closed.
func (h *Handler) noticeOf(a cwtypes.MetricAlarm) (circuit.AlarmNotice, error) {
	n := circuit.AlarmNotice{AlarmName: aws.ToString(a.AlarmName), State: circuit.AlarmState(a.StateValue), Reason: aws.ToString(a.StateReason)}
	if !h.notices.Classify(&n) {
		return n, fmt.Errorf("DescribeAlarms returned alarm %s, which is none of this circuit's", circuit.Quote(n.AlarmName))
	}
	switch {
	case a.StateTransitionedTimestamp != nil:
		n.ChangedAt = a.StateTransitionedTimestamp.UTC()
	case a.StateUpdatedTimestamp != nil:
		n.ChangedAt = a.StateUpdatedTimestamp.UTC()
	}
	if err := n.Validate(); err != nil {
		return n, fmt.Errorf("alarm %s: %w", n.AlarmName, err)
	}
	return n, nil
}

// sameTransitionWindow: an alarm's state read back through DescribeAlarms is
// the transition its notification reported, but nothing documents that
// StateTransitionedTimestamp and the notification's StateChangeTime agree to
// the millisecond. Within this window, the same state for the same source is
// taken for the same transition, already applied: two transitions of one alarm
// into one state are at least two evaluations apart (periods are 10 s at the
// least), so no real change is mistaken for it. Without it, a downstream ALARM
// read back a few milliseconds "newer" than its notification would reopen a
// circuit its probes had closed.
const sameTransitionWindow = time.Second

func sameTransition(recorded circuit.AlarmStatus, n circuit.AlarmNotice) bool {
	if recorded.State != n.State || recorded.ChangedAt.IsZero() {
		return false
	}
	d := n.ChangedAt.Sub(recorded.ChangedAt)
	return d > -sameTransitionWindow && d < sameTransitionWindow
}

// dlqRecord is Lambda's record of an asynchronous invocation that failed every
// attempt, as its on-failure destination receives it (Lambda Developer Guide,
// "Capturing records of Lambda asynchronous invocations": version, timestamp,
// requestContext with requestId, functionArn (the function's ARN qualified by
// the version that ran, "arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST"),
// condition and approximateInvokeCount, requestPayload: the event as the
// function received it, responseContext, responsePayload).
type dlqRecord struct {
	RequestContext struct {
		FunctionArn string `json:"functionArn"`
		Condition   string `json:"condition"`
	} `json:"requestContext"`
	RequestPayload json.RawMessage `json:"requestPayload"`
}

// unqualified is a Lambda function ARN without its version or alias.
func unqualified(arn string) string {
	parts := strings.SplitN(arn, ":", 8)
	if len(parts) > 7 {
		parts = parts[:7]
	}
	return strings.Join(parts, ":")
}

func (h *Handler) drain(ctx context.Context, log *slog.Logger, rep *ReconcileReport) error {
	if h.cfg.DeadLetterQueueURL == "" {
		log.Warn("no dead-letter queue configured; nothing drained", "variable", config.EnvDeadLetterQueueURL)
		return nil
	}
	if h.queue == nil {
		return errors.New("no SQS client configured")
	}
	queue := aws.String(h.cfg.DeadLetterQueueURL)
	for batch := 0; batch < drainBatches; batch++ {
		out, err := h.queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            queue,
			MaxNumberOfMessages: drainBatch,
			VisibilityTimeout:   drainVisibilitySeconds,
			WaitTimeSeconds:     drainWaitSeconds,
		})
		if err != nil {
			return fmt.Errorf("receiving from the dead-letter queue: %w", err)
		}
		if len(out.Messages) == 0 {
			return nil
		}
		for _, m := range out.Messages {
			mlog := log.With("via", "dead-letter queue", "sqsMessageId", aws.ToString(m.MessageId))
			keep := h.replay(ctx, mlog, aws.ToString(m.Body), rep)
			if keep {
				rep.DLQLeft++
				continue
			}
			if _, err := h.queue.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: queue, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return fmt.Errorf("deleting a replayed message from the dead-letter queue: %w", err)
			}
		}
	}
	return nil
}

// replay applies one dead-lettered invocation, and says whether to keep it in
// the queue: a malformed one is kept (and logged) for an operator, never
// silently dropped; one whose write failed is kept for the next run.
//
// Only the alarm handler's own failure records are replayed (issue 14 item
// 7c): whoever may send to the queue could otherwise have any event applied
// with the breaker's rights. Their notifications are then checked like live
// ones (the alarm handler's Parse: this topic, these alarms, this account and
// Region).
func (h *Handler) replay(ctx context.Context, log *slog.Logger, body string, rep *ReconcileReport) (keep bool) {
	var rec dlqRecord
	if err := json.Unmarshal([]byte(body), &rec); err != nil || len(rec.RequestPayload) == 0 {
		log.Error("dead-lettered message left in the queue", "why", "not a record of a failed invocation (Lambda's on-failure destination record)")
		return true
	}
	if got, want := unqualified(rec.RequestContext.FunctionArn), h.cfg.AlarmHandlerArn(); got != want {
		log.Error("dead-lettered message left in the queue", "why", "not a failure record of the alarm handler",
			"functionArn", circuit.Echo(rec.RequestContext.FunctionArn), "expected", want)
		return true
	}
	payload := rec.RequestPayload
	var probe struct {
		Reconcile bool `json:"reconcile"`
	}
	if json.Unmarshal(payload, &probe) == nil && probe.Reconcile {
		// A reconciliation run that failed every attempt (the alarm handler
		// ran them before the reconciler existed): this run does its work.
		rep.DLQRetired++
		return false
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(payload, &ev); err != nil || len(ev.Records) == 0 {
		log.Error("dead-lettered message left in the queue", "why", "not an SNS event from the alarm topic", "condition", circuit.Echo(rec.RequestContext.Condition))
		return true
	}
	notices := make([]circuit.AlarmNotice, len(ev.Records))
	for i, r := range ev.Records {
		n, bad := h.notices.Parse(i, r)
		if bad != nil {
			log.Error("dead-lettered message left in the queue", "why", "malformed alarm notification, or not from this breaker's topic and alarms",
				"field", bad.Field, "problem", bad.Problem, "snsMessageId", bad.MessageID)
			return true
		}
		notices[i] = n
	}
	for i, n := range notices {
		if _, err := h.notices.Apply(ctx, log.With("snsMessageId", circuit.Echo(ev.Records[i].SNS.MessageID)), n, nil); err != nil {
			return true
		}
	}
	rep.DLQApplied++
	return false
}
