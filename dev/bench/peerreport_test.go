//go:build emulators

package bench

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/localbreaker"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

// peerEnvs is how many execution environments run the peer: as many as
// the replay gives the downstream (localbreaker.Options.DownstreamEnvs), so
// that no request queues behind another at this rate.
const peerEnvs = 6

// peerResult is the peer's run beside one scenario's replay.
type peerResult struct {
	run      *PeerRun
	schedule outage.Schedule
	figures  PeerFigures
}

// replayPeer runs the peer on the replay's dynalite, right after it, through
// the same timeline (its own epoch): the same windows, rate and requests.
func replayPeer(b *testing.B, lb *localbreaker.Breaker) *peerResult {
	b.Helper()
	run := RunPeer(b, PeerOptions{
		Endpoint: lb.DynamoEndpoint, Envs: peerEnvs, Windows: lb.Schedule.Windows,
		Rate: rate, N: int((before + outageFor + after).Seconds() * rate),
		FailureThreshold: lb.Settings.FailureThreshold,
		RecoveryTimeout:  lb.Settings.OpenDurationSeconds,
		SuccessThreshold: lb.Settings.SuccessThreshold,
	})
	return &peerResult{run: run, schedule: run.Schedule, figures: AnalyzePeer(run.Schedule, run.Requests, peerEnvs)}
}

// ourProbes is probes admitted per reopening in our run: probe executions
// over elections won (OPEN -> HALF_OPEN).
func ourProbes(r *result) (probes, elections int) {
	for _, c := range r.calls {
		switch c.Path {
		case localbreaker.PathProbeClosed, localbreaker.PathProbeReopened, localbreaker.PathProbeSucceeded, localbreaker.PathProbeIgnored:
			probes++
		}
	}
	for _, e := range r.events {
		if e.Kind == localbreaker.EventTransition && e.To == "HALF_OPEN" {
			elections++
		}
	}
	return
}

func ourTrips(r *result) int {
	n := 0
	for _, e := range r.events {
		if e.Kind == localbreaker.EventTransition && e.From == "CLOSED" && e.To == "OPEN" {
			n++
		}
	}
	return n
}

