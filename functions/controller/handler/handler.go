// Package handler is the controller Lambda's logic: the request path's rare
// transitions, which need time arithmetic that Amazon States Language cannot do
// (trip, elect a probe, reopen). The state machine is its only caller, with
// {"action": ..., "at": <its clock>, ...} and "key":"<key>" for one key of a
// per-key breaker (docs/per-key.md). Operators' overrides are circuitctl's
// conditional writes (circuit.SetOverride), not the controller's.
//
// Each action is a pure function of package circuit applied through
// circuitstore.Update, so racing writers (other executions, the alarm handler,
// the state machine's own conditional updates) lose nothing.
package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitmetric"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
)

// Action is what the controller is asked to do.
type Action string

const (
	// ActionTrip opens a CLOSED circuit after the state machine counted
	// FailureThreshold consecutive failures. Fields: failures (required), error.
	ActionTrip Action = "trip"
	// ActionElect admits the caller as a probe: a new half-open period once the
	// open duration or the previous period is over, else a free slot in the
	// current period. The response says whether it was admitted.
	ActionElect Action = "elect"
	// ActionReopen opens a HALF_OPEN circuit again after a probe failed, for the
	// next back-off duration. Fields: error, halfOpenUntil (the probe's period).
	ActionReopen Action = "reopen"
)

var actions = []Action{ActionTrip, ActionElect, ActionReopen}

// Request is the controller's input.
type Request struct {
	Action Action `json:"action"`
	// At is "now" (RFC 3339, with or without a fraction). For an election the
	// state machine passes $$.Execution.StartTime, the instant its Choice
	// compared the circuit's deadlines with, so that both agree on whether a
	// deadline has passed; for a trip or a reopen, the failing state's
	// $$.State.EnteredTime, so that the opening counts from the failure rather
	// than from the start of a call that spent its timeout failing. Absent: the
	// Lambda's clock.
	At string `json:"at,omitempty"`
	// Failures is the consecutive failure count the state machine saw (trip).
	Failures *int `json:"failures,omitempty"`
	// Error is the downstream's error name (trip, reopen), for the reason.
	Error string `json:"error,omitempty"`
	// HalfOpenUntil is the half-open period the failed probe belonged to (reopen).
	HalfOpenUntil string `json:"halfOpenUntil,omitempty"`
	// Key names one key's circuit of a per-key breaker (docs/per-key.md): the
	// action applies to its item, circuit.ItemKey(service, key). Absent or
	// empty: the breaker's own item, which governs every key. Any action takes
	// it: the state machine sends the key of the circuit it acted on.
	Key string `json:"key,omitempty"`
}

// Response is the controller's output. Every field is always present, so that
// the state machine's ResultSelector can read them without guards (a missing
// path there is a States.Runtime error that no Catch handles).
type Response struct {
	Action Action `json:"action"`
	// Changed reports whether the circuit was written.
	Changed bool `json:"changed"`
	// Admitted reports whether the caller was admitted as a probe (elect only).
	Admitted bool `json:"admitted"`
	// State, Override, OpenUntil and HalfOpenUntil are the circuit after the
	// action; "" for an absent override or deadline.
	State         circuit.State    `json:"state"`
	Override      circuit.Override `json:"override"`
	OpenUntil     string           `json:"openUntil"`
	HalfOpenUntil string           `json:"halfOpenUntil"`
	Version       int64            `json:"version"`
}

// InvalidRequestError is input the controller cannot act on. Its type name is
// the errorType Lambda reports; Field names the offending field.
type InvalidRequestError struct {
	Field   string
	Problem string
}

func (e *InvalidRequestError) Error() string {
	return fmt.Sprintf("invalid controller request: %s: %s", e.Field, e.Problem)
}

// UpdateError is a failure to read or write the circuit. The state machine
// retries transient Lambda errors only, so a failed trip or reopen is logged and
// the execution still fails with the downstream's own error.
type UpdateError struct{ Err error }

func (e *UpdateError) Error() string { return "updating the circuit: " + e.Err.Error() }
func (e *UpdateError) Unwrap() error { return e.Err }

// Handler applies actions to one circuit.
type Handler struct {
	cfg   Config
	store *circuitstore.Store
	log   *slog.Logger
	now   func() time.Time
	// metrics receives a CircuitState datapoint on each transition
	// (circuit/circuitmetric).
	metrics io.Writer
}

// New returns a controller writing through client. now is the clock used when a
// request has no "at" (nil: time.Now).
func New(cfg Config, client circuitstore.API, log *slog.Logger, now func() time.Time) *Handler {
	if now == nil {
		now = time.Now
	}
	return &Handler{cfg: cfg, store: circuitstore.New(client, cfg.TableName), log: log, now: now, metrics: os.Stdout}
}

// WithMetrics sends the CircuitState lines to w instead of stdout (tests).
func (h *Handler) WithMetrics(w io.Writer) *Handler {
	h.metrics = w
	return h
}

