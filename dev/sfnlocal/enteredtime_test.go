//go:build emulators

package sfnlocal

import (
	"encoding/json"
	"testing"
	"time"
)

// $$.State.EnteredTime is set by AWS for every state ("State": {"EnteredTime":
// "Format: ISO 8601", ...} in
// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html);
// the runner supplies it per state, counted from the (fixed) execution start,
// since aws-local-stepfunctions 3.0.0 does not.
func TestStateEnteredTimeIsPerState(t *testing.T) {
	const def = `{
  "QueryLanguage": "JSONPath",
  "StartAt": "First",
  "States": {
    "First": {"Type": "Pass", "Parameters": {"at.$": "$$.State.EnteredTime"}, "ResultPath": "$.first", "Next": "Wait"},
    "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Second"},
    "Second": {"Type": "Pass", "Parameters": {"at.$": "$$.State.EnteredTime"}, "ResultPath": "$.second", "End": true}
  }
}`
	m := Start(t, def, Options{})
	start := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	entered := func(r Result) (first, second time.Time) {
		t.Helper()
		var out struct{ First, Second struct{ At time.Time } }
		if !r.Succeeded() || json.Unmarshal(r.Output, &out) != nil {
			t.Fatalf("got %s", r)
		}
		return out.First.At, out.Second.At
	}

	first, second := entered(m.Run(t, map[string]any{}, Exec{StartTime: start}))
	if first.Before(start) || first.After(start.Add(500*time.Millisecond)) {
		t.Errorf("first state entered at %s, want just after the start %s", first, start)
	}
	// The Wait state really waits a second, and the clock runs on from the start.
	if d := second.Sub(first); d < time.Second || d > 5*time.Second {
		t.Errorf("second state entered %s after the first, want about 1s", d)
	}

	// A pinned EnteredTime is a fixed clock for every state.
	pinned := start.Add(30 * time.Second)
	first, second = entered(m.Run(t, map[string]any{}, Exec{StartTime: start,
		Context: map[string]any{"State": map[string]any{"EnteredTime": pinned.Format(time.RFC3339Nano)}}}))
	if !first.Equal(pinned) || !second.Equal(pinned) {
		t.Errorf("pinned EnteredTime not kept: %s, %s", first, second)
	}
}
