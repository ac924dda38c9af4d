package localbreaker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	epconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/config"
	publisher "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

// EventPublished: a transition event reached EventBridge and a rule delivered
// it (From -> To, Reason, Version, EventID; At is when it was received).
const EventPublished EventKind = "published"

// eventRule is docs/events.md's rule for every transition.
const eventRule = `{"source": ["circuitbreaker"], "detail-type": ["Circuit State Change"]}`

// publishEvents runs the transition events' path (docs/events.md) in moto:
// the circuit table's stream, polled in place of Lambda's event source
// mapping (every 250 ms, batches of at most 100 records, the mapping's
// settings in component/events.go), our real event publisher under the RIE,
// and EventBridge's default bus with a rule delivering to an SQS queue that
// is read back into the timeline. The poller is the one SIMULATED piece:
// moto runs no mappings.
func (b *Breaker) publishEvents(ctx context.Context, moto, streamArn, table, bootstrap string) (done <-chan struct{}) {
	tb := b.tb
	pub := testenv.StartRIE(tb, bootstrap, map[string]string{
		publisher.EnvBusName:           "default",
		publisher.EnvTableName:         table,
		"AWS_ENDPOINT_URL_EVENTBRIDGE": moto,
		lambdaenv.Handler:              epconfig.Handler,
	})
	capture, err := testenv.NewEventCapture(moto, "default", eventRule)
	if err != nil {
		tb.Fatalf("localbreaker: the event bus: %v", err)
	}
	reader := &testenv.StreamReader{Endpoint: moto, StreamArn: streamArn}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if err := b.pollOnce(reader, pub.InvokeURL, capture); err != nil && ctx.Err() == nil {
				b.record(Event{At: time.Now(), Kind: EventPublished, Err: err.Error()})
			}
		}
	}()
	return finished
}

func (b *Breaker) pollOnce(reader *testenv.StreamReader, invokeURL string, capture *testenv.EventCapture) error {
	records, err := reader.Next()
	if err != nil {
		return fmt.Errorf("reading the stream: %w", err)
	}
	for start := 0; start < len(records); start += 100 {
		batch := records[start:min(start+100, len(records))]
		body, _ := json.Marshal(events.DynamoDBEvent{Records: batch})
		resp, err := b.http.Post(invokeURL, "application/json", bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("invoking the publisher: %w", err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var out events.DynamoDBEventResponse
		if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || len(out.BatchItemFailures) > 0 {
			return fmt.Errorf("the publisher answered %s", raw)
		}
	}
	got, err := capture.Receive()
	for _, ev := range got {
		var d publisher.Detail
		if json.Unmarshal(ev.Detail, &d) != nil {
			continue
		}
		e := Event{At: time.Now(), Kind: EventPublished, From: d.From, To: d.To, Reason: d.Reason, Version: d.Version, EventID: d.ID}
		if at, err := circuit.ParseTime(d.At); err == nil {
			e.TransitionAt = at
		}
		b.record(e)
	}
	return err
}
