// Command downstream is a stand-in for the function a circuit breaker protects,
// for tests that run the state machine against the Lambda Runtime Interface
// Emulator. What it does is chosen by its payload, so one binary covers every
// scenario:
//
//	{"fail": "DownstreamBoom", "message": "..."}  fails with that error type
//	{"sleepMs": 3000, ...}                          sleeps first (to provoke a Task timeout)
//	{"waitForFile": "/path", ...}                   first waits until that file exists: a gate
//	                                                the test opens, to hold calls in flight
//	                                                without guessing durations
//	{"return": <any JSON>}                         returns exactly that value
//	{"returnString": N}                            returns a JSON string of N "a"s (N+2 bytes):
//	                                               a result of a chosen size, for payload limits
//	anything else (any JSON type)                  returns {"echoed": <the payload>}
//
// Echoing inside a wrapper rather than verbatim lets tests tell the function's
// result apart from the execution's input passing through untouched. The
// wrapper's key is $ECHO_KEY when set, so that one binary can also stand in for
// a fallback function whose results are told apart from the downstream's.
package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

type directives struct {
	Fail    string          `json:"fail"`
	Message string          `json:"message"`
	SleepMs int             `json:"sleepMs"`
	WaitFor string          `json:"waitForFile"`
	Return  json.RawMessage `json:"return"`
	// A pointer, so that 0 (an empty string) differs from absent.
	ReturnString *int `json:"returnString"`
}

func handle(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
	var d directives
	// Non-object payloads (strings, arrays, numbers) carry no directives.
	_ = json.Unmarshal(payload, &d)

	for d.WaitFor != "" {
		if _, err := os.Stat(d.WaitFor); err == nil {
			break
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if d.SleepMs > 0 {
		select {
		case <-time.After(time.Duration(d.SleepMs) * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if d.Fail != "" {
		msg := d.Message
		if msg == "" {
			msg = "the downstream failed on request"
		}
		// aws-lambda-go reports this type verbatim as errorType, which Step
		// Functions turns into the error name; any other error type would be
		// reported under its Go type name.
		return nil, messages.InvokeResponse_Error{Type: d.Fail, Message: msg}
	}
	if d.Return != nil {
		return d.Return, nil
	}
	if d.ReturnString != nil {
		return json.Marshal(strings.Repeat("a", max(*d.ReturnString, 0)))
	}
	key := os.Getenv("ECHO_KEY")
	if key == "" {
		key = "echoed"
	}
	return json.Marshal(map[string]json.RawMessage{key: payload})
}

func main() { lambda.Start(handle) }
