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

// FuzzStreamRecords: a DynamoDB stream batch as the Lambda receives it,
// through HandleRaw, the function's entry point. Whatever the batch holds,
// no panic, and a batch (a JSON object) never fails: a record that cannot
// be decoded or read is skipped, never retried; every event published is a
// transition of a record in the batch: its detail names that record's item
// and is the documented schema. Seeds: testdata/transitions.json (the
// circuit table's records), each of its records alone, aws-lambda-go's
// sample DynamoDB events (testdata/aws-lambda-go) and a KEYS_ONLY record.
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
		var batch struct{ Records []json.RawMessage }
		if json.Unmarshal(raw, &batch) != nil {
			return // not a batch: HandleRaw refuses it before reading any record
		}
		bus := &acceptingBus{}
		h := handler.New(handler.Config{TableName: "circuits", BusName: "default", Attempts: 1}, bus, slog.New(slog.NewJSONHandler(io.Discard, nil)), func(time.Duration) {})
		resp, err := h.HandleRaw(context.Background(), raw)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batch failed with every entry accepted: %v %v", err, resp.BatchItemFailures)
		}
		if len(bus.entries) > len(batch.Records) {
			t.Fatalf("%d events for %d records", len(bus.entries), len(batch.Records))
		}
		keys := map[string]bool{}
		for _, r := range batch.Records {
			var rec struct {
				Dynamodb struct {
					Keys map[string]map[string]json.RawMessage
				} `json:"dynamodb"`
			}
			var key string
			if json.Unmarshal(r, &rec) == nil && json.Unmarshal(rec.Dynamodb.Keys[circuit.KeyAttribute]["S"], &key) == nil {
				keys[key] = true
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

// TestUndecodableRecordIsSkipped: aws-lambda-go's decoder panics on a binary
// set holding an object, and decoding the whole batch at once failed every
// invocation of it (found by FuzzStreamRecords,
// testdata/fuzz/FuzzStreamRecords/3c06614e6efa75ed). The record is skipped
// and the batch's other records are published.
func TestUndecodableRecordIsSkipped(t *testing.T) {
	b, err := os.ReadFile("testdata/transitions.json")
	if err != nil {
		t.Fatal(err)
	}
	var batch struct{ Records []json.RawMessage }
	if err := json.Unmarshal(b, &batch); err != nil {
		t.Fatal(err)
	}
	bad := json.RawMessage(`{"dynamodb":{"Keys":{"serviceName":{"S":"payments"}},"NewImage":{"x":{"BS":[{}]}}}}`)
	raw, _ := json.Marshal(map[string]any{"Records": append([]json.RawMessage{bad}, batch.Records...)})
	all := &acceptingBus{}
	resp, err := handler.New(handler.Config{TableName: "circuits", BusName: "default", Attempts: 1}, all, slog.New(slog.NewJSONHandler(io.Discard, nil)), func(time.Duration) {}).HandleRaw(context.Background(), raw)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the batch failed: %v %v", err, resp.BatchItemFailures)
	}
	want := &acceptingBus{}
	if _, err := handler.New(handler.Config{TableName: "circuits", BusName: "default", Attempts: 1}, want, slog.New(slog.NewJSONHandler(io.Discard, nil)), func(time.Duration) {}).HandleRaw(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if len(all.entries) != len(want.entries) || len(want.entries) == 0 {
		t.Fatalf("%d events with the undecodable record first, %d without it", len(all.entries), len(want.entries))
	}
}
