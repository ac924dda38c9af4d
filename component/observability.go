package component

import (
	"encoding/json"
	"strings"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// What operators see: fast fails and probes counted from the executions' own
// logs (nothing is added to any execution), the CircuitState metric the alarm
// handler publishes (functions/alarmhandler/handler/metric.go), and an optional
// dashboard of both beside AWS's own Lambda and Step Functions metrics.

// ExecutionMetricsNamespace is where this breaker's fast fails and probes are
// counted. A metric filter's dimensions take their values from fields of the
// matched log event only (CloudWatch Logs User Guide, "Publishing dimensions
// with metrics from values in JSON or space-delimited log events";
// aws.cloudwatch.LogMetricFilter metricTransformation.dimensions: "Map of
// fields to use as dimensions"), and no field of an execution's log event
// names the breaker, so the breaker is in the namespace instead.
//
// A metric filter's namespace may not hold ':', '*' or '$' (CloudWatch Logs
// API Reference, MetricTransformation.metricNamespace: pattern [^:*$]*, at
// most 255 characters; the Terraform AWS provider refuses the same:
// aws_cloudwatch_log_metric_filter metric_transformation.namespace in
// dev/fakes/standinaws/reference/terraform-aws.json), and a serviceName may
// hold ':'. Each ':' becomes '/', which a serviceName cannot hold, so two
// breakers' namespaces never meet ("a:b" is CircuitBreaker/a/b, "a_b" stays
// CircuitBreaker/a_b), and a name without ':' keeps the namespace it had.
func ExecutionMetricsNamespace(serviceName string) string {
	return circuit.MetricNamespace + "/" + strings.ReplaceAll(serviceName, ":", "/")
}

// Metric names counted from the execution logs.
const (
	FastFailsMetric = "FastFails"
	ProbesMetric    = "Probes"
	// ResultFailuresMetric counts results that met downstreamFailureWhen
	// (docs/result-failures.md): Lambda's Errors metric does not.
	ResultFailuresMetric = "ResultFailures"
)

// FastFailPattern matches an execution that failed fast: its ExecutionFailed
// event with the error CircuitOpen. Step Functions logs execution history
// events as JSON objects with "type" (the history event type) and "details"
// (for ExecutionFailed: "error" and "cause"); ExecutionFailed is logged at
// levels ALL, ERROR and FATAL, nothing at OFF (Step Functions Developer Guide,
// "Log levels" and "Using CloudWatch Logs to log execution history"; the event
// type and its details: Step Functions API Reference, HistoryEvent,
// ExecutionFailedEventDetails). With a fallback, open-circuit calls succeed
// through it and are not counted here.
func FastFailPattern() string {
	return `{ $.type = "ExecutionFailed" && $.details.error = "` + statemachine.ErrorCircuitOpen + `" }`
}

// ProbePattern matches a probe: entering the state that invokes the
// downstream for a half-open circuit. State-entered events are logged at level
// ALL only, so the breaker counts probes only then.
func ProbePattern() string {
	return `{ $.type = "TaskStateEntered" && $.details.name = "` + statemachine.StateInvokeProbe + `" }`
}

// ResultFailurePattern matches a result that met downstreamFailureWhen, from
// the executions' own logs, so that nothing is added to any execution: with
// failExecutionOnResultFailure, its ExecutionFailed event (levels ALL, ERROR
// and FATAL); otherwise entering the Pass state that records it, a
// state-entered event, logged at level ALL only. "" when the level logs
// neither.
func ResultFailurePattern(logLevel string, failsExecution bool) string {
	switch {
	case failsExecution:
		return `{ $.type = "ExecutionFailed" && $.details.error = "` + statemachine.ErrorDownstreamResultFailure + `" }`
	case logLevel == "ALL":
		return `{ $.type = "PassStateEntered" && ($.details.name = "` + statemachine.StateDownstreamResultFailed +
			`" || $.details.name = "` + statemachine.StateProbeResultFailed + `") }`
	}
	return ""
}

// executionMetrics creates the metric filters on the state machine's log group
// (nil when logLevel is OFF: there is nothing to count).
func (g *graph) executionMetrics(logs *cloudwatch.LogGroup) ([]*cloudwatch.LogMetricFilter, error) {
	if logs == nil {
		return nil, nil
	}
	filters := []struct{ suffix, metric, pattern string }{{"fast-fails", FastFailsMetric, FastFailPattern()}}
	if g.s.LogLevel == "ALL" {
		filters = append(filters, struct{ suffix, metric, pattern string }{"probes", ProbesMetric, ProbePattern()})
	}
	if resultFailuresCounted(g.s) {
		filters = append(filters, struct{ suffix, metric, pattern string }{"result-failures", ResultFailuresMetric, ResultFailurePattern(g.s.LogLevel, g.s.FailOnResultFailure)})
	}
	var out []*cloudwatch.LogMetricFilter
	for _, f := range filters {
		mf, err := cloudwatch.NewLogMetricFilter(g.ctx, g.child(f.suffix), &cloudwatch.LogMetricFilterArgs{
			LogGroupName: logs.Name,
			Pattern:      pulumi.String(f.pattern),
			MetricTransformation: cloudwatch.LogMetricFilterMetricTransformationArgs{
				Namespace: pulumi.String(ExecutionMetricsNamespace(g.s.ServiceName)),
				Name:      pulumi.String(f.metric),
				Value:     pulumi.String("1"),
				Unit:      pulumi.String("Count"),
			},
		}, g.parent)
		if err != nil {
			return nil, err
		}
		out = append(out, mf)
	}
	return out, nil
}

// DashboardSpec is what a breaker's dashboard shows.
type DashboardSpec struct {
	Region, ServiceName, StateMachineArn string
	// The downstream as the alarms watch it: FunctionName, and Resource =
	// "name:qualifier" when a qualifier is set (alarmDimensions).
	DownstreamFunction, DownstreamQualifier string
	LogLevel                                string
	// Shadow adds the would-rejects (enforce: false).
	Shadow bool
	// ResultFailures: results that met downstreamFailureWhen are counted
	// (resultFailuresCounted), graphed beside the downstream's errors.
	ResultFailures bool
}

// widget is one CloudWatch dashboard widget (CloudWatch API Reference,
// "Dashboard Body Structure and Syntax": type, x, y, width, height,
// properties; a metric widget's properties.metrics is a list of
// [Namespace, MetricName, DimensionName, DimensionValue, ..., {options}]).
type widget struct {
	Type       string         `json:"type"`
	X          int            `json:"x"`
	Y          int            `json:"y"`
	Width      int            `json:"width"`
	Height     int            `json:"height"`
	Properties map[string]any `json:"properties"`
}

// DashboardBody is the dashboard's JSON body.
func DashboardBody(d DashboardSpec) string {
	down := []any{"FunctionName", d.DownstreamFunction}
	if d.DownstreamQualifier != "" {
		down = append(down, "Resource", d.DownstreamFunction+":"+d.DownstreamQualifier)
	}
	metric := func(ns, name string, dims []any, opts map[string]any) []any {
		m := append([]any{ns, name}, dims...)
		if opts != nil {
			m = append(m, opts)
		}
		return m
	}
	graph := func(title, stat string, metrics ...[]any) map[string]any {
		return map[string]any{"title": title, "view": "timeSeries", "region": d.Region, "stat": stat, "period": 60, "metrics": metrics}
	}
	sm := []any{"StateMachineArn", d.StateMachineArn}
	svc := []any{circuit.MetricDimension, d.ServiceName}
	execNS := ExecutionMetricsNamespace(d.ServiceName)

	state := graph("Circuit state (0 closed, 1 half-open, 2 open)", "Maximum",
		metric(circuit.MetricNamespace, circuit.MetricName, svc, map[string]any{"label": d.ServiceName}))
	state["yAxis"] = map[string]any{"left": map[string]any{"min": 0, "max": circuit.MetricOpen}}
	widgets := []widget{
		{Type: "metric", Width: 12, Height: 6, Properties: state},
		{Type: "metric", Width: 12, Height: 6, Properties: graph("Executions by outcome", "Sum",
			metric("AWS/States", "ExecutionsSucceeded", sm, nil),
			metric("AWS/States", "ExecutionsFailed", sm, nil),
			metric("AWS/States", "ExecutionsTimedOut", sm, nil),
			metric("AWS/States", "ExecutionsAborted", sm, nil))},
		{Type: "metric", Width: 12, Height: 6, Properties: graph("Downstream errors", "Sum", downstreamErrors(d, metric(execNS, ResultFailuresMetric, nil, nil),
			metric("AWS/Lambda", "Errors", down, nil),
			metric("AWS/Lambda", "Invocations", down, nil))...)},
		{Type: "metric", Width: 12, Height: 6, Properties: graph("Downstream duration (ms)", "p99",
			metric("AWS/Lambda", "Duration", down, map[string]any{"stat": "p99"}),
			metric("AWS/Lambda", "Duration", down, map[string]any{"stat": "Average"}))},
	}
	switch d.LogLevel {
	case "OFF":
		widgets = append(widgets, widget{Type: "text", Width: 24, Height: 2, Properties: map[string]any{
			"markdown": "Fast fails and probes are counted from the state machine's execution logs, which are off (logLevel OFF).",
		}})
	default:
		counted := []([]any){metric(execNS, FastFailsMetric, nil, nil)}
		title := "Fast fails"
		if d.LogLevel == "ALL" {
			counted = append(counted, metric(execNS, ProbesMetric, nil, nil))
			title = "Fast fails and probes"
		}
		widgets = append(widgets, widget{Type: "metric", Width: 24, Height: 6, Properties: graph(title, "Sum", counted...)})
	}
	widgets = append(widgets, shadowWidgets(d, graph)...)
	// Two widgets a row, in order.
	x, y := 0, 0
	for i := range widgets {
		if x+widgets[i].Width > 24 {
			x, y = 0, y+6
		}
		widgets[i].X, widgets[i].Y = x, y
		x += widgets[i].Width
	}
	b, err := json.Marshal(map[string]any{"widgets": widgets})
	if err != nil {
		panic(err) // strings, numbers and maps only
	}
	return string(b)
}

// downstreamErrors are the downstream errors widget's metrics: Lambda's, and
// the results that met downstreamFailureWhen when they are counted (Lambda's
// Errors does not see them).
func downstreamErrors(d DashboardSpec, results []any, lambda ...[]any) [][]any {
	if d.ResultFailures {
		return append(lambda, results)
	}
	return lambda
}

// resultFailuresCounted: a ResultFailures metric filter exists.
func resultFailuresCounted(s Settings) bool {
	return len(s.ResultFailureWhen) > 0 && s.LogLevel != "OFF" && ResultFailurePattern(s.LogLevel, s.FailOnResultFailure) != ""
}

// dashboard creates the optional dashboard, named after the topic, whose
// auto-name is unique in the account and Region (as the alarms are).
func (g *graph) dashboard(topic alarmTopic, sm *sfn.StateMachine) (*cloudwatch.Dashboard, error) {
	if !g.s.Dashboard {
		return nil, nil
	}
	s := g.s
	if s.LogLevel == "OFF" {
		// Not an error: the rest of the dashboard is useful. But say it at
		// preview, where the choice is made.
		_ = g.ctx.Log.Warn("dashboard: logLevel is OFF, so the state machine logs nothing and fast fails and probes are not counted; "+
			"set logLevel to ERROR (fast fails) or ALL (fast fails and probes) to see them", nil)
	}
	body := pulumi.All(sm.Arn, g.args.DownstreamFunction.Name, g.downQ.name).ApplyT(func(v []any) string {
		arn := v[0].(string)
		_, region, _ := arnParts(arn)
		q := ""
		if g.downQ.set {
			q = v[2].(string)
		}
		return DashboardBody(DashboardSpec{Region: region, ServiceName: s.ServiceName, StateMachineArn: arn,
			DownstreamFunction: v[1].(string), DownstreamQualifier: q, LogLevel: s.LogLevel,
			Shadow: !s.Enforce, ResultFailures: resultFailuresCounted(s)})
	}).(pulumi.StringOutput)
	return cloudwatch.NewDashboard(g.ctx, g.child("dashboard"), &cloudwatch.DashboardArgs{
		DashboardName: pulumi.Sprintf("%s-dashboard", topic.topic.Name),
		DashboardBody: body,
	}, g.parent)
}
