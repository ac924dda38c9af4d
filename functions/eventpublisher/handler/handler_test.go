package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeBus answers PutEvents as the EventBridge API Reference documents it
// (PutEvents: the response's Entries match the request's one for one, in
// order; a failed entry has ErrorCode and ErrorMessage and no EventId;
// FailedEntryCount counts them). fail decides, per call and entry, which
// entries fail.
type fakeBus struct {
	calls [][]ebtypes.PutEventsRequestEntry
	fail  func(call int, e ebtypes.PutEventsRequestEntry) bool
	err   func(call int) error
}

func (b *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	call := len(b.calls)
	b.calls = append(b.calls, in.Entries)
	if b.err != nil {
		if err := b.err(call); err != nil {
			return nil, err
		}
	}
	out := &eventbridge.PutEventsOutput{}
	for i, e := range in.Entries {
		if b.fail != nil && b.fail(call, e) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("Internal Service Failure")})
			continue
		}
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(fmt.Sprintf("id-%d-%d", call, i))})
	}
	return out, nil
}

func (b *fakeBus) details(t *testing.T) []Detail {
	var out []Detail
	for _, call := range b.calls {
		for _, e := range call {
			var d Detail
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(e.Detail)), &d))
			out = append(out, d)
		}
	}
	return out
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newTestHandler(bus *fakeBus) *Handler {
	return New(Config{BusName: "ops-bus", TableName: "payments-table-1a2b3c4", Attempts: 3}, bus, quiet, func(time.Duration) {})
}

// loadEvent reads a DynamoDB stream event for Lambda. testdata/transitions.json
// has the shape of AWS's example events (AWS Lambda Developer Guide, "Using AWS
// Lambda with Amazon DynamoDB", example event: eventID, eventName
// INSERT/MODIFY/REMOVE, eventVersion 1.1, eventSource aws:dynamodb, dynamodb
// {ApproximateCreationDateTime in epoch seconds, Keys, NewImage, OldImage,
// SequenceNumber, SizeBytes, StreamViewType NEW_AND_OLD_IMAGES},
// eventSourceARN .../table/NAME/stream/LABEL, as in aws-lambda-go's
// events/testdata/dynamodb-event.json) with our circuit items as the images,
// as our writers store them (circuit/circuitstore's Encode, the state
// machine's CloseCircuit writing transitionAt without a fraction). Which
// images each record carries follows events recorded from AWS for every view
// type (github.com/Ankcorn/dynamodb-streams-test, README.md: with
// NEW_AND_OLD_IMAGES, INSERT has Keys and NewImage, MODIFY Keys, NewImage and
// OldImage, REMOVE Keys and OldImage).
func loadEvent(t *testing.T, path string) events.DynamoDBEvent {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var ev events.DynamoDBEvent
	require.NoError(t, json.Unmarshal(b, &ev))
	return ev
}

func TestOneEventPerTransitionInOrder(t *testing.T) {
	bus := &fakeBus{}
	resp, err := newTestHandler(bus).Handle(context.Background(), loadEvent(t, "testdata/transitions.json"))
	require.NoError(t, err)
	assert.Empty(t, resp.BatchItemFailures)
	require.Len(t, bus.calls, 1, "six transitions fit one PutEvents call")

	table := "payments-table-1a2b3c4"
	assert.Equal(t, []Detail{
		{Service: "payments", From: "CLOSED", To: "OPEN", Reason: "5 consecutive failures, last: DownstreamBoom", At: "2026-06-01T12:00:01.250Z", Version: 6, Table: table, ID: "payments@6"},
		{Service: "payments", From: "OPEN", To: "HALF_OPEN", Reason: "open duration elapsed: probe elected", At: "2026-06-01T12:01:01.500Z", Version: 7, Table: table, ID: "payments@7"},
		{Service: "payments", Key: "tenant-7", From: "CLOSED", To: "OPEN", Reason: "3 consecutive failures, last: Timeout", At: "2026-06-01T12:01:01.900Z", Version: 3, Table: table, ID: "payments#tenant-7@3"},
		{Service: "payments", From: "HALF_OPEN", To: "CLOSED", Reason: "probe succeeded", At: "2026-06-01T12:01:02.000Z", Version: 9, Table: table, ID: "payments@9"},
		{Service: "payments", From: "CLOSED", To: "FORCED_OPEN", Reason: "manual: maintenance", At: "2026-06-01T12:05:00.000Z", Version: 10, Table: table, ID: "payments@10"},
		{Service: "payments", Key: "tenant-7", From: "OPEN", To: "CLOSED", Reason: "item deleted: a circuit with no item is closed", At: "2026-06-01T12:06:40.000Z", Version: 3, Table: table, ID: "payments#tenant-7@3/deleted"},
	}, bus.details(t), "the counters (first failure, failures 1 to 5, a probe success) are no transitions")

	e := bus.calls[0][0]
	assert.Equal(t, "ops-bus", aws.ToString(e.EventBusName))
	assert.Equal(t, Source, aws.ToString(e.Source))
	assert.Equal(t, "Circuit State Change", aws.ToString(e.DetailType))
	assert.Equal(t, []string{"arn:aws:dynamodb:us-east-1:123456789012:table/payments-table-1a2b3c4"}, e.Resources)
	assert.Equal(t, "2026-06-01T12:00:01.25Z", aws.ToTime(e.Time).UTC().Format("2006-01-02T15:04:05.999Z"))
}

