package localbreaker

import (
	"bufio"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
)

// EventKind says what an Event is.
type EventKind string

const (
	// EventTransition: the circuit changed state (From -> To, Reason, By).
	EventTransition EventKind = "transition"
	// EventAlarm: a simulated alarm changed state (Alarm, Source, From -> To).
	EventAlarm EventKind = "alarm"
	// EventHealthcheck: the simulated scheduler ran the healthcheck (OK).
	EventHealthcheck EventKind = "healthcheck"
)

// Event is one entry of the breaker's timeline.
type Event struct {
	At   time.Time
	Kind EventKind
	// From and To are circuit states (transitions) or alarm states (alarms).
	From, To string
	// Reason is the transition's recorded reason, the alarm's NewStateReason,
	// or the healthcheck's error.
	Reason string
	// By is who moved the circuit: "controller", "alarm handler" or "state
	// machine" (the definition's own conditional write).
	By string
	// OpenUntil is when an opened circuit admits probes again.
	OpenUntil time.Time
	// Alarm and Source name a simulated alarm; Published says whether its
	// change was delivered to the alarm handler, Err how the delivery failed.
	Alarm, Source string
	Published     bool
	Err           string
	// OK is the healthcheck's outcome.
	OK bool
	// Version is the circuit's version after a transition our Lambdas wrote;
	// it orders transitions made at the same instant (an election and the
	// reopening after its probe failed share the execution's start time).
	Version int64
	// EventID and TransitionAt are a published event's detail.id and
	// detail.at (EventPublished).
	EventID      string
	TransitionAt time.Time
}

// logLine is the part of our Lambdas' JSON log lines (log/slog) the timeline
// reads.
type logLine struct {
	Msg       string `json:"msg"`
	Action    string `json:"action"`
	Alarm     string `json:"alarm"`
	From      string `json:"from"`
	To        string `json:"to"`
	At        string `json:"at"`
	Reason    string `json:"reason"`
	OpenUntil string `json:"openUntil"`
	State     string `json:"state"`
	Admitted  *bool  `json:"admitted"`
	Version   int64  `json:"version"`
}

// LogVolume is how much a function logged.
type LogVolume struct{ Lines, Bytes int }

// ControllerLog is what the controller logged so far (its JSON lines only:
// with the component's logging config, Lambda's own START/END/REPORT lines are
// below the system log level and not ingested).
func (b *Breaker) ControllerLog() LogVolume {
	b.collect()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.controllerLog
}

// ControllerCalls counts the controller's invocations by action and outcome,
// read from its log lines (one per invocation).
type ControllerCalls struct {
	// Changed and Unchanged count invocations that wrote the circuit or only
	// read it, by action (trip, elect, reopen, ...).
	Changed, Unchanged map[string]int
}

// collect reads the new lines of our Lambdas' output: every "circuit
// transition" line becomes an Event. The RIE interleaves its own START/END/
// REPORT lines, which are not JSON.
func (b *Breaker) collect() {
	b.mu.Lock()
	defer b.mu.Unlock()
	sources := []struct {
		l  *testenv.Lambda
		by string
	}{{b.alarmHandler, "alarm handler"}}
	for _, c := range b.controllers {
		sources = append(sources, struct {
			l  *testenv.Lambda
			by string
		}{c, "controller"})
	}
	if b.runner != nil {
		sources = append(sources, struct {
			l  *testenv.Lambda
			by string
		}{b.runner, "healthcheck runner"})
	}
	for _, s := range sources {
		out := s.l.Output()
		from := b.logOffsets[s.l]
		// Only whole lines: the function may be writing one right now.
		end := strings.LastIndexByte(out, '\n') + 1
		if end <= from {
			continue
		}
		b.logOffsets[s.l] = end
		sc := bufio.NewScanner(strings.NewReader(out[from:end]))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !strings.HasPrefix(line, "{") {
				continue
			}
			var l logLine
			if json.Unmarshal([]byte(line), &l) != nil {
				continue
			}
			if s.by == "controller" {
				b.countController(l)
				b.controllerLog.Lines++
				b.controllerLog.Bytes += len(line) + 1
			}
			if l.Msg != "circuit transition" {
				continue
			}
			at, err := time.Parse(time.RFC3339Nano, l.At)
			if err != nil {
				continue
			}
			e := Event{At: at, Kind: EventTransition, By: s.by, From: l.From, To: l.To, Reason: l.Reason, Version: l.Version}
			if t, err := circuit.ParseTime(l.OpenUntil); err == nil {
				e.OpenUntil = t
			}
			b.events = append(b.events, e)
		}
	}
}

func (b *Breaker) countController(l logLine) {
	if b.controllerCalls.Changed == nil {
		b.controllerCalls = ControllerCalls{Changed: map[string]int{}, Unchanged: map[string]int{}}
	}
	switch l.Msg {
	case "circuit transition", "probe admitted":
		b.controllerCalls.Changed[l.Action]++
	case "circuit unchanged":
		b.controllerCalls.Unchanged[l.Action]++
	}
}

// Events is the timeline so far, oldest first: circuit transitions (from our
// Lambdas' log lines and the state machine's closes), alarm changes and
// healthcheck runs.
func (b *Breaker) Events() []Event {
	b.collect()
	b.mu.Lock()
	defer b.mu.Unlock()
	out := append([]Event(nil), b.events...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// Controller is the controller's invocations so far, by action and outcome.
func (b *Breaker) Controller() ControllerCalls {
	b.collect()
	b.mu.Lock()
	defer b.mu.Unlock()
	c := ControllerCalls{Changed: map[string]int{}, Unchanged: map[string]int{}}
	for k, v := range b.controllerCalls.Changed {
		c.Changed[k] = v
	}
	for k, v := range b.controllerCalls.Unchanged {
		c.Unchanged[k] = v
	}
	return c
}
