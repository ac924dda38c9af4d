package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// Args are the CircuitBreaker's inputs. Values that decide the shape of the
// resource graph or that must be validated at preview are plain (known while
// previewing); references to the user's resources are resource inputs.
//
// Defaults are declared once, in defaults.go (the circuit's own in
// circuit/defaults.go), and applied by withDefaults; the
// schema advertises the same values through Annotate.
type Args struct {
	ServiceName string `pulumi:"serviceName"`

	DownstreamFunction   *lambda.Function `pulumi:"downstreamFunction" provider:"type=aws@v6.83.4:lambda/function:Function"`
	DownstreamQualifier  *string          `pulumi:"downstreamQualifier,optional"`
	HealthcheckFunction  *lambda.Function `pulumi:"healthcheckFunction" provider:"type=aws@v6.83.4:lambda/function:Function"`
	HealthcheckQualifier *string          `pulumi:"healthcheckQualifier,optional"`
	// The aliases themselves, instead of their names as qualifiers, so that
	// the breaker depends on them.
	DownstreamAlias     *lambda.Alias `pulumi:"downstreamAlias,optional" provider:"type=aws@v6.83.4:lambda/alias:Alias"`
	HealthcheckAlias    *lambda.Alias `pulumi:"healthcheckAlias,optional" provider:"type=aws@v6.83.4:lambda/alias:Alias"`
	HealthcheckSchedule *string       `pulumi:"healthcheckSchedule,optional"`
	HealthcheckInput    *string       `pulumi:"healthcheckInput,optional"`
	// HealthcheckUnhealthyThreshold: consecutive failed scheduled runs that
	// open the circuit directly (the healthcheck runner's verdicts).
	HealthcheckUnhealthyThreshold *int `pulumi:"healthcheckUnhealthyThreshold,optional"`

	DownstreamMonitoring  *MonitoringArgs `pulumi:"downstreamMonitoring,optional"`
	HealthcheckMonitoring *MonitoringArgs `pulumi:"healthcheckMonitoring,optional"`
	// SlowCallMonitoring adds a third alarm, on the downstream's Duration; nil:
	// none.
	SlowCallMonitoring *SlowCallMonitoringArgs `pulumi:"slowCallMonitoring,optional"`

	// An Output, not *dynamodb.Table: another breaker's `table` output reaches
	// Construct as an output value, which only an Output field takes.
	Table dynamodb.TableOutput `pulumi:"table,optional" provider:"type=aws@v6.83.4:dynamodb/table:Table"`

	WorkflowType             *string    `pulumi:"workflowType,optional"`
	DownstreamTimeoutSeconds *int       `pulumi:"downstreamTimeoutSeconds,optional"`
	DownstreamRetry          *RetryArgs `pulumi:"downstreamRetry,optional"`

	FailureThreshold  *int             `pulumi:"failureThreshold,optional"`
	HalfOpenMaxCalls  *int             `pulumi:"halfOpenMaxCalls,optional"`
	SuccessThreshold  *int             `pulumi:"successThreshold,optional"`
	IgnoreErrors      []string         `pulumi:"ignoreErrors,optional"`
	FallbackFunction  *lambda.Function `pulumi:"fallbackFunction,optional" provider:"type=aws@v6.83.4:lambda/function:Function"`
	FallbackQualifier *string          `pulumi:"fallbackQualifier,optional"`
	FallbackAlias     *lambda.Alias    `pulumi:"fallbackAlias,optional" provider:"type=aws@v6.83.4:lambda/alias:Alias"`
	// FallbackTimeoutSeconds bounds each attempt of the fallback.
	FallbackTimeoutSeconds *int `pulumi:"fallbackTimeoutSeconds,optional"`
	// CircuitKey keys one circuit per value of this JSONPath into the
	// execution input (docs/per-key.md).
	CircuitKey *string `pulumi:"circuitKey,optional"`
	// DownstreamFailureWhen: conditions on the downstream's successful result
	// that count it as a failure (docs/result-failures.md).
	DownstreamFailureWhen        []ResultConditionArgs `pulumi:"downstreamFailureWhen,optional"`
	FailExecutionOnResultFailure *bool                 `pulumi:"failExecutionOnResultFailure,optional"`

	OpenDurationSeconds    *int     `pulumi:"openDurationSeconds,optional"`
	MaxOpenDurationSeconds *int     `pulumi:"maxOpenDurationSeconds,optional"`
	OpenBackoffMultiplier  *float64 `pulumi:"openBackoffMultiplier,optional"`

	LogLevel                *string `pulumi:"logLevel,optional"`
	LogIncludeExecutionData *bool   `pulumi:"logIncludeExecutionData,optional"`
	LogRetentionDays        *int    `pulumi:"logRetentionDays,optional"`

	ControllerReservedConcurrency   *int `pulumi:"controllerReservedConcurrency,optional"`
	AlarmHandlerReservedConcurrency *int `pulumi:"alarmHandlerReservedConcurrency,optional"`

	OnStoreError *string `pulumi:"onStoreError,optional"`
	// Enforce false runs the breaker in shadow mode (docs/shadow-mode.md).
	Enforce *bool       `pulumi:"enforce,optional"`
	Events  *EventsArgs `pulumi:"events,optional"`

	ReconcileSchedule *string `pulumi:"reconcileSchedule,optional"`
	Dashboard         *bool   `pulumi:"dashboard,optional"`

	Tags pulumi.StringMapInput `pulumi:"tags,optional"`

	// The organisation's IAM guardrails, on every role the breaker creates
	// (iam.go).
	IAMPermissionsBoundary *string `pulumi:"iamPermissionsBoundary,optional"`
	IAMRolePath            *string `pulumi:"iamRolePath,optional"`
}

