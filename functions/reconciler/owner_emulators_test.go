//go:build emulators

package reconciler_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler"
)

// Issue 14, item 21 (b): two breakers with one serviceName on one table (in
// two stacks: the component refuses it within one program) share one item.
// Each reconciliation run records its breaker as the item's owner; the run of
// the other breaker finds another owner, seen within the lease, and says so
// loudly: an ERROR line naming both and one OwnerConflicts datapoint (EMF, as
// CircuitState), every run, without failing the run. The owner's own runs
// stay quiet, nothing of the circuit changes (its version included), and an
// owner silent beyond its lease (renamed or deleted) is taken over. The table
// is dynalite's.
func TestReconciliationReportsAnotherBreakerOnTheItem(t *testing.T) {
	r := newRig(t)
	const a, b = "shop/prod/checkout", "refunds/prod/checkout"
	lease := 15 * time.Minute
	var aMetrics, bMetrics bytes.Buffer
	rc := r.reconciler(recordedAlarms(t, "describe-alarms-healthcheck-ok.json"), &fakeQueue{}, &aMetrics).
		WithOwner(reconciler.Owner{ID: a, Lease: lease})
	var bLogs bytes.Buffer
	other := reconciler.New(r.cfg, r.client, recordedAlarms(t, "describe-alarms-healthcheck-ok.json"), &fakeQueue{},
		slog.New(slog.NewJSONHandler(&bLogs, nil)), r.clock).WithMetrics(&bMetrics).WithOwner(reconciler.Owner{ID: b, Lease: lease})
	ctx := context.Background()

	require.NoError(t, r.deliver("healthcheck-alarm.json", "2026-11-27T00:12:04.000Z"))
	r.now = mustTime(t, "2026-11-27T00:25:00.000Z")
	_, err := rc.Reconcile(ctx)
	require.NoError(t, err)
	item := r.item()
	assert.Equal(t, s(a), item[reconciler.AttrOwner])
	assert.Equal(t, s("2026-11-27T00:25:00.000Z"), item[reconciler.AttrOwnerSeenAt])
	version := r.circuit().Version

	conflicts := func(buf *bytes.Buffer) int {
		n := 0
		for _, l := range emfLines(t, buf) {
			if l[reconciler.OwnerConflictsMetric] != nil {
				n++
				assert.Equal(t, service, l["ServiceName"])
				d := l["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
				assert.Equal(t, circuit.MetricNamespace, d["Namespace"])
				assert.Equal(t, []any{[]any{"ServiceName"}}, d["Dimensions"])
			}
		}
		return n
	}
	errorsIn := func(lines []map[string]any) []map[string]any {
		var out []map[string]any
		for _, l := range lines {
			if l["level"] == "ERROR" {
				out = append(out, l)
			}
		}
		return out
	}

	// The other breaker's runs report, every run.
	for i, at := range []string{"2026-11-27T00:26:00.000Z", "2026-11-27T00:31:00.000Z"} {
		r.now = mustTime(t, at)
		bLogs.Reset()
		_, err = other.Reconcile(ctx)
		require.NoError(t, err, "a conflict does not fail the run: a retry cannot fix it")
		errs := errorsIn(emfLines(t, &bLogs))
		require.Len(t, errs, 1, "run %d", i)
		assert.Contains(t, errs[0]["msg"], "another breaker uses this circuit's item")
		assert.Equal(t, b, errs[0]["owner"])
		assert.Equal(t, a, errs[0]["otherOwner"])
		assert.Equal(t, service, errs[0]["service"])
		assert.Equal(t, r.cfg.TableName, errs[0]["table"])
		assert.Equal(t, i+1, conflicts(&bMetrics))
	}
	// The owner's runs stay quiet and keep the item.
	r.now = mustTime(t, "2026-11-27T00:35:00.000Z")
	r.logs.Reset()
	_, err = rc.Reconcile(ctx)
	require.NoError(t, err)
	assert.Empty(t, errorsIn(r.logLines()))
	assert.Zero(t, conflicts(&aMetrics))
	assert.Equal(t, s(a), r.item()[reconciler.AttrOwner])
	assert.Equal(t, version, r.circuit().Version, "recording the owner is no write of the circuit")

	// The owner goes silent beyond its lease: the other takes the item over.
	r.now = r.now.Add(lease + time.Minute)
	bLogs.Reset()
	_, err = other.Reconcile(ctx)
	require.NoError(t, err)
	assert.Empty(t, errorsIn(emfLines(t, &bLogs)))
	assert.Equal(t, s(b), r.item()[reconciler.AttrOwner])
	assert.Equal(t, 2, conflicts(&bMetrics), "no new conflict")
}

// A circuit with no item has nothing to share yet: the owner check creates
// no item (DescribeAlarms is not configured here, so reconciliation writes
// nothing else either).
func TestOwnerCheckCreatesNoItem(t *testing.T) {
	r := newRig(t)
	rc := r.reconciler(nil, &fakeQueue{}, &bytes.Buffer{}).WithOwner(reconciler.Owner{ID: "shop/prod/checkout", Lease: time.Hour})
	r.now = mustTime(t, "2026-11-27T00:25:00.000Z")
	_, err := rc.Reconcile(context.Background())
	require.Error(t, err, "no CloudWatch client")
	require.Empty(t, r.item())
}
