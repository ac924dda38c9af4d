package circuitctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/alarmeval"
	alarmhandler "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	rcconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
)

// MetricsAPI is the part of the CloudWatch client replay uses.
type MetricsAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// FunctionsAPI is the part of the Lambda client replay uses to read a
// deployed breaker's alarm-handler configuration (its open-duration policy
// and its alarms' names).
type FunctionsAPI interface {
	GetFunctionConfiguration(ctx context.Context, in *lambda.GetFunctionConfigurationInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, opts ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
}

// MaxReplayWindow is how far back replay reads: CloudWatch keeps one-minute
// datapoints for 15 days ("Metrics retention",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention).
const MaxReplayWindow = 15 * 24 * time.Hour

// trafficPeriod is the period of the traffic replay charts and probes with.
const trafficPeriod = time.Minute

const replayUsage = `Usage:
  circuitctl replay --function NAME [proposed settings] [--since T] [--until T] [--png FILE]
  circuitctl replay --stack PATH | --table NAME --service NAME   [--since T] [--until T] [--png FILE]

What-if replay: reads the downstream's CloudWatch metrics (GetMetricData: Errors and Invocations
Sums, and the Duration percentile for a slow-call alarm, per period), evaluates the breaker's
alarms on them with the same evaluation code as the demo's simulation (circuit/alarmeval), and
reports every opening they would have caused, with the open durations and back-off of package
circuit. CloudWatch keeps one-minute data for 15 days.

A deployed breaker: --stack (the stack's outputs, with alarmHandlerName) or --table and --service
(the alarm handler whose TABLE_NAME and SERVICE_NAME match, found with ListFunctions). Its alarms
are read with DescribeAlarms, its open durations from the alarm handler's environment.

Proposed settings, with --function (defaults: circuit/defaults.go):
  --qualifier Q                  an alias or version (its metrics: Resource = NAME:Q)
  --mode count|rate              the downstream alarm (default count)
  --comparison OP                count: GreaterThanThreshold (default) or GreaterThanOrEqualToThreshold ...
  --threshold N                  count: errors per period (default 1)
  --error-rate PCT               rate: error percentage (required with --mode rate)
  --minimum-invocations N        rate: invocations a period needs for its rate to count (default 10)
  --period S  --evaluation-periods N  --datapoints-to-alarm M  --treat-missing-data T
  --slow-threshold-ms MS         add the slow-call alarm: Duration percentile above MS
  --slow-percentile pNN          (default p99)
  --slow-minimum-invocations N   (default 10)
  --slow-period S  --slow-evaluation-periods N  --slow-datapoints-to-alarm M  --slow-treat-missing-data T
  --open-duration-seconds N  --max-open-duration-seconds N  --open-backoff-multiplier X

Window and output:
  --since T    RFC 3339 time, or a duration before --until such as 72h or 14d (default 15d)
  --until T    RFC 3339 time or a duration before now (default now)
  --png FILE   also draw the traffic, the alarms and the circuit as a PNG
  --output text|json  --region R  --profile P  --endpoint-url URL (CloudWatch and Lambda)

What replay cannot show: the in-line trip (failureThreshold consecutive failures within the
executions) needs the order of individual calls, which one-minute metrics do not keep. A probe's
outcome is taken from its minute: it fails when at least half of that minute's invocations failed.
`

// replayOptions are replay's parsed flags.
type replayOptions struct {
	Conn
	service, stack, function, qualifier string
	since, until, png, output           string
	debug                               bool

	mode, comparison, missing     string
	threshold, errorRate          float64
	period, evaluation, datapoint int
	minimum                       int

	slowMs                                    float64
	slowPct, slowMissing                      string
	slowPeriod, slowEvaluation, slowDatapoint int
	slowMinimum                               int
	openSeconds, maxOpenSeconds               int
	backoff                                   float64
	given                                     map[string]bool
}

// proposalFlags are the flags that describe proposed settings: they apply
// with --function only.
var proposalFlags = []string{"qualifier", "mode", "comparison", "threshold", "error-rate", "minimum-invocations", "period",
	"evaluation-periods", "datapoints-to-alarm", "treat-missing-data", "slow-threshold-ms", "slow-percentile",
	"slow-minimum-invocations", "slow-period", "slow-evaluation-periods", "slow-datapoints-to-alarm",
	"slow-treat-missing-data", "open-duration-seconds", "max-open-duration-seconds", "open-backoff-multiplier"}

func parseReplay(args []string) (replayOptions, error) {
	o := replayOptions{given: map[string]bool{}}
	fs := flag.NewFlagSet("circuitctl replay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Table, "table", "", "")
	fs.StringVar(&o.Region, "region", "", "")
	fs.StringVar(&o.Profile, "profile", "", "")
	fs.StringVar(&o.EndpointURL, "endpoint-url", "", "")
	fs.StringVar(&o.service, "service", "", "")
	fs.StringVar(&o.stack, "stack", "", "")
	fs.StringVar(&o.function, "function", "", "")
	fs.StringVar(&o.qualifier, "qualifier", "", "")
	fs.StringVar(&o.since, "since", "15d", "")
	fs.StringVar(&o.until, "until", "", "")
	fs.StringVar(&o.png, "png", "", "")
	fs.StringVar(&o.output, "output", "text", "")
	fs.BoolVar(&o.debug, "debug", false, "")

	fs.StringVar(&o.mode, "mode", "count", "")
	fs.StringVar(&o.comparison, "comparison", circuit.DefaultDownstreamAlarmComparison, "")
	fs.Float64Var(&o.threshold, "threshold", circuit.DefaultDownstreamAlarmThreshold, "")
	fs.Float64Var(&o.errorRate, "error-rate", 0, "")
	fs.IntVar(&o.minimum, "minimum-invocations", circuit.DefaultMinimumInvocations, "")
	fs.IntVar(&o.period, "period", circuit.DefaultAlarmPeriodSeconds, "")
	fs.IntVar(&o.evaluation, "evaluation-periods", circuit.DefaultDownstreamEvaluationPeriods, "")
	fs.IntVar(&o.datapoint, "datapoints-to-alarm", 0, "")
	fs.StringVar(&o.missing, "treat-missing-data", circuit.DefaultAlarmTreatMissingData, "")
	fs.Float64Var(&o.slowMs, "slow-threshold-ms", 0, "")
	fs.StringVar(&o.slowPct, "slow-percentile", circuit.DefaultSlowCallPercentile, "")
	fs.IntVar(&o.slowMinimum, "slow-minimum-invocations", circuit.DefaultMinimumInvocations, "")
	fs.IntVar(&o.slowPeriod, "slow-period", circuit.DefaultAlarmPeriodSeconds, "")
	fs.IntVar(&o.slowEvaluation, "slow-evaluation-periods", circuit.DefaultSlowCallEvaluationPeriods, "")
	fs.IntVar(&o.slowDatapoint, "slow-datapoints-to-alarm", 0, "")
	fs.StringVar(&o.slowMissing, "slow-treat-missing-data", circuit.DefaultAlarmTreatMissingData, "")
	fs.IntVar(&o.openSeconds, "open-duration-seconds", circuit.DefaultOpenDurationSeconds, "")
	fs.IntVar(&o.maxOpenSeconds, "max-open-duration-seconds", circuit.DefaultMaxOpenDurationSeconds, "")
	fs.Float64Var(&o.backoff, "open-backoff-multiplier", circuit.DefaultOpenBackoffMultiplier, "")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError("replay: %s", flagError(err))
	}
	if fs.NArg() > 0 {
		return o, usageError("replay takes flags only, got %q: give the function with --function NAME, or the breaker with --stack or --table and --service", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
	if o.output != "text" && o.output != "json" {
		return o, usageError("--output %q: use text or json", o.output)
	}
	deployed := o.stack != "" || o.Table != "" || o.service != ""
	switch {
	case o.function != "" && deployed:
		return o, usageError("replay: give either --function NAME (with proposed settings) or a deployed breaker (--stack, or --table and --service), not both")
	case o.function == "" && !deployed:
		return o, usageError("replay needs --function NAME (the downstream, with proposed settings as flags) or a deployed breaker (--stack PATH, or --table NAME and --service NAME)")
	case deployed:
		for _, f := range proposalFlags {
			if o.given[f] {
				return o, usageError("--%s proposes a setting and applies with --function only: a deployed breaker's alarms are read from CloudWatch and its open durations from its alarm handler", f)
			}
		}
		if o.stack == "" && (o.Table == "" || o.service == "") {
			return o, usageError("replay of a deployed breaker without --stack needs both --table and --service (the breaker's tableName output and serviceName)")
		}
		return o, nil
	}
	if !o.given["datapoints-to-alarm"] {
		o.datapoint = o.evaluation // as CloudWatch does: unset, it is the evaluation periods
	}
	if !o.given["slow-datapoints-to-alarm"] {
		o.slowDatapoint = o.slowEvaluation
	}
	switch o.mode {
	case "count":
		for _, f := range []string{"error-rate", "minimum-invocations"} {
			if o.given[f] {
				return o, usageError("--%s applies with --mode rate only; add --mode rate or drop --%s", f, f)
			}
		}
	case "rate":
		for _, f := range []string{"threshold", "comparison"} {
			if o.given[f] {
				return o, usageError("--%s does not apply with --mode rate (the alarm compares the error percentage with --error-rate); drop --%s", f, f)
			}
		}
		if !o.given["error-rate"] || o.errorRate <= 0 || o.errorRate > 100 {
			return o, usageError("--mode rate needs --error-rate PCT, above 0 and at most 100 (got %g)", o.errorRate)
		}
		if o.minimum < 1 {
			return o, usageError("--minimum-invocations %d: a period needs at least 1 invocation for its rate to count", o.minimum)
		}
	default:
		return o, usageError("--mode %q: use count or rate", o.mode)
	}
	slowGiven := false
	for _, f := range []string{"slow-percentile", "slow-minimum-invocations", "slow-period", "slow-evaluation-periods", "slow-datapoints-to-alarm", "slow-treat-missing-data"} {
		slowGiven = slowGiven || o.given[f]
	}
	if slowGiven && !o.given["slow-threshold-ms"] {
		return o, usageError("the slow-call flags need --slow-threshold-ms MS, the Duration above which a call is slow")
	}
	if o.given["slow-threshold-ms"] {
		if o.slowMs <= 0 {
			return o, usageError("--slow-threshold-ms %g: use a duration above 0 milliseconds", o.slowMs)
		}
		if p, ok := alarmeval.Percentile(o.slowPct); !ok || p <= 0 {
			return o, usageError("--slow-percentile %q: use p and a number above 0 and at most 100, e.g. p99 or p99.9", o.slowPct)
		}
		if o.slowMinimum < 1 {
			return o, usageError("--slow-minimum-invocations %d: a period needs at least 1 invocation for its percentile to count", o.slowMinimum)
		}
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"period", o.period}, {"slow-period", o.slowPeriod}} {
		if p.v < 60 || p.v%60 != 0 {
			return o, usageError("--%s %d: replay reads one-minute data, so give a multiple of 60 seconds", p.name, p.v)
		}
	}
	return o, nil
}

// replayPlan is what replay evaluates: the downstream, its alarms and the
// breaker's open-duration policy, and where each came from.
type replayPlan struct {
	Function, Qualifier string
	Service             string
	Alarms              []replayAlarm
	Policy              circuit.Policy
	// From says where the settings were read ("proposed", or the deployed
	// breaker's alarms and alarm handler).
	From string
	// Skipped are the deployed alarms replay does not evaluate, and why.
	Skipped []string
}

type replayAlarm struct {
	Name   string
	Source circuit.Source
	Kind   string // count, rate, slow calls, or the alarm's own metric
	Rule   alarmeval.Rule
	// ActionsEnabled false: its changes notify nobody and move no circuit.
	ActionsEnabled bool
}

func dimensions(function, qualifier string) map[string]string {
	d := map[string]string{"FunctionName": function}
	if qualifier != "" {
		d["Resource"] = function + ":" + qualifier
	}
	return d
}

// proposedPlan is the breaker --function and the flags describe.
func proposedPlan(o replayOptions) (replayPlan, error) {
	dims := dimensions(o.function, o.qualifier)
	down := alarmeval.Rule{Namespace: "AWS/Lambda", Dimensions: dims,
		ComparisonOperator: o.comparison, Threshold: o.threshold,
		EvaluationPeriods: o.evaluation, DatapointsToAlarm: o.datapoint, TreatMissingData: o.missing,
		Period: time.Duration(o.period) * time.Second, ConfiguredPeriodSeconds: o.period}
	kind := "count"
	if o.mode == "rate" {
		kind = "rate"
		down.ComparisonOperator = "GreaterThanThreshold"
		down.Threshold = o.errorRate
		down.Metrics = alarmeval.RateQueries(o.minimum)
	} else {
		down.MetricName, down.Statistic = "Errors", "Sum"
	}
	plan := replayPlan{Function: o.function, Qualifier: o.qualifier, Service: o.function, From: "proposed settings (defaults: circuit/defaults.go)",
		Alarms: []replayAlarm{{Name: "downstream", Source: circuit.SourceDownstream, Kind: kind, Rule: down, ActionsEnabled: true}},
		Policy: circuit.Policy{OpenDuration: time.Duration(o.openSeconds) * time.Second, MaxOpenDuration: time.Duration(o.maxOpenSeconds) * time.Second, BackoffMultiplier: o.backoff}}
	if o.given["slow-threshold-ms"] {
		plan.Alarms = append(plan.Alarms, replayAlarm{Name: "slow-calls", Source: circuit.SourceSlowCalls, Kind: "slow calls", ActionsEnabled: true, Rule: alarmeval.Rule{
			Namespace: "AWS/Lambda", Dimensions: dims, Metrics: alarmeval.SlowCallQueries(o.slowPct, o.slowMinimum),
			ComparisonOperator: "GreaterThanThreshold", Threshold: o.slowMs,
			EvaluationPeriods: o.slowEvaluation, DatapointsToAlarm: o.slowDatapoint, TreatMissingData: o.slowMissing,
			Period: time.Duration(o.slowPeriod) * time.Second, ConfiguredPeriodSeconds: o.slowPeriod}})
	}
	for _, a := range plan.Alarms {
		if err := a.Rule.Validate(); err != nil {
			return plan, usageError("the %s alarm: %v", a.Name, err)
		}
	}
	if err := plan.Policy.Validate(); err != nil {
		return plan, usageError("--open-duration-seconds, --max-open-duration-seconds, --open-backoff-multiplier: %v", err)
	}
	return plan, nil
}

// deployedPlan reads a deployed breaker: its alarm handler's configuration
// (the open-duration policy, the alarms' names), then its alarms.
func deployedPlan(ctx context.Context, o replayOptions, fns FunctionsAPI, cw MetricsAPI) (replayPlan, error) {
	var env map[string]string
	var handlerName string
	if o.stack != "" {
		s, err := readStack(o.stack, o.service)
		if err != nil {
			return replayPlan{}, err
		}
		if s.AlarmHandlerName == "" {
			return replayPlan{}, usageError("--stack: %s has no alarmHandlerName output; export it (`export const alarmHandlerName = breaker.alarmHandlerName`), or give --table and --service", o.stack)
		}
		handlerName = s.AlarmHandlerName
		out, err := fns.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(handlerName)})
		if err != nil {
			return replayPlan{}, fmt.Errorf("reading the alarm handler %s (lambda:GetFunctionConfiguration): %w", handlerName, err)
		}
		if out.Environment != nil {
			env = out.Environment.Variables
		}
	} else {
		p := lambda.NewListFunctionsPaginator(fns, &lambda.ListFunctionsInput{})
		for p.HasMorePages() && env == nil {
			page, err := p.NextPage(ctx)
			if err != nil {
				return replayPlan{}, fmt.Errorf("looking for the breaker's alarm handler (lambda:ListFunctions): %w", err)
			}
			for _, f := range page.Functions {
				if f.Environment == nil {
					continue
				}
				v := f.Environment.Variables
				// The reconciler has the same alarm settings, and its own
				// variables besides: the alarm handler is the one without.
				if v[alarmhandler.EnvTableName] == o.Table && v[alarmhandler.EnvServiceName] == o.service && v[alarmhandler.EnvDownstreamAlarmName] != "" &&
					v[rcconfig.EnvAlarmHandlerName] == "" {
					env, handlerName = v, aws.ToString(f.FunctionName)
					break
				}
			}
		}
		if env == nil {
			return replayPlan{}, &exitError{code: ExitCircuitNotFound, msg: fmt.Sprintf(
				"no alarm handler in this account and region serves table %s and service %s: check --table, --service, --region (or replay with --function and proposed settings)", o.Table, o.service)}
		}
	}
	cfg, err := alarmhandler.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		return replayPlan{}, fmt.Errorf("the alarm handler %s's configuration: %w", handlerName, err)
	}
	names := []string{cfg.DownstreamAlarmName, cfg.HealthcheckAlarmName}
	if cfg.SlowCallAlarmName != "" {
		names = append(names, cfg.SlowCallAlarmName)
	}
	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
	if err != nil {
		return replayPlan{}, fmt.Errorf("reading the breaker's alarms (cloudwatch:DescribeAlarms): %w", err)
	}
	plan := replayPlan{Service: cfg.ServiceName, Policy: cfg.Policy, From: "the deployed breaker: alarms from DescribeAlarms, open durations from alarm handler " + handlerName}
	found := map[string]bool{}
	for _, a := range out.MetricAlarms {
		name := aws.ToString(a.AlarmName)
		found[name] = true
		var src circuit.Source
		switch name {
		case cfg.DownstreamAlarmName:
			src = circuit.SourceDownstream
		case cfg.SlowCallAlarmName:
			src = circuit.SourceSlowCalls
		case cfg.HealthcheckAlarmName:
			plan.Skipped = append(plan.Skipped, name+" (the healthcheck alarm: its hold depends on the healthcheck's own runs, not replayed)")
			continue
		default:
			continue
		}
		r, kind, err := ruleOf(a)
		if err != nil {
			return replayPlan{}, fmt.Errorf("alarm %s: %w", name, err)
		}
		fn, q := r.Dimensions["FunctionName"], ""
		if res := r.Dimensions["Resource"]; strings.HasPrefix(res, fn+":") {
			q = strings.TrimPrefix(res, fn+":")
		}
		if plan.Function == "" {
			plan.Function, plan.Qualifier = fn, q
		}
		plan.Alarms = append(plan.Alarms, replayAlarm{Name: name, Source: src, Kind: kind, Rule: r, ActionsEnabled: a.ActionsEnabled == nil || *a.ActionsEnabled})
	}
	for _, n := range names {
		if !found[n] {
			return replayPlan{}, &exitError{code: ExitCircuitNotFound, msg: fmt.Sprintf("alarm %s (named by the alarm handler's configuration) not found: deleted, or another account or region?", n)}
		}
	}
	sort.Slice(plan.Alarms, func(i, j int) bool { return plan.Alarms[i].Source < plan.Alarms[j].Source })
	return plan, nil
}