// Annotate documents every input; the text lands in schema.yaml and every SDK.
func (a *Args) Annotate(an infer.Annotator) {
	an.Describe(&a.ServiceName, "The circuit's name and its key in the circuit-state table. "+
		"Breakers that share a table must use different names. 1-128 characters: letters, digits, '.', '_', ':' and '-'.")
	an.Describe(&a.DownstreamFunction, "The Lambda function the breaker protects (the expensive call). "+
		"The state machine invokes it with the execution's input and returns its result.")
	an.Describe(&a.DownstreamQualifier, "Alias or version of the downstream function to invoke and monitor, e.g. `live` or `42`. "+
		"Unset: the unqualified function ($LATEST).")
	an.Describe(&a.HealthcheckFunction, "The Lambda function that checks the downstream's health. "+
		"It must fail (throw) when the downstream is unhealthy; its errors alarm and hold the circuit open.")
	an.Describe(&a.HealthcheckQualifier, "Alias or version of the healthcheck function. Unset: the unqualified function.")
	an.Describe(&a.DownstreamAlias, "An aws.lambda.Alias of downstreamFunction to invoke and monitor instead of a qualifier string: "+
		"its name becomes the qualifier and the breaker depends on the alias. Not with downstreamQualifier.")
	an.Describe(&a.HealthcheckAlias, "An aws.lambda.Alias of healthcheckFunction to schedule and monitor instead of a qualifier string. Not with healthcheckQualifier.")
	an.Describe(&a.FallbackAlias, "An aws.lambda.Alias of fallbackFunction to invoke instead of a qualifier string. Not with fallbackQualifier.")
	an.Describe(&a.HealthcheckSchedule, "EventBridge Scheduler expression that runs the healthcheck: `rate(N minute|minutes|hour|hours|day|days)` or `cron(...)` with six fields.")
	an.SetDefault(&a.HealthcheckSchedule, DefaultHealthcheckSchedule)
	an.Describe(&a.HealthcheckInput, "JSON document passed to the healthcheck function on each scheduled run.")
	an.SetDefault(&a.HealthcheckInput, DefaultHealthcheckInput)
	an.Describe(&a.HealthcheckUnhealthyThreshold, "Consecutive failed healthcheck runs that open the circuit and hold it open. Each scheduled run "+
		"goes through the breaker's healthcheck runner, which invokes the healthcheck synchronously and applies its verdict to the circuit at once: "+
		"the circuit opens on the run that reaches this count and closes on the first successful run after it, within one schedule interval, "+
		"instead of waiting for the healthcheck alarm (its periods plus CloudWatch's metric delay). The alarm still notifies the topic and acts "+
		"as the backup for runs no verdict reported. 1 to 100.")
	an.SetDefault(&a.HealthcheckUnhealthyThreshold, circuit.DefaultHealthcheckUnhealthyThreshold)
	an.Describe(&a.DownstreamMonitoring, "CloudWatch alarm on the downstream function's metric. Defaults: Errors, Sum > 1 in 3 of 3 one-minute periods. "+
		"An unset datapointsToAlarm becomes evaluationPeriods (the one set here, else the default 3), as in CloudWatch.")
	an.Describe(&a.HealthcheckMonitoring, "CloudWatch alarm on the healthcheck function's metric. Defaults: Errors, Sum >= 1 in 1 of 1 one-minute period.")
	an.Describe(&a.SlowCallMonitoring, "A CloudWatch alarm on the downstream function's Duration percentile: calls slower than thresholdMs "+
		"count against the downstream like errors do, and the alarm's ALARM opens the circuit (it closes again through half-open probes). "+
		"Unset: no slow-call alarm. It adds one standard-resolution alarm, on two metrics (Duration and Invocations: minimumInvocations).")
	an.Describe(&a.Table, "An existing circuit-state table to use instead of creating one; many breakers may share it "+
		"(e.g. another breaker's `table` output). It must have the partition key `serviceName` (type S) and no sort key. "+
		"Billing mode, point-in-time recovery and encryption are yours to choose; a customer managed KMS key's policy must let IAM policies grant its use.")
	an.Describe(&a.WorkflowType, "Step Functions workflow type: `EXPRESS` (synchronous, for request/response callers) or `STANDARD`.")
	an.SetDefault(&a.WorkflowType, DefaultWorkflowType)
	an.Describe(&a.DownstreamTimeoutSeconds, "Seconds one downstream invocation may take before it counts as a failure (States.Timeout).")
	an.SetDefault(&a.DownstreamTimeoutSeconds, DefaultDownstreamTimeoutSeconds)
	an.Describe(&a.DownstreamRetry, "Retry policy of the downstream invocation. By default only Lambda's transient service errors are retried, never the function's own errors.")
	an.Describe(&a.FailureThreshold, "Consecutive downstream failures (after retries; timeouts count) that open the circuit in line, without waiting for an alarm.")
	an.SetDefault(&a.FailureThreshold, circuit.DefaultFailureThreshold)
	an.Describe(&a.HalfOpenMaxCalls, "Probe calls admitted after the open duration has elapsed; every other caller keeps failing fast until the probes report.")
	an.SetDefault(&a.HalfOpenMaxCalls, circuit.DefaultHalfOpenMaxCalls)
	an.Describe(&a.SuccessThreshold, "Probe successes that close the circuit (at most halfOpenMaxCalls). Any probe failure opens it again, for longer.")
	an.SetDefault(&a.SuccessThreshold, circuit.DefaultSuccessThreshold)
	an.Describe(&a.IgnoreErrors, "Downstream error names that count neither as failures nor as successes, e.g. a business `ValidationError`; the execution still fails with them.")
	an.Describe(&a.FallbackFunction, "A Lambda function invoked with the caller's input instead of failing fast while the circuit is open; its result becomes the execution's output.")
	an.Describe(&a.FallbackQualifier, "Alias or version of the fallback function. Unset: the unqualified function.")
	an.Describe(&a.FallbackTimeoutSeconds, "Seconds one fallback invocation may take (1 to 900); it is retried twice on Lambda's transient errors. "+
		"With EXPRESS, the fallback's worst case counts against the execution's 300 s like every other step. Only with fallbackFunction.")
	an.SetDefault(&a.FallbackTimeoutSeconds, DefaultFallbackTimeoutSeconds)
	an.Describe(&a.CircuitKey, "Per-key circuits: a JSONPath into the execution input, e.g. `$.provider`, whose value (a non-empty string without '#') keys a circuit of its own, "+
		"with its own in-line trips, open duration and probes, so that one failing key does not open the circuit for the others. "+
		"Alarms, the healthcheck and overrides of the breaker's own circuit act on every key; `circuitctl open 'SERVICE#KEY'` forces one key. "+
		"An input without a valid key fails with InvalidCircuitKey and invokes nothing. Unset: one circuit for the breaker. See docs/per-key.md.")
	an.Describe(&a.DownstreamFailureWhen, "Conditions on the downstream's successful result that make it count as a failure, like a thrown error: "+
		"for the in-line trip (failureThreshold) and for half-open probes. Any one met is enough. The caller still gets the result, unless "+
		"failExecutionOnResultFailure. Lambda's Errors metric, and so the breaker's alarms, do not see such results; see docs/result-failures.md "+
		"for a metric and an alarm on them. At most 10. Unset: every result is a success.")
	an.Describe(&a.FailExecutionOnResultFailure, "With downstreamFailureWhen: a result that meets a condition fails the execution with the error "+
		"`DownstreamResultFailure` instead of being returned (it is counted either way).")
	an.SetDefault(&a.FailExecutionOnResultFailure, false)
	an.Describe(&a.OpenDurationSeconds, "How long an opened circuit fails fast before it admits probes.")
	an.SetDefault(&a.OpenDurationSeconds, circuit.DefaultOpenDurationSeconds)
	an.Describe(&a.MaxOpenDurationSeconds, "Upper bound of the open duration when it backs off on repeated openings.")
	an.SetDefault(&a.MaxOpenDurationSeconds, circuit.DefaultMaxOpenDurationSeconds)
	an.Describe(&a.OpenBackoffMultiplier, "Factor applied to the open duration on each consecutive opening without a close; 1 disables back-off.")
	an.SetDefault(&a.OpenBackoffMultiplier, circuit.DefaultOpenBackoffMultiplier)
	an.Describe(&a.LogLevel, "State machine execution log level: `ALL`, `ERROR`, `FATAL` or `OFF`.")
	an.SetDefault(&a.LogLevel, DefaultLogLevel)
	an.Describe(&a.LogIncludeExecutionData, "Whether execution logs include inputs and outputs. Off by default: payloads may hold personal data and logging them multiplies log ingestion cost.")
	an.SetDefault(&a.LogIncludeExecutionData, false)
	an.Describe(&a.LogRetentionDays, "Retention of the breaker's log groups, in days (a value CloudWatch Logs accepts, e.g. 1, 7, 14, 30, 90, 365).")
	an.SetDefault(&a.LogRetentionDays, DefaultLogRetentionDays)
	an.Describe(&a.ControllerReservedConcurrency, "Concurrent executions reserved for the controller Lambda, so that a downstream outage that "+
		"uses up the account's concurrency cannot keep the breaker from tripping and electing probes. 0 reserves none (the controller then shares the "+
		"account's unreserved pool). Lambda refuses a reservation that would leave the account fewer than 100 unreserved executions; accounts whose "+
		"concurrency quota is still at the new-account level must use 0 or raise the quota.")
	an.SetDefault(&a.ControllerReservedConcurrency, DefaultControllerReservedConcurrency)
	an.Describe(&a.AlarmHandlerReservedConcurrency, "Concurrent executions reserved for the alarm-handler Lambda (two alarms notify it), so that alarm "+
		"notifications are applied during an outage that uses up the account's concurrency. 0 reserves none. The same account rule as for "+
		"controllerReservedConcurrency applies.")
	an.SetDefault(&a.AlarmHandlerReservedConcurrency, DefaultAlarmHandlerReservedConcurrency)
	an.Describe(&a.OnStoreError, "What a call does when the circuit's item cannot be read (DynamoDB unreachable, throttled through the read's retry, "+
		"access denied, table missing): `failOpen` invokes the downstream as if the circuit were closed, so that an outage of the breaker's store "+
		"is not an outage of the service; `failClosed` fails the execution at once with the error `CircuitUnavailable` and invokes nothing, "+
		"not even fallbackFunction, for a downstream that must never be called unguarded.")
	an.SetDefault(&a.OnStoreError, StoreErrorFailOpen)
	an.Describe(&a.Enforce, "Whether the breaker enforces its decisions. `false` is shadow mode, for rolling a breaker out without blocking anyone: "+
		"everything is evaluated and recorded as when enforcing (failure counts, trips, open durations, probe elections, transition events, the CircuitState metric), "+
		"but a call the breaker would have rejected is invoked, its outcome is not counted, and it is counted in the WouldRejects metric "+
		"(namespace CircuitBreaker, dimension ServiceName: one PutMetricData per would-reject). fallbackFunction is not used in shadow mode; "+
		"with onStoreError failClosed, a store error invokes and counts a would-reject. Switching it updates the state machine, its role's policy "+
		"and the dashboard. See docs/shadow-mode.md.")
	an.SetDefault(&a.Enforce, true)
	an.Describe(&a.Events, "Transition events on EventBridge (docs/events.md). On by default when the breaker creates its table.")

	an.Describe(&a.ReconcileSchedule, "EventBridge Scheduler expression on which the alarm handler reconciles the circuit with both alarms' current "+
		"state (CloudWatch DescribeAlarms) and replays its dead-letter queue, so that a lost or dead-lettered alarm notification is healed within one "+
		"period. Same syntax as healthcheckSchedule. Each run also publishes the CircuitState metric.")
	an.SetDefault(&a.ReconcileSchedule, DefaultReconcileSchedule)
	an.Describe(&a.Dashboard, "Whether to create a CloudWatch dashboard for this breaker (circuit state, downstream errors and duration, "+
		"executions by outcome, fast fails, probes). Off by default: beyond the account's 3 free dashboards each costs USD 3 a month.")
	an.SetDefault(&a.Dashboard, false)
	an.Describe(&a.Tags, "Tags applied to every child resource that takes tags. AWS's rules apply and are checked at preview: at most 50 tags "+
		"(with the aws provider's defaultTags), keys of 1 to 128 and values of 0 to 256 characters, letters, numbers, spaces and + - = . _ : / @, "+
		"and no aws: prefix on a key or a value.")
	an.Describe(&a.IAMPermissionsBoundary, "ARN of a managed policy set as the permissions boundary of every IAM role the breaker creates "+
		"(`arn:<partition>:iam::<account ID or aws>:policy/<path><name>`), for organisations that require one on every role. "+
		"The boundary must allow what the breaker's roles are granted (docs/security.md lists it), or the breaker fails at run time. "+
		"Unset: no boundary. Changing it updates the roles in place.")
	an.Describe(&a.IAMRolePath, "IAM path of every role the breaker creates, e.g. `/platform/`: 1 to 512 characters, starting and ending with '/', "+
		"printable ASCII ('!' to '~') in between. Unset: IAM's default, `/`. IAM cannot move a role: changing it replaces every role "+
		"(and updates the functions, state machine and schedules that use them).")
}

