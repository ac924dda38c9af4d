// Package reconciler is the reconciler Lambda's logic. It heals what a lost
// notification leaves behind: SNS delivers alarm notifications at least once
// but not surely (a delivery the alarm handler failed on lands in its
// dead-letter queue after Lambda's retries; one SNS itself gave up on is
// gone), and a lost healthcheck OK would hold the circuit open until the
// alarm changes again. So, on a schedule, the reconciler reads the alarms'
// current state and applies it as if it were a notification, through the
// alarm handler's own rule (functions/alarmhandler/handler: Classify, Parse,
// Apply, which is circuit.ApplyAlarm): a state not newer than the one last
// applied for its source is stale and writes nothing, so a run that finds
// nothing lost costs one DescribeAlarms, one read per alarm and no write.
// Then it drains the alarm handler's dead-letter queue the same way, checks
// the item's owner (owner.go) and emits the circuit's CircuitState.
//
// The schedule is its only caller; its typed event is ReconcileEvent. The
// environment contract is functions/reconciler/config; the bootstrap is the
// alarm handler's, which runs this role when the function's handler setting
// says "reconciler" (functions/alarmhandler/main.go).
package reconciler

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitmetric"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	ahhandler "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
)

// Config is the reconciler's configuration (functions/reconciler/config).
type Config = config.Config

// ReconcileEvent is one run of the reconciliation schedule.
type ReconcileEvent = config.ReconcileEvent

// Handler reconciles one circuit with its alarms and dead-letter queue.
type Handler struct {
	cfg Config
	// notices applies an alarm state to the circuit: the alarm handler's
	// rule, with the alarm handler's settings.
	notices *ahhandler.Handler
	store   *circuitstore.Store
	alarms  AlarmsAPI
	queue   QueueAPI
	owner   Owner // the item's owner each run records (owner.go)
	log     *slog.Logger
	now     func() time.Time
	metrics io.Writer
}

// New returns a reconciler reading the alarms through alarms, draining the
// dead-letter queue through queue and writing through client. now is the
// Lambda's clock (nil: time.Now).
func New(cfg Config, client circuitstore.API, alarms AlarmsAPI, queue QueueAPI, log *slog.Logger, now func() time.Time) *Handler {
	if now == nil {
		now = time.Now
	}
	return &Handler{cfg: cfg, notices: ahhandler.New(cfg.Config, client, log, now), store: circuitstore.New(client, cfg.TableName),
		alarms: alarms, queue: queue, log: log, now: now, metrics: os.Stdout}
}

// WithMetrics sends the EMF lines (CircuitState, OwnerConflicts) to w instead
// of stdout (tests).
func (h *Handler) WithMetrics(w io.Writer) *Handler {
	h.metrics = w
	h.notices.WithMetrics(w)
	return h
}

// Logger is the handler's logger (tests rebuild a handler with it).
func (h *Handler) Logger() *slog.Logger { return h.log }

// Handle is the Lambda handler: one run of the schedule (Reconcile).
func (h *Handler) Handle(ctx context.Context, _ ReconcileEvent) (ReconcileReport, error) {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return h.withLog(h.log.With("requestId", lc.AwsRequestID)).Reconcile(ctx)
	}
	return h.Reconcile(ctx)
}

func (h *Handler) withLog(log *slog.Logger) *Handler {
	c := *h
	c.log = log
	return &c
}

// emitState writes c's CircuitState datapoint (circuit/circuitmetric).
func (h *Handler) emitState(c circuit.Circuit) {
	circuitmetric.Write(h.metrics, c, h.cfg.ServiceName, h.now())
}
