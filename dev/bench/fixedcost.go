package bench

import (
	"fmt"
	"strings"
)

// The fixed monthly cost of one breaker: what it costs with no traffic at all,
// option by option. Computed here, from list prices and the breaker's own
// schedules, so that docs/bench.md's table is what this code says, not typed.

// MonthlyPrices are the fixed-cost list prices (us-east-1, USD, first tier),
// from the AWS pricing pages (https://aws.amazon.com/cloudwatch/pricing/,
// https://aws.amazon.com/eventbridge/pricing/, https://aws.amazon.com/sqs/pricing/):
// CloudWatch (standard-resolution alarm: $0.10 per
// alarm metric per month; custom metrics: $0.30 per metric per month, prorated
// by the hour and billed only for hours it is published; dashboards: $3.00 per
// dashboard per month, the first 3 of up to 50 metrics each free; API requests:
// $0.01 per 1,000; logs: $0.50 per GB ingested, $0.03 per GB-month stored),
// EventBridge (Scheduler: $1.00 per million invocations, 14 million free a
// month; custom events PutEvents: $1.00 per million), SQS ($0.40 per million
// requests, 1 million free), Lambda and DynamoDB as in Prices.
type MonthlyPrices struct {
	AlarmMetricMonth     float64
	CustomMetricMonth    float64
	DashboardMonth       float64
	CloudWatchAPIRequest float64
	SchedulerInvocation  float64
	PutEvent             float64
	SQSRequest           float64
	LogsStoredGBMonth    float64
}

// ListMonthlyPrices are the prices the report uses.
var ListMonthlyPrices = MonthlyPrices{
	AlarmMetricMonth:     0.10,
	CustomMetricMonth:    0.30,
	DashboardMonth:       3.00,
	CloudWatchAPIRequest: 0.01 / 1000,
	SchedulerInvocation:  1.00 / 1e6,
	PutEvent:             1.00 / 1e6,
	SQSRequest:           0.40 / 1e6,
	LogsStoredGBMonth:    0.03,
}

// minutesPerMonth: 30 days, as the original's cost section counts.
const minutesPerMonth = 30 * 24 * 60

// FixedOptions are the inputs that decide the fixed cost.
type FixedOptions struct {
	HealthcheckEveryMinutes float64 // healthcheckSchedule; the default is rate(1 minute)
	// RateMode: downstreamMonitoring mode rate, a metric-math alarm over
	// Errors and Invocations, two alarm metrics; SlowCalls: slowCallMonitoring,
	// a third alarm (docs/monitoring.md).
	RateMode, SlowCalls   bool
	ReconcileEveryMinutes float64 // reconcileSchedule; the default is rate(5 minutes)
	Dashboard             bool
	// FastFailsPublished / ProbesPublished: the metric filters' metrics cost
	// only in months they are published (a month with fast fails; probes only
	// at logLevel ALL).
	FastFailsPublished, ProbesPublished bool
	// TransitionsPerMonth, each one transition event (PutEvents) as the events
	// design publishes them; reading the table's stream with Lambda is free.
	TransitionsPerMonth float64
}

// DefaultFixed is a default breaker in a quiet month with a few transitions.
var DefaultFixed = FixedOptions{HealthcheckEveryMinutes: 1, ReconcileEveryMinutes: 5, TransitionsPerMonth: 100}

// FixedAssumptions are what the fixed cost cannot measure here.
type FixedAssumptions struct {
	// The healthcheck is the user's function: the original's own assumption.
	HealthcheckMs, HealthcheckMB float64
	// One reconciliation run of the alarm handler (Go, arm64): DescribeAlarms,
	// two consistent reads (the two alarm states, both stale), one more for the
	// metric, one empty ReceiveMessage that long-polls for 1 s (billed), and its
	// log lines.
	ReconcileMs, ReconcileMB float64
	ReconcileReads           float64
	ReconcileLogBytes        float64
	LogRetentionMonths       float64
}

// AssumedFixed are the report's assumptions.
var AssumedFixed = FixedAssumptions{
	HealthcheckMs: 100, HealthcheckMB: 128,
	ReconcileMs: 60 + 1000, ReconcileMB: 128,
	ReconcileReads:     3,
	ReconcileLogBytes:  4 * 350, // two "ignored" lines, the run's line, the EMF line
	LogRetentionMonths: 0.5,     // logRetentionDays 14
}

// FixedLine is one item of the fixed monthly cost.
type FixedLine struct {
	Item, Basis string
	USD         float64
}