// MonitoringArgs configure one CloudWatch alarm on a Lambda metric. The names are
// the original Terraform module's, in camelCase.
type MonitoringArgs struct {
	ComparisonOperator *string  `pulumi:"comparisonOperator,optional"`
	EvaluationPeriods  *int     `pulumi:"evaluationPeriods,optional"`
	DatapointsToAlarm  *int     `pulumi:"datapointsToAlarm,optional"`
	MetricName         *string  `pulumi:"metricName,optional"`
	Period             *int     `pulumi:"period,optional"`
	Statistic          *string  `pulumi:"statistic,optional"`
	Threshold          *float64 `pulumi:"threshold,optional"`
	TreatMissingData   *string  `pulumi:"treatMissingData,optional"`
	ActionsEnabled     *bool    `pulumi:"actionsEnabled,optional"`

	// Mode "rate" alarms on the error percentage instead of a count (see
	// rateAlarm in alarms.go); only the downstream alarm takes it.
	Mode               *string  `pulumi:"mode,optional"`
	ErrorRatePercent   *float64 `pulumi:"errorRatePercent,optional"`
	MinimumInvocations *int     `pulumi:"minimumInvocations,optional"`
}

// Annotate documents the alarm settings.
func (m *MonitoringArgs) Annotate(an infer.Annotator) {
	an.SetToken("index", "Monitoring")
	an.Describe(m, "Settings of a CloudWatch alarm on a Lambda function's metric (namespace AWS/Lambda). Unset fields take the alarm's defaults.")
	an.Describe(&m.ComparisonOperator, "`GreaterThanOrEqualToThreshold`, `GreaterThanThreshold`, `LessThanThreshold` or `LessThanOrEqualToThreshold`.")
	an.Describe(&m.EvaluationPeriods, "Number of most recent periods the alarm evaluates.")
	an.Describe(&m.DatapointsToAlarm, "How many of the evaluated periods must breach to alarm (at most evaluationPeriods). "+
		"Unset: evaluationPeriods when that is set here, else the alarm's default (3 of 3 downstream, 1 of 1 healthcheck).")
	an.Describe(&m.MetricName, "AWS/Lambda metric, e.g. `Errors`, `Throttles`, `Duration`.")
	an.Describe(&m.Period, "Length of one period in seconds: a multiple of 60 (Lambda metrics have one-minute resolution).")
	an.Describe(&m.Statistic, "`Sum`, `Average`, `Minimum`, `Maximum` or `SampleCount`.")
	an.Describe(&m.Threshold, "Value compared with the statistic; at least 1 for count metrics such as Errors.")
	an.Describe(&m.TreatMissingData, "`notBreaching`, `breaching`, `ignore` or `missing`. notBreaching lets the healthcheck alarm return to OK when the healthcheck stops running, so it can never hold a circuit open forever.")
	an.Describe(&m.ActionsEnabled, "Whether the alarm notifies the topic (and so moves the circuit).")
	an.Describe(&m.Mode, "`count` (default): the alarm compares metricName's statistic with threshold. `rate` (downstreamMonitoring only): "+
		"the alarm compares 100 * Errors / Invocations (Sums over the period) with errorRatePercent, and only in periods with at least "+
		"minimumInvocations invocations, so that 2 errors in 3 calls and 2 errors in 100,000 calls are told apart. A rate alarm is a "+
		"CloudWatch metric-math alarm on two metrics; metricName, statistic and threshold do not apply to it.")
	an.Describe(&m.ErrorRatePercent, "With mode `rate`: the error percentage (above 0, at most 100) that a period must exceed "+
		"(comparisonOperator GreaterThanThreshold by default, or GreaterThanOrEqualToThreshold) to breach.")
	an.Describe(&m.MinimumInvocations, "With mode `rate`: invocations a period needs (at least 1) before its error rate counts; "+
		"a quieter period does not breach. Default 10.")
}

