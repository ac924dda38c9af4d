package handler_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/handler"
)

// acceptingBus is EventBridge accepting every entry; it keeps them.
type acceptingBus struct {
	entries []ebtypes.PutEventsRequestEntry
}

func (b *acceptingBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out := &eventbridge.PutEventsOutput{}
	for range in.Entries {
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String("e")})
	}
	b.entries = append(b.entries, in.Entries...)
	return out, nil
}

// keysOnlyRecord is a record of a stream whose view type is KEYS_ONLY: Keys
// and no image, the shape AWS delivers for that view type (recorded from a
// deployed stack in github.com/Ankcorn/dynamodb-streams-test, README.md,
// "KEYS_ONLY"), with the circuit table's key.
const keysOnlyRecord = `{"Records":[{"eventID":"aadf063d99e89af53c4212e558d681b3","eventName":"INSERT","eventVersion":"1.1",
"eventSource":"aws:dynamodb","awsRegion":"eu-west-1","dynamodb":{"ApproximateCreationDateTime":1594935882,
"Keys":{"serviceName":{"S":"payments"}},"SequenceNumber":"400000000008367680596","SizeBytes":6,"StreamViewType":"KEYS_ONLY"},
"eventSourceARN":"arn:aws:dynamodb:eu-west-1:123456789012:table/circuits/stream/2020-07-16T21:40:16.972"}]}`

// FuzzStreamRecords: a DynamoDB stream batch, as the Lambda runtime decodes
// it (encoding/json into events.DynamoDBEvent, whose attribute values have
// their own UnmarshalJSON). Whatever the batch holds, no panic and no
// failure reported (a record that cannot be read is skipped, never
// retried); every event published is a transition of a record in the batch:
// its detail names that record's item and is the documented schema.
// Seeds: testdata/transitions.json (the circuit table's records), each of its
// records alone, aws-lambda-go's sample DynamoDB events (testdata/aws-lambda-go)
// and a KEYS_ONLY record.
func FuzzStreamRecords(f *testing.F) {
	paths, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	more, _ := filepath.Glob("testdata/aws-lambda-go/*.json")
	for _, p := range append(paths, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		var batch struct{ Records []json.RawMessage }
		if json.Unmarshal(b, &batch) == nil {
			for _, r := range batch.Records {
				f.Add([]byte(`{"Records":[` + string(r) + `]}`))
			}
		}
	}
	f.Add([]byte(keysOnlyRecord))
	f.Add([]byte(`{"Records":[{"dynamodb":{"Keys":{"serviceName":{"N":"1"}}}}]}`))
	f.Add([]byte(`{"Records":[{"dynamodb":{"Keys":{"serviceName":{"S":"payments#k"}},"NewImage":{"serviceName":{"S":"payments#k"},"state":{"S":"OPEN"},"version":{"N":"1e400"}}}}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev events.DynamoDBEvent
		if json.Unmarshal(raw, &ev) != nil {
			return // the runtime refuses the invocation before the handler
		}
		bus := &acceptingBus{}
		h := handler.New(handler.Config{TableName: "circuits", BusName: "default", Attempts: 1}, bus, slog.New(slog.NewJSONHandler(io.Discard, nil)), func(time.Duration) {})
		resp, err := h.Handle(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batch failed with every entry accepted: %v %v", err, resp.BatchItemFailures)
		}
		if len(bus.entries) > len(ev.Records) {
			t.Fatalf("%d events for %d records", len(bus.entries), len(ev.Records))
		}
		keys := map[string]bool{}
		for _, r := range ev.Records {
			if k, ok := r.Change.Keys[circuit.KeyAttribute]; ok && k.DataType() == events.DataTypeString {
				keys[k.String()] = true
			}
		}
		for _, e := range bus.entries {
			dec := json.NewDecoder(strings.NewReader(aws.ToString(e.Detail)))
			dec.DisallowUnknownFields()
			var d handler.Detail
			if err := dec.Decode(&d); err != nil {
				t.Fatalf("detail %s is not the documented schema: %v", aws.ToString(e.Detail), err)
			}
			item, _, _ := strings.Cut(d.ID, "@")
			if !keys[item] || circuit.ItemKey(d.Service, d.Key) != item {
				t.Fatalf("event for item %q (service %q, key %q) that no record of the batch names", item, d.Service, d.Key)
			}
		}
	})
}
