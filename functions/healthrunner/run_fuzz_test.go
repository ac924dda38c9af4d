package healthrunner_test

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
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner"
)

// Fuzz tests of the healthcheck runner's parsers of outside input: the
// schedule's event (whoever may invoke the function) and the healthcheck's
// own answer. A refused run must change nothing: no read, no write, no
// healthcheck invoked. docs/fuzzing.md lists the targets.

var fzClock = time.Date(2026, 11, 27, 0, 10, 30, 0, time.UTC)

// fzMaxErrorLen bounds an error's text whatever the event's size (issue 14
// item 9): the field, the problem and values echoed up to circuit.MaxEcho.
const fzMaxErrorLen = 1024

// fzHealthcheck answers every Invoke with answer and counts the calls.
type fzHealthcheck struct {
	calls  int
	answer lambda.InvokeOutput
}

func (l *fzHealthcheck) Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	l.calls++
	out := l.answer
	return &out, nil
}

func fuzzRunner(table *fakestore.Table, hc *fzHealthcheck) *healthrunner.Handler {
	cfg := healthrunner.Config{
		TableName:    "circuits",
		ServiceName:  "payments",
		Policy:       circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
		ProbeTimeout: 40 * time.Second,
		FunctionArn:  "arn:aws:lambda:us-east-1:123456789012:function:payments-health:live",
		Healthcheck:  circuit.HealthcheckPolicy{UnhealthyThreshold: 2, AlarmWindow: 3 * time.Minute},
	}
	return healthrunner.New(cfg, table, hc, slog.New(slog.NewJSONHandler(io.Discard, nil)), func() time.Time { return fzClock }).WithMetrics(io.Discard)
}

// FuzzScheduledRun: the event, decoded as the Lambda runtime decodes it for
// the typed handler (aws-lambda-go: encoding/json into ScheduledRun; an
// event that does not decode never reaches the handler). Seeds: the
// schedule's Input as the component renders it (healthrunner.RunInput) with
// Scheduler's <aws.scheduler.scheduled-time> filled in as it renders it
// (2026-11-27T00:10:00Z), and the controller's former healthcheck action,
// which the upgrade's old schedule still sends. Whatever it holds, no
// panic; a refused run is an InvalidRunError naming scheduledTime, with a
// bounded text, and neither touched the table nor ran the healthcheck.
func FuzzScheduledRun(f *testing.F) {
	for _, s := range []string{
		strings.Replace(healthrunner.RunInput(`{}`), "<aws.scheduler.scheduled-time>", "2026-11-27T00:10:00Z", 1),
		strings.Replace(healthrunner.RunInput(`{"probe":true}`), "<aws.scheduler.scheduled-time>", "2026-11-27T00:10:00Z", 1),
		`{"action":"healthcheck","scheduledTime":"2026-11-27T00:10:00Z","input":{"probe":true}}`,
		`{"scheduledTime":"9999-12-31T23:59:59Z"}`,
		`{"scheduledTime":"<aws.scheduler.scheduled-time>"}`,
		`{"scheduledTime":"` + strings.Repeat("9", 3000) + `"}`,
		`{"scheduledTime":1}`, `{}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, event []byte) {
		var run healthrunner.ScheduledRun
		if json.Unmarshal(event, &run) != nil {
			return // the runtime refuses it before the handler
		}
		table := &fakestore.Table{}
		hc := &fzHealthcheck{answer: lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"ok":true}`)}}
		_, err := fuzzRunner(table, hc).Handle(context.Background(), run)
		var bad *healthrunner.InvalidRunError
		switch {
		case err == nil:
			return
		case !errors.As(err, &bad):
			t.Fatalf("error of type %T, want *healthrunner.InvalidRunError: %v", err, err)
		case bad.Field != "scheduledTime":
			t.Fatalf("the error names %q, want scheduledTime: %v", bad.Field, err)
		case len(err.Error()) > fzMaxErrorLen:
			t.Fatalf("error of %d bytes for a %d-byte event: input echoed unbounded", len(err.Error()), len(event))
		case table.Reads() != 0 || table.Writes() != 0 || hc.calls != 0:
			t.Fatalf("refused run (%v) touched the table (%d reads, %d writes) or ran the healthcheck (%d)", err, table.Reads(), table.Writes(), hc.calls)
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
		hc := &fzHealthcheck{answer: lambda.InvokeOutput{StatusCode: 200, Payload: payload}}
		if functionError != "" {
			hc.answer.FunctionError = aws.String(functionError)
		}
		res, err := fuzzRunner(&fakestore.Table{}, hc).Handle(context.Background(), healthrunner.ScheduledRun{ScheduledTime: "2026-11-27T00:10:00Z"})
		if err != nil {
			t.Fatalf("no verdict: %v", err)
		}
		if want := map[bool]string{true: "HEALTHY", false: "UNHEALTHY"}[functionError == ""]; res.Verdict != want {
			t.Fatalf("verdict %s with FunctionError %q, want %s", res.Verdict, functionError, want)
		}
	})
}