// peerSection writes the three designs side by side.
func peerSection(p func(string, ...any), r *result) {
	pr := r.peer
	f := pr.figures
	ours, orig := r.ours, r.original
	usages := pathUsages(r)
	peerUsages := PeerUsages(pr.run.Requests)
	hit := CacheHitSeconds(pr.run.Requests)
	m := 1e6

	p("## Beside the peer: Powertools' circuit breaker, its own code")
	p("")
	p("The strongest living peer, run in the same `make bench` (issue 18): **aws-lambda-powertools %s** from the package registry (`bin/peer`, pinned in versions.mk; the version each environment found installed; its code is never copied here), "+
		"its `circuit_breaker` decorator around the call to the downstream, with its `CircuitBreakerDynamoDBPersistence` (defaults: partition key `id`, attributes `state`, `failure_count`, `opened_at`, `half_open_owner`, `probe_lease_expiry`, `expiration`) on a table of its own on **the same dynalite**, through a boto3 client whose `endpoint_url` is that dynalite.", pr.run.Version)
	p("")
	p("- **How it ran** (dev/bench/peer/env.py, dev/bench/peerrun_test.go): %d processes, each one simulated execution environment with its own breaker instance, failure counter and state cache, one request at a time, as Lambda runs them (%d: the downstream environments our replay uses). "+
		"The same open-loop traffic and timeline as the %s run above (%g requests/s for %v, the downstream down from %v to %v), on its own epoch right after that replay; each request goes to the first idle environment (round the warm ones). "+
		"The downstream is the harness's own (HTTP on 127.0.0.1, 503 during the outage), which counts every call: it counted %d calls, %d of them failed; the environments' own count of protected calls: %d. "+
		"`TestPeerHarnessRanItsCode` (dev/bench/peerharness_test.go, in the emulator tier) checks on a short outage that the harness runs the pinned version, that the peer's own item for the circuit is in its table with its attribute names, and that both counts of downstream calls agree.",
		peerEnvs, peerEnvs, r.sc.name, rate, before+outageFor+after, before, before+outageFor, pr.run.Downstream, pr.run.DownstreamFailed, peerCalled(pr.run))
	p("- **Its configuration**: `CircuitBreakerConfig(failure_threshold=%d, recovery_timeout=%d, success_threshold=%d)`, `local_cache_max_age` its default (%.0f s); threshold and success threshold are ours, the recovery timeout our openDurationSeconds.",
		pr.run.Options.FailureThreshold, pr.run.Options.RecoveryTimeout, pr.run.Options.SuccessThreshold, PeerCacheMaxAge.Seconds())
	p("- **DynamoDB calls** are counted per request by boto3's client events (`before-call`: one per API call, the unit DynamoDB bills), and at the wire by a proxy in front of dynalite: %s.", wireCheck(pr.run))
	p("- **What cannot match**: its failure count is per environment (%d consecutive failures *in one environment*; ours counts across every caller, in the item); its recovery timeout is fixed and in whole seconds (ours doubles from %d s up to %d s after each failed probe); "+
		"each environment trusts its cached state for up to %.0f s (ours reads the item on every execution: nothing to match); it has no healthcheck and no alarms, so it is compared with our **%s** run, where a half-open probe closes our circuit too.",
		pr.run.Options.FailureThreshold, openFor, maxOpenFor, PeerCacheMaxAge.Seconds(), r.sc.name)
	p("")
	p("| | this breaker (%s) | the peer (%d environments) | original (model, %s) |", r.sc.name, peerEnvs, r.sc.name)
	p("|---|---:|---:|---:|")
	row := func(label, a, b, c string) { p("| %s | %s | %s | %s |", label, a, b, c) }
	row("requests during the outage", fmt.Sprint(ours.Requests), fmt.Sprint(f.Requests), fmt.Sprint(orig.Requests))
	allStopped := "never"
	if f.AllStopped {
		allStopped = fmt.Sprintf("%d (all %d environments stopped %.2f s into the outage; %d before the first one did)", f.FailedUntilAllStopped, peerEnvs, f.AllStoppedAfter.Seconds(), f.FailedBeforeOpen)
	}
	row("failed calls until every caller stopped calling the downstream", fmt.Sprint(ours.FailedBeforeOpen), allStopped, fmt.Sprint(orig.FailedBeforeOpen))
	row("time from the outage to open", openedText(ours), peerOpenedText(f), openedText(orig))
	row("trips written (CLOSED -> OPEN)", fmt.Sprint(ourTrips(r)), fmt.Sprintf("%d (one per environment that counted its own %d failures)", f.Trips, pr.run.Options.FailureThreshold), "1 (the alarm)")
	row("downstream calls during the outage (wasted)", fmt.Sprint(ours.DownstreamCalls), fmt.Sprintf("%d (counted by the harness's downstream)", pr.run.DownstreamFailed), fmt.Sprint(orig.DownstreamCalls))
	row("time from recovery to closed", closedText(ours), peerClosedText(f), closedText(orig))
	row("healthy requests turned away after recovery", fmt.Sprint(ours.RejectedAfterRecovery), fmt.Sprint(f.RejectedAfterRecovery), fmt.Sprint(orig.RejectedAfterRecovery))
	probes, elections := ourProbes(r)
	row("probes admitted per reopening", perElection(probes, elections), perElection(f.Probes, f.Elections), "none: no half-open state")

	// DynamoDB traffic and cost by path.
	origByPath := map[string]originalPath{}
	for _, o := range originalPaths() {
		origByPath[o.name] = o
	}
	ourByPath := map[string]pathUsage{}
	for _, u := range usages {
		ourByPath[string(u.path)] = u
	}
	peerByPath := map[string]PeerPathUsage{}
	for _, u := range peerUsages {
		peerByPath[u.Path] = u
	}
	origName := func(path string) string {
		switch path {
		case PeerPathHealthy, PeerPathFailing:
			return path
		case PeerPathOpen:
			return "open, fail fast (503)"
		}
		return ""
	}
	// The peer's paths, then any of ours it has no counterpart for.
	paths := append([]string(nil), PeerPaths...)
	for _, u := range usages {
		if !slices.Contains(paths, string(u.path)) {
			paths = append(paths, string(u.path))
		}
	}
	for _, path := range paths {
		o, okO := ourByPath[path]
		pe, okP := peerByPath[path]
		_, okG := origByPath[origName(path)]
		if !okO && !okP {
			continue
		}
		a, b, c := "not on this path", "not on this path", "not on this path"
		if okO {
			a = fmt.Sprintf("%.2f / %.2f (%d requests)", o.reads, o.writes, o.requests)
		}
		if okP {
			b = fmt.Sprintf("%.3f / %.2f (%d requests)", pe.Reads, pe.Writes, pe.Requests)
			if pe.CondFailed > 0 {
				b = fmt.Sprintf("%.3f / %.2f, failed conditional writes (%d requests)", pe.Reads, pe.Writes, pe.Requests)
			}
		}
		if okG {
			c = "1 / 0"
		}
		row("DynamoDB reads / writes per request: "+path, a, b, c)
	}
	var ourRun, peerRun Cost
	var ourN, peerN int
	for _, path := range paths {
		o, okO := ourByPath[path]
		pe, okP := peerByPath[path]
		og, okG := origByPath[origName(path)]
		if !okO && !okP {
			continue
		}
		a, b, c := "n/a", "n/a", "n/a"
		if okO {
			cost := Price(ListPrices, Assumed, o.u, Assumed.ControllerMs, Assumed.ControllerMB, true)
			a = "$" + money(cost.Breaker()*m)
		}
		if okP {
			cost := PeerPrice(ListPrices, Assumed, AssumedLatency, pe, hit)
			b = fmt.Sprintf("$%s (DynamoDB %s, Lambda time %s)", money(cost.Breaker()*m), money(cost.Dynamo*m), money(cost.OwnLambda*m))
		}
		if okG {
			cost := Price(ListPrices, Assumed, og.u, Assumed.UpstreamMs, Assumed.UpstreamMB, false)
			c = "$" + money(cost.Breaker()*m)
		}
		row("breaker cost per million requests: "+path, a, b, c)
	}
	for _, u := range usages {
		c := Price(ListPrices, Assumed, u.u, Assumed.ControllerMs, Assumed.ControllerMB, true)
		ourRun = addCost(ourRun, c, float64(u.requests))
		ourN += u.requests
	}
	for _, u := range peerUsages {
		c := PeerPrice(ListPrices, Assumed, AssumedLatency, u, hit)
		peerRun = addCost(peerRun, c, float64(u.Requests))
		peerN += u.Requests
	}
	// The original's mix: its modelled outcomes of the same requests.
	var origRun Cost
	for _, o := range r.originalOutcomes {
		name := "closed, healthy"
		switch {
		case o.Rejected:
			name = "open, fail fast (503)"
		case o.Failed:
			name = "closed, failing"
		}
		og := origByPath[name]
		origRun = addCost(origRun, Price(ListPrices, Assumed, og.u, Assumed.UpstreamMs, Assumed.UpstreamMB, false), 1)
	}
	row("breaker cost per million requests: this run's mix (healthy, outage, recovery)",
		"$"+money(ourRun.Breaker()/float64(ourN)*m), "$"+money(peerRun.Breaker()/float64(peerN)*m), "$"+money(origRun.Breaker()/float64(max(1, len(r.originalOutcomes)))*m))
	healthy := peerByPath[PeerPathHealthy]
	origAdded := AssumedLatency.SyncStartMs + Assumed.LambdaInvokeOverheadMs + Assumed.UpstreamMs
	row("added latency per healthy call on AWS (computed)",
		fmt.Sprintf("%.0f ms", OurAddedMs(AssumedLatency, Assumed)),
		fmt.Sprintf("%.2f ms", PeerAddedMs(AssumedLatency, healthy, hit)),
		fmt.Sprintf("%.0f ms", origAdded))
	p("")
	p("Reads and writes per request are measured (ours: the state machine's and the controller's, as in [Per request, by path](#per-request-by-path); the peer's: its client's calls). "+
		"Costs use the [prices](#prices-us-east-1-usd-first-tier) and [assumptions](#assumptions-not-measurable-here) below: ours is the state machine as priced there; the peer's is its DynamoDB traffic "+
		"(an eventually consistent GetItem is half a read unit, a PutItem or UpdateItem one write unit, a failed conditional write billed as a write, as Powertools' own issue aws-powertools/powertools-lambda-typescript#1573 notes) "+
		"plus the Lambda time it adds to the caller (%g MB, x86_64, billed per 1 ms: %g ms per DynamoDB call, plus its in-process time, %.3f ms per request measured here on a cache hit); it needs no Step Functions request, no Lambda invocation of its own and writes no logs. "+
		"The downstream's own invocation is left out of all three: every design pays it alike.",
		AssumedLatency.CallerMB, AssumedLatency.LambdaDynamoMs, hit*1000)
	p("")
	p("Added latency, computed with these assumptions (nothing here measures AWS): ours is a synchronous Express execution (%g ms of StartSyncExecution overhead, assumed) and its one DynamoDB read through the service integration (%g ms); "+
		"the peer's is its in-process check (%.3f ms measured here) plus, on the %.1f%% of healthy calls whose environment's cache had expired, one GetItem from the function (%g ms); "+
		"the original's is the same execution overhead plus its upstream Lambda (%g ms invoke overhead, %g ms, its own assumption). "+
		"When the caller is itself a Lambda function, it also pays for waiting on ours: $%s per million at %g MB.",
		AssumedLatency.SyncStartMs, Assumed.DynamoCallMs, hit*1000, healthy.Reads*100, AssumedLatency.LambdaDynamoMs, Assumed.LambdaInvokeOverheadMs, Assumed.UpstreamMs,
		money(CallerWaitCost(ListPrices, AssumedLatency, OurAddedMs(AssumedLatency, Assumed))*m), AssumedLatency.CallerMB)
	p("")
	ourHealthy := Price(ListPrices, Assumed, ourByPath[PeerPathHealthy].u, Assumed.ControllerMs, Assumed.ControllerMB, true)
	peerHealthy := PeerPrice(ListPrices, Assumed, AssumedLatency, healthy, hit)
	p("**Where the peer wins.** Its healthy path costs $%s per million against our $%s: it needs no Step Functions request ($%.2f of ours), and its check runs in the caller's process from a cache that reads the table about once per %g s per environment (%.3f reads per healthy request here), "+
		"so it adds %.2f ms where ours adds an execution (%.0f ms; both computed). It needs no state machine, no controller and no alarms to deploy.",
		money(peerHealthy.Breaker()*m), money(ourHealthy.Breaker()*m), ourHealthy.SFNRequest*m, PeerCacheMaxAge.Seconds(), healthy.Reads, PeerAddedMs(AssumedLatency, healthy, hit), OurAddedMs(AssumedLatency, Assumed))
	p("")
	lost := peerByPath[PeerPathLost]
	p("%s", whereWeWin(ours, f, probes, lost.Requests, lost.Requests+peerByPath[PeerPathOpen].Requests))
	p("")
}