// ruleOf reads a deployed metric alarm as a rule: a single metric's
// statistic, or its metric queries (Period, namespace and dimensions from
// the metric queries, which the component writes alike).
func ruleOf(a cwtypes.MetricAlarm) (alarmeval.Rule, string, error) {
	r := alarmeval.Rule{
		ComparisonOperator: string(a.ComparisonOperator),
		Threshold:          aws.ToFloat64(a.Threshold),
		EvaluationPeriods:  int(aws.ToInt32(a.EvaluationPeriods)),
		TreatMissingData:   aws.ToString(a.TreatMissingData),
	}
	r.DatapointsToAlarm = int(aws.ToInt32(a.DatapointsToAlarm))
	if r.DatapointsToAlarm == 0 {
		r.DatapointsToAlarm = r.EvaluationPeriods
	}
	if r.TreatMissingData == "" {
		r.TreatMissingData = "missing" // CloudWatch's default
	}
	dimsOf := func(ds []cwtypes.Dimension) map[string]string {
		m := map[string]string{}
		for _, d := range ds {
			m[aws.ToString(d.Name)] = aws.ToString(d.Value)
		}
		return m
	}
	period := int(aws.ToInt32(a.Period))
	kind := ""
	if len(a.Metrics) == 0 {
		r.Namespace, r.MetricName, r.Dimensions = aws.ToString(a.Namespace), aws.ToString(a.MetricName), dimsOf(a.Dimensions)
		r.Statistic = string(a.Statistic)
		if a.ExtendedStatistic != nil {
			r.Statistic = *a.ExtendedStatistic
		}
		kind = "count"
		if r.MetricName != "Errors" || r.Statistic != "Sum" {
			kind = r.MetricName + " " + r.Statistic
		}
	}
	returning, expressions := 0, 0
	for _, q := range a.Metrics {
		rq := alarmeval.Query{ID: aws.ToString(q.Id), Expression: aws.ToString(q.Expression), ReturnData: aws.ToBool(q.ReturnData)}
		if rq.ReturnData {
			returning++
		}
		if rq.Expression != "" {
			expressions++
		}
		if ms := q.MetricStat; ms != nil && ms.Metric != nil {
			rq.MetricName, rq.Stat = aws.ToString(ms.Metric.MetricName), aws.ToString(ms.Stat)
			r.Namespace, r.Dimensions = aws.ToString(ms.Metric.Namespace), dimsOf(ms.Metric.Dimensions)
			period = int(aws.ToInt32(ms.Period))
			if rq.MetricName == "Duration" {
				kind = "slow calls"
			}
		}
		r.Metrics = append(r.Metrics, rq)
	}
	// An alarm's one expression is what it watches even where ReturnData
	// was left out of the answer.
	if returning == 0 && expressions == 1 {
		for i := range r.Metrics {
			r.Metrics[i].ReturnData = r.Metrics[i].Expression != ""
		}
	}
	if len(a.Metrics) > 0 && kind == "" {
		kind = "rate"
	}
	r.Period, r.ConfiguredPeriodSeconds = time.Duration(period)*time.Second, period
	if r.Dimensions["FunctionName"] == "" || r.Namespace != "AWS/Lambda" {
		return r, kind, fmt.Errorf("watches %s %v, not a Lambda function's metrics: not replayed", r.Namespace, r.Dimensions)
	}
	if period < 60 || period%60 != 0 {
		return r, kind, fmt.Errorf("period %d s: replay reads one-minute data, so only multiples of 60 s are replayed", period)
	}
	return r, kind, r.Validate()
}

