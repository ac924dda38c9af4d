package circuit

import (
	"testing"
	"time"
)

// Shadow mode changes what a rejection does, and nothing else: every
// verdict but Reject is the same in both modes, and a would-reject invokes.
func TestShadowChangesOnlyRejections(t *testing.T) {
	for _, v := range []Verdict{Admit, Bypass, Reject, Elect, Join} {
		if got := v.In(ModeEnforce); got != v {
			t.Errorf("%s in enforcing mode: %s", v, got)
		}
		want := v
		if v == Reject {
			want = WouldReject
		}
		if got := v.In(ModeShadow); got != want {
			t.Errorf("%s in shadow mode: %s, want %s", v, got, want)
		}
		if !v.In(ModeShadow).Invokes() {
			t.Errorf("%s in shadow mode does not invoke", v)
		}
	}
	if ModeOf(true) != ModeEnforce || ModeOf(false) != ModeShadow {
		t.Error("ModeOf")
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	open := Circuit{State: Open, OpenUntil: now.Add(time.Minute), Version: 3}
	if DecideIn(open, now, 1, ModeEnforce) != Reject || DecideIn(open, now, 1, ModeShadow) != WouldReject {
		t.Error("an open circuit: Reject, or WouldReject in shadow mode")
	}
	if DecideIn(open, now.Add(time.Minute), 1, ModeShadow) != Elect {
		t.Error("an open circuit whose duration is over elects in shadow mode too")
	}
}
