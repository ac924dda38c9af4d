package reconciler_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakestore"
	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler"
)

// Fuzz test of the reconciler's parser of outside input: the dead-letter
// queue's records (whoever may send to the queue), which it replays. The
// reconciliation event itself carries nothing the reconciler reads
// (reconciler.Handle ignores it), so it has no parser to fuzz. The alarm
// handler's notification parser is fuzzed by FuzzAlarmNotification
// (functions/alarmhandler/handler). docs/fuzzing.md lists the targets.

// The breaker the fuzzed reconciler serves, as the component configures it
// (the names of the alarm handler's recorded notifications).
const (
	fzService    = "payments"
	fzDownstream = "payments-breaker-downstream-errors-5b1e0c7"
	fzHealth     = "payments-breaker-healthcheck-errors-9d4a6f2"
	fzSlow       = "payments-breaker-slow-calls-0c4d2e8"
	fzTopic      = "arn:aws:sns:us-east-1:123456789012:payments-breaker-alarms-3f9c2a1"
	fzFunction   = "payments-breaker-alarm-handler-1a2b3c4"
	fzQueue      = "https://sqs.us-east-1.amazonaws.com/123456789012/payments-breaker-dlq"
)

// fzClock is after every recorded notification, so that none is refused as
// a future time.
var fzClock = time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)

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

func fuzzReconciler(table *fakestore.Table, q *oneMessage) *reconciler.Handler {
	cfg := reconciler.Config{
		Config: ahconfig.Config{
			TableName:            "circuits",
			ServiceName:          fzService,
			DownstreamAlarmName:  fzDownstream,
			HealthcheckAlarmName: fzHealth,
			SlowCallAlarmName:    fzSlow,
			Policy:               circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
			TopicArn:             fzTopic,
		},
		AlarmHandlerName:   fzFunction,
		DeadLetterQueueURL: fzQueue,
	}
	return reconciler.New(cfg, table, noAlarms{}, q, slog.New(slog.NewJSONHandler(io.Discard, nil)), func() time.Time { return fzClock }).WithMetrics(io.Discard)
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
// reconciliation replays. Its seeds are the alarm handler's failure records
// of the SNS events recorded for this breaker and of aws-lambda-go's sample
// events (functions/alarmhandler/handler/testdata), for the alarm handler
// and for another function. Whatever it holds, no panic; a message left in
// the queue (not the alarm handler's failure record, or a notification
// parse refuses) wrote nothing and was not deleted; a replayed or retired
// one was deleted.
func FuzzDeadLetterRecord(f *testing.F) {
	own := "arn:aws:lambda:us-east-1:123456789012:function:" + fzFunction + ":$LATEST"
	seeds := 0
	for _, glob := range []string{"../alarmhandler/handler/testdata/*.json", "../alarmhandler/handler/testdata/aws-lambda-go/*.json"} {
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
			if json.Unmarshal(b, &probe) != nil || len(probe.Records) == 0 {
				continue
			}
			f.Add(fzInvocationRecord(own, b))
			f.Add(fzInvocationRecord("arn:aws:lambda:us-east-1:123456789012:function:someone-else", b))
			seeds++
		}
	}
	if seeds < 10 {
		f.Fatalf("only %d seed events found", seeds)
	}
	// A reconciliation run the alarm handler dead-lettered before the
	// reconciler existed (the reconciler retires it).
	f.Add(fzInvocationRecord(own, []byte(`{"reconcile":true}`)))
	f.Add(`{"requestPayload":{}}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, body string) {
		table := &fakestore.Table{}
		q := &oneMessage{body: body}
		rep, _ := fuzzReconciler(table, q).Reconcile(context.Background())
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
