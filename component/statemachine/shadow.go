package statemachine

import "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"

// Shadow mode (Config.Shadow, circuit.Rejection, docs/shadow-mode.md): every
// state the request path rejects from goes, through reject, to
// StateCountWouldReject instead of its Fail state or the fallback. Every other
// state is the enforcing definition's, so the item's history is the one
// enforcing mode would have had.
const (
	// StateCountWouldReject publishes one would-reject (circuit.WouldRejectsMetric)
	// with PutMetricData, through the AWS SDK integration.
	StateCountWouldReject = circuit.StepCountWouldReject
	// StateInvokeWouldReject invokes the downstream for a call enforcing mode
	// would have rejected, counting nothing of its outcome.
	StateInvokeWouldReject = circuit.StepInvokeWouldReject
)

// wouldReject emits shadow mode's rejection: count, then invoke uncounted.
//
// The count is a PutMetricData call made by the state machine itself, on this
// path only (the healthy path gains nothing), rather than a metric filter on
// the execution logs like FastFails: a would-reject execution succeeds or
// fails with the downstream's own error, and at the default log level (ERROR)
// nothing of a successful execution is logged. The metric is CircuitState's
// namespace and dimension. A failed count (throttled, denied) is lost, never
// the call: its Catch goes on to the invocation.
func (b *builder) wouldReject() {
	b.states[StateCountWouldReject] = &state{
		Type:    "Task",
		Comment: "Shadow mode: enforcing mode would reject this call. Count it (" + circuit.WouldRejectsMetric + "), then invoke the downstream without counting its outcome.",
		// "arn:aws:states:::aws-sdk:<service>:<apiAction>", the action in
		// camelCase, the parameters PascalCase as in the API reference
		// (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html;
		// PutMetricData: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).
		Resource: b.arn("aws-sdk:cloudwatch", "putMetricData"),
		Parameters: map[string]any{
			"Namespace": circuit.MetricNamespace,
			"MetricData": []any{map[string]any{
				"MetricName": circuit.WouldRejectsMetric,
				"Dimensions": []any{map[string]any{"Name": circuit.MetricDimension, "Value": b.cfg.ServiceName}},
				"Value":      1,
				"Unit":       "Count",
			}},
		},
		TimeoutSeconds: dynamoTimeoutSeconds,
		ResultPath:     discard,
		Catch:          catchAll(StateInvokeWouldReject),
		Next:           StateInvokeWouldReject,
	}
	inv := end(b.invoke(b.cfg.DownstreamArn))
	inv.Comment = "Shadow mode: the call enforcing mode would have rejected, invoked; its outcome is counted nowhere (the circuit's history stays enforcing mode's)."
	inv.Catch = []catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: path(pathFailure), Next: StateDownstreamFailed}}
	b.states[StateInvokeWouldReject] = inv
}

// storeUnavailable is where a store error goes when failing closed: the
// CircuitUnavailable Fail state, or in shadow mode a would-reject (the call
// is invoked, as failing open would, but counted as enforcing mode's
// rejection).
func (b *builder) storeUnavailable() string {
	if b.cfg.Shadow {
		return b.reject(StateRejectCircuitUnavailable)
	}
	b.rejectCircuitUnavailable()
	return StateRejectCircuitUnavailable
}
