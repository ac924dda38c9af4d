package lambdaenv

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// Handler is the function's Handler setting, which Lambda sets in every
// function's environment ("_HANDLER – The handler location configured on the
// function", Lambda Developer Guide, "Defined runtime environment variables").
// One bootstrap serves several roles (the controller zip: controller and
// healthrunner; the alarm handler zip: alarmhandler and reconciler), and each
// function's Handler names the role it runs.
const Handler = "_HANDLER"

// Role is the role the function's Handler setting names, or a
// ConfigurationError naming the setting and the roles this bootstrap serves:
// a function whose Handler is anything else must fail every invocation, never
// run some default role.
func Role(getenv func(string) string, bootstrap string, roles ...string) (string, error) {
	h := getenv(Handler)
	if slices.Contains(roles, h) {
		return h, nil
	}
	return "", &ConfigurationError{Lambda: bootstrap, Problems: []string{fmt.Sprintf(
		"the function's Handler (%s) is %q, which is none of the roles this bootstrap serves (%s): set Handler to one of them",
		Handler, h, strings.Join(roles, ", "))}}
}

// Failing is the handler of a function that cannot start its role (a
// ConfigurationError, or the AWS configuration failing to load): it logs err
// once, at cold start, and fails every invocation with it, so the problem
// shows in Lambda's Errors metric and in each invocation's response, not only
// in one init log line. Every bootstrap of ours uses it.
func Failing[Out any](log *slog.Logger, err error) func(context.Context, json.RawMessage) (Out, error) {
	log.Error("invalid configuration", "error", err.Error())
	return func(context.Context, json.RawMessage) (Out, error) {
		var none Out
		return none, err
	}
}
