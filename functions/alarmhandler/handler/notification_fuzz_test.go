package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakestore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
)

// Fuzz tests of the alarm handler's parsers of outside input: the SNS
// notification (whoever may publish to the topic), the Lambda event that
// tells a notification from the reconciliation schedule, and the
// dead-letter queue's records (whoever may send to the queue). Each input
// the handler refuses must change nothing: the table saw no write.
// docs/fuzzing.md lists the targets and what they found.

// The breaker the fuzzed handler serves, as the component configures it
// (the names of testdata/'s recorded notifications).
const (
	fzService    = "payments"
	fzDownstream = "payments-breaker-downstream-errors-5b1e0c7"
	fzHealth     = "payments-breaker-healthcheck-errors-9d4a6f2"
	fzSlow       = "payments-breaker-slow-calls-0c4d2e8"
	fzTopic      = "arn:aws:sns:us-east-1:123456789012:payments-breaker-alarms-3f9c2a1"
	fzFunction   = "payments-breaker-alarm-handler-1a2b3c4"
	fzQueue      = "https://sqs.us-east-1.amazonaws.com/123456789012/payments-breaker-dlq"
)

// fzClock is after every recorded notification in testdata/, so that they
// are not refused as future times.
var fzClock = time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)

// maxErrorLen bounds an error's text whatever the input's size (issue 14
// item 9): the configured names plus a few echoed values of circuit.MaxEcho.
const maxErrorLen = 2048

func fuzzHandler(table *fakestore.Table) *handler.Handler {
	cfg := handler.Config{
		TableName:            "circuits",
		ServiceName:          fzService,
		DownstreamAlarmName:  fzDownstream,
		HealthcheckAlarmName: fzHealth,
		SlowCallAlarmName:    fzSlow,
		Policy:               circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
		TopicArn:             fzTopic,
		FunctionName:         fzFunction,
		DeadLetterQueueURL:   fzQueue,
	}
	return handler.New(cfg, table, slog.New(slog.NewJSONHandler(io.Discard, nil)), func() time.Time { return fzClock }).WithMetrics(io.Discard)
}

// seedEvents are the SNS events the seeds come from: the notifications
// recorded for this breaker (testdata/*.json, CloudWatch's shape through SNS)
// and aws-lambda-go's samples of an SNS event and of CloudWatch alarm
// notifications (testdata/aws-lambda-go, copied from aws-lambda-go v1.55.1
// events/testdata).
func seedEvents(f *testing.F) map[string][]byte {
	f.Helper()
	out := map[string][]byte{}
	for _, glob := range []string{"testdata/*.json", "testdata/aws-lambda-go/*.json"} {
		paths, err := filepath.Glob(glob)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			var probe struct{ Records []json.RawMessage }
			if json.Unmarshal(b, &probe) == nil && len(probe.Records) > 0 {
				out[p] = b
			}
		}
	}
	if len(out) < 10 {
		f.Fatalf("only %d seed events found in testdata", len(out))
	}
	return out
}

// FuzzAlarmNotification: one SNS record, its topic and its message fuzzed.
// Whatever they hold, the handler does not panic; a refused notification is
// a MalformedNotificationError naming the field, with a bounded text, and
// the table was neither read nor written; an accepted one is one of this
// breaker's alarms from its topic.
func FuzzAlarmNotification(f *testing.F) {
	for _, b := range seedEvents(f) {
		var ev events.SNSEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			f.Fatal(err)
		}
		for _, r := range ev.Records {
			f.Add(r.SNS.TopicArn, r.SNS.Message)
			f.Add(fzTopic, r.SNS.Message)
		}
	}
	// Values far over circuit.MaxEcho: an error must not echo them whole.
	long := strings.Repeat("x", 3000)
	f.Add(fzTopic+long, "{}")
	f.Add(fzTopic, `{"AlarmName":"`+long+`"}`)
	f.Add(fzTopic, `{"AlarmName":"`+fzDownstream+`","AWSAccountId":"123456789012","AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:`+fzDownstream+`","NewStateValue":"`+long+`"}`)
	f.Add(fzTopic, `{"`+long+`":1,"AlarmName":[]}`)
	f.Add(fzTopic, "")
	f.Add(fzTopic, "null")
	f.Add(fzTopic, `{"AlarmName":`+strings.Repeat(`"x`, 3)+`}`)
	f.Fuzz(func(t *testing.T, topic, message string) {
		table := &fakestore.Table{}
		ev := events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns",
			SNS: events.SNSEntity{MessageID: "m-1", TopicArn: topic, Message: message}}}}
		err := fuzzHandler(table).Handle(context.Background(), ev)
		if err == nil {
			var m events.CloudWatchAlarmSNSPayload
			if topic != fzTopic || json.Unmarshal([]byte(message), &m) != nil {
				t.Fatalf("accepted a notification from topic %q that is not a CloudWatch alarm notification: %q", topic, message)
			}
			if m.AlarmName != fzDownstream && m.AlarmName != fzHealth && m.AlarmName != fzSlow {
				t.Fatalf("accepted a notification of alarm %q, none of this breaker's", m.AlarmName)
			}
			return
		}
		var bad *handler.MalformedNotificationError
		if !errors.As(err, &bad) {
			t.Fatalf("error of type %T, want *handler.MalformedNotificationError: %v", err, err)
		}
		if bad.Field == "" {
			t.Fatalf("the error names no field: %v", err)
		}
		if len(err.Error()) > maxErrorLen {
			t.Fatalf("error of %d bytes for a %d-byte message: input echoed unbounded", len(err.Error()), len(message))
		}
		if table.Reads() != 0 || table.Writes() != 0 {
			t.Fatalf("refused notification (%v) touched the table: %d reads, %d writes", err, table.Reads(), table.Writes())
		}
	})
}

