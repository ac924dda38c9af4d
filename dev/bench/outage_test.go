//go:build emulators

package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	sm "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/alarmsim"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/localbreaker"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

var reportPath = flag.String("report", "", "also write the report (markdown) to this file")

// The scenario: an open-loop stream of requests, healthy, then an outage of
// the downstream, then healthy again. 50 requests/s is what the local
// executor sustains on 2 cores with room to spare.
const (
	rate        = 50.0
	before      = 10 * time.Second
	outageFor   = 30 * time.Second
	after       = 15 * time.Second
	compression = 12.0 // a 60 s alarm period, and rate(1 minute), last 5 s
	openFor     = 3    // openDurationSeconds, doubling up to maxOpenFor
	maxOpenFor  = 12
)

type scenario struct {
	name, title string
	blind       bool
}

var scenarios = []scenario{
	{"healthcheck-sees-outage", "the healthcheck fails while the downstream is down", false},
	{"healthcheck-blind", "the healthcheck keeps succeeding: it does not notice this outage", true},
}

// result is one scenario's run.
type result struct {
	sc                  scenario
	b                   *localbreaker.Breaker
	calls               []localbreaker.Call
	events              []localbreaker.Event
	ours, original      localbreaker.Figures
	originalOutcomes    []localbreaker.Outcome
	controller          localbreaker.ControllerCalls
	controllerLog       localbreaker.LogVolume
	controllerWire      map[string]int
	alarmHandlerWire    map[string]int
	itemSize            int
	end                 time.Time
	latencyP50, latency time.Duration
	// peer is the peer's run beside this replay (the healthcheck-blind one).
	peer *peerResult
}

var (
	resultsMu sync.Mutex
	results   []*result
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if len(results) > 0 {
		r := report(results)
		fmt.Println(r)
		if *reportPath != "" {
			if err := os.WriteFile(*reportPath, []byte(r), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "bench:", err)
				code = 1
			}
		}
	}
	os.Exit(code)
}

// BenchmarkOutage replays the outage through the real definition, once per
// iteration (run it with -benchtime=1x: one replay lasts about a minute), and
// reports what it cost; TestMain prints the full report.
func BenchmarkOutage(b *testing.B) {
	for _, sc := range scenarios {
		b.Run(sc.name, func(b *testing.B) {
			var r *result
			for i := 0; i < b.N; i++ {
				r = replay(b, sc)
			}
			metric := func(v float64, unit string) { b.ReportMetric(v, unit) }
			metric(float64(r.ours.FailedBeforeOpen), "failed-before-open")
			metric(float64(r.ours.DownstreamCalls), "downstream-calls-in-outage")
			metric(recovery(r.ours), "recovery-to-closed-s")
			metric(float64(r.original.FailedBeforeOpen), "original-failed-before-open")
			metric(float64(r.original.DownstreamCalls), "original-downstream-calls-in-outage")
			metric(recovery(r.original), "original-recovery-to-closed-s")
			if pr := r.peer; pr != nil {
				metric(float64(pr.figures.FailedUntilAllStopped), "peer-failed-until-all-stopped")
				metric(float64(pr.run.DownstreamFailed), "peer-downstream-calls-in-outage")
			}
			for _, p := range pathUsages(r) {
				metric(p.u.Downstream+p.u.Own, p.key+"-lambda/req")
				metric(p.reads, p.key+"-reads/req")
				metric(p.writes, p.key+"-writes/req")
			}
			resultsMu.Lock()
			results = append(results, r)
			resultsMu.Unlock()
		})
	}
}

// recovery is seconds from the recovery to closed; -1 when it never closed.
func recovery(f localbreaker.Figures) float64 {
	if f.StillOpen {
		return -1
	}
	return f.ClosedAfterRecovery.Seconds()
}

