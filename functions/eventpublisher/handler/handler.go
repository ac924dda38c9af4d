// Package handler is the event publisher: it reads the circuit table's
// DynamoDB stream (NEW_AND_OLD_IMAGES) and puts one EventBridge event on the
// configured bus per transition of a circuit, whichever writer made it. What a
// transition is lives in circuit (TransitionBetween); this package only
// reads the stream's records and delivers the events.
//
// Delivery is at least once, and duplicates are confined to one case (see
// Handle): stream records are re-delivered when a batch fails, so the handler
// publishes records in order, retries only the entries PutEvents failed, and
// reports the first record it could not publish as the batch's failure
// (ReportBatchItemFailures), so that Lambda re-delivers from that record on and
// not the records already published before it. It does the same when its
// invocation's deadline nears: it starts no PutEvents call it could not see
// through, and returns the records left as the batch's failure, rather than
// be stopped by Lambda mid-batch, which fails the whole batch and republishes
// the events already put.
package handler

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
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/config"
)

// Source and DetailType are the events' envelope, documented in
// docs/events.md. EventBridge reserves sources starting with "aws." for AWS
// services; ours names the package.
const (
	Source     = "circuitbreaker"
	DetailType = "Circuit State Change"
)

// MaxEntriesPerCall is PutEvents' limit on entries per request (Amazon
// EventBridge API Reference, PutEvents: Entries, "Array Members: Minimum number
// of 1 item. Maximum number of 10 items").
const MaxEntriesPerCall = 10

// Detail is the event's detail, the schema docs/events.md documents.
type Detail struct {
	Service string `json:"service"`
	// Key is the per-key circuit's key ("<service>#<key>" items); absent for
	// the breaker's own circuit.
	Key     string `json:"key,omitempty"`
	From    string `json:"from"`
	To      string `json:"to"`
	Reason  string `json:"reason"`
	At      string `json:"at"`
	Version int64  `json:"version"`
	Table   string `json:"table"`
	// ID names the transition: the item's key and the version of the write
	// that made it. A re-delivered event carries the same ID: consumers that
	// must act once dedupe on it.
	ID string `json:"id"`
}

// Putter is the part of the EventBridge client the handler uses.
type Putter interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// The publisher's environment contract is functions/eventpublisher/config,
// which the component links without this package's AWS clients.
type Config = config.Config

const (
	DefaultCallBudget    = config.DefaultCallBudget
	DefaultReturnReserve = config.DefaultReturnReserve
	EnvBusName           = config.EnvBusName
	EnvTableName         = config.EnvTableName
)

// ConfigFromEnv is config.FromEnv.
func ConfigFromEnv(getenv func(string) string) (Config, error) { return config.FromEnv(getenv) }

// Handler publishes transitions.
type Handler struct {
	cfg   Config
	put   Putter
	log   *slog.Logger
	sleep func(time.Duration)
	now   func() time.Time
}

// New returns a handler; sleep nil means time.Sleep (tests pass a no-op).
func New(cfg Config, put Putter, log *slog.Logger, sleep func(time.Duration)) *Handler {
	if sleep == nil {
		sleep = time.Sleep
	}
	if cfg.Attempts < 1 {
		cfg.Attempts = 1
	}
	if cfg.CallBudget <= 0 {
		cfg.CallBudget = DefaultCallBudget
	}
	if cfg.ReturnReserve <= 0 {
		cfg.ReturnReserve = DefaultReturnReserve
	}
	return &Handler{cfg: cfg, put: put, log: log, sleep: sleep, now: time.Now}
}

// errDeadline: the invocation's deadline is too near for another call.
var errDeadline = errors.New("the invocation's deadline is too near to start another PutEvents call")

// timeLeft is how long until the invocation's deadline less the return
// reserve; ok false without a deadline (none to keep).
func (h *Handler) timeLeft(ctx context.Context) (time.Duration, bool) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	return deadline.Sub(h.now()) - h.cfg.ReturnReserve, true
}

// canCall reports whether a PutEvents call, after a pause of wait, can still
// be seen through before the deadline.
func (h *Handler) canCall(ctx context.Context, wait time.Duration) bool {
	left, ok := h.timeLeft(ctx)
	return !ok || left-wait >= h.cfg.CallBudget
}

// pending is one event to put and the record it came from.
type pending struct {
	seq   string
	entry ebtypes.PutEventsRequestEntry
}

