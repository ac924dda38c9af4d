// Command flaky is the demo's downstream: a Lambda that works, except during
// the outage windows of its environment (package outage), when it fails with
// DownstreamUnavailable, as a function whose dependency is down would. Its
// behaviour depends on the wall clock only, not on its payload, so that the
// breaker cannot "know" anything the real world would not tell it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

func main() {
	sched, err := outage.FromEnv(os.Getenv)
	lambda.Start(func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		if err != nil {
			return nil, err
		}
		return handle(sched, time.Now(), payload)
	})
}

func handle(sched outage.Schedule, now time.Time, payload json.RawMessage) (json.RawMessage, error) {
	if w, since, down := sched.Down(now); down {
		// The error type is what Step Functions names the error; the message
		// lands in the cause the caller sees.
		return nil, messages.InvokeResponse_Error{
			Type:    "DownstreamUnavailable",
			Message: fmt.Sprintf("demo outage %d: the downstream has been down for %.1fs", w, since.Seconds()),
		}
	}
	return json.Marshal(map[string]any{"ok": true, "request": payload})
}
