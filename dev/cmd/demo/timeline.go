package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/localbreaker"
)

// timeline prints the breaker's events as they happen: circuit transitions
// (from our Lambdas' JSON log lines and the state machine's own closes), alarm
// changes, the scripted outages, and every few seconds what the requests met.
type timeline struct {
	b       *localbreaker.Breaker
	printed map[string]bool
	// statusEvery is how often a line sums up the requests.
	statusEvery time.Duration
	nextStatus  time.Duration
}

func newTimeline(b *localbreaker.Breaker) *timeline {
	return &timeline{b: b, printed: map[string]bool{}, statusEvery: 5 * time.Second, nextStatus: 5 * time.Second}
}

type line struct {
	at   time.Duration
	text string
	key  string
}

// settle is how long an event may take to reach the log after it happened;
// lines are printed only once that long has passed, so that they come out in
// time order.
const settle = 400 * time.Millisecond

func (t *timeline) follow(stop <-chan struct{}, calls func() []localbreaker.Call) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			t.print(t.b.Events(), calls(), time.Now().Add(-settle))
		}
	}
}

// flush prints whatever is left, up to end.
func (t *timeline) flush(events []localbreaker.Event, end time.Time) {
	t.print(events, nil, end)
}

func (t *timeline) print(events []localbreaker.Event, calls []localbreaker.Call, upTo time.Time) {
	b := t.b
	watermark := b.Since(upTo)
	var lines []line
	for i, w := range b.Schedule.Windows {
		lines = append(lines,
			line{w.After, fmt.Sprintf("---- the demo downstream goes down (outage %d, scripted) ----", i+1), fmt.Sprintf("down%d", i)},
			line{w.After + w.For, fmt.Sprintf("---- the demo downstream is back (outage %d over) ----", i+1), fmt.Sprintf("up%d", i)})
	}
	for _, e := range events {
		if s := describe(b, e); s != "" {
			lines = append(lines, line{b.Since(e.At), s, fmt.Sprintf("%v|%s|%s|%s|%s|%s", e.At.UnixNano(), e.Kind, e.Source, e.From, e.To, e.By)})
		}
	}
	for calls != nil && t.nextStatus <= watermark {
		from, to := t.nextStatus-t.statusEvery, t.nextStatus
		var ok, failed, fast, would int
		for _, c := range calls {
			at := b.Since(c.Start)
			if at < from || at >= to {
				continue
			}
			if c.WouldReject() {
				would++
			}
			switch {
			case c.Result.Succeeded():
				ok++
			case c.Rejected():
				fast++
			default:
				failed++
			}
		}
		text := fmt.Sprintf("        requests in the last %v: %d succeeded, %d failed, %d failed fast", t.statusEvery, ok, failed, fast)
		if b.Config.Shadow {
			text += fmt.Sprintf(" (shadow mode: %d of them would have failed fast)", would)
		}
		lines = append(lines, line{to, text, fmt.Sprintf("status%v", to)})
		t.nextStatus += t.statusEvery
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at < lines[j].at })
	for _, l := range lines {
		if t.printed[l.key] || l.at > watermark {
			continue
		}
		t.printed[l.key] = true
		fmt.Printf("  %5.1fs %s\n", l.at.Seconds(), l.text)
	}
}

var (
	datapointTime = regexp.MustCompile(` \(\d\d/\d\d/\d\d \d\d:\d\d:\d\d\)`)
	minimum       = regexp.MustCompile(` \(minimum \d+ datapoints? for [A-Z_>\- ]+ transition\)`)
)

// describe is one timeline line for an event; "" for those not shown
// (healthcheck runs: the chart shows them).
func describe(b *localbreaker.Breaker, e localbreaker.Event) string {
	switch e.Kind {
	case localbreaker.EventTransition:
		s := fmt.Sprintf("circuit %s -> %s by the %s: %s", e.From, e.To, e.By, shortReason(e.Reason))
		if !e.OpenUntil.IsZero() {
			s += fmt.Sprintf(" (fails fast until %.1fs)", b.Since(e.OpenUntil).Seconds())
		}
		return s
	case localbreaker.EventPublished:
		if e.Err != "" {
			return "event   publishing FAILED: " + e.Err
		}
		return fmt.Sprintf("event   %s -> %s on EventBridge (Circuit State Change, id %s, %.1f s after the transition)",
			e.From, e.To, e.EventID, e.At.Sub(e.TransitionAt).Seconds())
	case localbreaker.EventAlarm:
		s := fmt.Sprintf("alarm   %s %s -> %s: %s", e.Source, e.From, e.To, shortReason(e.Reason))
		switch {
		case e.Err != "":
			s += " [delivery FAILED: " + e.Err + "]"
		case !e.Published:
			s += " [no action for this state: not delivered]"
		default:
			s += " [delivered to the alarm handler" + effect(e) + "]"
		}
		return s
	}
	return ""
}

// effect says what the alarm handler does with a notification (circuit.ApplyAlarm).
func effect(e localbreaker.Event) string {
	switch {
	case e.Source == "healthcheck" && e.To == "ALARM":
		return ": it holds the circuit open"
	case e.Source == "healthcheck" && e.To == "OK" && e.From == "ALARM":
		return ": it releases the hold and closes the circuit"
	case e.Source == "healthcheck" && e.To == "INSUFFICIENT_DATA" && e.From == "ALARM":
		return ": it releases the hold"
	case e.Source == "downstream" && e.To == "ALARM":
		return ": it opens the circuit"
	}
	return ", which records it"
}

// shortReason drops what CloudWatch's state reasons repeat (datapoint times,
// the minimum datapoints), which the timeline's own times make redundant.
func shortReason(r string) string {
	r = strings.ReplaceAll(r, "Threshold Crossed: ", "")
	return minimum.ReplaceAllString(datapointTime.ReplaceAllString(r, ""), "")
}