// SlowCallMonitoringArgs configure the slow-call alarm: a percentile of the
// downstream's AWS/Lambda Duration over each period, compared with a
// threshold in milliseconds.
type SlowCallMonitoringArgs struct {
	ThresholdMs       *float64 `pulumi:"thresholdMs"`
	Percentile        *string  `pulumi:"percentile,optional"`
	Period            *int     `pulumi:"period,optional"`
	EvaluationPeriods *int     `pulumi:"evaluationPeriods,optional"`
	DatapointsToAlarm *int     `pulumi:"datapointsToAlarm,optional"`
	TreatMissingData  *string  `pulumi:"treatMissingData,optional"`
	ActionsEnabled    *bool    `pulumi:"actionsEnabled,optional"`
	// MinimumInvocations: a period's percentile counts only with at least
	// this many calls (as the rate mode's minimumInvocations).
	MinimumInvocations *int `pulumi:"minimumInvocations,optional"`
}

// Annotate documents the slow-call alarm's settings.
func (m *SlowCallMonitoringArgs) Annotate(an infer.Annotator) {
	an.SetToken("index", "SlowCallMonitoring")
	an.Describe(m, "Settings of the slow-call alarm on the downstream function's Duration (namespace AWS/Lambda).")
	an.Describe(&m.ThresholdMs, "Milliseconds: a period breaches when the percentile of its calls' Duration is above it. "+
		"It must be below the downstream function's timeout (the longest Duration Lambda can report) and below downstreamTimeoutSeconds.")
	an.Describe(&m.Percentile, "CloudWatch percentile statistic: `p` and a number above 0 and at most 100 with one or two digits before the point and at most two after it, or `p100`, e.g. `p90`, `p99`, `p99.9`, `p99.99` (the aws provider refuses `p99.999`, `p100.0`, `p050`).")
	an.SetDefault(&m.Percentile, DefaultSlowCallMonitoring.Percentile)
	an.Describe(&m.Period, "Length of one period in seconds: a multiple of 60.")
	an.SetDefault(&m.Period, DefaultSlowCallMonitoring.Period)
	an.Describe(&m.EvaluationPeriods, "Number of most recent periods the alarm evaluates.")
	an.SetDefault(&m.EvaluationPeriods, DefaultSlowCallMonitoring.EvaluationPeriods)
	an.Describe(&m.DatapointsToAlarm, "How many of the evaluated periods must breach to alarm (at most evaluationPeriods). Unset: evaluationPeriods.")
	an.Describe(&m.TreatMissingData, "`notBreaching` (default: a period without calls is not slow), `breaching`, `ignore` or `missing`.")
	an.SetDefault(&m.TreatMissingData, DefaultSlowCallMonitoring.TreatMissingData)
	an.Describe(&m.ActionsEnabled, "Whether the alarm notifies the topic (and so moves the circuit).")
	an.SetDefault(&m.ActionsEnabled, true)
	an.Describe(&m.MinimumInvocations, "Invocations a period needs (at least 1) before its percentile counts; a quieter period does not breach, "+
		"so that one slow call in each of a few quiet minutes cannot open the circuit. The alarm is then a CloudWatch metric-math alarm, "+
		"IF(invocations >= minimumInvocations, duration percentile, 0), on two metrics. Default 10, as downstreamMonitoring's rate mode.")
	an.SetDefault(&m.MinimumInvocations, DefaultSlowCallMonitoring.MinimumInvocations)
}

