package component_test

import (
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func TestDefaults(t *testing.T) {
	s, err := component.Resolve(component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn()})
	require.NoError(t, err)
	require.Equal(t, "rate(1 minute)", s.HealthcheckSchedule)
	require.Equal(t, "EXPRESS", s.WorkflowType)
	require.Equal(t, component.DefaultDownstreamMonitoring, s.DownstreamMonitoring)
	require.Equal(t, component.DefaultHealthcheckMonitoring, s.HealthcheckMonitoring)
	require.Equal(t, 3, s.Retry.MaxAttempts)
	require.Equal(t, []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}, s.Retry.Errors)
	require.Equal(t, "ERROR", s.LogLevel)
	require.False(t, s.LogIncludeExecutionData)
	require.Equal(t, 10, s.ControllerReservedConcurrency)
	require.Equal(t, 2, s.AlarmHandlerReservedConcurrency)

	// A user who sets only evaluationPeriods gets CloudWatch's default: every
	// evaluated period must breach.
	s, err = component.Resolve(component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(),
		DownstreamMonitoring: &component.MonitoringArgs{EvaluationPeriods: pulumi.IntRef(5)}})
	require.NoError(t, err)
	require.Equal(t, 5, s.DownstreamMonitoring.DatapointsToAlarm)
	require.Equal(t, "GreaterThanThreshold", s.DownstreamMonitoring.ComparisonOperator)
}

// nilFn stands for a function reference where only its presence matters.
func nilFn() *lambda.Function { return &lambda.Function{} }

