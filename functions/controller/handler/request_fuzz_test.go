package handler_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakestore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
)

// Fuzz test of the controller's request parser: the state machine's
// requests and whatever else anyone who may invoke the function sends (the
// operators' former actions, the runner's former one). A refused request
// must change nothing: no read, no write. The healthcheck runner's event and
// the healthcheck's answer are fuzzed in functions/healthrunner.
// docs/fuzzing.md lists the targets.

var fzClock = time.Date(2026, 11, 27, 0, 10, 30, 0, time.UTC)

// maxErrorLen bounds an error's text whatever the request's size (issue 14
// item 9): the field, the problem and values echoed up to circuit.MaxEcho.
const maxErrorLen = 1024

// fuzzController is the breaker's controller.
func fuzzController(table *fakestore.Table) *handler.Handler {
	cfg := handler.Config{
		TableName:   "circuits",
		ServiceName: "payments",
		Policy:      circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
		Probes:      circuit.ProbePolicy{MaxCalls: 2, Timeout: 40 * time.Second},
	}
	return handler.New(cfg, table, slog.New(slog.NewJSONHandler(io.Discard, nil)), func() time.Time { return fzClock }).WithMetrics(io.Discard)
}

// requestSeeds are the requests as their senders write them: the state
// machine's (its Task states' Payload templates in
// component/statemachine/testdata/golden/*.json, with the context object's
// times filled in as Step Functions renders $$.Execution.StartTime and
// $$.State.EnteredTime), and the actions the controller no longer takes (the
// operators' overrides, now circuitctl's, and the healthcheck schedule's
// input, now the runner's), which it must refuse naming the action.
var requestSeeds = []string{
	`{"action":"elect","at":"2026-11-27T00:10:29.123Z"}`,
	`{"action":"elect","at":"2026-11-27T00:10:29.123Z","key":"customer-42"}`,
	`{"action":"trip","at":"2026-11-27T00:10:29.5Z","error":"States.Timeout","failures":5}`,
	`{"action":"trip","at":"2026-11-27T00:10:29.5Z","error":"Lambda.ServiceException","failures":0}`,
	`{"action":"reopen","at":"2026-11-27T00:10:29.5Z","error":"HandlerError","halfOpenUntil":"2026-11-27T00:10:59.000Z"}`,
	`{"action":"forceOpen","reason":"incident 4711: card processor down"}`,
	`{"action":"forceClosed","reason":"alarm is wrong"}`,
	`{"action":"release"}`,
	`{"action":"release","key":"orders#x"}`,
	`{"action":"healthcheck","scheduledTime":"2026-11-27T00:10:00Z","input":{"probe":true}}`,
	`{"action":"healthcheck","scheduledTime":"9999-12-31T23:59:59Z"}`,
	`{"action":"trip","at":"9998-01-01T00:00:00Z","failures":1}`,
	`{"action":"forceOpen","reson":"typo"}`,
	`{"action":"elect"}{"action":"elect"}`,
	`{"action":1}`,
	`[]`, `null`, ``,
	// Fields far over circuit.MaxEcho: an error must not echo them whole.
	`{"action":"` + strings.Repeat("x", 3000) + `"}`,
	`{"` + strings.Repeat("y", 3000) + `":1}`,
	`{"action":"trip","failures":1,"at":"` + strings.Repeat("9", 3000) + `"}`,
	`{"action":"elect","key":"` + strings.Repeat("k", 3000) + `#"}`,
}

// FuzzControllerRequest: the payload. Whatever it holds, no panic; a
// refused request is an InvalidRequestError naming its field, with a
// bounded text, and neither read nor wrote the table; an accepted one is
// one of the controller's own actions.
func FuzzControllerRequest(f *testing.F) {
	for _, s := range requestSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		table := &fakestore.Table{}
		resp, err := fuzzController(table).Handle(context.Background(), payload)
		var bad *handler.InvalidRequestError
		switch {
		case err == nil && resp.Action != handler.ActionTrip && resp.Action != handler.ActionElect && resp.Action != handler.ActionReopen:
			t.Fatalf("the controller took %q: it takes only trip, elect and reopen", resp.Action)
		case err == nil:
			return
		case !errors.As(err, &bad):
			t.Fatalf("error of type %T, want *handler.InvalidRequestError: %v", err, err)
		case bad.Field == "":
			t.Fatalf("the error names no field: %v", err)
		case len(err.Error()) > maxErrorLen:
			t.Fatalf("error of %d bytes for a %d-byte payload: input echoed unbounded", len(err.Error()), len(payload))
		case table.Reads() != 0 || table.Writes() != 0:
			t.Fatalf("refused request (%v) touched the table: %d reads, %d writes", err, table.Reads(), table.Writes())
		}
	})
}

// TestUnknownEmptyFieldIsNamed: a request with a field named "" was refused
// as `invalid controller request: : unknown field`, naming no field (found
// by FuzzControllerRequest, testdata/fuzz/FuzzControllerRequest/dc600271e2e08ad4).
func TestUnknownEmptyFieldIsNamed(t *testing.T) {
	table := &fakestore.Table{}
	_, err := fuzzController(table).Handle(context.Background(), []byte(`{"":""}`))
	var bad *handler.InvalidRequestError
	if !errors.As(err, &bad) || bad.Field != `""` {
		t.Fatalf("got %v, want an InvalidRequestError on the field %q", err, `""`)
	}
	if table.Reads()+table.Writes() != 0 {
		t.Fatal("the refused request touched the table")
	}
}