// window is the replayed span: from (a multiple of every alarm's period since
// the Unix epoch, as CloudWatch aligns periods) to until.
func replayWindow(o replayOptions, now time.Time, periods []time.Duration) (from, until time.Time, err error) {
	parse := func(flag, v string, base time.Time) (time.Time, error) {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t.UTC(), nil
		}
		d, err := parseAgo(v)
		if err != nil {
			return time.Time{}, usageError("--%s %q: give an RFC 3339 time (2026-12-01T00:00:00Z) or a duration such as 72h or 14d", flag, v)
		}
		return base.Add(-d), nil
	}
	until = now.UTC()
	if o.until != "" {
		if until, err = parse("until", o.until, now.UTC()); err != nil {
			return
		}
	}
	if from, err = parse("since", o.since, until); err != nil {
		return
	}
	step := trafficPeriod
	for _, p := range periods {
		step = lcm(step, p)
	}
	until = until.Truncate(step)
	from = from.Truncate(step)
	if from.Before(now.Add(-MaxReplayWindow)) {
		from = from.Add(step)
	}
	switch {
	case !until.After(from):
		err = usageError("--since %s is not before --until %s (after aligning both to %v)", from.Format(time.RFC3339), until.Format(time.RFC3339), step)
	case from.Before(now.Add(-MaxReplayWindow - step)):
		err = usageError("--since %s is more than 15 days ago: CloudWatch keeps one-minute data for 15 days; give --since 15d or later", from.Format(time.RFC3339))
	}
	return
}