// Logger is the handler's logger.
func (h *Handler) Logger() *slog.Logger { return h.log }

// quote is how a value from the request appears in an error or a log line:
// bounded and escaped (circuit.Quote), however large the request.
func quote(s string) string { return circuit.Quote(s) }

// decode reads the payload strictly into a Request, naming the field that
// does not fit: aws-lambda-go's own decoding would drop a misspelt field, and
// name no field for a mistyped one.
func decode(payload []byte) (Request, *InvalidRequestError) {
	bad := func(field, format string, args ...any) (Request, *InvalidRequestError) {
		return Request{}, &InvalidRequestError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	var req Request
	dec := json.NewDecoder(bytes.NewReader(payload))
	// A misspelt field ("failure") would otherwise be silently dropped.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if hint := retired(payload); hint != "" {
			return bad("action", "%s", hint)
		}
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return bad(typeErr.Field, "has JSON type %s, expected %s", typeErr.Value, typeErr.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// The field's name is the caller's: bounded like any echoed
			// value, and quoted when empty (`{"":0}` named no field: found
			// by FuzzControllerRequest).
			name := circuit.Echo(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
			if name == "" {
				name = `""`
			}
			return bad(name, "unknown field (expected action, at, failures, error, halfOpenUntil, key)")
		default:
			// The JSON error names a position and a character, never the content.
			return bad("(payload)", "not a JSON object: %v", err)
		}
	}
	if dec.More() {
		return bad("(payload)", "more than one JSON value")
	}
	if retiredActions[string(req.Action)] != "" {
		return bad("action", "%s", retired(payload))
	}
	return req, nil
}

