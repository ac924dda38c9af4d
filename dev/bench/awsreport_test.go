//go:build emulators

package bench

import (
	"fmt"
	"time"
)

// metricDelays are the CloudWatch delays the report computes with: 1 minute
// (Lambda's one-minute metrics evaluated at once), 3 minutes (the allowance
// the component orders notices with, component.MetricDelayAllowanceSeconds)
// and 5 minutes (measured for an OK transition, Stack Overflow question
// 64045238).
var metricDelays = []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute}

// awsRecovery writes the report's section on recovery at AWS timings.
func awsRecovery(p func(string, ...any), rs []*result) {
	p("## Recovery on AWS timings")
	p("")
	p("Computed, not measured (`AWSTimings` in dev/bench/awstimings.go, tested in awstimings_test.go): the time from the downstream's recovery to a closed circuit on AWS, when the healthcheck saw the outage and holds the circuit, "+
		"with the component's defaults (`rate(1 minute)`, healthcheck alarm Errors >= 1 in 1 of 1 one-minute period, missing data not breaching), averaged over every recovery instant within an interval and every phase of the schedule against the alarm's periods; worst case in brackets. "+
		"Assumed: a check (Scheduler's delivery, the runner, the healthcheck and one write) takes %v; SNS delivery plus the alarm handler %v; CloudWatch evaluates a one-minute alarm once a minute; a period's datapoint reaches it after CloudWatch's delay, for which AWS documents no figure: "+
		"shown at 1, 3 and 5 minutes (3 minutes: marbot-io/monitoring-jump-start pull request 63 allows for it beyond the function's timeout; 5 minutes: an alarm on a one-minute metric measured returning to OK 5 minutes after its first good minute ended, Stack Overflow question 64045238).",
		DefaultAWSTimings(0).Check, DefaultAWSTimings(0).Notify)
	p("")
	header, sep := "| healthcheck-sees-outage: recovery to closed |", "|---|"
	for _, d := range metricDelays {
		header += fmt.Sprintf(" CloudWatch delay %.0f min |", d.Minutes())
		sep += "---:|"
	}
	p("%s", header)
	p("%s", sep)
	row := func(label string, f func(AWSTimings) RecoveryFigures) {
		line := "| " + label + " |"
		for _, d := range metricDelays {
			line += " " + f(DefaultAWSTimings(d)).String() + " |"
		}
		p("%s", line)
	}
	row("**this breaker: the healthcheck runner's verdict** (one interval)", AWSTimings.ViaVerdict)
	row("before: the healthcheck alarm's OK, through SNS and the alarm handler", AWSTimings.ViaAlarm)
	row("original (model): its healthcheck alarm's OK (the same alarm)", AWSTimings.ViaAlarm)
	p("")
	p("The runner's price: $%.3f a month at `rate(1 minute)` with a 100 ms healthcheck, healthy or failing (one write each: a healthy run is recorded too, so that a slower, older run finishing after it is ignored); the healthcheck's own invocations were paid before too. "+
		"The request path is unchanged: healthy 1 Lambda invocation, 1 read, 0 writes; open 0 Lambda invocations (the table below).",
		RunnerMonthlyCost(ListPrices, Assumed.ControllerMs, Assumed.ControllerMB, 100))
	p("")
	for _, r := range rs {
		if !r.sc.blind {
			continue
		}
		blind := "never"
		if r.ours.Opened && !r.ours.StillOpen {
			blind = fmt.Sprintf("%.1f s", r.ours.ClosedAfterRecovery.Seconds())
		}
		p("healthcheck-blind: the healthcheck never held the circuit, so neither alarm nor verdict closes it: a half-open probe does, %s after the recovery as measured above (probes are in-line, not compressed; "+
			"with the bench's openDurationSeconds %d doubling up to %d), and the original never closes (its defect 1).", blind, openFor, maxOpenFor)
		p("")
	}
}
