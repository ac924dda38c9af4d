package component

import (
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// Shadow mode (enforce: false; docs/shadow-mode.md). What depends on the
// input: the state machine's definition (statemachine.Config.Shadow), its
// role's policy (shadowStatements), the dashboard's would-reject widget, and
// a warning at preview when a fallback is configured. Nothing else: the
// controller, the alarms, the handlers and the table are the same in both
// modes, so switching is an update of those few resources only.

// shadowStatements are what shadow mode adds to the state machine's policy:
// publishing the WouldRejects metric. PutMetricData takes no resource ARN
// (Resource "*"); the cloudwatch:namespace condition key scopes it to the
// breaker's namespace (Service Authorization Reference, Amazon CloudWatch:
// PutMetricData, condition key cloudwatch:namespace). Enforcing mode grants
// nothing of it.
func shadowStatements(s Settings) []Statement {
	if s.Enforce {
		return nil
	}
	return []Statement{ShadowMetricStatement()}
}

// ShadowMetricStatement lets the state machine publish would-rejects.
func ShadowMetricStatement() Statement {
	return Statement{
		Sid:       "CountWouldRejects",
		Effect:    "Allow",
		Action:    []string{"cloudwatch:PutMetricData"},
		Resource:  []string{"*"},
		Condition: map[string]map[string]any{"StringEquals": {"cloudwatch:namespace": circuit.MetricNamespace}},
	}
}

// warnShadowFallback says at preview that shadow mode does not use the
// fallback the program configures (it stays deployed and granted, so that
// enforcing again is the same small update).
func (g *graph) warnShadowFallback() {
	if g.s.Enforce || !g.s.HasFallback {
		return
	}
	_ = g.ctx.Log.Warn("enforce is false (shadow mode): fallbackFunction is not invoked; calls the breaker would reject invoke the downstream instead "+
		"(docs/shadow-mode.md)", nil)
}

// shadowWidgets graph the would-rejects in shadow mode: per minute, beside
// what enforcing mode would have done with them (the circuit's state).
func shadowWidgets(d DashboardSpec, graph func(title, stat string, metrics ...[]any) map[string]any) []widget {
	if !d.Shadow {
		return nil
	}
	svc := []any{circuit.MetricNamespace, circuit.WouldRejectsMetric, circuit.MetricDimension, d.ServiceName, map[string]any{"label": "would-rejects"}}
	return []widget{{Type: "metric", Width: 24, Height: 6, Properties: graph("Shadow mode: calls enforcing would have rejected (invoked)", "Sum", svc)}}
}
