package outage

import (
	"testing"
	"time"
)

func TestSchedule(t *testing.T) {
	ws, err := ParseWindows("20s/30s, 63s/2s")
	if err != nil {
		t.Fatal(err)
	}
	epoch := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	s := Schedule{Epoch: epoch, Windows: ws}
	back, err := FromEnv(func(k string) string { return s.Env()[k] })
	if err != nil || !back.Epoch.Equal(epoch) || len(back.Windows) != 2 || back.Windows[1] != (Window{63 * time.Second, 2 * time.Second}) {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for at, want := range map[time.Duration]int{0: 0, 20 * time.Second: 1, 49 * time.Second: 1, 50 * time.Second: 0, 64 * time.Second: 2, 65 * time.Second: 0} {
		w, _, _ := s.Down(epoch.Add(at))
		if w != want {
			t.Errorf("at %v: window %d, want %d", at, w, want)
		}
	}
	for _, bad := range []string{"20s", "x/1s", "1s/0s", "-1s/2s"} {
		if _, err := ParseWindows(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