func TestBadInputNamesTheFieldAndTheFix(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*component.Args)
		field  string
		fix    string
	}{
		{"empty service name", func(a *component.Args) { a.ServiceName = "" }, "serviceName", "letters, digits"},
		{"service name with spaces", func(a *component.Args) { a.ServiceName = "my service" }, "serviceName", "letters, digits"},
		{"no downstream", func(a *component.Args) { a.DownstreamFunction = nil }, "downstreamFunction", "pass the aws.lambda.Function"},
		{"bad qualifier", func(a *component.Args) { a.DownstreamQualifier = pulumi.StringRef("live/1") }, "downstreamQualifier", "\"live\" or \"42\""},
		{"threshold below 1", func(a *component.Args) {
			a.DownstreamMonitoring = &component.MonitoringArgs{Threshold: pulumi.Float64Ref(0)}
		}, "downstreamMonitoring.threshold", "use 1 or more"},
		{"period CloudWatch refuses", func(a *component.Args) {
			a.HealthcheckMonitoring = &component.MonitoringArgs{Period: pulumi.IntRef(45)}
		}, "healthcheckMonitoring.period", "multiple of 60"},
		{"period times evaluations over a day", func(a *component.Args) {
			a.DownstreamMonitoring = &component.MonitoringArgs{Period: pulumi.IntRef(3600), EvaluationPeriods: pulumi.IntRef(25)}
		}, "downstreamMonitoring.period", "exceeds one day"},
		{"datapoints above evaluation periods", func(a *component.Args) {
			a.DownstreamMonitoring = &component.MonitoringArgs{EvaluationPeriods: pulumi.IntRef(2), DatapointsToAlarm: pulumi.IntRef(3)}
		}, "downstreamMonitoring.datapointsToAlarm", "between 1 and evaluationPeriods (2)"},
		{"unknown statistic", func(a *component.Args) {
			a.DownstreamMonitoring = &component.MonitoringArgs{Statistic: pulumi.StringRef("p99")}
		}, "downstreamMonitoring.statistic", "not one of SampleCount"},
		{"unknown comparison", func(a *component.Args) {
			a.DownstreamMonitoring = &component.MonitoringArgs{ComparisonOperator: pulumi.StringRef(">")}
		}, "downstreamMonitoring.comparisonOperator", "GreaterThanThreshold"},
		{"malformed schedule", func(a *component.Args) { a.HealthcheckSchedule = pulumi.StringRef("every minute") }, "healthcheckSchedule", "rate(1 minute)"},
		{"plural rate of one", func(a *component.Args) { a.HealthcheckSchedule = pulumi.StringRef("rate(1 minutes)") }, "healthcheckSchedule", `write "rate(1 minute)"`},
		{"singular rate above one", func(a *component.Args) { a.HealthcheckSchedule = pulumi.StringRef("rate(5 minute)") }, "healthcheckSchedule", `write "rate(5 minutes)"`},
		{"five-field cron", func(a *component.Args) { a.HealthcheckSchedule = pulumi.StringRef("cron(0 * * * *)") }, "healthcheckSchedule", "six fields"},
		{"cron without ?", func(a *component.Args) { a.HealthcheckSchedule = pulumi.StringRef("cron(0 * * * * *)") }, "healthcheckSchedule", "must be '?'"},
		{"one-time schedule", func(a *component.Args) { a.HealthcheckSchedule = pulumi.StringRef("at(2026-12-01T00:00:00)") }, "healthcheckSchedule", "run once"},
		{"healthcheck input not JSON", func(a *component.Args) { a.HealthcheckInput = pulumi.StringRef("{") }, "healthcheckInput", "JSON document"},
		{"unknown workflow type", func(a *component.Args) { a.WorkflowType = pulumi.StringRef("SYNC") }, "workflowType", "EXPRESS, STANDARD"},
		{"express cannot outlive retries", func(a *component.Args) { a.DownstreamTimeoutSeconds = pulumi.IntRef(120) }, "downstreamTimeoutSeconds", "set workflowType to STANDARD"},
		// Issue 7, item 5: 4 attempts of 70 s and 1+2+4 s of waits are 287 s,
		// which the downstream-only budget let through; with the read (18 s),
		// the election's claim (5 s), the election (21 s) and the probe's
		// verdict (33 s), 364 s.
		{"express cannot outlive the bookkeeping", func(a *component.Args) { a.DownstreamTimeoutSeconds = pulumi.IntRef(70) },
			"downstreamTimeoutSeconds", "may run 364 s with these settings, more than the 300 s Step Functions allows it (its longest path, every attempt timing out and every retry waited: ReadCircuit 18 s, ClaimElection 5 s, ElectProbe 21 s, InvokeProbe 287 s, Reopen 33 s); lower downstreamTimeoutSeconds or downstreamRetry"},
		// The fallback after a failed election: 18 + 5 + 21 + 5 (the claim's
		// release) + 3 x 90 + 1 + 2 s.
		{"express cannot outlive the fallback", func(a *component.Args) {
			a.FallbackFunction = a.HealthcheckFunction
			a.FallbackTimeoutSeconds = pulumi.IntRef(90)
		}, "fallbackTimeoutSeconds", "may run 322 s with these settings, more than the 300 s Step Functions allows it (its longest path, every attempt timing out and every retry waited: ReadCircuit 18 s, ClaimElection 5 s, ElectProbe 21 s, ReleaseElection 5 s, InvokeFallback 273 s); lower fallbackTimeoutSeconds, or set workflowType to STANDARD"},
		{"fallback timeout without fallback", func(a *component.Args) { a.FallbackTimeoutSeconds = pulumi.IntRef(5) }, "fallbackTimeoutSeconds", "pass the fallback function too"},
		{"fallback timeout above Lambda's", func(a *component.Args) {
			a.WorkflowType = pulumi.StringRef("STANDARD")
			a.FallbackFunction = a.HealthcheckFunction
			a.FallbackTimeoutSeconds = pulumi.IntRef(901)
		}, "fallbackTimeoutSeconds", "1 to 900"},
		{"retry wildcard among names", func(a *component.Args) {
			a.DownstreamRetry = &component.RetryArgs{Errors: []string{"Lambda.ServiceException", "States.ALL"}}
		}, "downstreamRetry.errors[1]", "list States.ALL by itself"},
		{"timeout above Lambda's", func(a *component.Args) {
			a.WorkflowType = pulumi.StringRef("STANDARD")
			a.DownstreamTimeoutSeconds = pulumi.IntRef(901)
		}, "downstreamTimeoutSeconds", "1 to 900"},
		{"negative retries", func(a *component.Args) { a.DownstreamRetry = &component.RetryArgs{MaxAttempts: pulumi.IntRef(-1)} }, "downstreamRetry.maxAttempts", "0 (no retry) to 10"},
		{"backoff below 1", func(a *component.Args) { a.DownstreamRetry = &component.RetryArgs{BackoffRate: pulumi.Float64Ref(0.5)} }, "downstreamRetry.backoffRate", "1 (constant interval)"},
		{"max open below open", func(a *component.Args) {
			a.OpenDurationSeconds = pulumi.IntRef(120)
			a.MaxOpenDurationSeconds = pulumi.IntRef(60)
		}, "maxOpenDurationSeconds", "raise it"},
		{"execution data with logs off", func(a *component.Args) {
			a.LogLevel = pulumi.StringRef("OFF")
			a.LogIncludeExecutionData = pulumi.BoolRef(true)
		}, "logIncludeExecutionData", "set logLevel to ALL"},
		{"failure threshold zero", func(a *component.Args) { a.FailureThreshold = pulumi.IntRef(0) }, "failureThreshold", "1 to 1000"},
		{"no probes", func(a *component.Args) { a.HalfOpenMaxCalls = pulumi.IntRef(0) }, "halfOpenMaxCalls", "1 to 100"},
		{"success threshold above probes", func(a *component.Args) {
			a.HalfOpenMaxCalls = pulumi.IntRef(2)
			a.SuccessThreshold = pulumi.IntRef(3)
		}, "successThreshold", "could never close"},
		{"ignoring timeouts", func(a *component.Args) { a.IgnoreErrors = []string{"States.Timeout"} }, "ignoreErrors[0]", "hide outages"},
		{"ignored error twice", func(a *component.Args) { a.IgnoreErrors = []string{"A", "B", "A"} }, "ignoreErrors[2]", "list each error once"},
		{"fallback qualifier without fallback", func(a *component.Args) { a.FallbackQualifier = pulumi.StringRef("live") }, "fallbackQualifier", "pass the fallback function too"},
		{"retention CloudWatch refuses", func(a *component.Args) { a.LogRetentionDays = pulumi.IntRef(10) }, "logRetentionDays", "one of 0, 1, 3"},
		{"negative controller reservation", func(a *component.Args) { a.ControllerReservedConcurrency = pulumi.IntRef(-1) }, "controllerReservedConcurrency", "or 0 to reserve none"},
		{"alarm handler reservation above the account quota", func(a *component.Args) { a.AlarmHandlerReservedConcurrency = pulumi.IntRef(1001) }, "alarmHandlerReservedConcurrency", "reserve 1 to 1000"},
		// downstreamFailureWhen (issue 17 item 2): each bad field named with
		// its condition's index.
		{"result condition with a bad path", func(a *component.Args) {
			a.DownstreamFailureWhen = []component.ResultConditionArgs{goodResultCondition(), {Path: "statusCode", Operator: ">=", NumberValue: pulumi.Float64Ref(500)}}
		}, "downstreamFailureWhen[1].path", "use $.field"},
		{"result condition with a filter path", func(a *component.Args) {
			a.DownstreamFailureWhen = []component.ResultConditionArgs{{Path: "$.items[?(@.x)]", Operator: "isPresent"}}
		}, "downstreamFailureWhen[0].path", "is not a JSONPath into the result"},
		{"result condition with a bad operator", func(a *component.Args) {
			a.DownstreamFailureWhen = []component.ResultConditionArgs{{Path: "$.statusCode", Operator: "=>", NumberValue: pulumi.Float64Ref(500)}}
		}, "downstreamFailureWhen[0].operator", "is not one of >=, >, <=, <, ==, isPresent"},
		{"result condition comparing a string by size", func(a *component.Args) {
			a.DownstreamFailureWhen = []component.ResultConditionArgs{goodResultCondition(), {Path: "$.statusCode", Operator: ">=", StringValue: pulumi.StringRef("500")}}
		}, "downstreamFailureWhen[1].stringValue", "set numberValue instead"},
		{"result condition without a value", func(a *component.Args) {
			a.DownstreamFailureWhen = []component.ResultConditionArgs{{Path: "$.status", Operator: "=="}}
		}, "downstreamFailureWhen[0].numberValue", "exactly one of numberValue or stringValue"},
		{"result condition with both values", func(a *component.Args) {
			a.DownstreamFailureWhen = []component.ResultConditionArgs{{Path: "$.status", Operator: "==", NumberValue: pulumi.Float64Ref(1), StringValue: pulumi.StringRef("1")}}
		}, "downstreamFailureWhen[0].numberValue", "exactly one of numberValue or stringValue"},
		{"isPresent with a value", func(a *component.Args) {
			a.DownstreamFailureWhen = []component.ResultConditionArgs{{Path: "$.errorMessage", Operator: "isPresent", StringValue: pulumi.StringRef("x")}}
		}, "downstreamFailureWhen[0].stringValue", "compares with nothing"},
		{"isPresent on the whole result", func(a *component.Args) {
			a.DownstreamFailureWhen = []component.ResultConditionArgs{{Path: "$", Operator: "isPresent"}}
		}, "downstreamFailureWhen[0].path", "always present"},
		{"too many result conditions", func(a *component.Args) {
			for range 11 {
				a.DownstreamFailureWhen = append(a.DownstreamFailureWhen, goodResultCondition())
			}
		}, "downstreamFailureWhen", "at most 10"},
		{"failing the execution without conditions", func(a *component.Args) { a.FailExecutionOnResultFailure = pulumi.BoolRef(true) }, "failExecutionOnResultFailure", "add conditions or remove it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, _, err := deploy(t, func(f userFunctions) component.Args {
				a := baseArgs(f)
				tc.mutate(&a)
				return a
			})
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.field+":")
			require.Contains(t, err.Error(), tc.fix)
			for _, c := range rec.children {
				require.NotEqual(t, component.TypeToken, c.Type, "bad input must fail before the component registers anything")
				require.False(t, strings.HasPrefix(c.Name, "breaker-"), "child %s registered despite bad input", c.Name)
			}
		})
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	_, _, err := deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.ServiceName = ""
		a.HealthcheckSchedule = pulumi.StringRef("often")
		a.LogRetentionDays = pulumi.IntRef(2)
		return a
	})
	require.Error(t, err)
	for _, field := range []string{"serviceName:", "healthcheckSchedule:", "logRetentionDays:"} {
		require.Contains(t, err.Error(), field)
	}

	// The component's own name is checked with its inputs, in the same list.
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		a := baseArgs(f)
		a.LogRetentionDays = pulumi.IntRef(2)
		_, err = component.NewCircuitBreaker(ctx, "payments.v2", a)
		return err
	}, pulumi.WithMocks("project", "stack", &recorder{}))
	require.Error(t, err)
	require.Equal(t, 1, strings.Count(err.Error(), "invalid CircuitBreaker inputs"), err.Error())
	for _, field := range []string{"name: ", "logRetentionDays:"} {
		require.Contains(t, err.Error(), field)
	}
}

