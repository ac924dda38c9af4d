package circuit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every rejection of the rulebook has its fast-fail entry, and every entry
// rejects: a new Reject row cannot leave callers without a reason.
func TestFastFailsCoverEveryRejection(t *testing.T) {
	var rejecting []string
	for _, tbl := range []Table[Verdict]{RequestPath, ElectionClaimRules} {
		for _, r := range append(slices.Clone(tbl.Rows), tbl.Default) {
			if r.Then == Reject && !slices.Contains(rejecting, r.Step) {
				rejecting = append(rejecting, r.Step)
			}
		}
	}
	rejecting = append(rejecting, StepRejectProbeNotAdmitted, StepRejectCircuitUnavailable)
	var steps []string
	for _, f := range FastFails {
		steps = append(steps, f.Step)
		if !slices.Contains(RejectReasons, f.Reason) {
			t.Errorf("%s: reason %q is not one of RejectReasons", f.Step, f.Reason)
		}
		if want := ErrorCircuitOpen; f.Reason == ReasonStoreUnavailable {
			if f.Error != ErrorCircuitUnavailable {
				t.Errorf("%s fails with %s", f.Step, f.Error)
			}
		} else if f.Error != want {
			t.Errorf("%s fails with %s", f.Step, f.Error)
		}
	}
	slices.Sort(steps)
	slices.Sort(rejecting)
	if !slices.Equal(steps, rejecting) {
		t.Errorf("FastFails' steps %v, rejecting steps %v", steps, rejecting)
	}
	for _, r := range RejectReasons {
		if !slices.ContainsFunc(FastFails, func(f FastFail) bool { return f.Reason == r }) {
			t.Errorf("no rejection gives reason %s", r)
		}
	}
}

// A rejection that names a deadline does so only where RequestPath has just
// found that deadline a timestamp still to come (After, in its row or a row
// before it): the rendered CausePath splices the attribute into a JSON string
// without escaping, safe for a timestamp, and the caller gets a time to come.
func TestFastFailRetryAtIsADeadlineTheRowsCompared(t *testing.T) {
	for _, f := range FastFails {
		if f.RetryAt == "" {
			continue
		}
		i := slices.IndexFunc(RequestPath.Rows, func(r Row[Verdict]) bool { return r.Step == f.Step })
		if i < 0 {
			t.Errorf("%s names a deadline but is no RequestPath row", f.Step)
			continue
		}
		compared := false
		for _, r := range RequestPath.Rows[:i+1] {
			r.When.walk(func(c Cond) {
				if c.Op == OpAfter && c.Ref.Name == f.RetryAt {
					compared = true
				}
			})
		}
		if !compared {
			t.Errorf("%s: retryAt from %s, which no row up to it compares as a deadline", f.Step, f.RetryAt)
		}
	}
}

func TestCauseRoundTrip(t *testing.T) {
	key := `ac"me {x}`
	open := Circuit{State: Open, OpenUntil: time.Date(2026, 12, 7, 12, 1, 0, 0, time.UTC)}
	c, ok := CauseFor(StepRejectOpen, "payments", open, &key)
	if !ok {
		t.Fatal("RejectOpen is a rejection")
	}
	const want = `{"reason":"open","retryAt":"2026-12-07T12:01:00.000Z","serviceName":"payments","circuitKey":"ac\"me {x}"}`
	if got := c.Marshal(); got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	back, err := ParseCause(want)
	if err != nil || back.Marshal() != want {
		t.Errorf("ParseCause: %+v, %v", back, err)
	}
	if at, ok := back.RetryTime(); !ok || !at.Equal(open.OpenUntil) {
		t.Errorf("RetryTime = %v, %v", at, ok)
	}
	forced, _ := CauseFor(StepRejectForcedOpen, "payments", Circuit{Override: ForcedOpen, OpenUntil: open.OpenUntil}, nil)
	if got := forced.Marshal(); got != `{"reason":"forcedOpen","serviceName":"payments"}` {
		t.Errorf("forced open: %s", got)
	}
	if _, ok := forced.RetryTime(); ok {
		t.Error("a forced open has no retry time")
	}
	if _, ok := CauseFor(StepInvokeDownstream, "payments", Circuit{}, nil); ok {
		t.Error("InvokeDownstream is no rejection")
	}
}

// ParseCause reads outside input: it refuses what is not a document, and
// never panics.
func TestParseCauseRefusesOtherCauses(t *testing.T) {
	for _, s := range []string{
		"", "null", "{}", "[]", `"open"`, `{"reason":""}`, `{"reason":1}`,
		`The circuit of "payments" is open until 2026-12-07T12:01:00.000Z; the downstream was not invoked.`,
		`{"errorMessage":"boom","errorType":"Error"}`, "{\"reason\":\"open\"", "\xff",
	} {
		if c, err := ParseCause(s); err == nil {
			t.Errorf("ParseCause(%q) = %+v, want an error", s, c)
		}
	}
}

// docs/fast-fail.md names every reason and every Fail state.
func TestFastFailDoc(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "fast-fail.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, f := range FastFails {
		for _, s := range []string{"`" + string(f.Reason) + "`", "`" + f.Step + "`", "`" + f.Error + "`"} {
			if !strings.Contains(doc, s) {
				t.Errorf("docs/fast-fail.md does not mention %s", s)
			}
		}
	}
}
