package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/localbreaker"
)

func summary(b *localbreaker.Breaker, calls []localbreaker.Call, events []localbreaker.Event, end time.Time) {
	var ok, failed, fast, would, wouldFailed int
	byPath := map[localbreaker.Path][]localbreaker.Call{}
	for _, c := range calls {
		switch {
		case c.WouldReject():
			would++
			if !c.Result.Succeeded() {
				wouldFailed++
			}
		case c.Result.Succeeded():
			ok++
		case c.Rejected():
			fast++
		default:
			failed++
		}
		byPath[c.Path] = append(byPath[c.Path], c)
	}
	fmt.Println()
	fmt.Printf("  summary: %d requests in %.0f s\n", len(calls), b.Since(end).Seconds())
	fmt.Printf("    %-12s %5d\n", "succeeded", ok)
	fmt.Printf("    %-12s %5d   the downstream's own error, passed to the caller\n", "failed", failed)
	fmt.Printf("    %-12s %5d   CircuitOpen: no Lambda invoked\n", "failed fast", fast)
	if b.Config.Shadow {
		fmt.Printf("    %-12s %5d   shadow mode: enforcing would have failed them fast; invoked, uncounted (%d of them failed)\n", "would-reject", would, wouldFailed)
	}

	figures := localbreaker.Analyze(b.Schedule, b.Outcomes(calls), localbreaker.Changes(events), end)
	fastWord := "failed fast"
	if b.Config.Shadow {
		fastWord = "would have failed fast (shadow mode: invoked)"
		fmt.Println("  per outage, what enforcing mode would have done (would-rejects counted as fast fails):")
	}
	for i, f := range figures {
		w := f.Window
		fmt.Printf("  outage %d (%v to %v): %d requests, %d reached the downstream, %d %s\n",
			i+1, w.After, w.After+w.For, f.Requests, f.DownstreamCalls, f.Rejected, fastWord)
		if !f.Opened {
			fmt.Printf("    the circuit did not open (%d requests failed)\n", f.Failed)
			continue
		}
		fmt.Printf("    opened %.2f s into the outage, after %d failed requests\n", f.OpenedAfter.Seconds(), f.FailedBeforeOpen)
		if f.StillOpen {
			fmt.Printf("    still open when the demo ended, %.1f s after the recovery\n", f.ClosedAfterRecovery.Seconds())
		} else {
			fmt.Printf("    closed %.2f s after the recovery (%s); %d healthy requests %s meanwhile\n",
				f.ClosedAfterRecovery.Seconds(), closedBy(f.ClosedBy), f.RejectedAfterRecovery, fastWord)
		}
	}

	fmt.Println("  per path (mean per request; the state machine's own DynamoDB calls):")
	fmt.Printf("    %-32s %8s %8s %8s %8s\n", "path", "requests", "Lambdas", "reads", "writes")
	for _, p := range localbreaker.Paths {
		cs := byPath[p]
		if len(cs) == 0 {
			continue
		}
		var l, r, w int
		for _, c := range cs {
			l += c.Result.LambdaInvocations
			r += c.Result.DynamoReads
			w += c.Result.DynamoWrites
		}
		n := float64(len(cs))
		fmt.Printf("    %-32s %8d %8.2f %8.2f %8.2f\n", p, len(cs), float64(l)/n, float64(r)/n, float64(w)/n)
	}
	ctl, hdl := b.ControllerDynamo.Ops(), b.AlarmHandlerDynamo.Ops()
	fmt.Printf("  our Lambdas' own DynamoDB calls: controller %d reads, %d writes; alarm handler %d reads, %d writes\n",
		ctl["GetItem"], ctl["UpdateItem"], hdl["GetItem"], hdl["UpdateItem"])
}

// closedBy is the first clause of a transition's reason: for an alarm, which
// alarm went to which state, without CloudWatch's explanation.
func closedBy(reason string) string {
	if i := strings.Index(reason, ": "); i > 0 && strings.Contains(reason, " alarm ") {
		return reason[:i]
	}
	return reason
}
