//go:build emulators

package sfnlocal

import (
	"strings"
	"testing"
)

// A Fail state's CausePath and ErrorPath may be intrinsic functions that
// return a string ("You can also specify CausePath using an intrinsic
// function that returns a string. These intrinsics are: States.Format,
// States.JsonToString, ...",
// https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html);
// aws-local-stepfunctions 3.0.0 reads them as paths only, so the runner
// evaluates them (run.mjs, failPathIntrinsics) and the execution enters the
// Fail state alone, as on AWS. A plain reference path still works as before.
func TestFailPathIntrinsics(t *testing.T) {
	const def = `{
  "QueryLanguage": "JSONPath",
  "StartAt": "Pick",
  "States": {
    "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.plain", "IsPresent": true, "Next": "Plain"}], "Default": "Formatted"},
    "Formatted": {"Type": "Fail",
      "ErrorPath": "States.Format('Err{}', $.n)",
      "CausePath": "States.Format('\\{\"at\":\"{}\",\"key\":{}\\}', $$.Execution.StartTime, States.JsonToString($$.Execution.Input.key))"},
    "Plain": {"Type": "Fail", "Error": "Plain", "CausePath": "$.plain"}
  }
}`
	m := Start(t, def, Options{})
	r := m.Run(t, map[string]any{"n": 7, "key": "a 'b' {c}"}, Exec{})
	if r.Status != "FAILED" || r.Error != "Err7" || !strings.HasPrefix(r.Cause, `{"at":"20`) || !strings.HasSuffix(r.Cause, `","key":"a 'b' {c}"}`) {
		t.Errorf("intrinsic Fail paths: %s", r)
	}
	if got := strings.Join(r.States, ","); got != "Pick,Formatted" {
		t.Errorf("states entered %s, want Pick,Formatted", got)
	}
	r = m.Run(t, map[string]any{"plain": "as is"}, Exec{})
	if r.Error != "Plain" || r.Cause != "as is" || strings.Join(r.States, ",") != "Pick,Plain" {
		t.Errorf("reference path: %s", r)
	}
}