// Handle publishes the batch's transitions in the records' order. It returns
// the first record it could not publish (and so every record after it, which
// Lambda re-delivers from that checkpoint on) as the batch item failure.
//
// The residual duplicate: when PutEvents accepted entries of records after the
// failed one within the same chunk of ten, or a call timed out after EventBridge
// had accepted it, those events are put again on re-delivery. They carry the
// same detail.id.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var todo []pending
	for _, r := range ev.Records {
		e, ok, err := h.entry(r)
		if err != nil {
			// A record we cannot read never becomes readable by retrying:
			// blocking the shard on it would hold back every other circuit's
			// events until the record expired, so it is logged and skipped.
			h.log.Error("unreadable stream record skipped", "sequenceNumber", r.Change.SequenceNumber, "eventID", r.EventID, "error", err.Error())
			continue
		}
		if ok {
			todo = append(todo, pending{seq: r.Change.SequenceNumber, entry: e})
		}
	}
	for start := 0; start < len(todo); start += MaxEntriesPerCall {
		chunk := todo[start:min(start+MaxEntriesPerCall, len(todo))]
		if failed, err := h.putChunk(ctx, chunk); err != nil {
			// The records after it are not published either: they follow
			// the checkpoint, and Lambda re-delivers them with it.
			h.log.Error("transition events not published; the stream re-delivers from the first", "sequenceNumber", failed, "error", err.Error())
			return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: failed}}}, nil
		}
	}
	return events.DynamoDBEventResponse{}, nil
}

// HandleRaw is the Lambda entry point: Handle on the batch as the stream
// delivers it, each record decoded on its own. aws-lambda-go's decoder of
// DynamoDB attribute values panics on some malformed ones (a binary set
// holding an object: found by FuzzStreamRecords); decoded as a whole batch,
// one such record failed every invocation, and the retries held back every
// other circuit's events. A record that does not decode is logged and
// skipped, as a record that does not read as a circuit is (Handle).
func (h *Handler) HandleRaw(ctx context.Context, raw json.RawMessage) (events.DynamoDBEventResponse, error) {
	var batch struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(raw, &batch); err != nil {
		return events.DynamoDBEventResponse{}, fmt.Errorf("not a DynamoDB stream event: %s", circuit.Echo(err.Error()))
	}
	ev := events.DynamoDBEvent{Records: make([]events.DynamoDBEventRecord, 0, len(batch.Records))}
	for i, r := range batch.Records {
		rec, err := decodeRecord(r)
		if err != nil {
			h.log.Error("undecodable stream record skipped", "index", i, "error", circuit.Echo(err.Error()))
			continue
		}
		ev.Records = append(ev.Records, rec)
	}
	return h.Handle(ctx, ev)
}

// decodeRecord is one stream record, as aws-lambda-go decodes it, with its
// decoder's panics turned into errors.
func decodeRecord(raw json.RawMessage) (r events.DynamoDBEventRecord, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("not a stream record: the decoder failed on it (%v)", p)
		}
	}()
	err = json.Unmarshal(raw, &r)
	return r, err
}

// putChunk puts up to ten entries, retrying only the ones that failed. It
// returns the sequence number of the earliest record still failed.
func (h *Handler) putChunk(ctx context.Context, chunk []pending) (string, error) {
	left := chunk
	var lastErr error
	for attempt := 1; attempt <= h.cfg.Attempts; attempt++ {
		var pause time.Duration
		if attempt > 1 {
			pause = time.Duration(1<<(attempt-2)) * 100 * time.Millisecond
		}
		if !h.canCall(ctx, pause) {
			if lastErr != nil {
				return left[0].seq, fmt.Errorf("%w, after %d attempt(s): %w", errDeadline, attempt-1, lastErr)
			}
			return left[0].seq, errDeadline
		}
		if pause > 0 {
			h.sleep(pause)
		}
		entries := make([]ebtypes.PutEventsRequestEntry, len(left))
		for i, p := range left {
			entries[i] = p.entry
		}
		out, err := h.putBefore(ctx, entries)
		if err != nil {
			lastErr = err
			continue
		}
		// The response's entries are the request's, in order (EventBridge
		// User Guide, "Sending events with PutEvents"): a failed one has an
		// ErrorCode.
		if len(out.Entries) != len(left) {
			lastErr = fmt.Errorf("PutEvents answered %d entries for %d", len(out.Entries), len(left))
			continue
		}
		var still []pending
		var codes []string
		for i, r := range out.Entries {
			if r.ErrorCode != nil {
				still = append(still, left[i])
				codes = append(codes, aws.ToString(r.ErrorCode)+": "+aws.ToString(r.ErrorMessage))
			} else {
				h.log.Info("transition published", "eventId", aws.ToString(r.EventId), "detail", aws.ToString(left[i].entry.Detail))
			}
		}
		left = still
		if len(left) == 0 {
			return "", nil
		}
		lastErr = fmt.Errorf("%d of %d entries failed: %s", len(left), len(entries), strings.Join(codes, "; "))
	}
	return left[0].seq, fmt.Errorf("after %d attempts: %w", h.cfg.Attempts, lastErr)
}

