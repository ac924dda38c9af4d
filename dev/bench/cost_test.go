package bench

import (
	"os"
	"strings"
	"testing"
)

// The model reproduces the original's defect 6: priced with the
// original's own assumptions, its request costs 4-5x what its README says,
// before logs.
func TestOriginalUnderstatement(t *testing.T) {
	for _, o := range originalPaths() {
		if o.name != "closed, healthy" {
			continue
		}
		c := Price(ListPrices, Assumed, o.u, Assumed.UpstreamMs, Assumed.UpstreamMB, false)
		ratio := (c.Total() - c.Logs) / OriginalClaimPerRequest
		if ratio < 4 || ratio > 5 {
			t.Fatalf("the original's closed path costs %.2fx its claim without logs (%+v), want 4-5x", ratio, c)
		}
		return
	}
	t.Fatal("no closed path in the original's model")
}

func TestExpressDurationIsBilledIn100msSteps(t *testing.T) {
	for _, tc := range []struct {
		u    Usage
		want float64 // billed ms
	}{
		{Usage{SFNDynamoCalls: 1}, 100},                // 10 ms: one step at least
		{Usage{SFNDynamoCalls: 1, Downstream: 1}, 200}, // 130 ms
		{Usage{SFNDynamoCalls: 2, Downstream: 1, Own: 1}, 200},
	} {
		got := Price(ListPrices, Assumed, tc.u, Assumed.ControllerMs, Assumed.ControllerMB, true).SFNDuration
		want := 64.0 / 1024 * tc.want / 1000 * ListPrices.SFNExpressGBSecond
		if diff := got - want; diff > 1e-15 || diff < -1e-15 {
			t.Errorf("%+v: duration cost %g, want %g (%g ms)", tc.u, got, want, tc.want)
		}
	}
}

// Issue 9 (cost): the fixed monthly cost is computed from the breaker's own
// schedules and list prices, and docs/bench.md shows exactly what it computes.
func TestFixedMonthlyCost(t *testing.T) {
	lines := FixedCost(ListPrices, ListMonthlyPrices, AssumedFixed, DefaultFixed)
	byItem := map[string]float64{}
	for _, l := range lines {
		byItem[l.Item] = l.USD
	}
	near := func(item string, want float64) {
		t.Helper()
		if got := byItem[item]; got < want*0.999 || got > want*1.001 {
			t.Errorf("%s: %.6f, want %.6f", item, got, want)
		}
	}
	near("CloudWatch alarms (downstream, healthcheck)", 0.20)
	rate := FixedCost(ListPrices, ListMonthlyPrices, AssumedFixed, with(DefaultFixed, func(o *FixedOptions) { o.RateMode, o.SlowCalls = true, true }))
	if got := rate[0].USD; got < 0.3999 || got > 0.4001 {
		t.Errorf("a rate alarm and a slow-call alarm: alarms cost %.4f, want 0.40 (docs/monitoring.md)", got)
	}
	near("healthcheck schedule", 43200*1.00/1e6)
	// 8,640 runs: Scheduler, Lambda (request + 0.125 GB x 1.06 s arm64, the
	// empty long poll included), 3 RRU, DescribeAlarms, ReceiveMessage, 1,400
	// bytes of logs each.
	runs := 8640.0
	perRun := 1e-6 + 0.2e-6 + 0.125*1.06*0.0000133334 + 3*0.125e-6 + 0.01/1000 + 0.4e-6 + 1400.0/(1<<30)*(0.50+0.5*0.03)
	near("reconciliation", runs*perRun)
	near("CircuitState metric (EMF)", 0.30)
	if _, ok := byItem["dashboard"]; ok {
		t.Error("no dashboard by default")
	}
	withDashboard := FixedTotal(FixedCost(ListPrices, ListMonthlyPrices, AssumedFixed, with(DefaultFixed, func(o *FixedOptions) { o.Dashboard = true })))
	if d := withDashboard - FixedTotal(lines); d < 2.999 || d > 3.001 {
		t.Errorf("the dashboard adds %.4f, want 3.00", d)
	}

	doc, err := os.ReadFile("../../docs/bench.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), FixedCostMarkdown()) {
		t.Errorf("docs/bench.md does not hold FixedCostMarkdown(); regenerate it:\n%s", FixedCostMarkdown())
	}
}