func TestRetriesOnlyTheFailedEntries(t *testing.T) {
	// The second entry fails on the first call only, as a throttled or
	// internally failed entry does (EventBridge User Guide, "Sending events
	// with PutEvents", handling failures: include the unsuccessful entries in
	// a subsequent call).
	bus := &fakeBus{fail: func(call int, e ebtypes.PutEventsRequestEntry) bool {
		return call == 0 && strings.Contains(aws.ToString(e.Detail), `"id":"payments@7"`)
	}}
	resp, err := newTestHandler(bus).Handle(context.Background(), loadEvent(t, "testdata/transitions.json"))
	require.NoError(t, err)
	assert.Empty(t, resp.BatchItemFailures)
	require.Len(t, bus.calls, 2)
	assert.Len(t, bus.calls[0], 6)
	require.Len(t, bus.calls[1], 1, "only the failed entry is put again")
	assert.Contains(t, aws.ToString(bus.calls[1][0].Detail), `"id":"payments@7"`)
}

func TestReportsTheFirstUnpublishedRecord(t *testing.T) {
	// The probe's entry (record 4) never goes through: the batch item failure
	// is its sequence number, so that Lambda re-delivers from it on, and not
	// records 1 to 3 (AWS Lambda Developer Guide, "Configuring partial batch
	// response with DynamoDB and Lambda": the checkpoint is the lowest
	// sequence number among batchItemFailures).
	bus := &fakeBus{fail: func(_ int, e ebtypes.PutEventsRequestEntry) bool {
		return strings.Contains(aws.ToString(e.Detail), `"id":"payments@7"`)
	}}
	ev := loadEvent(t, "testdata/transitions.json")
	resp, err := newTestHandler(bus).Handle(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, []events.DynamoDBBatchItemFailure{{ItemIdentifier: ev.Records[3].Change.SequenceNumber}}, resp.BatchItemFailures)
	assert.Len(t, bus.calls, 3, "three attempts")
}

func TestStopsAtTheFirstFailedChunk(t *testing.T) {
	// 12 transitions are two PutEvents calls (at most 10 entries each); when
	// the first call fails every time, the second is never made, so no record
	// after the checkpoint is published before its re-delivery.
	ev := loadEvent(t, "testdata/transitions.json")
	trip := ev.Records[2]
	ev.Records = nil
	for i := range 12 {
		r := trip
		r.Change.SequenceNumber = fmt.Sprintf("2%020d", i)
		r.Change.Keys = map[string]events.DynamoDBAttributeValue{"serviceName": events.NewStringAttribute(fmt.Sprintf("svc-%d", i))}
		ev.Records = append(ev.Records, r)
	}
	bus := &fakeBus{err: func(int) error {
		return fmt.Errorf("AccessDeniedException: not authorized to perform events:PutEvents")
	}}
	resp, err := newTestHandler(bus).Handle(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, []events.DynamoDBBatchItemFailure{{ItemIdentifier: ev.Records[0].Change.SequenceNumber}}, resp.BatchItemFailures)
	require.Len(t, bus.calls, 3)
	for _, c := range bus.calls {
		assert.Len(t, c, MaxEntriesPerCall)
	}

	bus = &fakeBus{}
	resp, err = newTestHandler(bus).Handle(context.Background(), ev)
	require.NoError(t, err)
	assert.Empty(t, resp.BatchItemFailures)
	require.Len(t, bus.calls, 2)
	assert.Len(t, bus.calls[1], 2)
}

// aws-lambda-go's own sample stream event (events/testdata/dynamodb-event.json,
// records of a table keyed "key"/"val", with binary sets) holds no circuit
// items: it decodes, and publishes nothing.
func TestForeignItemsPublishNothing(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	require.NoError(t, err)
	path := filepath.Join(strings.TrimSpace(string(out)), "events", "testdata", "dynamodb-event.json")
	bus := &fakeBus{}
	resp, err := newTestHandler(bus).Handle(context.Background(), loadEvent(t, path))
	require.NoError(t, err)
	assert.Empty(t, resp.BatchItemFailures)
	assert.Empty(t, bus.calls)
}

func TestUnreadableItemIsSkipped(t *testing.T) {
	ev := loadEvent(t, "testdata/transitions.json")
	bad := ev.Records[2]
	bad.Change.NewImage = map[string]events.DynamoDBAttributeValue{"serviceName": events.NewStringAttribute("payments"), "version": events.NewStringAttribute("seven")}
	ev.Records = []events.DynamoDBEventRecord{bad, ev.Records[3]}
	bus := &fakeBus{}
	resp, err := newTestHandler(bus).Handle(context.Background(), ev)
	require.NoError(t, err)
	assert.Empty(t, resp.BatchItemFailures, "a record that can never be read must not block the shard")
	require.Len(t, bus.details(t), 1)
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{EnvBusName: "default", EnvTableName: "t"}
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "default", c.BusName)
	delete(env, EnvBusName)
	_, err = ConfigFromEnv(func(k string) string { return env[k] })
	assert.ErrorContains(t, err, EnvBusName)
}

