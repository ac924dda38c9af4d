// Command demo runs one circuit breaker locally, end to end, with no AWS
// account (`make demo`): a stream of requests through the real state machine
// definition while a demo downstream goes down and comes back, printing the
// circuit's timeline and a summary and drawing a chart (docs/demo.png).
// docs/demo.md explains what runs for real, what is simulated, and how to
// read the output.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"os"
	"strings"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/localbreaker"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

func main() {
	var (
		rate        = flag.Float64("rate", 10, "requests per second")
		duration    = flag.Duration("duration", 75*time.Second, "how long requests are sent")
		outages     = flag.String("outages", "20s/30s,63s/2s", "when the downstream is down: AFTER/FOR from the start, comma-separated")
		compression = flag.Float64("compression", 15, "run the simulated alarm path this many times faster than configured (15: a 60 s alarm period lasts 4 s)")
		openFor     = flag.Int("open-duration", 3, "the breaker's openDurationSeconds (maxOpenDurationSeconds is 8 times it)")
		png         = flag.String("png", "docs/demo.png", "where to write the chart ('' for none)")
		shadow      = flag.Bool("shadow", false, "run the breaker in shadow mode (enforce: false, docs/shadow-mode.md): every call is invoked; the ones enforcing mode would reject are counted as would-rejects")
	)
	flag.Parse()
	windows, err := outage.ParseWindows(*outages)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	os.Exit(localbreaker.Main("demo", func(tb testenv.T) {
		run(tb, *rate, *duration, windows, *compression, *openFor, *png, *shadow)
	}))
}

func run(tb testenv.T, rate float64, duration time.Duration, windows []outage.Window, compression float64, openFor int, png string, shadow bool) {
	maxOpen := 8 * openFor
	enforce := !shadow
	args := component.Args{
		ServiceName:            "demo",
		OpenDurationSeconds:    &openFor,
		MaxOpenDurationSeconds: &maxOpen,
		Enforce:                &enforce,
	}
	fmt.Println("pulumi-circuitbreaker demo: one breaker, end to end, on this machine, no AWS account")
	fmt.Println()
	b := localbreaker.Start(tb, localbreaker.Options{Args: args, Outages: windows, Compression: compression, Log: prefixed("  setup: "), Events: true})
	s := b.Settings
	fmt.Println()
	fmt.Printf("  request path  the component's real definition (%d states), run by aws-local-stepfunctions against moto's DynamoDB;\n", strings.Count(b.Definition, `"Type":`))
	fmt.Printf("                our controller Lambda (real bootstrap, Lambda RIE) for trips, probe elections, reopens\n")
	fmt.Printf("  alarm path    our alarm-handler Lambda (real bootstrap, Lambda RIE) fed SNS-wrapped CloudWatch alarm JSON;\n")
	fmt.Printf("                CloudWatch alarms, SNS and EventBridge Scheduler are SIMULATED (dev/alarmsim; the alarms evaluated by\n")
	fmt.Printf("                circuit/alarmeval, the code circuitctl replay runs on CloudWatch's data),\n")
	fmt.Printf("                %gx faster than configured: one %d s alarm period lasts %v, %q runs every %v\n",
		compression, s.DownstreamMonitoring.Period, b.DownstreamAlarm.Rule.Period, s.HealthcheckSchedule, b.HealthcheckEvery)
	fmt.Printf("  events        the table's stream (moto) read by our event publisher Lambda (real bootstrap, RIE), polled as Lambda's\n")
	fmt.Printf("                event source mapping would (SIMULATED); events on moto's EventBridge, read back through a rule and SQS\n")
	fmt.Printf("  breaker       failureThreshold %d, open %d s (x%g up to %d s), halfOpenMaxCalls %d, successThreshold %d\n",
		s.FailureThreshold, s.OpenDurationSeconds, s.OpenBackoffMultiplier, s.MaxOpenDurationSeconds, s.HalfOpenMaxCalls, s.SuccessThreshold)
	fmt.Printf("                downstream alarm: %s; healthcheck alarm: %s\n", describeAlarm(s.DownstreamMonitoring), describeAlarm(s.HealthcheckMonitoring))
	if shadow {
		fmt.Printf("  mode          SHADOW (enforce: false): every call is invoked; a call enforcing mode would reject is counted as a\n")
		fmt.Printf("                would-reject (the state machine's PutMetricData, recorded by the local executor) and its outcome is not counted\n")
	}
	fmt.Printf("  scenario      %g requests/s for %v; the demo downstream is down %s; the healthcheck fails while it is down\n",
		rate, duration, describeWindows(windows))
	fmt.Println()
	fmt.Println("  time   what happened")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	traffic := b.Send(ctx, rate, int(duration.Seconds()*rate), func(i int) any { return map[string]any{"order": i} })
	printer := newTimeline(b)
	stopPrinting := make(chan struct{})
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		printer.follow(stopPrinting, traffic.Calls)
	}()
	calls, err := traffic.Wait()
	end := time.Now()
	close(stopPrinting)
	<-printed
	if err != nil {
		tb.Fatalf("%v", err)
	}
	events := b.Events()
	printer.flush(events, end)
	summary(b, calls, events, end)
	operatorsView(b, calls)

	if png != "" {
		err := localbreaker.WriteChart(png, localbreaker.ChartInput{
			Breaker: b, Calls: calls, Events: events, End: end,
			Title: fmt.Sprintf("pulumi-circuitbreaker demo%s: %g requests/s, downstream down %s", map[bool]string{true: " (shadow mode)"}[shadow], rate, describeWindows(windows)),
		})
		if err != nil {
			tb.Fatalf("writing the chart: %v", err)
		}
		fmt.Printf("\n  chart: %s (docs/demo.md explains how to read it)\n", png)
	}
}

