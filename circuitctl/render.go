package circuitctl

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// View is one circuit as the tool shows it; its JSON is `--output json`'s
// (documented in docs/runbook.md). Times are RFC 3339 UTC, "" when unset.
type View struct {
	// Circuit is the item's key: Service, or Service#Key for a per-key circuit.
	Circuit string `json:"circuit"`
	Service string `json:"service"`
	Key     string `json:"key,omitempty"`
	Table   string `json:"table"`
	// Exists is false for a circuit with no item: CLOSED, never written.
	Exists bool `json:"exists"`
	// State is the breaker's own state; EffectiveState what the request path
	// acts on (the override when one is in force).
	State          circuit.State    `json:"state"`
	EffectiveState circuit.State    `json:"effectiveState"`
	Override       circuit.Override `json:"override"`
	Transition     TransitionView   `json:"transition"`
	Counters       CountersView     `json:"counters"`
	Alarms         AlarmsView       `json:"alarms"`
	Healthcheck    HealthcheckView  `json:"healthcheck"`
	OpenUntil      string           `json:"openUntil"`
	HalfOpenUntil  string           `json:"halfOpenUntil"`
	Version        int64            `json:"version"`
	// Problems are the values the breaker cannot act on (unreadable, unknown,
	// out of range, times ahead of now), one line each, as `circuitctl
	// repair` would fix them; absent when there are none.
	Problems []string `json:"problems,omitempty"`
	// WouldRejects is shadow mode's count (status --shadow only).
	WouldRejects *WouldRejectsView `json:"wouldRejects,omitempty"`
}

// TransitionView is the item's last transition.
type TransitionView struct {
	At     string        `json:"at"`
	From   circuit.State `json:"from"`
	To     circuit.State `json:"to"`
	Reason string        `json:"reason"`
}

// CountersView are the item's counters.
type CountersView struct {
	Failures  int `json:"failures"`
	Openings  int `json:"openings"`
	Probes    int `json:"probes"`
	Successes int `json:"successes"`
}

// AlarmsView is the last notification applied for each alarm source; the
// slow-call alarm's only with slowCallMonitoring.
type AlarmsView struct {
	Downstream  AlarmView  `json:"downstream"`
	Healthcheck AlarmView  `json:"healthcheck"`
	SlowCalls   *AlarmView `json:"slowCalls,omitempty"`
}

// HealthcheckView is what the healthcheck runner's verdicts left (docs/behaviour.md,
// "Recovery in one interval"): the last run applied and how many unhealthy
// runs in a row led up to it.
type HealthcheckView struct {
	LastRun   string `json:"lastRun"`
	Unhealthy int    `json:"unhealthy"`
}

