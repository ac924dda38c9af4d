package component

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
)

// Settings are the inputs with every default applied and every rule checked: the
// only form the graph builders see, so that no builder re-checks or re-defaults.
type Settings struct {
	ServiceName              string
	DownstreamQualifier      string
	HealthcheckQualifier     string
	HealthcheckSchedule      string
	HealthcheckInput         string
	DownstreamMonitoring     Monitoring
	HealthcheckMonitoring    Monitoring
	SlowCalls                *SlowCallMonitoring // nil: no slow-call alarm
	WorkflowType             string
	DownstreamTimeoutSeconds int
	Retry                    statemachine.RetryPolicy
	FailureThreshold         int
	HalfOpenMaxCalls         int
	SuccessThreshold         int
	IgnoreErrors             []string
	FallbackQualifier        string
	HasFallback              bool
	FallbackTimeoutSeconds   int
	OpenDurationSeconds      int
	MaxOpenDurationSeconds   int
	OpenBackoffMultiplier    float64
	LogLevel                 string
	LogIncludeExecutionData  bool
	LogRetentionDays         int

	ControllerReservedConcurrency   int
	AlarmHandlerReservedConcurrency int

	OnStoreError string
	// Enforce: false is shadow mode (circuit.ModeShadow).
	Enforce bool
	// CircuitKey is the per-key circuits' JSONPath; "" for one circuit.
	CircuitKey string
	// ResultFailureWhen: downstreamFailureWhen; FailOnResultFailure:
	// failExecutionOnResultFailure.
	ResultFailureWhen   []circuit.ResultCondition
	FailOnResultFailure bool
	Events              EventSettings

	ReconcileSchedule string
	Dashboard         bool
	// HealthcheckUnhealthyThreshold: see Args.
	HealthcheckUnhealthyThreshold int

	// Every role's guardrails (iam.go); "" when unset.
	IAMPermissionsBoundary string
	IAMRolePath            string
}

// expressMaxSeconds is the longest an EXPRESS execution may run.
const expressMaxSeconds = 300

