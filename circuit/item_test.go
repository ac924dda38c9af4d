package circuit

import (
	"sort"
	"testing"
	"time"
)

// Every reader of times reads what every writer writes: FormatTime's fixed
// width, and Step Functions', which leaves the fraction out when the
// milliseconds are zero ("...:06Z"; AWS Support, quoted in
// docs/aws-facts.md). The state machine hands the latter to the
// controller ("at") and writes it into transitionAt.
func TestParseTimeReadsEveryForm(t *testing.T) {
	at := time.Date(2026, 11, 27, 0, 10, 6, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-27T00:10:06Z", at},                                    // Step Functions, zero milliseconds
		{"2026-11-27T00:10:06.000Z", at},                                // FormatTime
		{"2026-11-27T00:10:06.120Z", at.Add(120 * time.Millisecond)},    // Step Functions and FormatTime
		{"2026-11-27T00:10:06.12Z", at.Add(120 * time.Millisecond)},     // other precisions
		{"2026-11-27T01:10:06.5+01:00", at.Add(500 * time.Millisecond)}, // an offset, read as UTC
		{"2026-11-27T00:10:06.123456789Z", at.Add(123456789 * time.Nanosecond)},
	} {
		got, err := ParseTime(c.in)
		if err != nil || !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v in UTC", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "2026-11-27", "2026-11-27 00:10:06Z", "27/11/2026 00:10:06"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

// What our writers write keeps one width, so that string order is time order
// and one instant is one string: the state machine matches half-open periods
// by string equality (JoinProbe's #halfOpenUntil = :period, and the probe's
// verdicts, with the string the controller answered or the item held).
func TestFormatTimeIsFixedWidthAndRoundTrips(t *testing.T) {
	base := time.Date(2026, 11, 27, 0, 10, 6, 0, time.UTC)
	var times []time.Time
	for _, d := range []time.Duration{0, time.Millisecond, 120 * time.Millisecond, 999 * time.Millisecond, time.Second, 1234567 * time.Microsecond, 10 * time.Second} {
		times = append(times, base.Add(d))
	}
	var strs []string
	for _, tm := range times {
		s := FormatTime(tm)
		if len(s) != len(TimestampLayout) {
			t.Errorf("FormatTime(%v) = %q: not %d characters", tm, s, len(TimestampLayout))
		}
		back, err := ParseTime(s)
		if err != nil || FormatTime(back) != s {
			t.Errorf("%q does not round-trip: %v, %v", s, back, err)
		}
		strs = append(strs, s)
	}
	if !sort.StringsAreSorted(strs) {
		t.Errorf("string order is not time order: %v", strs)
	}
	if s := FormatTime(base.In(time.FixedZone("CET", 3600))); s != "2026-11-27T00:10:06.000Z" {
		t.Errorf("a time in another zone renders %q", s)
	}
}