// noAlarms answers DescribeAlarms with none of the alarms: reconciliation
// then reports them missing and writes nothing for them.
type noAlarms struct{}

func (noAlarms) DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return &cloudwatch.DescribeAlarmsOutput{}, nil
}

// oneMessage is a dead-letter queue holding one message until it is deleted.
type oneMessage struct {
	body              string
	received, deleted bool
}

func (q *oneMessage) ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if q.received {
		return &sqs.ReceiveMessageOutput{}, nil
	}
	q.received = true
	return &sqs.ReceiveMessageOutput{Messages: []sqstypes.Message{{MessageId: aws.String("q-1"), ReceiptHandle: aws.String("rh-1"), Body: aws.String(q.body)}}}, nil
}

func (q *oneMessage) DeleteMessage(context.Context, *sqs.DeleteMessageInput, ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	q.deleted = true
	return &sqs.DeleteMessageOutput{}, nil
}

// FuzzInvokeEvent: the raw event, which Invoke tells apart as the
// reconciliation schedule's ({"reconcile":true}) or an SNS event. Whatever
// it holds, no panic; a refused event is a MalformedNotificationError and
// wrote nothing.
func FuzzInvokeEvent(f *testing.F) {
	for _, b := range seedEvents(f) {
		f.Add(b)
	}
	for _, s := range []string{`{"reconcile":true}`, `{"reconcile":true,"Records":[]}`, `{"reconcile":"yes"}`, `{}`, `[]`, `null`, `{"Records":null}`, `{"Records":[{}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		table := &fakestore.Table{}
		h := fuzzHandler(table).WithReconciliation(noAlarms{}, &oneMessage{received: true})
		err := h.Invoke(context.Background(), raw)
		var bad *handler.MalformedNotificationError
		if errors.As(err, &bad) {
			if table.Writes() != 0 {
				t.Fatalf("refused event (%v) wrote %d times", err, table.Writes())
			}
			if len(err.Error()) > maxErrorLen {
				t.Fatalf("error of %d bytes: input echoed unbounded", len(err.Error()))
			}
		}
	})
}

// fzInvocationRecord wraps payload as Lambda's on-failure destination does
// (Lambda Developer Guide, "Capturing records of Lambda asynchronous
// invocations", the example invocation record), for functionArn.
func fzInvocationRecord(functionArn string, payload []byte) string {
	b, _ := json.Marshal(map[string]any{
		"version":   "1.0",
		"timestamp": "2026-11-27T00:20:09.412Z",
		"requestContext": map[string]any{"requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e", "functionArn": functionArn,
			"condition": "RetriesExhausted", "approximateInvokeCount": 3},
		"requestPayload":  json.RawMessage(payload),
		"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
		"responsePayload": map[string]any{"errorType": "UpdateError", "errorMessage": "updating the circuit: throttled"},
	})
	return string(b)
}

// FuzzDeadLetterRecord: one message in the dead-letter queue, which
// reconciliation replays. Whatever it holds, no panic; a message left in
// the queue (not this function's failure record, or a notification parse
// refuses) wrote nothing and was not deleted; a replayed one was deleted.
func FuzzDeadLetterRecord(f *testing.F) {
	own := "arn:aws:lambda:us-east-1:123456789012:function:" + fzFunction + ":$LATEST"
	for _, b := range seedEvents(f) {
		var ev json.RawMessage
		if json.Unmarshal(b, &ev) != nil {
			f.Fatal("seed is not JSON")
		}
		f.Add(fzInvocationRecord(own, ev))
		f.Add(fzInvocationRecord("arn:aws:lambda:us-east-1:123456789012:function:someone-else", ev))
	}
	f.Add(fzInvocationRecord(own, []byte(`{"reconcile":true}`)))
	f.Add(`{"requestPayload":{}}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, body string) {
		table := &fakestore.Table{}
		q := &oneMessage{body: body}
		rep, _ := fuzzHandler(table).WithReconciliation(noAlarms{}, q).Reconcile(context.Background())
		switch {
		case rep.DLQLeft+rep.DLQApplied+rep.DLQRetired != 1:
			t.Fatalf("one message, reported left %d, applied %d, retired %d", rep.DLQLeft, rep.DLQApplied, rep.DLQRetired)
		case rep.DLQLeft == 1 && q.deleted:
			t.Fatal("a message left in the queue was deleted")
		case rep.DLQLeft == 1 && table.Writes() != 0:
			t.Fatalf("a message left in the queue wrote %d times", table.Writes())
		case rep.DLQLeft == 0 && !q.deleted:
			t.Fatal("a replayed message was not deleted")
		}
	})
}