var (
	serviceNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	qualifierPattern   = regexp.MustCompile(`^(\$LATEST|[A-Za-z0-9_-]{1,128})$`)
	ratePattern        = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)
	cronPattern        = regexp.MustCompile(`^cron\(([^)]+)\)$`)

	comparisonOperators = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"}
	statistics          = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
	missingData         = []string{"missing", "ignore", "breaching", "notBreaching"}
	monitoringModes     = []string{MonitoringCount, MonitoringRate}
	storeErrorModes     = []string{StoreErrorFailOpen, StoreErrorFailClosed}
	workflowTypes       = []string{"EXPRESS", "STANDARD"}
	logLevels           = []string{"ALL", "ERROR", "FATAL", "OFF"}
	// The values CloudWatch Logs accepts for retentionInDays (0: never expire).
	retentionDays = []int{0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// Resolve applies defaults to args and checks them. Each error names the input
// and says how to fix it; all are reported together.
func Resolve(args Args) (Settings, error) { return resolve(args, nil) }

// resolve is Resolve with problems found elsewhere (the component's name)
// reported in the same list.
func resolve(args Args, p problems) (Settings, error) {
	s := Settings{
		ServiceName:              args.ServiceName,
		DownstreamQualifier:      deref(args.DownstreamQualifier, ""),
		HealthcheckQualifier:     deref(args.HealthcheckQualifier, ""),
		HealthcheckSchedule:      deref(args.HealthcheckSchedule, DefaultHealthcheckSchedule),
		HealthcheckInput:         deref(args.HealthcheckInput, DefaultHealthcheckInput),
		DownstreamMonitoring:     monitoring(args.DownstreamMonitoring, DefaultDownstreamMonitoring),
		HealthcheckMonitoring:    monitoring(args.HealthcheckMonitoring, DefaultHealthcheckMonitoring),
		WorkflowType:             deref(args.WorkflowType, DefaultWorkflowType),
		DownstreamTimeoutSeconds: deref(args.DownstreamTimeoutSeconds, DefaultDownstreamTimeoutSeconds),
		Retry:                    retry(args.DownstreamRetry),
		FailureThreshold:         deref(args.FailureThreshold, circuit.DefaultFailureThreshold),
		HalfOpenMaxCalls:         deref(args.HalfOpenMaxCalls, circuit.DefaultHalfOpenMaxCalls),
		SuccessThreshold:         deref(args.SuccessThreshold, circuit.DefaultSuccessThreshold),
		IgnoreErrors:             slices.Clone(args.IgnoreErrors),
		FallbackQualifier:        deref(args.FallbackQualifier, ""),
		HasFallback:              args.FallbackFunction != nil,
		FallbackTimeoutSeconds:   deref(args.FallbackTimeoutSeconds, DefaultFallbackTimeoutSeconds),
		CircuitKey:               deref(args.CircuitKey, ""),
		ResultFailureWhen:        resultConditions(args.DownstreamFailureWhen),
		FailOnResultFailure:      deref(args.FailExecutionOnResultFailure, false),
		OpenDurationSeconds:      deref(args.OpenDurationSeconds, circuit.DefaultOpenDurationSeconds),
		MaxOpenDurationSeconds:   deref(args.MaxOpenDurationSeconds, circuit.DefaultMaxOpenDurationSeconds),
		OpenBackoffMultiplier:    deref(args.OpenBackoffMultiplier, circuit.DefaultOpenBackoffMultiplier),
		LogLevel:                 deref(args.LogLevel, DefaultLogLevel),
		LogIncludeExecutionData:  deref(args.LogIncludeExecutionData, false),
		LogRetentionDays:         deref(args.LogRetentionDays, DefaultLogRetentionDays),

		ControllerReservedConcurrency:   deref(args.ControllerReservedConcurrency, DefaultControllerReservedConcurrency),
		AlarmHandlerReservedConcurrency: deref(args.AlarmHandlerReservedConcurrency, DefaultAlarmHandlerReservedConcurrency),

		OnStoreError: deref(args.OnStoreError, StoreErrorFailOpen),
		Enforce:      deref(args.Enforce, true),
		SlowCalls:    slowCalls(args.SlowCallMonitoring),

		ReconcileSchedule:             deref(args.ReconcileSchedule, DefaultReconcileSchedule),
		Dashboard:                     deref(args.Dashboard, false),
		HealthcheckUnhealthyThreshold: deref(args.HealthcheckUnhealthyThreshold, circuit.DefaultHealthcheckUnhealthyThreshold),

		IAMPermissionsBoundary: deref(args.IAMPermissionsBoundary, ""),
		IAMRolePath:            deref(args.IAMRolePath, ""),
	}

	if !serviceNamePattern.MatchString(s.ServiceName) {
		p.add("serviceName", "%q is not a valid circuit name; use 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit (e.g. \"payments\")", s.ServiceName)
	}
	if args.DownstreamFunction == nil {
		p.add("downstreamFunction", "is required; pass the aws.lambda.Function the breaker protects")
	}
	if args.HealthcheckFunction == nil {
		p.add("healthcheckFunction", "is required; pass an aws.lambda.Function that fails when the downstream is unhealthy")
	}
	checkQualifier(&p, "downstreamQualifier", s.DownstreamQualifier)
	checkQualifier(&p, "healthcheckQualifier", s.HealthcheckQualifier)
	checkQualifier(&p, "fallbackQualifier", s.FallbackQualifier)
	checkAliasInputs(&p, args)
	if s.FallbackQualifier != "" && args.FallbackFunction == nil {
		p.add("fallbackQualifier", "is set but fallbackFunction is not; pass the fallback function too, or drop the qualifier")
	}
	// The SDKs send the schema's default for an unset input, so only a value
	// other than the default says the user meant a fallback.
	if args.FallbackTimeoutSeconds != nil && *args.FallbackTimeoutSeconds != DefaultFallbackTimeoutSeconds && args.FallbackFunction == nil {
		p.add("fallbackTimeoutSeconds", "is set but fallbackFunction is not; pass the fallback function too, or drop the timeout")
	}
	if s.FallbackTimeoutSeconds < 1 || s.FallbackTimeoutSeconds > 900 {
		p.add("fallbackTimeoutSeconds", "is %d; use 1 to 900 seconds (Lambda's own limit)", s.FallbackTimeoutSeconds)
	}
	checkSchedule(&p, "healthcheckSchedule", s.HealthcheckSchedule)
	checkSchedule(&p, "reconcileSchedule", s.ReconcileSchedule)
	if !json.Valid([]byte(s.HealthcheckInput)) {
		p.add("healthcheckInput", "is not valid JSON; pass a JSON document such as \"{}\"")
	}
	if r := circuit.HealthcheckUnhealthyThresholdRange; !r.Contains(s.HealthcheckUnhealthyThreshold) {
		p.add("healthcheckUnhealthyThreshold", "is %d; use %s consecutive failed runs (1 opens on the first failed healthcheck)", s.HealthcheckUnhealthyThreshold, r)
	}
	checkMonitoring(&p, "downstreamMonitoring", s.DownstreamMonitoring)
	checkMonitoring(&p, "healthcheckMonitoring", s.HealthcheckMonitoring)
	checkMonitoringMode(&p, "downstreamMonitoring", args.DownstreamMonitoring, s.DownstreamMonitoring, true)
	checkMonitoringMode(&p, "healthcheckMonitoring", args.HealthcheckMonitoring, s.HealthcheckMonitoring, false)
	checkOneOf(&p, "workflowType", s.WorkflowType, workflowTypes)
	checkOneOf(&p, "onStoreError", s.OnStoreError, storeErrorModes)
	checkSlowCalls(&p, args.SlowCallMonitoring, s)
	checkRequestPath(&p, s)
	checkOpenDuration(&p, s)
	checkTripping(&p, s)
	checkOneOf(&p, "logLevel", s.LogLevel, logLevels)
	if s.LogLevel == "OFF" && s.LogIncludeExecutionData {
		p.add("logIncludeExecutionData", "is true while logLevel is OFF, so nothing would be logged; set logLevel to ALL, ERROR or FATAL, or drop logIncludeExecutionData")
	}
	if !slices.Contains(retentionDays, s.LogRetentionDays) {
		p.add("logRetentionDays", "%d is not a retention CloudWatch Logs accepts; use one of %s", s.LogRetentionDays, joinInts(retentionDays))
	}
	checkReservation(&p, "controllerReservedConcurrency", s.ControllerReservedConcurrency)
	checkReservation(&p, "alarmHandlerReservedConcurrency", s.AlarmHandlerReservedConcurrency)
	s.Events = resolveEvents(args, &p)
	checkIAMGuardrails(&p, s)
	if tags, known := knownTags(args.Tags); known {
		tagProblems(&p, tags)
	}
	if len(p) == 0 {
		// The definition's own rules, so that nothing the checks above let
		// through fails later, inside an apply, when the definition is built.
		if _, err := statemachine.WorstCaseOf(previewConfig(s)); err != nil {
			p.add("(request path)", "the state machine cannot be built from these inputs: %v", err)
		}
	}
	return s, p.err()
}

// maxReservation is Lambda's default concurrency quota per account and Region
// (1,000): more than that can never be reserved for one of our functions.
const maxReservation = 1000

// checkReservation: Lambda takes 0 as "throttle every invocation", so 0 here
// means "reserve none" and the graph omits the setting instead.
func checkReservation(p *problems, field string, n int) {
	if n < 0 || n > maxReservation {
		p.add(field, "is %d; reserve 1 to %d concurrent executions, or 0 to reserve none", n, maxReservation)
	}
}

// checkAliasInputs: an alias replaces its function's qualifier string, so the
// two together are ambiguous, and an alias needs its function.
func checkAliasInputs(p *problems, args Args) {
	for _, a := range []struct {
		field, qualifierField, functionField string
		alias, qualifier, function           bool
	}{
		{"downstreamAlias", "downstreamQualifier", "downstreamFunction", args.DownstreamAlias != nil, args.DownstreamQualifier != nil, args.DownstreamFunction != nil},
		{"healthcheckAlias", "healthcheckQualifier", "healthcheckFunction", args.HealthcheckAlias != nil, args.HealthcheckQualifier != nil, args.HealthcheckFunction != nil},
		{"fallbackAlias", "fallbackQualifier", "fallbackFunction", args.FallbackAlias != nil, args.FallbackQualifier != nil, args.FallbackFunction != nil},
	} {
		if !a.alias {
			continue
		}
		if a.qualifier {
			p.add(a.field, "is set together with %s; pass one of them: the alias (its name becomes the qualifier and the breaker depends on it) or the qualifier string", a.qualifierField)
		}
		if !a.function && a.field == "fallbackAlias" {
			p.add(a.field, "is set but %s is not; pass the fallback function too, or drop the alias", a.functionField)
		}
	}
}

func checkQualifier(p *problems, field, q string) {
	if q != "" && !qualifierPattern.MatchString(q) {
		p.add(field, "%q is neither a version number nor an alias name; use e.g. \"live\" or \"42\", or leave it unset for $LATEST", q)
	}
}

func checkSchedule(p *problems, field, expr string) {
	if m := ratePattern.FindStringSubmatch(expr); m != nil {
		n, err := strconv.Atoi(m[1])
		switch {
		case err != nil || n < 1:
			p.add(field, "%q: the rate must be a whole number of at least 1, e.g. \"rate(1 minute)\"", expr)
		case n == 1 && strings.HasSuffix(m[2], "s"):
			p.add(field, "%q: a rate of 1 takes the singular unit; write \"rate(1 %s)\"", expr, strings.TrimSuffix(m[2], "s"))
		case n > 1 && !strings.HasSuffix(m[2], "s"):
			p.add(field, "%q: a rate above 1 takes the plural unit; write \"rate(%d %ss)\"", expr, n, m[2])
		}
		return
	}
	if m := cronPattern.FindStringSubmatch(expr); m != nil {
		f := strings.Fields(m[1])
		if len(f) != 6 {
			p.add(field, "%q: a cron expression has six fields (minutes hours day-of-month month day-of-week year), e.g. \"cron(0/5 * * * ? *)\"", expr)
		} else if f[2] != "?" && f[4] != "?" {
			p.add(field, "%q: one of day-of-month and day-of-week must be '?', e.g. \"cron(0/5 * * * ? *)\"", expr)
		}
		return
	}
	if strings.HasPrefix(expr, "at(") {
		p.add(field, "%q is a one-time schedule, so it would run once; use \"rate(1 minute)\" or a cron(...) expression", expr)
		return
	}
	p.add(field, "%q is not a schedule expression; use \"rate(1 minute)\", \"rate(5 minutes)\" or \"cron(0/5 * * * ? *)\"", expr)
}

func checkMonitoring(p *problems, field string, m Monitoring) {
	checkOneOf(p, field+".comparisonOperator", m.ComparisonOperator, comparisonOperators)
	checkOneOf(p, field+".treatMissingData", m.TreatMissingData, missingData)
	if m.Mode != MonitoringRate {
		// A rate alarm has no metricName, statistic or threshold of its own
		// (checkMonitoringMode refuses them).
		checkOneOf(p, field+".statistic", m.Statistic, statistics)
		if m.MetricName == "" {
			p.add(field+".metricName", "is empty; name an AWS/Lambda metric such as \"Errors\"")
		}
	}
	checkPeriods(p, field, m.Period, m.EvaluationPeriods, m.DatapointsToAlarm)
	// Averages of Errors are rates in [0, 1]; every other statistic counts.
	if m.Mode == MonitoringRate {
		return
	}
	if m.Statistic == "Average" {
		if m.Threshold <= 0 {
			p.add(field+".threshold", "is %g; an Average threshold must be above 0", m.Threshold)
		}
	} else if m.Threshold < 1 {
		p.add(field+".threshold", "is %g, below 1, so the alarm would fire with no %s at all; use 1 or more", m.Threshold, m.MetricName)
	}
}

// checkMonitoringMode checks the mode and the fields that belong to one mode
// only: a field set for the other mode would be silently ignored otherwise.
// rateAllowed: only the downstream alarm has Invocations to divide by; a
// healthcheck runs on a schedule, so its errors are already a rate.
func checkMonitoringMode(p *problems, field string, in *MonitoringArgs, m Monitoring, rateAllowed bool) {
	if !slices.Contains(monitoringModes, m.Mode) {
		p.add(field+".mode", "%q is not one of %s", m.Mode, strings.Join(monitoringModes, ", "))
		return
	}
	if m.Mode == MonitoringRate && !rateAllowed {
		p.add(field+".mode", "is \"rate\", which only downstreamMonitoring takes (the healthcheck runs on a schedule, so its error count is already a rate); use \"count\" or drop mode")
		return
	}
	if in == nil {
		return
	}
	if m.Mode == MonitoringCount {
		for _, f := range []struct {
			name string
			set  bool
		}{{"errorRatePercent", in.ErrorRatePercent != nil}, {"minimumInvocations", in.MinimumInvocations != nil}} {
			if f.set {
				p.add(field+"."+f.name, "applies only with mode \"rate\"; set %s.mode to \"rate\", or drop %s", field, f.name)
			}
		}
		return
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"metricName", in.MetricName != nil}, {"statistic", in.Statistic != nil}, {"threshold", in.Threshold != nil}} {
		if f.set {
			p.add(field+"."+f.name, "does not apply with mode \"rate\" (the alarm divides the Sums of Errors and Invocations and compares the percentage with errorRatePercent); drop %s", f.name)
		}
	}
	switch {
	case in.ErrorRatePercent == nil:
		p.add(field+".errorRatePercent", "is required with mode \"rate\"; set the error percentage that opens the circuit, e.g. 50")
	case m.ErrorRatePercent <= 0 || m.ErrorRatePercent > 100:
		p.add(field+".errorRatePercent", "is %g; use a percentage above 0 and at most 100", m.ErrorRatePercent)
	}
	if m.MinimumInvocations < 1 {
		p.add(field+".minimumInvocations", "is %d; a period needs at least 1 invocation for its error rate to count", m.MinimumInvocations)
	}
	// Below the threshold would alarm on quiet, healthy periods, whose rate
	// is 0 by the expression's definition.
	if m.ComparisonOperator != "GreaterThanThreshold" && m.ComparisonOperator != "GreaterThanOrEqualToThreshold" {
		p.add(field+".comparisonOperator", "is %q; a rate alarm breaches above the percentage: use GreaterThanThreshold or GreaterThanOrEqualToThreshold", m.ComparisonOperator)
	}
}