func replay(b *testing.B, sc scenario) *result {
	b.StopTimer()
	openFor, maxOpen := openFor, maxOpenFor
	lb := localbreaker.Start(b, localbreaker.Options{
		Args:             component.Args{ServiceName: "bench", OpenDurationSeconds: &openFor, MaxOpenDurationSeconds: &maxOpen},
		Outages:          []outage.Window{{After: before, For: outageFor}},
		BlindHealthcheck: sc.blind,
		Compression:      compression,
		// Enough environments that no request queues behind another's
		// invocation at this rate.
		DownstreamEnvs: 6, ControllerEnvs: 3,
		Lead: 3 * time.Second,
	})
	b.StartTimer()
	n := int((before + outageFor + after).Seconds() * rate)
	ctx := context.Background()
	calls, err := lb.Send(ctx, rate, n, func(i int) any { return map[string]any{"order": i} }).Wait()
	end := time.Now()
	if err != nil {
		b.Fatalf("%v", err)
	}
	r := &result{sc: sc, b: lb, calls: calls, end: end}
	r.events = lb.Events()
	r.ours = localbreaker.Analyze(lb.Schedule, lb.Outcomes(calls), localbreaker.Changes(r.events), end)[0]

	rule := func(a *alarmsim.Alarm) alarmsim.Rule { return a.Rule }
	model := localbreaker.OriginalModel{
		Schedule:          lb.Schedule,
		Downstream:        rule(lb.DownstreamAlarm),
		Healthcheck:       rule(lb.HealthcheckAlarm),
		HealthcheckEvery:  lb.HealthcheckEvery,
		HealthcheckOffset: lb.HealthcheckEvery / 2,
		BlindHealthcheck:  sc.blind,
		Lag:               lb.AlarmLag,
	}
	starts := make([]time.Time, len(calls))
	for i, c := range calls {
		starts[i] = c.Start
	}
	outcomes, changes, err := model.Replay(starts, end)
	if err != nil {
		b.Fatal(err)
	}
	r.originalOutcomes = outcomes
	r.original = localbreaker.Analyze(lb.Schedule, outcomes, changes, end)[0]

	r.controller = lb.Controller()
	r.controllerLog = lb.ControllerLog()
	r.controllerWire = lb.ControllerDynamo.Ops()
	r.alarmHandlerWire = lb.AlarmHandlerDynamo.Ops()
	if r.itemSize, err = lb.ItemSize(ctx); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, len(calls))
	for i, c := range calls {
		lat[i] = c.Latency
	}
	slices.Sort(lat)
	r.latencyP50, r.latency = lat[len(lat)/2], lat[len(lat)*99/100]
	// The peer has no healthcheck: it runs once, beside the replay where a
	// probe closes our circuit too.
	if sc.blind {
		r.peer = replayPeer(b, lb)
	}
	return r
}

// pathUsage is one path's mean usage per request.
type pathUsage struct {
	path             localbreaker.Path
	key              string // short name for metric units
	requests         int
	u                Usage
	reads, writes    float64 // DynamoDB calls: the state machine's and the controller's
	controllerWrites float64 // of which the controller's writes
	transitions      float64 // circuit transitions
}

var pathKeys = map[localbreaker.Path]string{
	localbreaker.PathHealthy: "healthy", localbreaker.PathReset: "reset", localbreaker.PathFailing: "failing",
	localbreaker.PathTrip: "trip", localbreaker.PathOpen: "open", localbreaker.PathNotAdmitted: "not-admitted",
	localbreaker.PathProbeClosed: "probe-closes", localbreaker.PathProbeSucceeded: "probe-succeeds",
	localbreaker.PathProbeReopened: "probe-reopens", localbreaker.PathProbeIgnored: "probe-ignored",
	localbreaker.PathForcedClosed: "forced-closed", localbreaker.PathFailOpen: "fail-open", localbreaker.PathOther: "other",
}

