package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakestore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
)

// Fuzz tests of the controller's request parser: the state machine's
// requests, an operator's `aws lambda invoke` payload, the healthcheck
// schedule's input to the runner (whoever may invoke either function), and
// the healthcheck's own answer. A refused request must change nothing: no
// read, no write, no healthcheck invoked. docs/fuzzing.md lists the targets.

var fzClock = time.Date(2026, 11, 27, 0, 10, 30, 0, time.UTC)

// maxErrorLen bounds an error's text whatever the request's size (issue 14
// item 9): the field, the problem and values echoed up to circuit.MaxEcho.
const maxErrorLen = 1024

// countingLambda is the healthcheck: it answers every Invoke with answer and
// counts the calls.
type countingLambda struct {
	calls  int
	answer lambda.InvokeOutput
}

func (l *countingLambda) Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	l.calls++
	out := l.answer
	return &out, nil
}

// fuzzController is the breaker's controller, or with a healthcheck its
// healthcheck runner (the same code with the healthcheck's ARN).
func fuzzController(table *fakestore.Table, healthcheck *countingLambda) *handler.Handler {
	cfg := handler.Config{
		TableName:   "circuits",
		ServiceName: "payments",
		Policy:      circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
		Probes:      circuit.ProbePolicy{MaxCalls: 2, Timeout: 40 * time.Second},
	}
	if healthcheck != nil {
		cfg.Healthcheck = handler.HealthcheckConfig{FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:payments-health:live",
			Policy: circuit.HealthcheckPolicy{UnhealthyThreshold: 2, AlarmWindow: 3 * time.Minute}}
	}
	h := handler.New(cfg, table, slog.New(slog.NewJSONHandler(io.Discard, nil)), func() time.Time { return fzClock }).WithMetrics(io.Discard)
	if healthcheck != nil {
		h = h.WithInvoker(healthcheck)
	}
	return h
}

// requestSeeds are the requests as their senders write them: the state
// machine's (its Task states' Payload templates in
// component/statemachine/testdata/golden/*.json, with the context object's
// times filled in as Step Functions renders $$.Execution.StartTime and
// $$.State.EnteredTime), the runbook's operator payloads (docs/runbook.md),
// and the healthcheck schedule's input (component/schedule.go: EventBridge
// Scheduler's <aws.scheduler.scheduled-time>, rendered like 2026-11-27T00:10:00Z).
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

// FuzzControllerRequest: the payload, sent to the controller and to the
// healthcheck runner. Whatever it holds, no panic; a refused request is an
// InvalidRequestError naming its field, with a bounded text, and neither
// read nor wrote the table nor ran the healthcheck; the runner accepts only
// the healthcheck action and the controller never runs it.
func FuzzControllerRequest(f *testing.F) {
	for _, s := range requestSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, runner := range []bool{false, true} {
			table := &fakestore.Table{}
			var hc *countingLambda
			if runner {
				hc = &countingLambda{answer: lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"ok":true}`)}}
			}
			resp, err := fuzzController(table, hc).Handle(context.Background(), payload)
			var bad *handler.InvalidRequestError
			switch {
			case err == nil && runner && resp.Action != handler.ActionHealthcheck:
				t.Fatalf("the runner took %q: it must take only healthcheck", resp.Action)
			case err == nil && !runner && resp.Action == handler.ActionHealthcheck:
				t.Fatal("the controller ran the healthcheck action")
			case err == nil:
				return
			case !errors.As(err, &bad):
				t.Fatalf("runner %v: error of type %T, want *handler.InvalidRequestError: %v", runner, err, err)
			case bad.Field == "":
				t.Fatalf("the error names no field: %v", err)
			case len(err.Error()) > maxErrorLen:
				t.Fatalf("error of %d bytes for a %d-byte payload: input echoed unbounded", len(err.Error()), len(payload))
			case table.Reads() != 0 || table.Writes() != 0:
				t.Fatalf("refused request (%v) touched the table: %d reads, %d writes", err, table.Reads(), table.Writes())
			case hc != nil && hc.calls != 0:
				t.Fatalf("refused request (%v) ran the healthcheck", err)
			}
		}
	})
}

// FuzzHealthcheckAnswer: what the healthcheck function answers a run with,
// its payload and Lambda's FunctionError ("" for none). Whatever the
// healthcheck returns, no panic and a verdict: healthy exactly when Lambda
// reports no function error (the Invoke API's FunctionError, "If present,
// indicates that an error occurred during function execution").
func FuzzHealthcheckAnswer(f *testing.F) {
	f.Add([]byte(`{"ok":true}`), "")
	f.Add([]byte(`{"errorMessage":"card processor down","errorType":"DownstreamUnavailable"}`), "Unhandled")
	f.Add([]byte(`{"errorMessage":"2026-11-27T00:10:03.123Z 1c2d Task timed out after 3.00 seconds"}`), "Unhandled")
	f.Add([]byte(`{"errorType":{"nested":true}}`), "Handled")
	f.Add([]byte(`null`), "Unhandled")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, payload []byte, functionError string) {
		hc := &countingLambda{answer: lambda.InvokeOutput{StatusCode: 200, Payload: payload}}
		if functionError != "" {
			hc.answer.FunctionError = aws.String(functionError)
		}
		req, _ := json.Marshal(map[string]any{"action": "healthcheck", "scheduledTime": "2026-11-27T00:10:00Z"})
		resp, err := fuzzController(&fakestore.Table{}, hc).Handle(context.Background(), req)
		if err != nil {
			t.Fatalf("no verdict: %v", err)
		}
		if want := map[bool]string{true: "HEALTHY", false: "UNHEALTHY"}[functionError == ""]; resp.Verdict != want {
			t.Fatalf("verdict %s with FunctionError %q, want %s", resp.Verdict, functionError, want)
		}
	})
}

// TestUnknownEmptyFieldIsNamed: a request with a field named "" was refused
// as `invalid controller request: : unknown field`, naming no field (found
// by FuzzControllerRequest, testdata/fuzz/FuzzControllerRequest/dc600271e2e08ad4).
func TestUnknownEmptyFieldIsNamed(t *testing.T) {
	table := &fakestore.Table{}
	_, err := fuzzController(table, nil).Handle(context.Background(), []byte(`{"":""}`))
	var bad *handler.InvalidRequestError
	if !errors.As(err, &bad) || bad.Field != `""` {
		t.Fatalf("got %v, want an InvalidRequestError on the field %q", err, `""`)
	}
	if table.Reads()+table.Writes() != 0 {
		t.Fatal("the refused request touched the table")
	}
}
