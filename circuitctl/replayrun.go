package circuitctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/alarmeval"
)

// NotReplayable is what replay says it cannot show, in its output and in
// docs/replay.md.
var NotReplayable = []string{
	"the in-line trip (failureThreshold consecutive failures within the executions) cannot be replayed from one-minute metrics: it needs the order of individual calls, which they do not keep; replay shows the alarms' openings only",
	"failures the downstream returns as results (not errors) are not in Lambda's Errors metric",
}

// ReplayReport is everything replay found; --output json prints it.
type ReplayReport struct {
	Function  string    `json:"function"`
	Qualifier string    `json:"qualifier,omitempty"`
	Service   string    `json:"service"`
	From      time.Time `json:"from"`
	Until     time.Time `json:"until"`
	Settings  string    `json:"settings"`
	Policy    struct {
		OpenDurationSeconds    float64 `json:"openDurationSeconds"`
		MaxOpenDurationSeconds float64 `json:"maxOpenDurationSeconds"`
		BackoffMultiplier      float64 `json:"backoffMultiplier"`
	} `json:"policy"`
	Traffic struct {
		Invocations            float64 `json:"invocations"`
		Errors                 float64 `json:"errors"`
		PeakInvocationsPerMin  float64 `json:"peakInvocationsPerMinute"`
		MinutesWithInvocations int     `json:"minutesWithInvocations"`
		Minutes                int     `json:"minutes"`
	} `json:"traffic"`
	Alarms      []AlarmReplay `json:"alarms"`
	Openings    []Opening     `json:"openings"`
	OpenFor     time.Duration `json:"openForNs"`
	Warnings    []string      `json:"warnings"`
	Skipped     []string      `json:"skipped,omitempty"`
	NotReplayed []string      `json:"notReplayed"`
	// GetMetricDataCalls is how many GetMetricData pages were read.
	GetMetricDataCalls int `json:"getMetricDataCalls"`

	traffic traffic
	points  map[string][]alarmeval.Datapoint
}

// AlarmReplay is one alarm's replay.
type AlarmReplay struct {
	Name           string             `json:"name"`
	Source         circuit.Source     `json:"source"`
	Kind           string             `json:"kind"`
	Rule           string             `json:"rule"`
	ActionsEnabled bool               `json:"actionsEnabled"`
	Periods        int                `json:"periods"`
	Breaching      int                `json:"breachingPeriods"`
	Highest        *float64           `json:"highest"`
	Changes        []alarmeval.Change `json:"-"`
	ToAlarm        int                `json:"timesInAlarm"`
	InAlarm        time.Duration      `json:"inAlarmNs"`

	threshold float64
	period    int
}

// describeRule is a rule in one line.
func describeRule(r alarmeval.Rule) string {
	what := r.MetricName + " " + r.Statistic
	for _, q := range r.Metrics {
		if q.ReturnData {
			what = q.Expression
			var parts []string
			for _, m := range r.Metrics {
				if m.Expression == "" {
					parts = append(parts, fmt.Sprintf("%s = %s %s", m.ID, m.MetricName, m.Stat))
				}
			}
			what += " (" + strings.Join(parts, ", ") + ")"
		}
	}
	return fmt.Sprintf("%s %s %g in %d of %d periods of %d s, missing data %s", what, opWords(r.ComparisonOperator), r.Threshold,
		r.DatapointsToAlarm, r.EvaluationPeriods, r.ConfiguredPeriodSeconds, r.TreatMissingData)
}

func runReplay(ctx context.Context, args []string, env Env) int {
	o, err := parseReplay(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(env.Stdout, replayUsage)
		return ExitOK
	}
	if err == nil {
		err = replay(ctx, o, env)
	}
	if err == nil {
		return ExitOK
	}
	ee := classifyReplay(err)
	fmt.Fprintln(env.Stderr, "circuitctl:", ee.Error())
	if ee.code == ExitUsage {
		fmt.Fprintln(env.Stderr, "run `circuitctl replay --help` for its flags")
	}
	if o.debug && ee.err != nil {
		fmt.Fprintln(env.Stderr, "circuitctl: debug:", ee.err.Error())
	}
	return ee.code
}

// classifyReplay maps replay's errors to the tool's exit codes.
func classifyReplay(err error) *exitError {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee
	}
	var api smithy.APIError
	if errors.As(err, &api) && deniedCodes[api.ErrorCode()] {
		return &exitError{code: ExitAccessDenied, err: err, msg: fmt.Sprintf("access denied (%s): replay needs cloudwatch:GetMetricData, and for a deployed breaker cloudwatch:DescribeAlarms and "+
			"lambda:GetFunctionConfiguration (--stack) or lambda:ListFunctions (--table and --service)", api.ErrorCode())}
	}
	var nf *ltypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return &exitError{code: ExitCircuitNotFound, err: err, msg: "the stack's alarmHandlerName names no function in this account and region (check --region, --profile, or the stack)"}
	}
	return &exitError{code: ExitConflictOrOther, err: err, msg: err.Error()}
}