// AlarmView is one source's state and its alarm's StateChangeTime.
type AlarmView struct {
	State     circuit.AlarmState `json:"state"`
	ChangedAt string             `json:"changedAt"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return circuit.FormatTime(t)
}

func viewOf(c circuit.Circuit, exists bool, table string) View {
	service, key := circuit.SplitItemKey(c.ServiceName)
	state := c.State
	if state == "" {
		state = circuit.Closed
	}
	v := View{
		Circuit: c.ServiceName, Service: service, Key: key, Table: table, Exists: exists,
		State: state, EffectiveState: c.Effective(), Override: c.Override,
		Transition: TransitionView{At: stamp(c.LastTransition.At), From: c.LastTransition.From, To: c.LastTransition.To, Reason: c.LastTransition.Reason},
		Counters:   CountersView{Failures: c.Failures, Openings: c.Openings, Probes: c.Probes, Successes: c.Successes},
		Alarms: AlarmsView{
			Downstream:  AlarmView{State: c.Downstream.State, ChangedAt: stamp(c.Downstream.ChangedAt)},
			Healthcheck: AlarmView{State: c.Healthcheck.State, ChangedAt: stamp(c.Healthcheck.ChangedAt)},
		},
		Healthcheck: HealthcheckView{LastRun: stamp(c.HealthcheckRuns.At), Unhealthy: c.HealthcheckRuns.Unhealthy},
		OpenUntil:   stamp(c.OpenUntil), HalfOpenUntil: stamp(c.HalfOpenUntil), Version: c.Version,
	}
	if c.SlowCalls.State != "" {
		v.Alarms.SlowCalls = &AlarmView{State: c.SlowCalls.State, ChangedAt: stamp(c.SlowCalls.ChangedAt)}
	}
	return v
}

// relative renders a stored time with how far it is from now ("in 45s", "3m12s ago").
func relative(s string, now time.Time) string {
	if s == "" {
		return "-"
	}
	t, err := circuit.ParseTime(s)
	if err != nil {
		return shown(s)
	}
	d := t.Sub(now).Round(time.Second)
	switch {
	case d > 0:
		return fmt.Sprintf("%s (in %s)", s, d)
	case d < 0:
		return fmt.Sprintf("%s (%s ago)", s, -d)
	}
	return s + " (now)"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func alarmLine(a AlarmView, now time.Time) string {
	if a.State == "" {
		return "- (no notification applied yet)"
	}
	return fmt.Sprintf("%s since %s", shown(string(a.State)), relative(a.ChangedAt, now))
}

// writeStatus is status's text output: one field a line, in the order an
// operator asks (what is it, why, since when, what holds it).
func writeStatus(out io.Writer, v View, now time.Time) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	line := func(k, format string, args ...any) { fmt.Fprintf(w, "%s\t"+format+"\n", append([]any{k}, args...)...) }
	line("circuit", "%s (table %s)", shownName(v.Circuit), shown(v.Table))
	if !v.Exists {
		line("item", "none: never written; the request path treats it as CLOSED (exit code 2: check the name with `circuitctl list`)")
	}
	line("effective state", "%s", shown(string(v.EffectiveState)))
	line("state", "%s", shown(string(v.State)))
	if v.Override != circuit.NoOverride {
		line("override", "%s (in force until `circuitctl release %s`)", shown(string(v.Override)), shellWord(v.Circuit))
	} else {
		line("override", "none")
	}
	if v.Transition.At != "" {
		line("since", "%s", relative(v.Transition.At, now))
		line("transition", "%s -> %s", orDash(shown(string(v.Transition.From))), orDash(shown(string(v.Transition.To))))
		line("why", "%s", orDash(shown(v.Transition.Reason)))
	} else {
		line("since", "- (no transition recorded)")
	}
	line("open until", "%s", relative(v.OpenUntil, now))
	line("half-open until", "%s", relative(v.HalfOpenUntil, now))
	c := v.Counters
	line("counters", "failures %d, openings %d, probes %d, successes %d", c.Failures, c.Openings, c.Probes, c.Successes)
	line("downstream alarm", "%s", alarmLine(v.Alarms.Downstream, now))
	line("healthcheck alarm", "%s", alarmLine(v.Alarms.Healthcheck, now))
	if v.Alarms.SlowCalls != nil {
		line("slow-call alarm", "%s", alarmLine(*v.Alarms.SlowCalls, now))
	}
	switch h := v.Healthcheck; {
	case h.LastRun == "":
		line("healthcheck runs", "- (no verdict applied yet)")
	case h.Unhealthy > 0:
		line("healthcheck runs", "last %s, unhealthy (%d in a row)", relative(h.LastRun, now), h.Unhealthy)
	default:
		line("healthcheck runs", "last %s, healthy", relative(h.LastRun, now))
	}
	line("version", "%d", v.Version)
	if v.WouldRejects != nil {
		line("would-rejects", "%s", wouldRejectsLine(*v.WouldRejects))
	}
	for i, p := range v.Problems {
		k := ""
		if i == 0 {
			k = "needs repair"
		}
		line(k, "%s", shown(p))
	}
	if len(v.Problems) > 0 {
		line("", "(`circuitctl repair %s --reason TEXT` rewrites these)", shellWord(v.Circuit))
	}
	w.Flush()
}

// writeList is list's text output: a table, per-key circuits indented under
// their service.
func writeList(out io.Writer, views []View, table string) {
	if len(views) == 0 {
		fmt.Fprintf(out, "no circuits in table %s (a circuit with no item is CLOSED)\n", shown(table))
		return
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CIRCUIT\tEFFECTIVE\tSTATE\tOVERRIDE\tSINCE\tWHY\tVERSION")
	last := ""
	for _, v := range views {
		name := shownName(v.Circuit)
		if strings.Contains(v.Circuit, circuit.KeySeparator) {
			if v.Service != last {
				// Per-key circuits whose service has no item of its own.
				fmt.Fprintf(w, "%s\t-\t-\t-\t-\t(no item of its own)\t-\n", shownName(v.Service))
			}
			name = "  #" + shownName(v.Key)
		}
		last = v.Service
		reason := v.Transition.Reason
		if r := []rune(reason); len(r) > 48 {
			reason = string(r[:45]) + "..."
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", name, shown(string(v.EffectiveState)), shown(string(v.State)),
			orDash(shown(string(v.Override))), orDash(v.Transition.At), orDash(shown(reason)), v.Version)
	}
	w.Flush()
}
