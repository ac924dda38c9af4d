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

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakestore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
)

// Fuzz test of the alarm handler's parser of outside input: the SNS
// notification (whoever may publish to the topic). A notification the
// handler refuses must change nothing: the table saw no read and no write.
// The dead-letter queue's records are the reconciler's
// (functions/reconciler/deadletter_fuzz_test.go).
// docs/fuzzing.md lists the targets and what they found.

// The breaker the fuzzed handler serves, as the component configures it
// (the names of testdata/'s recorded notifications).
const (
	fzService    = "payments"
	fzDownstream = "payments-breaker-downstream-errors-5b1e0c7"
	fzHealth     = "payments-breaker-healthcheck-errors-9d4a6f2"
	fzSlow       = "payments-breaker-slow-calls-0c4d2e8"
	fzTopic      = "arn:aws:sns:us-east-1:123456789012:payments-breaker-alarms-3f9c2a1"
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