func replay(ctx context.Context, o replayOptions, env Env) error {
	if o.stack != "" && o.Region == "" {
		if s, err := readStack(o.stack, o.service); err == nil {
			o.Region = regionOfArn(s.TableArn)
		}
	}
	cw, err := env.NewMetrics(ctx, o.Conn)
	if err != nil {
		return err
	}
	var plan replayPlan
	if o.function != "" {
		plan, err = proposedPlan(o)
	} else {
		var fns FunctionsAPI
		if fns, err = env.NewFunctions(ctx, o.Conn); err != nil {
			return err
		}
		plan, err = deployedPlan(ctx, o, fns, cw)
	}
	if err != nil {
		return err
	}
	rep, err := runPlan(ctx, plan, o, cw, env.Now())
	if err != nil {
		return err
	}
	if o.output == "json" {
		if rep.Openings == nil {
			rep.Openings = []Opening{}
		}
		if rep.Warnings == nil {
			rep.Warnings = []string{}
		}
		if err := writeJSON(env.Stdout, rep); err != nil {
			return err
		}
	} else {
		writeReplay(env.Stdout, rep)
	}
	if o.png != "" {
		if err := writeReplayChart(o.png, rep); err != nil {
			return fmt.Errorf("writing the chart %s: %w", o.png, err)
		}
		if o.output != "json" {
			fmt.Fprintf(env.Stdout, "\nchart: %s\n", o.png)
		}
	}
	return nil
}

