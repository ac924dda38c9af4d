// Package healthrunner is the healthcheck runner Lambda's logic: on each run of
// the breaker's schedule it invokes the healthcheck synchronously and applies
// its verdict to the breaker's item (circuit.ApplyVerdict), so that the
// circuit opens or closes within one interval. The schedule is its only
// caller; its typed event is ScheduledRun. The environment contract is
// functions/healthrunner/config; the bootstrap is functions/controller's,
// which runs this role when the function's handler setting says
// "healthrunner" (functions/controller/main.go).
package healthrunner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitmetric"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner/config"
)

// Config is the runner's configuration (functions/healthrunner/config).
type Config = config.Config

// ScheduledRun is one run of the healthcheck schedule (the contract is
// functions/healthrunner/config, which the component renders it from).
type ScheduledRun = config.ScheduledRun

// RunInput is config.RunInput.
func RunInput(healthcheckInput string) string { return config.RunInput(healthcheckInput) }

// RunResult is what one run did: the verdict and the circuit after it.
type RunResult struct {
	// Verdict is the healthcheck's, HEALTHY or UNHEALTHY.
	Verdict string `json:"verdict"`
	// Changed reports whether the circuit was written.
	Changed bool `json:"changed"`
	// State, Override, OpenUntil and HalfOpenUntil are the circuit after the
	// run; "" for an absent override or deadline.
	State         circuit.State    `json:"state"`
	Override      circuit.Override `json:"override"`
	OpenUntil     string           `json:"openUntil"`
	HalfOpenUntil string           `json:"halfOpenUntil"`
	Version       int64            `json:"version"`
}

// InvalidRunError is a run the runner cannot act on. Its type name is the
// errorType Lambda reports; Field names the offending field.
type InvalidRunError struct {
	Field   string
	Problem string
}

func (e *InvalidRunError) Error() string {
	return fmt.Sprintf("invalid healthcheck run: %s: %s", e.Field, e.Problem)
}

// UpdateError is a failure to read or write the circuit.
type UpdateError struct{ Err error }

func (e *UpdateError) Error() string { return "updating the circuit: " + e.Err.Error() }
func (e *UpdateError) Unwrap() error { return e.Err }

// Handler runs one circuit's healthcheck.
type Handler struct {
	cfg     Config
	store   *circuitstore.Store
	invoker Invoker
	log     *slog.Logger
	now     func() time.Time
	// metrics receives a CircuitState datapoint on each transition
	// (circuit/circuitmetric).
	metrics io.Writer
}

// New returns a runner invoking the healthcheck through invoker and writing
// through client. now is the Lambda's clock (nil: time.Now).
func New(cfg Config, client circuitstore.API, invoker Invoker, log *slog.Logger, now func() time.Time) *Handler {
	if now == nil {
		now = time.Now
	}
	return &Handler{cfg: cfg, store: circuitstore.New(client, cfg.TableName), invoker: invoker, log: log, now: now, metrics: os.Stdout}
}

// WithMetrics sends the CircuitState lines to w instead of stdout (tests).
func (h *Handler) WithMetrics(w io.Writer) *Handler {
	h.metrics = w
	return h
}

// WithInvoker replaces the Lambda client (tests).
func (h *Handler) WithInvoker(inv Invoker) *Handler {
	h.invoker = inv
	return h
}

// Logger is the handler's logger.
func (h *Handler) Logger() *slog.Logger { return h.log }

// runTime is the run's identity: the schedule's time for it, else the
// Lambda's clock. A scheduled time beyond the clock's skew is refused: the
// run it names would outrank every real one.
func runTime(run ScheduledRun, clock time.Time) (time.Time, *InvalidRunError) {
	if run.ScheduledTime == "" {
		return clock, nil
	}
	t, err := circuit.ParseTime(run.ScheduledTime)
	if err != nil {
		return time.Time{}, &InvalidRunError{Field: "scheduledTime", Problem: fmt.Sprintf("%s is not an RFC 3339 time like 2026-11-27T00:10:00Z (the schedule's <aws.scheduler.scheduled-time>)", circuit.Quote(run.ScheduledTime))}
	}
	if err := circuit.CheckTime("scheduledTime", t, clock); err != nil {
		return time.Time{}, &InvalidRunError{Field: "scheduledTime", Problem: err.Error()}
	}
	return t.UTC(), nil
}

// Handle is the Lambda handler: one run of the schedule.
func (h *Handler) Handle(ctx context.Context, run ScheduledRun) (RunResult, error) {
	log := h.log.With("service", h.cfg.ServiceName)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	at, bad := runTime(run, h.now().UTC())
	if bad != nil {
		// The field and the problem only: never the payload.
		log.Error("invalid healthcheck run", "field", bad.Field, "problem", bad.Problem)
		return RunResult{}, bad
	}
	log = log.With("run", circuit.FormatTime(at))

	// The healthcheck runs before the update, never inside it: Update may
	// call its function again after a conflict, and one run is one check.
	verdict, err := h.runHealthcheck(ctx, log, run, at)
	if err != nil {
		return RunResult{}, err
	}
	now := h.now().UTC() // the verdict is applied when the answer came

	var before circuit.Circuit
	var fixes []string
	after, err := h.store.Update(ctx, h.cfg.ServiceName, func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		before = c
		// Whatever the item holds that the rules cannot trust is repaired
		// first, with this write: the verdict then applies to a sound circuit.
		c, fixes = c.Repair(now, h.cfg.Limits())
		next, outcome := c.ApplyVerdict(verdict, now, h.cfg.Policy, h.cfg.Healthcheck)
		return next, outcome.Changed() || len(fixes) > 0, nil
	})
	if len(fixes) > 0 {
		log.Warn("circuit item repaired", "fixes", fixes, "version", after.Version)
	}
	if err != nil {
		log.Error("circuit update failed", "error", err.Error())
		return RunResult{}, &UpdateError{Err: err}
	}
	res := RunResult{
		Verdict:       "UNHEALTHY",
		Changed:       after.Version != before.Version,
		State:         after.State,
		Override:      after.Override,
		OpenUntil:     formatTime(after.OpenUntil),
		HalfOpenUntil: formatTime(after.HalfOpenUntil),
		Version:       after.Version,
	}
	if verdict.Healthy {
		res.Verdict = "HEALTHY"
	}
	if res.State == "" {
		res.State = circuit.Closed
	}
	attrs := []any{"verdict", res.Verdict, "state", string(res.State), "version", after.Version, "at", circuit.FormatTime(now)}
	if after.Override != circuit.NoOverride {
		attrs = append(attrs, "override", string(after.Override))
	}
	if res.OpenUntil != "" {
		attrs = append(attrs, "openUntil", res.OpenUntil)
	}
	switch t := after.LastTransition; {
	case res.Changed && !sameTransition(t, before.LastTransition):
		log.Info("circuit transition", append([]any{"from", string(t.From), "to", string(t.To), "reason", t.Reason}, attrs...)...)
		if before.MetricValue() != after.MetricValue() {
			circuitmetric.Write(h.metrics, after, h.cfg.ServiceName, now)
		}
	case res.Changed:
		log.Info("healthcheck run recorded", attrs...)
	default:
		log.Info("circuit unchanged", attrs...)
	}
	return res, nil
}

func sameTransition(a, b circuit.Transition) bool {
	return a.At.Equal(b.At) && a.From == b.From && a.To == b.To && a.Reason == b.Reason
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return circuit.FormatTime(t)
}