// ResultConditionArgs is one condition of downstreamFailureWhen
// (circuit.ResultCondition).
type ResultConditionArgs struct {
	Path        string   `pulumi:"path"`
	Operator    string   `pulumi:"operator"`
	NumberValue *float64 `pulumi:"numberValue,optional"`
	StringValue *string  `pulumi:"stringValue,optional"`
}

// Annotate documents a result condition.
func (r *ResultConditionArgs) Annotate(an infer.Annotator) {
	an.SetToken("index", "ResultCondition")
	an.Describe(r, "A condition on the downstream's successful result, e.g. `$.statusCode` `>=` 500, or `$.status` `==` \"ERROR\".")
	an.Describe(&r.Path, "JSONPath into the result: `$.field` or `$.field.subfield` (letters, digits, '_'; at most 8 levels), or `$` for the result itself. "+
		"A field that is absent, or of another type than the comparison's, does not meet the condition.")
	an.Describe(&r.Operator, "`>=`, `>`, `<=`, `<` (numbers: numberValue), `==` (numberValue or stringValue), or `isPresent` (the field is there, whatever its value).")
	an.Describe(&r.NumberValue, "The number compared with, for `>=`, `>`, `<=`, `<` and `==`.")
	an.Describe(&r.StringValue, "The string compared with, for `==` (exact, case-sensitive).")
}