// percentilePattern is the percentile statistic as the aws provider accepts
// it for extended_statistic (and a metric query's stat): `p`, then one or two
// digits with at most two decimals, or exactly 100. Terraform AWS provider,
// internal/service/cloudwatch/metric_alarm.go, extended_statistic's
// ValidateFunc:
// ^((p|(tm)|(wm)|(tc)|(ts))((\d{1,2}(\.\d{1,2})?)|(100))|...)$ (the trimmed
// means and the like are not percentiles and are not offered here).
// CloudWatch's own rule is a number above 0 and at most 100 with at most two
// decimals ("pNN.NN": CloudWatch User Guide, "Statistics definitions",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html),
// so p0 (which the pattern takes) is refused too, and p99.999, p100.0 and
// p050, which the pattern refuses, never reach the provider.
var percentilePattern = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,2})?|100)$`)

// CheckPercentile explains why a percentile statistic is refused, or returns
// "" (see percentilePattern).
func CheckPercentile(s string) string {
	v := percentilePattern.FindStringSubmatch(s)
	if v == nil {
		return fmt.Sprintf("%q is not a percentile statistic the aws provider accepts; use p and a number above 0 and at most 100 "+
			"with one or two digits before the point and at most two after it, or p100, e.g. \"p99\", \"p99.9\" or \"p99.99\"", s)
	}
	if f, err := strconv.ParseFloat(v[1], 64); err != nil || f <= 0 {
		return fmt.Sprintf("%q is not above p0; use e.g. \"p90\", \"p99\" or \"p99.9\"", s)
	}
	return ""
}

func slowCalls(in *SlowCallMonitoringArgs) *SlowCallMonitoring {
	if in == nil {
		return nil
	}
	d := DefaultSlowCallMonitoring
	m := SlowCallMonitoring{
		ThresholdMs:       deref(in.ThresholdMs, 0),
		Percentile:        deref(in.Percentile, d.Percentile),
		Period:            deref(in.Period, d.Period),
		EvaluationPeriods: deref(in.EvaluationPeriods, d.EvaluationPeriods),
		TreatMissingData:  deref(in.TreatMissingData, d.TreatMissingData),
		ActionsEnabled:    deref(in.ActionsEnabled, d.ActionsEnabled),

		MinimumInvocations: deref(in.MinimumInvocations, d.MinimumInvocations),
	}
	// As CloudWatch does: unset datapoints are the evaluation periods.
	m.DatapointsToAlarm = deref(in.DatapointsToAlarm, m.EvaluationPeriods)
	return &m
}

// checkSlowCalls checks the slow-call alarm against what CloudWatch accepts
// and against the request path: Step Functions stops waiting at
// downstreamTimeoutSeconds and counts a States.Timeout failure in line, so a
// threshold at or above it would alarm on calls already counted. The
// function's own timeout is an output: SlowCallThreshold checks it once known.
func checkSlowCalls(p *problems, in *SlowCallMonitoringArgs, s Settings) {
	m := s.SlowCalls
	if m == nil {
		return
	}
	const field = "slowCallMonitoring"
	if in.ThresholdMs == nil {
		p.add(field+".thresholdMs", "is required; set the Duration in milliseconds above which a call is slow, e.g. 1000")
	} else if m.ThresholdMs <= 0 {
		p.add(field+".thresholdMs", "is %g; use a duration above 0 milliseconds", m.ThresholdMs)
	} else if limit := float64(s.DownstreamTimeoutSeconds) * 1000; m.ThresholdMs >= limit {
		p.add(field+".thresholdMs", "is %g ms, not below downstreamTimeoutSeconds (%d s = %g ms), after which a call already fails with States.Timeout; lower thresholdMs or raise downstreamTimeoutSeconds",
			m.ThresholdMs, s.DownstreamTimeoutSeconds, limit)
	}
	if why := CheckPercentile(m.Percentile); why != "" {
		p.add(field+".percentile", "%s", why)
	}
	if m.MinimumInvocations < 1 {
		p.add(field+".minimumInvocations", "is %d; a period needs at least 1 invocation for its percentile to count (default %d)", m.MinimumInvocations, DefaultMinimumInvocations)
	}
	checkOneOf(p, field+".treatMissingData", m.TreatMissingData, missingData)
	checkPeriods(p, field, m.Period, m.EvaluationPeriods, m.DatapointsToAlarm)
}

// SlowCallThreshold refuses a slow-call threshold the downstream can never
// exceed: Lambda stops a function at its timeout, so no Duration it reports
// is longer. timeoutSeconds is the function's configured timeout, nil when
// unset (Lambda's default, 3 s:
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
func SlowCallThreshold(thresholdMs float64, timeoutSeconds *int) error {
	timeout := 3
	if timeoutSeconds != nil {
		timeout = *timeoutSeconds
	}
	if thresholdMs < float64(timeout)*1000 {
		return nil
	}
	var p problems
	p.add("slowCallMonitoring.thresholdMs", "is %g ms, not below downstreamFunction's timeout (%d s), so no call can ever be that slow and the alarm would never fire; lower thresholdMs below %d ms or raise the function's timeout",
		thresholdMs, timeout, timeout*1000)
	return p.err()
}

// checkPeriods: what CloudWatch requires of an alarm on Lambda's metrics.
func checkPeriods(p *problems, field string, period, evaluationPeriods, datapoints int) {
	if evaluationPeriods < 1 {
		p.add(field+".evaluationPeriods", "is %d; evaluate at least 1 period", evaluationPeriods)
	}
	if datapoints < 1 || datapoints > evaluationPeriods {
		p.add(field+".datapointsToAlarm", "is %d; it must be between 1 and evaluationPeriods (%d)", datapoints, evaluationPeriods)
	}
	if period < 60 || period%60 != 0 {
		p.add(field+".period", "is %d seconds; Lambda metrics have one-minute resolution, so use a multiple of 60 (e.g. 60 or 300)", period)
	} else if evaluationPeriods >= 1 && period*evaluationPeriods > 86400 {
		p.add(field+".period", "%d s x evaluationPeriods %d exceeds one day, which CloudWatch refuses; shorten the period or evaluate fewer periods", period, evaluationPeriods)
	}
}

// checkRequestPath checks the downstream Task's timeout and retries, and that an
// EXPRESS execution outlives its longest path: otherwise Step Functions would
// kill it mid-retry and the caller would see a timeout instead of the
// downstream's error, with the circuit's bookkeeping left undone.
func checkRequestPath(p *problems, s Settings) {
	if s.CircuitKey != "" && !statemachine.ValidCircuitKeyPath(s.CircuitKey) {
		p.add("circuitKey", "%q is not a JSONPath to a field of the execution input; use $.field or $.field.subfield (letters, digits, '_'), e.g. \"$.provider\"", s.CircuitKey)
	}
	r := s.Retry
	if s.DownstreamTimeoutSeconds < 1 || s.DownstreamTimeoutSeconds > 900 {
		p.add("downstreamTimeoutSeconds", "is %d; use 1 to 900 seconds (Lambda's own limit)", s.DownstreamTimeoutSeconds)
	}
	if r.MaxAttempts < 0 || r.MaxAttempts > 10 {
		p.add("downstreamRetry.maxAttempts", "is %d; use 0 (no retry) to 10", r.MaxAttempts)
	}
	if r.IntervalSeconds < 1 {
		p.add("downstreamRetry.intervalSeconds", "is %d; use at least 1", r.IntervalSeconds)
	}
	if r.BackoffRate < 1 {
		p.add("downstreamRetry.backoffRate", "is %g; use 1 (constant interval) or more", r.BackoffRate)
	}
	if r.MaxDelaySeconds < 0 || (r.MaxDelaySeconds > 0 && r.MaxDelaySeconds < r.IntervalSeconds) {
		p.add("downstreamRetry.maxDelaySeconds", "is %d; leave it unset or make it at least intervalSeconds (%d)", r.MaxDelaySeconds, r.IntervalSeconds)
	}
	for i, e := range r.Errors {
		switch {
		case strings.TrimSpace(e) == "":
			p.add(fmt.Sprintf("downstreamRetry.errors[%d]", i), "is empty; name an error such as \"Lambda.TooManyRequestsException\"")
		case e == "States.ALL" && len(r.Errors) > 1:
			p.add(fmt.Sprintf("downstreamRetry.errors[%d]", i), "is States.ALL, which Step Functions accepts only alone; list States.ALL by itself, or name the errors")
		}
	}
	if s.WorkflowType != "EXPRESS" {
		return
	}
	// The definition's own worst case (statemachine.WorstCaseOf): the read, the
	// controller's and the writes' attempts and the fallback count with the
	// downstream's. Settings the definition refuses have been reported above or
	// by the other checks, so there is nothing to measure then.
	worst, err := statemachine.WorstCaseOf(previewConfig(s))
	if err != nil || worst.Seconds() <= expressMaxSeconds {
		return
	}
	path := worst.Path()
	steps := make([]string, len(path))
	field, fix := "fallbackTimeoutSeconds", "lower fallbackTimeoutSeconds"
	for i, st := range path {
		steps[i] = fmt.Sprintf("%s %s s", st.State, ftoa(st.Seconds))
		if statemachine.InvokesDownstream(st.State) {
			field, fix = "downstreamTimeoutSeconds", "lower downstreamTimeoutSeconds or downstreamRetry (maxAttempts, intervalSeconds, backoffRate, maxDelaySeconds)"
		}
	}
	p.add(field, "an EXPRESS execution may run %d s with these settings, more than the %d s Step Functions allows it (its longest path, every attempt timing out and every retry waited: %s); %s, or set workflowType to STANDARD",
		worst.Seconds(), expressMaxSeconds, strings.Join(steps, ", "), fix)
}

func checkOpenDuration(p *problems, s Settings) {
	if s.OpenDurationSeconds < 1 {
		p.add("openDurationSeconds", "is %d; a circuit must stay open at least 1 second", s.OpenDurationSeconds)
	}
	if s.MaxOpenDurationSeconds < s.OpenDurationSeconds {
		p.add("maxOpenDurationSeconds", "(%d) is below openDurationSeconds (%d); raise it or lower openDurationSeconds", s.MaxOpenDurationSeconds, s.OpenDurationSeconds)
	}
	if s.OpenBackoffMultiplier < 1 {
		p.add("openBackoffMultiplier", "is %g; use 1 (no back-off) or more", s.OpenBackoffMultiplier)
	}
}

// resultConditions are downstreamFailureWhen as the circuit's conditions.
func resultConditions(in []ResultConditionArgs) []circuit.ResultCondition {
	var out []circuit.ResultCondition
	for _, c := range in {
		out = append(out, circuit.ResultCondition{Path: c.Path, Op: circuit.ResultOp(c.Operator), Number: c.NumberValue, String: c.StringValue})
	}
	return out
}

// checkResultConditions refuses a condition the definition could not render,
// naming its field: downstreamFailureWhen[1].path.
func checkResultConditions(p *problems, s Settings) {
	if n := len(s.ResultFailureWhen); n > circuit.MaxResultConditions {
		p.add("downstreamFailureWhen", "has %d conditions; use at most %d (any one met counts the result as a failure)", n, circuit.MaxResultConditions)
	}
	for i, c := range s.ResultFailureWhen {
		for _, pr := range c.Problems() {
			p.add(fmt.Sprintf("downstreamFailureWhen[%d].%s", i, pr.Field), "%s", pr.Message)
		}
	}
	if s.FailOnResultFailure && len(s.ResultFailureWhen) == 0 {
		p.add("failExecutionOnResultFailure", "is set without downstreamFailureWhen, so no result can fail: add conditions or remove it")
	}
}

// checkTripping checks the in-line breaker's counts, as gobreaker and
// resilience4j would refuse them.
func checkTripping(p *problems, s Settings) {
	if r := circuit.FailureThresholdRange; !r.Contains(s.FailureThreshold) {
		p.add("failureThreshold", "is %d; use %s consecutive failures", s.FailureThreshold, r)
	}
	if r := circuit.HalfOpenMaxCallsRange; !r.Contains(s.HalfOpenMaxCalls) {
		p.add("halfOpenMaxCalls", "is %d; admit %s probes", s.HalfOpenMaxCalls, r)
	}
	if !circuit.SuccessThresholdRange(s.HalfOpenMaxCalls).Contains(s.SuccessThreshold) {
		p.add("successThreshold", "is %d; it must be between 1 and halfOpenMaxCalls (%d), or the circuit could never close", s.SuccessThreshold, s.HalfOpenMaxCalls)
	}
	checkResultConditions(p, s)
	for i, e := range s.IgnoreErrors {
		field := fmt.Sprintf("ignoreErrors[%d]", i)
		switch {
		case strings.TrimSpace(e) == "":
			p.add(field, "is empty; name an error such as \"ValidationError\"")
		case slices.Contains(s.IgnoreErrors[:i], e):
			p.add(field, "%q is listed twice; list each error once", e)
		case strings.HasPrefix(e, "States."):
			p.add(field, "is %q; ignoring Step Functions' own errors (timeouts, task failures) would hide outages from the breaker; name the downstream's own error types instead", e)
		}
	}
}

func checkOneOf(p *problems, field, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		p.add(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func monitoring(in *MonitoringArgs, d Monitoring) Monitoring {
	if in == nil {
		return d
	}
	return Monitoring{
		ComparisonOperator: deref(in.ComparisonOperator, d.ComparisonOperator),
		EvaluationPeriods:  deref(in.EvaluationPeriods, d.EvaluationPeriods),
		DatapointsToAlarm:  datapoints(in, d),
		MetricName:         deref(in.MetricName, d.MetricName),
		Period:             deref(in.Period, d.Period),
		Statistic:          deref(in.Statistic, d.Statistic),
		Threshold:          deref(in.Threshold, d.Threshold),
		TreatMissingData:   deref(in.TreatMissingData, d.TreatMissingData),
		ActionsEnabled:     deref(in.ActionsEnabled, d.ActionsEnabled),
		Mode:               deref(in.Mode, d.Mode),
		ErrorRatePercent:   deref(in.ErrorRatePercent, d.ErrorRatePercent),
		MinimumInvocations: deref(in.MinimumInvocations, d.MinimumInvocations),
	}
}

// datapoints defaults to the evaluation periods the user chose, as CloudWatch
// does, rather than to the default alarm's datapoints.
func datapoints(in *MonitoringArgs, d Monitoring) int {
	if in.DatapointsToAlarm != nil {
		return *in.DatapointsToAlarm
	}
	if in.EvaluationPeriods != nil {
		return *in.EvaluationPeriods
	}
	return d.DatapointsToAlarm
}

func retry(in *RetryArgs) statemachine.RetryPolicy {
	if in == nil {
		in = &RetryArgs{}
	}
	errs := in.Errors
	if len(errs) == 0 {
		errs = DefaultRetry.Errors
	}
	return statemachine.RetryPolicy{
		MaxAttempts:     deref(in.MaxAttempts, DefaultRetry.MaxAttempts),
		IntervalSeconds: deref(in.IntervalSeconds, DefaultRetry.IntervalSeconds),
		BackoffRate:     deref(in.BackoffRate, DefaultRetry.BackoffRate),
		MaxDelaySeconds: deref(in.MaxDelaySeconds, 0),
		Errors:          slices.Clone(errs),
	}
}

func deref[T any](p *T, d T) T {
	if p == nil {
		return d
	}
	return *p
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