// A brought table's keys are checked at preview when they are known (a wrong
// partition key, or a sort key, always is) and at up, with the named-field
// error; the check rides on no child's input (issue 7 item 15).
func TestBroughtTableWithTheWrongKeyIsRefused(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []pulumi.RunOption
	}{{"up", nil}, {"preview", []pulumi.RunOption{preview}}} {
		t.Run(mode.name, func(t *testing.T) { testBroughtTableWithTheWrongKey(t, mode.opts...) })
	}
}

func testBroughtTableWithTheWrongKey(t *testing.T, opts ...pulumi.RunOption) {
	for _, tc := range []struct {
		name      string
		table     dynamodb.TableArgs
		wantField string
	}{
		{"other partition key", dynamodb.TableArgs{HashKey: pulumi.String("id")}, `partition key "id"`},
		{"sort key", dynamodb.TableArgs{HashKey: pulumi.String("serviceName"), RangeKey: pulumi.String("at")}, `sort key "at"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				f, err := newFunctions(ctx)
				if err != nil {
					return err
				}
				tbl, err := dynamodb.NewTable(ctx, "mine", &tc.table)
				if err != nil {
					return err
				}
				a := baseArgs(f)
				a.Table = tbl.ToTableOutput()
				_, err = component.NewCircuitBreaker(ctx, "breaker", a)
				return err
			}, append([]pulumi.RunOption{pulumi.WithMocks("project", "stack", &recorder{})}, opts...)...)
			require.Error(t, err)
			require.Contains(t, err.Error(), "table:")
			require.Contains(t, err.Error(), tc.wantField)
			require.Contains(t, err.Error(), "omit `table`")
		})
	}
}

func TestProbeBudgetCoversTheWorstCaseButNoMoreThanAnExecutionLives(t *testing.T) {
	s, err := component.Resolve(component.Args{ServiceName: "p", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(),
		WorkflowType: pulumi.StringRef("STANDARD"), DownstreamTimeoutSeconds: pulumi.IntRef(72)})
	require.NoError(t, err)
	// The elected probe's execution: the read 18 s, the election's claim 5 s
	// and the election 21 s, 4 attempts of 72 s and 1+2+4 s of waits
	// (295 s), the reopening 33 s.
	require.Equal(t, 18+5+21+295+33, component.ProbeBudgetSeconds(s))

	// An EXPRESS execution is stopped at 300 s: no probe reports later.
	s.WorkflowType = "EXPRESS"
	require.Equal(t, 300, component.ProbeBudgetSeconds(s))

	// The defaults: 18 + 5 + 21 + (4 x 30 + 7) + 33 s.
	s, err = component.Resolve(component.Args{ServiceName: "p", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn()})
	require.NoError(t, err)
	require.Equal(t, 204, component.ProbeBudgetSeconds(s))
	require.Equal(t, component.DefaultFallbackTimeoutSeconds, s.FallbackTimeoutSeconds)
}

func goodResultCondition() component.ResultConditionArgs {
	return component.ResultConditionArgs{Path: "$.statusCode", Operator: ">=", NumberValue: pulumi.Float64Ref(500)}
}

// Good conditions reach the definition: a Choice after the invocation, and
// nothing of them without conditions.
func TestResultConditionsReachTheDefinition(t *testing.T) {
	s, err := component.Resolve(component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(),
		DownstreamFailureWhen: []component.ResultConditionArgs{goodResultCondition(), {Path: "$.status", Operator: "==", StringValue: pulumi.StringRef("ERROR")}}})
	require.NoError(t, err)
	def, err := statemachine.Definition(component.StateMachineConfig(s, "circuits", "arn:aws:lambda:us-east-1:123456789012:function:d", "arn:aws:lambda:us-east-1:123456789012:function:c", ""))
	require.NoError(t, err)
	require.Contains(t, def, `"Comment": "The downstream's result counts as a failure when $.statusCode >= 500, or $.status == \"ERROR\" (downstreamFailureWhen)."`)
	s.ResultFailureWhen = nil
	def, err = statemachine.Definition(component.StateMachineConfig(s, "circuits", "arn:aws:lambda:us-east-1:123456789012:function:d", "arn:aws:lambda:us-east-1:123456789012:function:c", ""))
	require.NoError(t, err)
	require.NotContains(t, def, statemachine.StateCheckDownstreamResult)
}