func peerCalled(run *PeerRun) int {
	n := 0
	for _, r := range run.Requests {
		n += r.Called
	}
	return n
}

func wireCheck(run *PeerRun) string {
	ops := map[string]int{}
	for _, r := range run.Requests {
		for op, n := range r.Ops {
			ops[op] += n
		}
	}
	names := make([]string, 0, len(run.Wire))
	for op := range run.Wire {
		names = append(names, op)
	}
	sort.Strings(names)
	var parts []string
	for _, op := range names {
		parts = append(parts, fmt.Sprintf("%d %s at the wire, %d counted by the client", run.Wire[op], op, ops[op]))
	}
	return strings.Join(parts, "; ")
}

func addCost(sum, c Cost, n float64) Cost {
	sum.SFNRequest += c.SFNRequest * n
	sum.SFNDuration += c.SFNDuration * n
	sum.OwnLambda += c.OwnLambda * n
	sum.Dynamo += c.Dynamo * n
	sum.Logs += c.Logs * n
	sum.Downstream += c.Downstream * n
	return sum
}

func perElection(probes, elections int) string {
	if elections == 0 {
		return "none"
	}
	return fmt.Sprintf("%.1f (%d probes, %d reopenings)", float64(probes)/float64(elections), probes, elections)
}

func openedText(f localbreaker.Figures) string {
	if !f.Opened {
		return "never"
	}
	return fmt.Sprintf("%.2f s", f.OpenedAfter.Seconds())
}

