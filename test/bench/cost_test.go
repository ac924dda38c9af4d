package bench

import "testing"

// The model reproduces peers.md's finding (defect 6): priced with the
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