func lcm(a, b time.Duration) time.Duration {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

// parseAgo is a Go duration, or N followed by d for days.
func parseAgo(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("bad days %q", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err == nil && d <= 0 {
		err = fmt.Errorf("not positive")
	}
	return d, err
}

// metricKey is one metric statistic at one period, fetched once however many
// alarms read it.
type metricKey struct {
	metric, stat string
	period       time.Duration
}

// fetch reads every metric statistic the alarms and the traffic need with
// GetMetricData, page by page (NextToken), and returns each one's values by
// period start. The response's shape (one MetricDataResult per query Id, its
// Timestamps and Values in step, a period without data absent) is
// GetMetricData's (CloudWatch API Reference, GetMetricData and
// MetricDataResult); replay_test.go ties it to a recorded response.
func fetch(ctx context.Context, cw MetricsAPI, dims map[string]string, keys []metricKey, from, until time.Time) (map[metricKey]alarmeval.Values, int, error) {
	var dimensions []cwtypes.Dimension
	names := make([]string, 0, len(dims))
	for k := range dims {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		dimensions = append(dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(dims[k])})
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(from), EndTime: aws.Time(until), ScanBy: cwtypes.ScanByTimestampAscending}
	byID := map[string]metricKey{}
	out := map[metricKey]alarmeval.Values{}
	for i, k := range keys {
		id := fmt.Sprintf("q%d", i) // an Id starts with a lower-case letter
		byID[id] = k
		out[k] = alarmeval.Values{}
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id:         aws.String(id),
			ReturnData: aws.Bool(true),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(k.metric), Dimensions: dimensions},
				Period: aws.Int32(int32(k.period / time.Second)),
				Stat:   aws.String(k.stat),
			},
		})
	}
	calls := 0
	p := cloudwatch.NewGetMetricDataPaginator(cw, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, calls, fmt.Errorf("reading metrics (cloudwatch:GetMetricData): %w", err)
		}
		calls++
		for _, r := range page.MetricDataResults {
			k, ok := byID[aws.ToString(r.Id)]
			if !ok {
				continue
			}
			if len(r.Timestamps) != len(r.Values) {
				return nil, calls, fmt.Errorf("GetMetricData returned %d timestamps and %d values for %s %s", len(r.Timestamps), len(r.Values), k.metric, k.stat)
			}
			if r.StatusCode == cwtypes.StatusCodeForbidden || r.StatusCode == cwtypes.StatusCodeInternalError {
				return nil, calls, fmt.Errorf("GetMetricData answered %s for %s %s", r.StatusCode, k.metric, k.stat)
			}
			for i, t := range r.Timestamps {
				out[k][t.UTC()] = r.Values[i]
			}
		}
	}
	return out, calls, nil
}