func closedText(f localbreaker.Figures) string {
	switch {
	case !f.Opened:
		return "n/a"
	case f.StillOpen:
		return fmt.Sprintf("never: still open %.0f s later", f.ClosedAfterRecovery.Seconds())
	}
	return fmt.Sprintf("%.1f s", f.ClosedAfterRecovery.Seconds())
}

func peerOpenedText(f PeerFigures) string {
	if !f.Opened {
		return "never"
	}
	return fmt.Sprintf("%.2f s (first trip)", f.OpenedAfter.Seconds())
}

func peerClosedText(f PeerFigures) string {
	if !f.Closed {
		return "never"
	}
	s := fmt.Sprintf("%.1f s (its item)", f.ClosedAfterRecovery.Seconds())
	if f.AllCallingAfterRecovery > 0 {
		s += fmt.Sprintf(", %s until every environment called again", durationText(f.AllCallingAfterRecovery))
	}
	return s
}

func peerResumedText(f PeerFigures) string {
	if !f.Closed {
		return "its circuit never closed"
	}
	s := fmt.Sprintf("its item closed %s after the recovery", durationText(f.ClosedAfterRecovery))
	if f.AllCallingAfterRecovery > 0 {
		s += fmt.Sprintf(", every environment called again after %s", durationText(f.AllCallingAfterRecovery))
	}
	return s
}