func describeAlarm(m component.Monitoring) string {
	op := map[string]string{
		"GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": ">=", "LessThanThreshold": "<", "LessThanOrEqualToThreshold": "<=",
	}[m.ComparisonOperator]
	return fmt.Sprintf("%s %s %s %g in %d of %d periods", m.MetricName, m.Statistic, op, m.Threshold, m.DatapointsToAlarm, m.EvaluationPeriods)
}

func describeWindows(ws []outage.Window) string {
	if len(ws) == 0 {
		return "never"
	}
	var parts []string
	for _, w := range ws {
		parts = append(parts, fmt.Sprintf("from %v to %v", w.After, w.After+w.For))
	}
	return strings.Join(parts, " and ")
}

// prefixed writes each setup line with a prefix.
type prefixed string

func (p prefixed) Write(b []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		fmt.Println(string(p) + line)
	}
	return len(b), nil
}

// operatorsView prints what an operator sees at the end: circuitctl status,
// the released tool's own code, on the demo's table.
func operatorsView(b *localbreaker.Breaker, calls []localbreaker.Call) {
	svc := b.Config.ServiceName
	args := []string{"status", svc, "--table", b.Config.TableName}
	note := ""
	if b.Config.Shadow {
		args = append(args, "--shadow")
		note = "; CloudWatch SIMULATED: the would-rejects the executions published"
	}
	fmt.Printf("\n  circuitctl %s --endpoint-url %s   (the operators' tool, docs/runbook.md%s)\n", strings.Join(args, " "), b.DynamoEndpoint, note)
	var out bytes.Buffer
	metrics := localbreaker.NewRecordedMetrics(calls)
	circuitctl.Run(context.Background(), args, circuitctl.Env{
		Stdout: &out, Stderr: &out, Version: "demo",
		NewClient:  func(context.Context, circuitctl.Conn) (circuitctl.API, error) { return b.DynamoClient(), nil },
		NewMetrics: func(context.Context, circuitctl.Conn) (circuitctl.MetricsAPI, error) { return metrics, nil },
	})
	// One write: prefixed indents line by line, the tool's table writes cell by cell.
	prefixed("    ").Write(out.Bytes())
}
