//go:build emulators

package statemachine

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	epconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/config"
	publisher "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

// Issue 9 (transition events): trip, probe, close, force and release, driven
// through the real definition (aws-local-stepfunctions) and our real Go
// Lambdas (the controller, the alarm handler and the event publisher as
// bootstraps under the RIE), and an operator's tool's writes through
// circuitstore, each reach EventBridge exactly once, in order, with the
// documented fields (docs/events.md): every writer of the circuit.
//
// Where each piece comes from, none of it ours: the circuit table lives in
// moto (Apache-2.0), whose DynamoDB keeps a stream (dynalite has none, and
// DynamoDB Local's licence rules it out); the test reads that stream with the
// DynamoDB Streams API (DescribeStream, GetShardIterator, GetRecords, as
// Lambda's event source mapping polls it) and hands the records to the
// publisher as Lambda does: the records of GetRecords, in their wire shape,
// with the stream's ARN added as eventSourceARN (AWS Lambda Developer Guide,
// "Using AWS Lambda with Amazon DynamoDB": the example event is GetRecords'
// records plus eventSourceARN). The publisher's PutEvents go to moto's
// EventBridge, whose rule, with the pattern docs/events.md gives users,
// delivers them to an SQS queue the test reads. What moto does not do is
// Lambda's polling itself; the test polls in its place. moto 5.2.5 writes one
// record more than AWS for an item's first write (a key-only INSERT before
// the item's own): it is no transition, so it adds no event.
func TestEveryTransitionIsPublishedOnce(t *testing.T) {
	moto := testenv.Moto(t)
	var streamArn string
	e := newEnvWith(t, envOptions{
		mutate: func(c *Config) { c.FailureThreshold = 2 },
		dynamo: moto,
		createTable: func(t testing.TB, db *dynamodb.Client) string {
			name, arn := testenv.CreateStreamTable(t, db)
			streamArn = arn
			return name
		},
	})
	bus, err := testenv.NewEventCapture(moto, "ops", docsRulePattern)
	if err != nil {
		t.Fatal(err)
	}

	// Trip: two failures in a row (the first creates the item: a counter).
	failedWith(t, e.at(t, 0, boom("1")), "DownstreamBoom", "1")
	failedWith(t, e.at(t, time.Second, boom("2")), "DownstreamBoom", "2")
	if c := e.circuit(t); c.State != circuit.Open {
		t.Fatalf("not tripped: %+v", c)
	}
	// Probe and close: the open duration is over; the probe succeeds.
	succeeded(t, e.at(t, time.Second+openFor+time.Second, "probe"), `{"echoed": "probe"}`)
	if c := e.circuit(t); c.State != circuit.Closed {
		t.Fatalf("not closed by the probe: %+v", c)
	}
	// Force and release, as an operator does.
	e.control(t, `{"action":"forceOpen","reason":"INC-9 drill"}`)
	rejected(t, e, e.run(t, "x", sfnlocal.Exec{StartTime: now.Add(2 * openFor)}), StateRejectForcedOpen)
	e.control(t, `{"action":"release","reason":"drill over"}`)
	admitted(t, e.at(t, 3*openFor, "y"), `{"echoed": "y"}`)

	// The alarm handler: the healthcheck alarm's ALARM holds the circuit
	// open, its OK closes it (SNS-wrapped CloudWatch notifications, the
	// handler's own fixtures).
	handler := testenv.StartRIE(t, testenv.BuildBootstrap(t, "./functions/alarmhandler"), map[string]string{
		"TABLE_NAME": e.cfg.TableName, "SERVICE_NAME": e.cfg.ServiceName,
		"DOWNSTREAM_ALARM_NAME": "payments-breaker-downstream-errors-5b1e0c7", "HEALTHCHECK_ALARM_NAME": fixtureHealthcheckAlarm,
		"OPEN_DURATION_SECONDS": "60", "MAX_OPEN_DURATION_SECONDS": "600", "OPEN_BACKOFF_MULTIPLIER": "2",
		"ALARM_TOPIC_ARN": fixtureTopicArn, "AWS_ENDPOINT_URL_DYNAMODB": moto,
		lambdaenv.Handler: ahconfig.Handler, // the role the zip's bootstrap runs
	})
	for _, fixture := range []string{"healthcheck-alarm.json", "healthcheck-ok.json"} {
		notify(t, handler.InvokeURL, fixture)
	}
	// An operator's tool writes through circuitstore, as the controller does.
	for _, op := range []func(circuit.Circuit) (circuit.Circuit, bool){
		func(c circuit.Circuit) (circuit.Circuit, bool) {
			return c.Force(circuit.ForcedClosed, time.Now(), "vendor says it is fine")
		},
		func(c circuit.Circuit) (circuit.Circuit, bool) { return c.Release(time.Now(), "vendor fixed it") },
	} {
		if _, err := e.store.Update(context.Background(), e.cfg.ServiceName, func(c circuit.Circuit) (circuit.Circuit, bool, error) {
			next, changed := op(c)
			return next, changed, nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	// Lambda's event source mapping: the stream's records, one batch.
	records, err := (&testenv.StreamReader{Endpoint: moto, StreamArn: streamArn}).Next()
	if err != nil {
		t.Fatal(err)
	}
	pub := testenv.StartRIE(t, testenv.BuildBootstrap(t, "./functions/eventpublisher"), map[string]string{
		publisher.EnvBusName:           "ops",
		publisher.EnvTableName:         e.cfg.TableName,
		"AWS_ENDPOINT_URL_EVENTBRIDGE": moto,
		lambdaenv.Handler:              epconfig.Handler,
	})
	var resp events.DynamoDBEventResponse
	invokeJSON(t, pub.InvokeURL, events.DynamoDBEvent{Records: records}, &resp)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("batch item failures %v:\n%s", resp.BatchItemFailures, pub.Output())
	}

	got, err := bus.Receive()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ from, to, reason string }{
		{"CLOSED", "OPEN", "2 consecutive failures, last: DownstreamBoom"},
		{"OPEN", "HALF_OPEN", "open duration elapsed: probe elected"},
		{"HALF_OPEN", "CLOSED", "probe succeeded"},
		{"CLOSED", "FORCED_OPEN", "manual: INC-9 drill"},
		{"FORCED_OPEN", "CLOSED", "manual: drill over"},
		{"CLOSED", "OPEN", "healthcheck alarm " + fixtureHealthcheckAlarm + " went to ALARM: "},
		{"OPEN", "CLOSED", "healthcheck alarm " + fixtureHealthcheckAlarm + " went to OK: "},
		{"CLOSED", "FORCED_CLOSED", "manual: vendor says it is fine"},
		{"FORCED_CLOSED", "CLOSED", "manual: vendor fixed it"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events for %d transitions (from %d stream records): %+v", len(got), len(want), len(records), got)
	}
	tableArn := "arn:aws:dynamodb:" + testenv.FakeRegion + ":123456789012:table/" + e.cfg.TableName
	var lastVersion int64
	ids := map[string]bool{}
	for i, ev := range got {
		var d publisher.Detail
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			t.Fatalf("event %d detail %s: %v", i, ev.Detail, err)
		}
		if ev.Source != "circuitbreaker" || ev.DetailType != "Circuit State Change" {
			t.Errorf("event %d envelope: source %q, detail-type %q", i, ev.Source, ev.DetailType)
		}
		if d.From != want[i].from || d.To != want[i].to || !strings.HasPrefix(d.Reason, want[i].reason) {
			t.Errorf("event %d: %s -> %s (%q), want %s -> %s (%q)", i, d.From, d.To, d.Reason, want[i].from, want[i].to, want[i].reason)
		}
		if d.Service != e.cfg.ServiceName || d.Key != "" || d.Table != e.cfg.TableName {
			t.Errorf("event %d: service %q key %q table %q", i, d.Service, d.Key, d.Table)
		}
		if d.Version <= lastVersion {
			t.Errorf("event %d: version %d after %d: out of order", i, d.Version, lastVersion)
		}
		lastVersion = d.Version
		if at, err := circuit.ParseTime(d.At); err != nil || at.Before(now) {
			t.Errorf("event %d: at %q", i, d.At)
		}
		if ids[d.ID] || d.ID == "" {
			t.Errorf("event %d: id %q repeated or empty", i, d.ID)
		}
		ids[d.ID] = true
		if len(ev.Resources) != 1 || !strings.HasPrefix(ev.Resources[0], tableArn) {
			t.Errorf("event %d: resources %v, want the table %s", i, ev.Resources, tableArn)
		}
	}
	t.Logf("%d stream records, %d events", len(records), len(got))
}

func invokeJSON(t *testing.T, url string, in, out any) {
	t.Helper()
	body, _ := json.Marshal(in)
	resp, err := http.Post(url, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("invoke: %v: %s", err, raw)
	}
}

// docsRulePattern is docs/events.md's rule pattern for every transition.
const docsRulePattern = `{"source": ["circuitbreaker"], "detail-type": ["Circuit State Change"]}`
