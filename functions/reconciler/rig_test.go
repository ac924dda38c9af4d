package reconciler_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler"
)

// The names of the alarms in the alarm handler's testdata/, as the component
// would configure them.
const (
	downstreamAlarm  = "payments-breaker-downstream-errors-5b1e0c7"
	healthcheckAlarm = "payments-breaker-healthcheck-errors-9d4a6f2"
	service          = "payments"
	// The topic the fixtures' notifications came through (Sns.TopicArn), and
	// the alarm handler's name (its failure records' functionArn).
	topicArn         = "arn:aws:sns:us-east-1:123456789012:payments-breaker-alarms-3f9c2a1"
	alarmHandlerName = "payments-breaker-alarm-handler-1a2b3c4"
	dlqURL           = "https://sqs.us-east-1.amazonaws.com/123456789012/payments-breaker-alarm-handler-dlq-1a2b3c4"
)

// notifications are the alarm handler's recorded notifications: the
// reconciler applies the same ones, read back or dead-lettered.
var notifications = filepath.Join("..", "alarmhandler", "handler", "testdata")

var endpoint string

// rig is one circuit on a fresh table with its alarm handler (h, which
// delivers notifications) and reconcilers built on its configuration, a
// settable clock and captured logs.
type rig struct {
	t      *testing.T
	h      *handler.Handler
	client *dynamodb.Client
	store  *circuitstore.Store
	now    time.Time
	logs   bytes.Buffer
	cfg    reconciler.Config
}

func newRig(t *testing.T) *rig { return newRigWith(t, nil) }

// newRigWith is newRig with edit applied to the configuration.
func newRigWith(t *testing.T, edit func(*reconciler.Config)) *rig {
	r := &rig{t: t, client: testenv.DynamoClient(t, endpoint)}
	r.cfg = reconciler.Config{
		Config: ahconfig.Config{
			TableName:            testenv.CreateCircuitTable(t, r.client),
			ServiceName:          service,
			DownstreamAlarmName:  downstreamAlarm,
			HealthcheckAlarmName: healthcheckAlarm,
			Policy:               circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
			TopicArn:             topicArn,
		},
		AlarmHandlerName: alarmHandlerName,
	}
	if edit != nil {
		edit(&r.cfg)
	}
	r.store = circuitstore.New(r.client, r.cfg.TableName)
	r.h = handler.New(r.cfg.Config, r.client, r.logger(), r.clock).WithMetrics(io.Discard)
	return r
}

func (r *rig) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(&r.logs, nil)) }
func (r *rig) clock() time.Time     { return r.now }

// reconciler is a reconciler on the rig's configuration as it is now (a test
// edits r.cfg first), its clock and its logs.
func (r *rig) reconciler(alarms reconciler.AlarmsAPI, queue reconciler.QueueAPI, metrics io.Writer) *reconciler.Handler {
	return reconciler.New(r.cfg, r.client, alarms, queue, r.logger(), r.clock).WithMetrics(metrics)
}

func fixture(t *testing.T, name string) events.SNSEvent {
	t.Helper()
	var ev events.SNSEvent
	require.NoError(t, json.Unmarshal(fixtureBytes(t, name), &ev), "fixture %s", name)
	return ev
}

func fixtureBytes(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(notifications, name))
	require.NoError(t, err)
	return b
}

// deliver hands the alarm handler's fixture name to it at the clock's time at.
func (r *rig) deliver(name string, at string) error {
	r.t.Helper()
	r.now = mustTime(r.t, at)
	r.logs.Reset()
	return r.h.Handle(context.Background(), fixture(r.t, name))
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := circuit.ParseTime(s)
	require.NoError(t, err)
	return tm
}

func (r *rig) item() circuitstore.Item {
	return testenv.CircuitItem(r.t, r.client, r.cfg.TableName, service)
}

func (r *rig) circuit() circuit.Circuit {
	r.t.Helper()
	c, err := r.store.Get(context.Background(), service)
	require.NoError(r.t, err)
	return c
}

// put replaces the circuit with c through the store.
func put(t *testing.T, r *rig, c circuit.Circuit) {
	t.Helper()
	_, err := r.store.Update(context.Background(), service, func(circuit.Circuit) (circuit.Circuit, bool, error) { return c, true, nil })
	require.NoError(t, err)
}

// logLines parses the captured JSON log: one object per line.
func (r *rig) logLines() []map[string]any { return emfLines(r.t, &r.logs) }

func emfLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "not JSON: %s", sc.Text())
		lines = append(lines, m)
	}
	return lines
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

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

var errDescribe = errors.New("AccessDenied: not authorized to perform cloudwatch:DescribeAlarms")

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
// invocations", the example invocation record): a failed invocation of the
// alarm handler.
func invocationRecord(t *testing.T, event []byte) string {
	t.Helper()
	rec := map[string]any{
		"version":   "1.0",
		"timestamp": "2026-11-27T06:20:09.412Z",
		"requestContext": map[string]any{
			"requestId":              "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
			"functionArn":            "arn:aws:lambda:us-east-1:123456789012:function:" + alarmHandlerName + ":$LATEST",
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