// putBefore is one PutEvents call that ends before the invocation's deadline
// less the return reserve, whatever the SDK's retryer would do.
func (h *Handler) putBefore(ctx context.Context, entries []ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error) {
	if left, ok := h.timeLeft(ctx); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, left)
		defer cancel()
	}
	return h.put.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
}

// entry is the event for one stream record, or false when it is no
// transition (a counter, or an item that is no circuit's).
func (h *Handler) entry(r events.DynamoDBEventRecord) (ebtypes.PutEventsRequestEntry, bool, error) {
	keyAttr, ok := r.Change.Keys[circuit.KeyAttribute]
	if !ok || keyAttr.DataType() != events.DataTypeString {
		return ebtypes.PutEventsRequestEntry{}, false, nil
	}
	itemKey := keyAttr.String()
	if r.Change.StreamViewType != "" && r.Change.StreamViewType != string(events.DynamoDBStreamViewTypeNewAndOldImages) {
		return ebtypes.PutEventsRequestEntry{}, false, fmt.Errorf("stream view type %s: the publisher needs NEW_AND_OLD_IMAGES to tell transitions from counters", r.Change.StreamViewType)
	}
	oldItem, err := item(r.Change.OldImage)
	if err != nil {
		return ebtypes.PutEventsRequestEntry{}, false, fmt.Errorf("old image: %w", err)
	}
	newItem, err := item(r.Change.NewImage)
	if err != nil {
		return ebtypes.PutEventsRequestEntry{}, false, fmt.Errorf("new image: %w", err)
	}
	old, err := circuitstore.Decode(itemKey, oldItem)
	if err != nil {
		return ebtypes.PutEventsRequestEntry{}, false, err
	}
	next, err := circuitstore.Decode(itemKey, newItem)
	if err != nil {
		return ebtypes.PutEventsRequestEntry{}, false, err
	}
	at := r.Change.ApproximateCreationDateTime.UTC()
	ch, ok := circuit.TransitionBetween(old, len(oldItem) > 0, next, len(newItem) > 0, at)
	if !ok {
		return ebtypes.PutEventsRequestEntry{}, false, nil
	}
	service, key := circuit.SplitItemKey(itemKey)
	id := fmt.Sprintf("%s@%d", itemKey, ch.Version)
	if ch.Deleted {
		id += "/deleted"
	}
	when := ch.At
	if when.IsZero() {
		when = at
	}
	detail, err := json.Marshal(Detail{
		Service: service, Key: key, From: string(ch.From), To: string(ch.To), Reason: ch.Reason,
		At: circuit.FormatTime(when), Version: ch.Version, Table: h.cfg.TableName, ID: id,
	})
	if err != nil {
		return ebtypes.PutEventsRequestEntry{}, false, err
	}
	e := ebtypes.PutEventsRequestEntry{
		EventBusName: aws.String(h.cfg.BusName),
		Source:       aws.String(Source),
		DetailType:   aws.String(DetailType),
		Detail:       aws.String(string(detail)),
		Time:         aws.Time(when),
	}
	if arn := tableArnOf(r.EventSourceArn); arn != "" {
		e.Resources = []string{arn}
	}
	return e, true, nil
}

// tableArnOf is the table's ARN from its stream's
// (arn:...:table/NAME/stream/LABEL).
func tableArnOf(streamArn string) string {
	if i := strings.Index(streamArn, "/stream/"); i > 0 {
		return streamArn[:i]
	}
	return ""
}

// item converts a stream image into the SDK's item, which circuitstore
// decodes. The two libraries model the same DynamoDB JSON with different Go
// types.
func item(image map[string]events.DynamoDBAttributeValue) (circuitstore.Item, error) {
	if len(image) == 0 {
		return nil, nil
	}
	out := circuitstore.Item{}
	for k, v := range image {
		av, err := attributeValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

var errUnknownType = errors.New("unknown attribute type")