// runPlan fetches the metrics and replays plan's alarms on them.
func runPlan(ctx context.Context, plan replayPlan, o replayOptions, cw MetricsAPI, now time.Time) (*ReplayReport, error) {
	var periods []time.Duration
	for _, a := range plan.Alarms {
		periods = append(periods, a.Rule.Period)
	}
	from, until, err := replayWindow(o, now, periods)
	if err != nil {
		return nil, err
	}
	invKey := metricKey{"Invocations", "Sum", trafficPeriod}
	errKey := metricKey{"Errors", "Sum", trafficPeriod}
	keys := []metricKey{invKey, errKey}
	for _, a := range plan.Alarms {
		for _, q := range a.Rule.Queries() {
			k := metricKey{q.MetricName, q.Stat, a.Rule.Period}
			if q.Expression == "" && !contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	values, calls, err := fetch(ctx, cw, dimensions(plan.Function, plan.Qualifier), keys, from, until)
	if err != nil {
		return nil, err
	}
	rep := &ReplayReport{Function: plan.Function, Qualifier: plan.Qualifier, Service: plan.Service, From: from, Until: until,
		Settings: plan.From, Skipped: plan.Skipped, NotReplayed: NotReplayable, GetMetricDataCalls: calls, points: map[string][]alarmeval.Datapoint{}}
	rep.Policy.OpenDurationSeconds = plan.Policy.OpenDuration.Seconds()
	rep.Policy.MaxOpenDurationSeconds = plan.Policy.MaxOpenDuration.Seconds()
	rep.Policy.BackoffMultiplier = plan.Policy.BackoffMultiplier
	rep.traffic = traffic{Invocations: values[invKey], Errors: values[errKey]}
	for m := from; m.Before(until); m = m.Add(trafficPeriod) {
		inv, errs := rep.traffic.at(m)
		rep.Traffic.Minutes++
		rep.Traffic.Invocations += inv
		rep.Traffic.Errors += errs
		rep.Traffic.PeakInvocationsPerMin = math.Max(rep.Traffic.PeakInvocationsPerMin, inv)
		if inv > 0 {
			rep.Traffic.MinutesWithInvocations++
		}
	}
	changes := map[string][]alarmeval.Change{}
	for _, a := range plan.Alarms {
		in := map[string]alarmeval.Values{}
		for _, q := range a.Rule.Queries() {
			if q.Expression == "" {
				in[q.ID] = values[metricKey{q.MetricName, q.Stat, a.Rule.Period}]
			}
		}
		cs, points, err := alarmeval.Replay(a.Name, a.Rule, in, from, until)
		if err != nil {
			return nil, fmt.Errorf("alarm %s: %w", a.Name, err)
		}
		changes[a.Name] = cs
		rep.points[a.Name] = points
		ar := AlarmReplay{Name: a.Name, Source: a.Source, Kind: a.Kind, Rule: describeRule(a.Rule), ActionsEnabled: a.ActionsEnabled, Periods: len(points), Changes: cs,
			threshold: a.Rule.Threshold, period: a.Rule.ConfiguredPeriodSeconds}
		for _, p := range points {
			if p.Missing {
				continue
			}
			if a.Rule.Breaches(p.Value) {
				ar.Breaching++
			}
			if ar.Highest == nil || p.Value > *ar.Highest {
				v := p.Value
				ar.Highest = &v
			}
		}
		var since time.Time
		for _, c := range cs {
			if c.New == alarmeval.StateAlarm {
				ar.ToAlarm++
				since = c.At
			} else if c.Old == alarmeval.StateAlarm {
				ar.InAlarm += c.At.Sub(since)
			}
		}
		if len(cs) > 0 && cs[len(cs)-1].New == alarmeval.StateAlarm {
			ar.InAlarm += until.Sub(since)
		}
		if !a.ActionsEnabled {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: its actions are disabled, so its state changes notify nobody and open nothing", a.Name))
		}
		rep.Alarms = append(rep.Alarms, ar)
	}
	rep.Openings = simulate(plan.Service, plan.Alarms, changes, rep.traffic, plan.Policy, from, until)
	for _, op := range rep.Openings {
		rep.OpenFor += op.Lasted
	}
	rep.Warnings = append(rep.Warnings, warnings(plan.Alarms, rep.traffic, from, until)...)
	return rep, nil
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

const replayTime = "2006-01-02 15:04"

func writeReplay(w io.Writer, r *ReplayReport) {
	fn := r.Function
	if r.Qualifier != "" {
		fn += ":" + r.Qualifier
	}
	fmt.Fprintf(w, "replay of %s, %s to %s UTC (%d minutes)\n", fn, r.From.Format(replayTime), r.Until.Format(replayTime), r.Traffic.Minutes)
	fmt.Fprintf(w, "  settings   %s\n", r.Settings)
	fmt.Fprintf(w, "  breaker    open %g s, x%g at each consecutive opening, up to %g s\n", r.Policy.OpenDurationSeconds, r.Policy.BackoffMultiplier, r.Policy.MaxOpenDurationSeconds)
	fmt.Fprintf(w, "  traffic    %g invocations, %g errors (%.2f%%); busiest minute %g invocations; %d of %d minutes had invocations\n",
		r.Traffic.Invocations, r.Traffic.Errors, 100*r.Traffic.Errors/math.Max(1, r.Traffic.Invocations), r.Traffic.PeakInvocationsPerMin, r.Traffic.MinutesWithInvocations, r.Traffic.Minutes)
	fmt.Fprintln(w, "  data       CloudWatch's own per-period values (GetMetricData): Sums, and for a percentile CloudWatch's per-period percentile, not raw samples")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "alarms")
	for _, a := range r.Alarms {
		high := "no data"
		if a.Highest != nil {
			high = fmt.Sprintf("highest %.4g", *a.Highest)
		}
		fmt.Fprintf(w, "  %s (%s, %s)\n    %s\n    %d periods, %d breaching, %s; went to ALARM %d times, %v in ALARM\n",
			a.Name, a.Source, a.Kind, a.Rule, a.Periods, a.Breaching, high, a.ToAlarm, a.InAlarm)
	}
	fmt.Fprintln(w)
	if len(r.Openings) == 0 {
		fmt.Fprintln(w, "openings: none; these alarms would not have opened the circuit in this window")
	} else {
		fmt.Fprintf(w, "openings it would have caused: %d\n", len(r.Openings))
		tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "  #\topened (UTC)\talarm\topen for\tprobes failed\tclosed (UTC)\topen durations (back-off)")
		for i, op := range r.Openings {
			closed := "still open at the end"
			if !op.ClosedAt.IsZero() {
				closed = op.ClosedAt.Format(replayTime + ":05")
			}
			var ds []string
			for _, d := range op.OpenFor {
				ds = append(ds, d.String())
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%v\t%d\t%s\t%s\n", i+1, op.At.Format(replayTime+":05"), op.Alarm, op.Lasted, op.FailedProbes, closed, strings.Join(ds, ", "))
		}
		tw.Flush()
	}
	by := map[circuit.Source]int{}
	for _, op := range r.Openings {
		by[op.Source]++
	}
	var parts []string
	for _, s := range circuit.Sources {
		if by[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, by[s]))
		}
	}
	window := r.Until.Sub(r.From)
	fmt.Fprintf(w, "\nsummary: %d openings", len(r.Openings))
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, ", open %v in all, %.2f%% of the window; %d GetMetricData pages read\n", r.OpenFor, 100*float64(r.OpenFor)/float64(window), r.GetMetricDataCalls)
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "\nwarnings")
		for _, s := range r.Warnings {
			fmt.Fprintln(w, "  - "+s)
		}
	}
	for _, s := range r.Skipped {
		fmt.Fprintln(w, "not replayed: "+s)
	}
	fmt.Fprintln(w, "\nwhat replay cannot show")
	for _, s := range r.NotReplayed {
		fmt.Fprintln(w, "  - "+s)
	}
	fmt.Fprintln(w, "  - a probe is taken to fail when at least half of its minute's invocations failed")
}

// defaultMetrics and defaultFunctions are the SDK's clients, configured as
// the DynamoDB one is (defaultClient).
func defaultMetrics(ctx context.Context, c Conn) (MetricsAPI, error) {
	cfg, err := loadConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		if c.EndpointURL != "" {
			o.BaseEndpoint = aws.String(c.EndpointURL)
		}
	}), nil
}

func defaultFunctions(ctx context.Context, c Conn) (FunctionsAPI, error) {
	cfg, err := loadConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if c.EndpointURL != "" {
			o.BaseEndpoint = aws.String(c.EndpointURL)
		}
	}), nil
}