// FixedCost is the monthly cost of one breaker under o, by item.
func FixedCost(p Prices, m MonthlyPrices, a FixedAssumptions, o FixedOptions) []FixedLine {
	var lines []FixedLine
	add := func(item, basis string, usd float64) { lines = append(lines, FixedLine{item, basis, usd}) }
	alarmMetrics, alarms := 2.0, "downstream, healthcheck"
	if o.RateMode {
		alarmMetrics, alarms = alarmMetrics+1, "downstream (rate: 2 metrics), healthcheck"
	}
	if o.SlowCalls {
		alarmMetrics, alarms = alarmMetrics+1, alarms+", slow calls"
	}
	add("CloudWatch alarms ("+alarms+")", fmt.Sprintf("%g standard alarm metrics", alarmMetrics), alarmMetrics*m.AlarmMetricMonth)

	checks := minutesPerMonth / o.HealthcheckEveryMinutes
	add("healthcheck schedule", fmt.Sprintf("%.0f Scheduler invocations", checks), checks*m.SchedulerInvocation)
	add("healthcheck function (yours)", fmt.Sprintf("%.0f invocations, %g MB, %g ms, x86_64", checks, a.HealthcheckMB, a.HealthcheckMs),
		lambdaCost(p, checks, a.HealthcheckMs, a.HealthcheckMB, false))

	runs := 0.0
	if o.ReconcileEveryMinutes > 0 {
		runs = minutesPerMonth / o.ReconcileEveryMinutes
	}
	logGB := runs * a.ReconcileLogBytes / (1 << 30)
	reconcile := runs*m.SchedulerInvocation + // the schedule
		lambdaCost(p, runs, a.ReconcileMs, a.ReconcileMB, true) + // the alarm handler
		runs*a.ReconcileReads*p.DynamoRRU + // the circuit's item
		runs*m.CloudWatchAPIRequest + // DescribeAlarms
		runs*m.SQSRequest + // one empty ReceiveMessage
		logGB*(p.LogsIngestedGB+a.LogRetentionMonths*m.LogsStoredGBMonth)
	add("reconciliation", fmt.Sprintf("%.0f runs: Scheduler, reconciler, %g reads, DescribeAlarms, ReceiveMessage, logs", runs, a.ReconcileReads), reconcile)

	add("CircuitState metric (EMF)", "1 custom metric", m.CustomMetricMonth)
	if o.FastFailsPublished {
		add("FastFails metric (metric filter)", "1 custom metric, in a month with fast fails", m.CustomMetricMonth)
	}
	if o.ProbesPublished {
		add("Probes metric (metric filter, logLevel ALL)", "1 custom metric, in a month with probes", m.CustomMetricMonth)
	}
	if o.Dashboard {
		add("dashboard", "1 dashboard beyond the account's 3 free", m.DashboardMonth)
	}
	add("transition events", fmt.Sprintf("%.0f PutEvents", o.TransitionsPerMonth), o.TransitionsPerMonth*m.PutEvent)
	return lines
}

// FixedTotal sums the lines.
func FixedTotal(lines []FixedLine) float64 {
	t := 0.0
	for _, l := range lines {
		t += l.USD
	}
	return t
}

// OriginalClaimPerMonth is the original's cost section: "0.26 USD per month"
// (2 alarms 0.20, Scheduler 0.05 at 1.10 per million, healthcheck 0.009).
const OriginalClaimPerMonth = 0.26

// FixedCostMarkdown is docs/bench.md's fixed-cost section.
func FixedCostMarkdown() string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	p("## Fixed monthly cost of one breaker")
	p("")
	p("What one breaker costs a month with no traffic (dev/bench/fixedcost.go; us-east-1 list prices, 30-day month, account-wide free tiers not deducted: 10 alarms, 10 custom metrics, 3 dashboards, 1 million API and SQS requests, 14 million Scheduler invocations).")
	p("")
	cases := []struct {
		name string
		o    FixedOptions
	}{
		{"default (quiet month)", DefaultFixed},
		{"default, a month with fast fails", with(DefaultFixed, func(o *FixedOptions) { o.FastFailsPublished = true })},
		{"+ dashboard (a month with fast fails)", with(DefaultFixed, func(o *FixedOptions) { o.FastFailsPublished, o.Dashboard = true, true })},
		{"+ logLevel ALL (a month with fast fails and probes)", with(DefaultFixed, func(o *FixedOptions) { o.FastFailsPublished, o.ProbesPublished = true, true })},
		{"downstreamMonitoring mode rate", with(DefaultFixed, func(o *FixedOptions) { o.RateMode = true })},
		{"+ slowCallMonitoring", with(DefaultFixed, func(o *FixedOptions) { o.SlowCalls = true })},
		{"reconcileSchedule rate(1 minute)", with(DefaultFixed, func(o *FixedOptions) { o.ReconcileEveryMinutes = 1 })},
		{"healthcheckSchedule rate(5 minutes)", with(DefaultFixed, func(o *FixedOptions) { o.HealthcheckEveryMinutes = 5 })},
	}
	base := FixedCost(ListPrices, ListMonthlyPrices, AssumedFixed, DefaultFixed)
	p("| item | basis (default) | USD / month |")
	p("|---|---|---:|")
	for _, l := range base {
		p("| %s | %s | %.4f |", l.Item, l.Basis, l.USD)
	}
	p("| **total** | | **%.2f** |", FixedTotal(base))
	p("")
	p("| configuration | USD / month |")
	p("|---|---:|")
	for _, c := range cases {
		p("| %s | %.2f |", c.name, FixedTotal(FixedCost(ListPrices, ListMonthlyPrices, AssumedFixed, c.o)))
	}
	p("| the original's claim | %.2f |", OriginalClaimPerMonth)
	p("")
	p("The original claims **$%.2f a month** (two alarms, the healthcheck's schedule and function); the same three items cost $%.2f here at today's Scheduler price ($1.00 per million, not $1.10). "+
		"What this breaker adds is the CircuitState metric ($0.30, the largest fixed item) and reconciliation ($%.2f at the default 5 minutes, mostly DescribeAlarms requests); "+
		"the FastFails metric costs $0.30 only in months with fast fails, the dashboard $3.00 only beyond the account's three free ones, transition events a hundredth of a cent.",
		OriginalClaimPerMonth, base[0].USD+base[1].USD+base[2].USD, base[3].USD)
	return w.String()
}

func with(o FixedOptions, f func(*FixedOptions)) FixedOptions {
	f(&o)
	return o
}