// whereWeWin says, from the run's numbers, where this breaker did better
// than the peer and where it did not.
func whereWeWin(ours localbreaker.Figures, f PeerFigures, ourProbes, lost, turnedAway int) string {
	var w strings.Builder
	fmt.Fprintf(&w, "**Where we win.** One item read on every call is one decision for every caller: our circuit stopped all calls after %d failures and one trip; "+
		"the peer's %d environments each counted their own, so %d calls failed before all of them stopped (%d x the threshold at most: it grows with the number of environments) and %d trips were written. ",
		ours.FailedBeforeOpen, peerEnvs, f.FailedUntilAllStopped, peerEnvs, f.Trips)
	fmt.Fprintf(&w, "Open, the peer is not free: once the recovery timeout has passed, each environment still holding the state it cached tries the probe election on every request, a conditional PutItem that fails and is billed as a write: %d requests here (%.0f%% of those it turned away). ",
		lost, 100*float64(lost)/float64(max(1, turnedAway)))
	fmt.Fprintf(&w, "After each failed probe our open duration doubles (%d s up to %d s), the peer's stays fixed: %d probes from us, %d from it, all but the one that closed the circuit wasted on the failing downstream. ", openFor, maxOpenFor, ourProbes, f.Probes)
	if f.RejectedAfterRecovery < ours.RejectedAfterRecovery {
		fmt.Fprintf(&w, "The same backoff costs us after the recovery: the peer turned fewer healthy requests away (%d against our %d), its item closing %s after the recovery, though its environments went on turning calls away until their caches expired (every one called again after %s); ours resume all at once with the close. ",
			f.RejectedAfterRecovery, ours.RejectedAfterRecovery, durationText(f.ClosedAfterRecovery), durationText(f.AllCallingAfterRecovery))
	} else {
		fmt.Fprintf(&w, "After the recovery every caller of ours resumes with the close; the peer's turned %d healthy requests away (ours %d): %s. ", f.RejectedAfterRecovery, ours.RejectedAfterRecovery, peerResumedText(f))
	}
	w.WriteString("And it has no healthcheck and no alarms: a healthcheck that sees the outage holds our circuit open through it, so no probe reaches the failing downstream, and its verdict closes the circuit within one interval of the recovery ([One outage](#one-outage), [Recovery on AWS timings](#recovery-on-aws-timings)).")
	return w.String()
}