// validate checks a request's values, naming the first bad field, and
// returns the time it acts at.
func (h *Handler) validate(req Request) (Request, time.Time, *InvalidRequestError) {
	bad := func(field, format string, args ...any) (Request, time.Time, *InvalidRequestError) {
		return Request{}, time.Time{}, &InvalidRequestError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	known := false
	for _, a := range actions {
		known = known || req.Action == a
	}
	switch {
	case req.Action == "":
		return bad("action", "missing: expected one of %s", actionList())
	case retiredActions[string(req.Action)] != "":
		return bad("action", "%s is not the controller's (it takes %s): it is %s", req.Action, actionList(), retiredActions[string(req.Action)])
	case !known:
		return bad("action", "%s is not one of %s", quote(string(req.Action)), actionList())
	}

	if req.Key != "" {
		if err := circuit.ValidateKey(h.cfg.ServiceName, req.Key); err != nil {
			return bad("key", "%v", err)
		}
	}

	clock := h.now().UTC()
	now := clock
	if req.At != "" {
		t, err := circuit.ParseTime(req.At)
		if err != nil {
			return bad("at", "%s is not an RFC 3339 time like 2026-11-27T00:10:39.123Z", quote(req.At))
		}
		// A trip "at" 9998 would open the circuit until then.
		if err := circuit.CheckTime("at", t, clock); err != nil {
			return bad("at", "%v", err)
		}
		now = t.UTC()
	}
	switch req.Action {
	case ActionTrip:
		if req.Failures == nil {
			return bad("failures", "missing: trip needs the consecutive failure count the state machine saw")
		}
		if *req.Failures < 1 {
			return bad("failures", "is %d, must be at least 1", *req.Failures)
		}
	case ActionReopen:
		if req.HalfOpenUntil != "" {
			if _, err := circuit.ParseTime(req.HalfOpenUntil); err != nil {
				return bad("halfOpenUntil", "%s is not an RFC 3339 time", quote(req.HalfOpenUntil))
			}
		}
	}
	return req, now, nil
}

// limits are the item's deadlines' bounds under this function's settings, for
// circuit.Repair.
func (h *Handler) limits() circuit.Limits {
	return circuit.Limits{Open: h.cfg.Policy, ProbeTimeout: h.cfg.Probes.Timeout}
}

// retiredActions are actions the controller took before each function had one
// job, and where they went.
var retiredActions = map[string]string{
	"forceOpen":   "an operator's override: run `circuitctl open SERVICE --reason TEXT` (docs/runbook.md)",
	"forceClosed": "an operator's override: run `circuitctl close SERVICE --reason TEXT` (docs/runbook.md)",
	"release":     "an operator's override: run `circuitctl release SERVICE` (docs/runbook.md)",
	"healthcheck": "the healthcheck runner's job (functions/healthrunner), which the breaker's schedule invokes",
}

// retired explains a request for a retired action ("" for any other), read
// leniently so that the explanation wins over the retired action's fields.
func retired(payload []byte) string {
	var a struct {
		Action string `json:"action"`
	}
	if json.Unmarshal(payload, &a) != nil {
		return ""
	}
	if where, ok := retiredActions[a.Action]; ok {
		return fmt.Sprintf("%s is not the controller's (it takes %s): it is %s", a.Action, actionList(), where)
	}
	return ""
}

func actionList() string {
	s := make([]string, len(actions))
	for i, a := range actions {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// Handle is the Lambda handler: the payload decoded strictly (decode), then
// HandleRequest.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (Response, error) {
	req, bad := decode(payload)
	if bad != nil {
		h.logger(ctx).Error("invalid controller request", "field", bad.Field, "problem", bad.Problem)
		return Response{}, bad
	}
	return h.HandleRequest(ctx, req)
}

func (h *Handler) logger(ctx context.Context) *slog.Logger {
	log := h.log.With("service", h.cfg.ServiceName)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	return log
}

// HandleRequest is the controller's typed handler: one trip, election or
// reopening of the circuit the request names.
func (h *Handler) HandleRequest(ctx context.Context, req Request) (Response, error) {
	log := h.logger(ctx)
	req, now, bad := h.validate(req)
	if bad != nil {
		// The field and the problem only: never the payload.
		log.Error("invalid controller request", "field", bad.Field, "problem", bad.Problem)
		return Response{}, bad
	}
	log = log.With("action", string(req.Action))
	if req.Key != "" {
		log = log.With("key", circuit.Echo(req.Key))
	}

	var admitted bool
	var before circuit.Circuit
	var fixes []string
	after, err := h.store.Update(ctx, circuit.ItemKey(h.cfg.ServiceName, req.Key), func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		before = c
		// Whatever the item holds that the rules cannot trust is repaired
		// first, with this write: the action then applies to a sound circuit.
		c, fixes = c.Repair(h.now().UTC(), h.limits())
		next, changed := h.act(req, c, now, &admitted)
		return next, changed || len(fixes) > 0, nil
	})
	if len(fixes) > 0 {
		log.Warn("circuit item repaired", "fixes", fixes, "version", after.Version)
	}
	if err != nil {
		log.Error("circuit update failed", "error", err.Error())
		return Response{}, &UpdateError{Err: err}
	}
	changed := after.Version != before.Version
	if !changed {
		// Update returns the circuit as read when nothing changed; an election
		// that changed nothing admitted nobody.
		admitted = false
	}
	resp := Response{
		Action:        req.Action,
		Changed:       changed,
		Admitted:      admitted,
		State:         after.State,
		Override:      after.Override,
		OpenUntil:     formatTime(after.OpenUntil),
		HalfOpenUntil: formatTime(after.HalfOpenUntil),
		Version:       after.Version,
	}
	if resp.State == "" {
		resp.State = circuit.Closed
	}

	attrs := []any{"state", string(resp.State), "version", after.Version, "at", circuit.FormatTime(now)}
	if after.Override != circuit.NoOverride {
		attrs = append(attrs, "override", string(after.Override))
	}
	if resp.OpenUntil != "" {
		attrs = append(attrs, "openUntil", resp.OpenUntil)
	}
	if resp.HalfOpenUntil != "" {
		attrs = append(attrs, "halfOpenUntil", resp.HalfOpenUntil)
	}
	if req.Action == ActionElect {
		attrs = append(attrs, "admitted", admitted)
	}
	switch {
	case changed && !sameTransition(after.LastTransition, before.LastTransition):
		t := after.LastTransition
		log.Info("circuit transition", append([]any{"from", string(t.From), "to", string(t.To), "reason", t.Reason}, attrs...)...)
		// The breaker's own circuit only: a per-key circuit's datapoint would
		// be a custom metric per key (USD 0.30 each a month), and keys are
		// unbounded.
		if req.Key == "" && before.MetricValue() != after.MetricValue() {
			circuitmetric.Write(h.metrics, after, h.cfg.ServiceName, now)
		}
	case changed:
		log.Info("probe admitted", attrs...)
	default:
		log.Info("circuit unchanged", attrs...)
	}
	return resp, nil
}

// act applies the request's action to c (one of package circuit's rules).
func (h *Handler) act(req Request, c circuit.Circuit, now time.Time, admitted *bool) (circuit.Circuit, bool) {
	var next circuit.Circuit
	var changed bool
	switch req.Action {
	case ActionTrip:
		next, changed = c.Trip(now, h.cfg.Policy, *req.Failures, orUnknown(req.Error))
	case ActionElect:
		next, *admitted, changed = c.ElectProbe(now, h.cfg.Probes)
	case ActionReopen:
		var period time.Time
		if req.HalfOpenUntil != "" {
			period, _ = circuit.ParseTime(req.HalfOpenUntil)
		}
		next, changed = c.Reopen(now, h.cfg.Policy, period.UTC(), orUnknown(req.Error))
	}
	return next, changed
}

func sameTransition(a, b circuit.Transition) bool {
	return a.At.Equal(b.At) && a.From == b.From && a.To == b.To && a.Reason == b.Reason
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown error"
	}
	return s
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return circuit.FormatTime(t)
}