// fastFails breaks the fast fails down by the Fail state that ended them,
// with the reason their cause gives (circuit.ParseCause): what each costs.
// Issue 17 made the cause a JSON document built by the Fail state itself;
// before, an open circuit's cause was prose built by a Pass state,
// DescribeOpen (measured on 2026-12-07 before the change: 4 states entered
// by RejectOpen's fast fails, 3.1 on average over 1591 fast fails).
func fastFails(p func(string, ...any), rs []*result) {
	type row struct {
		step, reason string
		n, states    int
		lambdas      int
		reads        int
	}
	rows := map[string]*row{}
	for _, r := range rs {
		for _, c := range r.calls {
			res := c.Result
			if res.Error != sm.ErrorCircuitOpen && res.Error != sm.ErrorCircuitUnavailable || len(res.States) == 0 {
				continue
			}
			step := res.States[len(res.States)-1]
			reason := "(not a document)"
			if cause, err := circuit.ParseCause(res.Cause); err == nil {
				reason = string(cause.Reason)
			}
			w := rows[step+reason]
			if w == nil {
				w = &row{step: step, reason: reason}
				rows[step+reason] = w
			}
			w.n++
			w.states += len(res.States)
			w.lambdas += res.LambdaInvocations
			w.reads += res.DynamoReads
		}
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	p("Fast fails by the Fail state that ended them, with the reason their cause gives ([fast-fail.md](fast-fail.md)); per fast fail. The cause is built by the Fail state itself: until issue 17 an open circuit's went through a Pass state first (`DescribeOpen`), 4 states instead of 3 (measured before the change on 2026-12-07, same scenario: 3.1 states on average over the open path's 1591 fast fails, `RejectOpen`'s entering 4, the others 3).")
	p("")
	p("| Fail state | reason | fast fails | states entered | Lambda invocations | DynamoDB reads |")
	p("|---|---|---:|---:|---:|---:|")
	for _, k := range keys {
		w := rows[k]
		p("| `%s` | `%s` | %d | %.1f | %.2f | %.2f |", w.step, w.reason, w.n, float64(w.states)/float64(w.n), float64(w.lambdas)/float64(w.n), float64(w.reads)/float64(w.n))
	}
	p("")
}

// pathUsages measures each path's usage per request over the runs' calls.
//
// Measured per execution (sfnlocal): invocations by function, the state
// machine's DynamoDB calls, states entered. The controller's DynamoDB calls
// are attributed by its rule (circuitstore.Update: one consistent read, plus
// one write when the action changed the circuit), using the share of each
// action that changed it, read from the controller's log lines; the report
// compares the total with what the wire saw.
func pathUsages(rs ...*result) []pathUsage {
	changedShare := map[string]float64{}
	for _, action := range []string{"trip", "elect", "reopen"} {
		var ch, un int
		for _, r := range rs {
			ch += r.controller.Changed[action]
			un += r.controller.Unchanged[action]
		}
		if ch+un > 0 {
			changedShare[action] = float64(ch) / float64(ch+un)
		}
	}
	var lineBytes float64
	var lines int
	for _, r := range rs {
		lineBytes += float64(r.controllerLog.Bytes)
		lines += r.controllerLog.Lines
	}
	perLine := 0.0
	if lines > 0 {
		perLine = lineBytes / float64(lines)
	}
	sums := map[localbreaker.Path]*pathUsage{}
	for _, r := range rs {
		for _, c := range r.calls {
			p := sums[c.Path]
			if p == nil {
				p = &pathUsage{path: c.Path, key: pathKeys[c.Path]}
				sums[c.Path] = p
			}
			res := c.Result
			has := func(s string) bool { return slices.Contains(res.States, s) }
			ctl := float64(res.LambdaInvocationsByFunction[r.b.ControllerArn])
			ctlWrites := 0.0
			transitions := 0.0
			if has(sm.StateTrip) {
				ctlWrites += changedShare["trip"]
				transitions += changedShare["trip"]
			}
			if has(sm.StateElectProbe) && has(sm.StateInvokeProbe) {
				ctlWrites++ // an admitted election wrote
				transitions++
			}
			if has(sm.StateReopen) {
				ctlWrites += changedShare["reopen"]
				transitions += changedShare["reopen"]
			}
			if c.Path == localbreaker.PathProbeClosed {
				transitions++
			}
			// Logged at ERROR without execution data: a failed execution's
			// FailStateEntered and ExecutionFailed, and a failed downstream
			// Task's TaskFailed.
			events := 0.0
			if !res.Succeeded() {
				events += 2
				if !c.Rejected() {
					events++
				}
			}
			p.requests++
			p.u.SFNDynamoCalls += float64(res.DynamoReads + res.DynamoWrites)
			p.u.StatesEntered += float64(len(res.States))
			p.u.Downstream += float64(res.LambdaInvocationsByFunction[r.b.DownstreamArn])
			p.u.Own += ctl
			// Eventually consistent reads of an item under 4 KB: half a unit;
			// the controller's are strongly consistent: one.
			p.u.RRU += 0.5*float64(res.DynamoReads) + ctl
			p.u.WRU += float64(res.DynamoWrites) + ctlWrites
			p.u.LogBytes += events*Assumed.OurEventBytes + ctl*perLine
			p.reads += float64(res.DynamoReads) + ctl
			p.writes += float64(res.DynamoWrites) + ctlWrites
			p.controllerWrites += ctlWrites
			p.transitions += transitions
		}
	}
	var out []pathUsage
	for _, path := range localbreaker.Paths {
		p := sums[path]
		if p == nil {
			continue
		}
		n := float64(p.requests)
		for _, f := range []*float64{&p.u.SFNDynamoCalls, &p.u.StatesEntered, &p.u.Downstream, &p.u.Own, &p.u.RRU, &p.u.WRU, &p.u.LogBytes, &p.reads, &p.writes, &p.controllerWrites, &p.transitions} {
			*f /= n
		}
		out = append(out, *p)
	}
	return out
}

func money(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 0.01:
		return fmt.Sprintf("%.4f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func report(rs []*result) string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	first := rs[0]
	s := first.b.Settings
	period := first.b.DownstreamAlarm.Rule.Period
	p("# Benchmark: one outage, this breaker, the peer and the original's alarm-only design")
	p("")
	p("Generated by `make bench` (`go test -bench Outage -benchtime 1x ./dev/bench`); edit the benchmark, not this file.")
	p("Run on %s, %d CPUs, %s. Read [Limits](#limits) before quoting a figure; [demo.md](demo.md) shows the same machinery with a chart.", time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.Version())
	p("")
	p("## What ran")
	p("")
	p("- **Scenario**: an open-loop stream of %g requests/s for %v: healthy for %v, the downstream down for %v, healthy for %v. "+
		"(50/s rather than more because the local executor, dynalite and the Lambda emulators share 2 cores; every figure below is per request or per outage, so the rate only scales the counts.)",
		rate, before+outageFor+after, before, outageFor, after)
	p("- **This breaker, measured**: the component's real definition (component.Resolve, StateMachineConfig, statemachine.Definition) executed by aws-local-stepfunctions against dynalite, "+
		"our real controller and alarm-handler bootstraps under the Lambda RIE, the controller also as the healthcheck runner the schedule targets (it invokes the healthcheck and applies its verdict). Settings: failureThreshold %d, openDurationSeconds %d doubling up to %d, halfOpenMaxCalls %d, successThreshold %d; "+
		"alarms at their defaults (downstream Errors Sum > 1 in 3 of 3 periods, healthcheck Errors >= 1 in 1 of 1), healthcheck `%s`.",
		s.FailureThreshold, s.OpenDurationSeconds, s.MaxOpenDurationSeconds, s.HalfOpenMaxCalls, s.SuccessThreshold, s.HealthcheckSchedule)
	p("- **Alarm path, SIMULATED** (dev/alarmsim: no CloudWatch here): periods are %gx compressed, so one 60 s period lasts %v and the healthcheck runs every %v. "+
		"Alarm-driven times below are therefore %gx shorter than on AWS (and CloudWatch's metric delay is not simulated at all: [Recovery on AWS timings](#recovery-on-aws-timings) computes it); in-line figures (failures before the trip, probes) are not compressed.",
		compression, period, first.b.HealthcheckEvery, compression)
	p("- **The original, MODELLED** (localbreaker.OriginalModel, from the original's README): same requests, same outage, same alarm simulation; " +
		"its circuit opens only on an alarm (no in-line trip), its downstream alarm has no OK action (defect 1), its handler sets one boolean from whichever alarm fired (defect 2), no half-open state (defect 4). Nothing of it ran.")
	for _, r := range rs {
		if r.peer != nil {
			p("- **The peer, run**: Powertools for AWS Lambda (Python)'s circuit breaker, its own code at version %s, in %d simulated execution environments, through the %s timeline on the same dynalite: [Beside the peer](#beside-the-peer-powertools-circuit-breaker-its-own-code).", PeerVersion, peerEnvs, r.sc.name)
		}
	}
	p("")
	p("## One outage")
	p("")
	header := "| | "
	sep := "|---|"
	for _, r := range rs {
		header += fmt.Sprintf("%s: this breaker | %s: original (model) | ", r.sc.name, r.sc.name)
		sep += "---:|---:|"
	}
	p("%s", strings.TrimSuffix(header, " "))
	p("%s", sep)
	row := func(label string, f func(localbreaker.Figures) string) {
		line := "| " + label + " |"
		for _, r := range rs {
			line += " " + f(r.ours) + " | " + f(r.original) + " |"
		}
		p("%s", line)
	}
	row("requests during the outage", func(f localbreaker.Figures) string { return fmt.Sprint(f.Requests) })
	row("failed calls until the circuit opened", func(f localbreaker.Figures) string {
		if !f.Opened {
			return fmt.Sprintf("%d (never opened)", f.FailedBeforeOpen)
		}
		return fmt.Sprint(f.FailedBeforeOpen)
	})
	row("time from the outage to open", func(f localbreaker.Figures) string {
		if !f.Opened {
			return "never"
		}
		return fmt.Sprintf("%.2f s", f.OpenedAfter.Seconds())
	})
	row("downstream calls during the outage (wasted)", func(f localbreaker.Figures) string { return fmt.Sprint(f.DownstreamCalls) })
	row("time from recovery to closed", func(f localbreaker.Figures) string {
		switch {
		case !f.Opened:
			return "n/a"
		case f.StillOpen:
			return fmt.Sprintf("never: still open %.0f s later", f.ClosedAfterRecovery.Seconds())
		}
		return fmt.Sprintf("%.1f s", f.ClosedAfterRecovery.Seconds())
	})
	row("healthy requests turned away after recovery", func(f localbreaker.Figures) string { return fmt.Sprint(f.RejectedAfterRecovery) })
	row("closed by", func(f localbreaker.Figures) string {
		switch {
		case !f.Opened:
			return "n/a"
		case f.StillOpen:
			return "nothing (defect 1)"
		case strings.Contains(f.ClosedBy, "healthcheck run"):
			return "the healthcheck runner's verdict"
		case strings.Contains(f.ClosedBy, "healthcheck"):
			return "healthcheck alarm OK"
		case strings.Contains(f.ClosedBy, "probe"):
			return "a half-open probe"
		}
		return f.ClosedBy
	})
	p("")
	p("Local latency of an execution (Go -> executor -> dynalite/RIE, not AWS's): p50 %v, p99 %v.", first.latencyP50.Round(time.Millisecond), first.latency.Round(time.Millisecond))
	p("")
	p("Timeline of this breaker's circuit:")
	p("")
	for _, r := range rs {
		p("- %s (%s):", r.sc.name, r.sc.title)
		for _, e := range r.events {
			if e.Kind != localbreaker.EventTransition {
				continue
			}
			reason := e.Reason
			if i := strings.Index(reason, ": Threshold Crossed"); i > 0 {
				reason = reason[:i]
			}
			p("  - %.2f s: %s -> %s by the %s (%s)", r.b.Since(e.At).Seconds(), e.From, e.To, e.By, reason)
		}
	}
	p("")
	for _, r := range rs {
		if r.peer != nil {
			peerSection(p, r)
		}
	}
	awsRecovery(p, rs)

	usages := pathUsages(rs...)
	p("## Per request, by path")
	p("")
	p("This breaker: measured over both runs' %d executions. Lambda invocations are the downstream's plus the controller's; DynamoDB calls are the state machine's plus the controller's (one consistent read per invocation, one write when it changed the circuit). "+
		"States entered are what a STANDARD workflow is billed for (state transitions); circuit transitions are changes of the circuit's state.", totalCalls(rs))
	p("")
	p("| path | requests | Lambda invocations | of which controller | DynamoDB reads | DynamoDB writes | states entered | circuit transitions |")
	p("|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, u := range usages {
		p("| %s | %d | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f |", u.path, u.requests, u.u.Downstream+u.u.Own, u.u.Own, u.reads, u.writes, u.u.StatesEntered, u.transitions)
	}
	p("")
	p("The original (read from its definition; every path):")
	p("")
	p("| path | Lambda invocations | DynamoDB reads | DynamoDB writes | states entered | circuit transitions |")
	p("|---|---:|---:|---:|---:|---:|")
	for _, o := range originalPaths() {
		p("| %s | %.0f | 1 | 0 | %.0f | 0 |", o.name, o.u.Downstream+o.u.Own, o.u.StatesEntered)
	}
	p("")
	p("Its circuit moves only on alarm notifications: one alarm-handler invocation and one write each, per alarm change rather than per request (this breaker's alarm handler: one consistent read and one write per notification).")
	p("")
	fastFails(p, rs)

	p("## Cost per million requests, by path")
	p("")
	p("EXPRESS workflows, us-east-1 list prices and the assumptions below. *Breaker* is everything but the downstream's own invocation, which both designs pay alike; *total* includes it.")
	p("")
	p("| design | path | Step Functions requests | Step Functions duration | own Lambda | DynamoDB | logs | **breaker** | downstream | **total** |")
	p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	m := 1e6
	var ourHealthy, origHealthy Cost
	for _, u := range usages {
		c := Price(ListPrices, Assumed, u.u, Assumed.ControllerMs, Assumed.ControllerMB, true)
		if u.path == localbreaker.PathHealthy {
			ourHealthy = c
		}
		p("| this breaker | %s | %s | %s | %s | %s | %s | **%s** | %s | **%s** |", u.path, money(c.SFNRequest*m), money(c.SFNDuration*m), money(c.OwnLambda*m),
			money(c.Dynamo*m), money(c.Logs*m), money(c.Breaker()*m), money(c.Downstream*m), money(c.Total()*m))
	}
	for _, o := range originalPaths() {
		c := Price(ListPrices, Assumed, o.u, Assumed.UpstreamMs, Assumed.UpstreamMB, false)
		if o.name == "closed, healthy" {
			origHealthy = c
		}
		p("| original (model) | %s | %s | %s | %s | %s | %s | **%s** | %s | **%s** |", o.name, money(c.SFNRequest*m), money(c.SFNDuration*m), money(c.OwnLambda*m),
			money(c.Dynamo*m), money(c.Logs*m), money(c.Breaker()*m), money(c.Downstream*m), money(c.Total()*m))
	}
	claim := OriginalClaimPerRequest * m
	noLogs := origHealthy.Total() - origHealthy.Logs
	p("")
	p("The original's README puts a request at **$%.2f per million** (\"0.000045 USD per 100 requests\", downstream included). Priced the same way, its closed path costs **$%.2f per million "+
		"without logs (%.1fx its figure)** and **$%.2f with the logging it configures (%.1fx)**: it leaves out the Step Functions request charge ($1.00 per million), the DynamoDB read and the log ingestion (its defect 6). "+
		"This breaker's healthy path: $%.2f per million in total, $%.2f of it for the breaker.",
		claim, noLogs*m, noLogs/OriginalClaimPerRequest, origHealthy.Total()*m, origHealthy.Total()/OriginalClaimPerRequest, ourHealthy.Total()*m, ourHealthy.Breaker()*m)
	p("")
	p("Our failing and fail-fast paths pay for logs because failed executions log their failure events at the default logLevel ERROR; FATAL logs only ExecutionFailed, OFF nothing (and keeps no failure history).")
	p("")
	p("With `workflowType: STANDARD` the request and duration charges are replaced by $%.3f per 1,000 state transitions: $%.0f per million requests on the healthy path (%.0f states entered), which dwarfs everything above; EXPRESS is the default for that reason.",
		ListPrices.SFNStandardTransition*1000, ListPrices.SFNStandardTransition*m*usageOf(usages, localbreaker.PathHealthy).StatesEntered, usageOf(usages, localbreaker.PathHealthy).StatesEntered)
	p("")
	p("### Prices (us-east-1, USD, first tier)")
	p("")
	p("| item | price |")
	p("|---|---|")
	p("| Step Functions Express requests | $1.00 per million |")
	p("| Step Functions Express duration | $0.00001667 per GB-second; memory in 64 MB increments, duration rounded up to 100 ms |")
	p("| Step Functions Standard | $0.025 per 1,000 state transitions |")
	p("| Lambda requests | $0.20 per million |")
	p("| Lambda duration | arm64 $0.0000133334, x86_64 $0.0000166667 per GB-second, per 1 ms |")
	p("| DynamoDB on-demand | $0.125 per million read request units, $0.625 per million write request units |")
	p("| CloudWatch Logs ingestion | $0.50 per GB (vended Step Functions logs: the same in the first tier) |")
	p("")
	p("### Assumptions (not measurable here)")
	p("")
	p("| assumption | value | why |")
	p("|---|---|---|")
	p("| Step Functions' latency per DynamoDB call / per Lambda invoke | %g ms / %g ms plus the function's duration | typical in-region service-integration latency; decides the 100 ms duration buckets |", Assumed.DynamoCallMs, Assumed.LambdaInvokeOverheadMs)
	p("| downstream | %g MB, %g ms, x86_64 | the original's own assumption; the same for both designs |", Assumed.DownstreamMB, Assumed.DownstreamMs)
	p("| our controller | %g MB, %g ms, arm64 | Go, one consistent GetItem and one UpdateItem |", Assumed.ControllerMB, Assumed.ControllerMs)
	p("| the original's upstream reader | %g MB, %g ms, x86_64 | its own assumption (Node.js 18) |", Assumed.UpstreamMB, Assumed.UpstreamMs)
	p("| Express memory | %g MB | one increment: small definitions and payloads |", Assumed.ExpressMB)
	p("| our log events | %g bytes each, at level ERROR without execution data: a failed execution logs FailStateEntered and ExecutionFailed, a failed downstream Task also TaskFailed; the controller's JSON lines as measured (%s) | the component's defaults (logLevel ERROR, logIncludeExecutionData false) |",
		Assumed.OurEventBytes, perLineText(rs))
	p("| the original's log events | %g bytes each, level ALL with execution data: 14 events on the healthy path, 15 failing, 11 open; plus %g bytes of START/END/REPORT per upstream invocation | its configuration; event size grows with the payload |", Assumed.OriginalEventBytes, Assumed.UpstreamLogBytes)
	p("| item size | %d bytes (measured at the end of the run) | under 1 KB: a write is 1 WRU; under 4 KB: an eventually consistent read is 0.5 RRU, a consistent one 1 RRU |", first.itemSize)
	p("")
	// The fixed monthly cost (fixedcost.go): computed, like everything above.
	p("%s", FixedCostMarkdown())
	p("## Limits")
	p("")
	p("- Times on the alarm path are simulated and %gx compressed, and CloudWatch's metric delay is left out: on AWS, with one-minute periods, every alarm-driven time above is at least %gx longer, for both designs; the healthcheck runner's verdicts come once per (compressed) interval. "+
		"The in-line trip and the probes run at real speed. [Recovery on AWS timings](#recovery-on-aws-timings) computes the healthcheck's path at real timings instead.", compression, compression)
	p("- The original is a model built from its description, not a run of its code; its alarm path gets exactly the same simulation as this breaker's.")
	p("- The peer's code ran, but as %d processes on this machine, not as Lambda: how Lambda spreads requests over warm environments, how many it keeps and how long, are not simulated (requests go round the idle ones); its DynamoDB is dynalite, and its added latency and Lambda time on AWS are computed.", peerEnvs)
	p("- Latencies here are the local executor's, not Step Functions'; costs use the assumed AWS latencies above, and list prices that AWS may change.")
	p("- Counts come from one run of each scenario; paths that occur a few times (trip, probes) are exact counts of those few executions, which is all they cost.")
	p("")
	p("## Cross-checks")
	p("")
	for _, r := range rs {
		var attributedR, attributedW float64
		for _, u := range pathUsages(r) {
			attributedR += float64(u.requests) * u.u.Own
			attributedW += float64(u.requests) * u.controllerWrites
		}
		p("- %s: the controller's DynamoDB calls at the wire: %d GetItem, %d UpdateItem; attributed to paths above: %.0f reads, %.1f writes (a difference is a lost optimistic-concurrency race, retried). "+
			"The alarm handler: %d GetItem, %d UpdateItem for %d alarm changes delivered.",
			r.sc.name, r.controllerWire["GetItem"], r.controllerWire["UpdateItem"], attributedR, attributedW,
			r.alarmHandlerWire["GetItem"], r.alarmHandlerWire["UpdateItem"], delivered(r.events))
	}
	return w.String()
}

func totalCalls(rs []*result) int {
	n := 0
	for _, r := range rs {
		n += len(r.calls)
	}
	return n
}

func usageOf(us []pathUsage, p localbreaker.Path) Usage {
	for _, u := range us {
		if u.path == p {
			return u.u
		}
	}
	return Usage{}
}

func delivered(events []localbreaker.Event) int {
	n := 0
	for _, e := range events {
		if e.Kind == localbreaker.EventAlarm && e.Published && e.Err == "" {
			n++
		}
	}
	return n
}

func perLineText(rs []*result) string {
	var lines, bytes int
	for _, r := range rs {
		lines += r.controllerLog.Lines
		bytes += r.controllerLog.Bytes
	}
	if lines == 0 {
		return "none"
	}
	return fmt.Sprintf("%d bytes per invocation", bytes/lines)
}