// slowBus is fakeBus whose calls take d, or until the call's context ends
// (as the SDK's HTTP client does: a request is cancelled with its context).
type slowBus struct {
	fakeBus
	d time.Duration
}

func (b *slowBus) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	select {
	case <-time.After(b.d):
		return b.fakeBus.PutEvents(ctx, in, opts...)
	case <-ctx.Done():
		b.calls = append(b.calls, in.Entries) // sent, outcome unknown
		return nil, ctx.Err()
	}
}

// manyTransitions is n trips of n circuits, one stream record each.
func manyTransitions(t *testing.T, n int) events.DynamoDBEvent {
	ev := loadEvent(t, "testdata/transitions.json")
	trip := ev.Records[2]
	ev.Records = nil
	for i := range n {
		r := trip
		r.Change.SequenceNumber = fmt.Sprintf("3%020d", i)
		r.Change.Keys = map[string]events.DynamoDBAttributeValue{"serviceName": events.NewStringAttribute(fmt.Sprintf("svc-%d", i))}
		ev.Records = append(ev.Records, r)
	}
	return ev
}

// Lambda stops an invocation at its timeout and counts it as a function
// error: the whole batch is retried (or bisected), and every event already
// put is put again (AWS Lambda Developer Guide, "Using AWS Lambda with Amazon
// DynamoDB": on an error, Lambda retries the batch until it succeeds or the
// records expire; "Configuring partial batch response": a reported failure
// makes Lambda retry from that record only). So the publisher watches its
// context's deadline (the Lambda runtime's, aws-lambda-go's
// lambdacontext deadline): it starts no call it could not see through and
// reports the first record it did not publish, before the deadline. The
// re-delivery, from that record on, publishes each remaining transition once:
// nothing published twice, nothing lost.
func TestStopsBeforeTheDeadline(t *testing.T) {
	ev := manyTransitions(t, 100) // ten calls of ten
	bus := &slowBus{d: 150 * time.Millisecond}
	h := New(Config{BusName: "b", TableName: "t", Attempts: 3, CallBudget: 300 * time.Millisecond, ReturnReserve: 100 * time.Millisecond}, bus, quiet, func(time.Duration) {})
	deadline := time.Now().Add(time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()

	resp, err := h.Handle(ctx, ev)
	returned := time.Now()
	require.NoError(t, err)
	assert.True(t, returned.Before(deadline), "returned %s after the deadline", returned.Sub(deadline))
	calls := len(bus.calls)
	require.Greater(t, calls, 0)
	require.Less(t, calls, 10, "it stopped before the batch's end")
	for _, c := range bus.calls {
		assert.Len(t, c, MaxEntriesPerCall, "no call was cut short")
	}
	require.Equal(t, []events.DynamoDBBatchItemFailure{{ItemIdentifier: ev.Records[10*calls].Change.SequenceNumber}}, resp.BatchItemFailures,
		"the first record not published is the checkpoint")

	// Lambda re-delivers from the checkpoint on.
	first := bus.details(t)
	redelivered := ev
	redelivered.Records = ev.Records[10*calls:]
	again := &fakeBus{}
	resp, err = New(Config{BusName: "b", TableName: "t", Attempts: 3}, again, quiet, func(time.Duration) {}).Handle(context.Background(), redelivered)
	require.NoError(t, err)
	assert.Empty(t, resp.BatchItemFailures)
	seen := map[string]int{}
	for _, d := range append(first, again.details(t)...) {
		seen[d.ID]++
	}
	assert.Len(t, seen, 100, "every transition published")
	for id, n := range seen {
		assert.Equal(t, 1, n, "%s published %d times", id, n)
	}
}

// A call still running when only the return reserve is left is cut there
// (its own context's deadline), and the record it carried is reported: the
// handler returns before Lambda stops it, whatever the call does.
func TestACallIsCutBeforeTheDeadline(t *testing.T) {
	ev := manyTransitions(t, 3)
	bus := &slowBus{d: time.Hour}
	h := New(Config{BusName: "b", TableName: "t", Attempts: 3, CallBudget: 100 * time.Millisecond, ReturnReserve: 150 * time.Millisecond}, bus, quiet, func(time.Duration) {})
	deadline := time.Now().Add(600 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()

	resp, err := h.Handle(ctx, ev)
	require.NoError(t, err)
	assert.True(t, time.Now().Before(deadline), "returned after the deadline")
	assert.Len(t, bus.calls, 1, "no retry without the time to see it through")
	assert.Equal(t, []events.DynamoDBBatchItemFailure{{ItemIdentifier: ev.Records[0].Change.SequenceNumber}}, resp.BatchItemFailures)
}
