package component

import (
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
)

// Defaults of every optional input. The downstream alarm keeps the original
// module's thresholds (Sum > 1 in 3 of 3 minutes); the healthcheck alarm trips on
// the first failed check, as the original did.
//
// The circuit's own (thresholds, open durations, the healthcheck's unhealthy
// threshold) and their ranges are declared once, in circuit/defaults.go.
const (
	DefaultHealthcheckSchedule      = "rate(1 minute)"
	DefaultHealthcheckInput         = "{}"
	DefaultWorkflowType             = "EXPRESS"
	DefaultDownstreamTimeoutSeconds = 30
	DefaultLogLevel                 = "ERROR"
	DefaultLogRetentionDays         = 14
	// Reconciliation heals a lost alarm notification within this period; each
	// run is one Lambda invocation (8,640 a month at 5 minutes).
	DefaultReconcileSchedule = "rate(5 minutes)"

	// A handful of executions is enough for the rare transitions the
	// controller makes and for two alarms' notifications, and small enough to
	// fit the 100 unreserved executions Lambda keeps back in most accounts.
	DefaultControllerReservedConcurrency   = 10
	DefaultAlarmHandlerReservedConcurrency = 2
)

// onStoreError values. Failing open is the default: Powertools' circuit
// breaker and the original module make the same choice.
const (
	StoreErrorFailOpen   = "failOpen"
	StoreErrorFailClosed = "failClosed"
)

// DefaultFallbackTimeoutSeconds: a fallback answers in place of the downstream
// from a cache or a default, so it should be quick; its attempts count against
// an EXPRESS execution's 300 s like every other Task's.
const DefaultFallbackTimeoutSeconds = 10

// Monitoring is an alarm's settings with every default applied.
type Monitoring struct {
	ComparisonOperator string
	EvaluationPeriods  int
	DatapointsToAlarm  int
	MetricName         string
	Period             int
	Statistic          string
	Threshold          float64
	TreatMissingData   string
	ActionsEnabled     bool

	// Mode is MonitoringCount or MonitoringRate; the two fields below only
	// apply to MonitoringRate.
	Mode               string
	ErrorRatePercent   float64
	MinimumInvocations int
}

// Monitoring modes.
const (
	MonitoringCount = "count"
	MonitoringRate  = "rate"
)

// DefaultMinimumInvocations is circuit.DefaultMinimumInvocations.
const DefaultMinimumInvocations = circuit.DefaultMinimumInvocations

// DefaultDownstreamMonitoring is the original module's downstream alarm.
var DefaultDownstreamMonitoring = Monitoring{
	ComparisonOperator: circuit.DefaultDownstreamAlarmComparison,
	EvaluationPeriods:  circuit.DefaultDownstreamEvaluationPeriods,
	DatapointsToAlarm:  circuit.DefaultDownstreamDatapointsToAlarm,
	MetricName:         "Errors",
	Period:             circuit.DefaultAlarmPeriodSeconds,
	Statistic:          "Sum",
	Threshold:          circuit.DefaultDownstreamAlarmThreshold,
	TreatMissingData:   circuit.DefaultAlarmTreatMissingData,
	ActionsEnabled:     true,
	Mode:               MonitoringCount,
	MinimumInvocations: DefaultMinimumInvocations,
}

// DefaultHealthcheckMonitoring alarms on the first failed healthcheck. Missing
// data is not breaching, so a healthcheck that stops running releases its hold.
var DefaultHealthcheckMonitoring = Monitoring{
	ComparisonOperator: "GreaterThanOrEqualToThreshold",
	EvaluationPeriods:  1,
	DatapointsToAlarm:  1,
	MetricName:         "Errors",
	Period:             60,
	Statistic:          "Sum",
	Threshold:          1,
	TreatMissingData:   "notBreaching",
	ActionsEnabled:     true,
	Mode:               MonitoringCount,
	MinimumInvocations: DefaultMinimumInvocations,
}

// SlowCallMonitoring is the slow-call alarm's settings with every default
// applied.
type SlowCallMonitoring struct {
	ThresholdMs       float64
	Percentile        string
	Period            int
	EvaluationPeriods int
	DatapointsToAlarm int
	TreatMissingData  string
	ActionsEnabled    bool
	// MinimumInvocations: calls a period needs before its percentile counts.
	MinimumInvocations int
}

// DefaultSlowCallMonitoring: the p99 of three one-minute periods, all three
// breaching, like the error alarm's 3 of 3, each with at least as many calls
// as a rate alarm's period needs (a p99 of fewer than ten calls is their
// maximum: one slow call is the whole statistic). ThresholdMs has no default.
var DefaultSlowCallMonitoring = SlowCallMonitoring{
	Percentile:         circuit.DefaultSlowCallPercentile,
	Period:             circuit.DefaultAlarmPeriodSeconds,
	EvaluationPeriods:  circuit.DefaultSlowCallEvaluationPeriods,
	DatapointsToAlarm:  circuit.DefaultSlowCallDatapointsToAlarm,
	TreatMissingData:   circuit.DefaultAlarmTreatMissingData,
	ActionsEnabled:     true,
	MinimumInvocations: DefaultMinimumInvocations,
}

// DefaultRetry is the request path's own default: Lambda's transient service
// errors only (see statemachine.TransientLambdaErrors for why).
var DefaultRetry = statemachine.DefaultRetry()

// iamRolePath and iamPermissionsBoundary have no default: unset, the roles
// get IAM's own (the path "/", no boundary). Their lengths are IAM's
// (IAM API Reference, CreateRole: Path is a pathType of 1 to 512
// characters, PermissionsBoundary an arnType of 20 to 2048); the Terraform
// AWS provider checks the path's length only (aws_iam_role.path:
// StringLenBetween(0, 512)). docs/security.md lists the sources.
var (
	IAMRolePathLength  = circuit.Range{Min: 1, Max: 512}
	IAMPolicyArnLength = circuit.Range{Min: 20, Max: 2048}
)