// RetryArgs configure the Retry of the downstream invocation.
type RetryArgs struct {
	MaxAttempts     *int     `pulumi:"maxAttempts,optional"`
	IntervalSeconds *int     `pulumi:"intervalSeconds,optional"`
	BackoffRate     *float64 `pulumi:"backoffRate,optional"`
	MaxDelaySeconds *int     `pulumi:"maxDelaySeconds,optional"`
	Errors          []string `pulumi:"errors,optional"`
}

// Annotate documents the retry settings.
func (r *RetryArgs) Annotate(an infer.Annotator) {
	an.SetToken("index", "Retry")
	an.Describe(r, "Step Functions Retry of the downstream invocation.")
	an.Describe(&r.MaxAttempts, "Retries after the first attempt; 0 disables retrying.")
	an.SetDefault(&r.MaxAttempts, DefaultRetry.MaxAttempts)
	an.Describe(&r.IntervalSeconds, "Seconds before the first retry.")
	an.SetDefault(&r.IntervalSeconds, DefaultRetry.IntervalSeconds)
	an.Describe(&r.BackoffRate, "Multiplier of the interval on each retry (at least 1).")
	an.SetDefault(&r.BackoffRate, DefaultRetry.BackoffRate)
	an.Describe(&r.MaxDelaySeconds, "Upper bound of one retry interval, in seconds.")
	an.Describe(&r.Errors, "Error names retried. Default: Lambda's transient service errors (Lambda.ServiceException, Lambda.AWSLambdaException, Lambda.SdkClientException, Lambda.TooManyRequestsException).")
}
