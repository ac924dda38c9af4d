package component_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	rcconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
)

// Issue 9 (alarm reconciliation): every reconcileSchedule, Scheduler invokes
// the alarm handler with the event its reconciliation mode takes, under a role
// that may invoke only the handler; the handler may describe exactly this
// breaker's two alarms and receive and delete from exactly its own queue.
func TestReconciliationIsScheduledAndLeastPrivilege(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	reconcilerArn := rec.state(t, "aws:lambda/function:Function", "-reconciler", "arn")

	// The reconciler: the alarm handler's zip as role "reconciler", under the
	// alarm handler's role, with its own log group and the alarm handler's
	// settings besides its own.
	fn := rec.one(t, "aws:lambda/function:Function", "-reconciler").Inputs
	handler := rec.one(t, "aws:lambda/function:Function", "-alarm-handler").Inputs
	require.Equal(t, "reconciler", fn["handler"].StringValue())
	require.Equal(t, handler["code"], fn["code"], "the alarm handler's zip serves both roles")
	require.Equal(t, rec.state(t, "aws:iam/role:Role", "-alarm-handler-role", "arn"), fn["role"].StringValue())
	require.Equal(t, rec.state(t, "aws:cloudwatch/logGroup:LogGroup", "-reconciler-logs", "name"), fn["loggingConfig"].ObjectValue()["logGroup"].StringValue())
	env := fn["environment"].ObjectValue()["variables"].ObjectValue()
	require.Equal(t, rec.state(t, "aws:lambda/function:Function", "-alarm-handler", "name"), env["ALARM_HANDLER_NAME"].StringValue())
	require.Equal(t, rec.state(t, "aws:sqs/queue:Queue", "-alarm-handler-dlq", "url"), env["DEAD_LETTER_QUEUE_URL"].StringValue())
	require.Equal(t, "project/stack/breaker", env["CIRCUIT_OWNER"].StringValue())
	for k, v := range handler["environment"].ObjectValue()["variables"].ObjectValue() {
		require.Equal(t, v, env[k], "the alarm handler's %s", k)
	}

	s := rec.one(t, "aws:scheduler/schedule:Schedule", "-reconcile")
	require.Equal(t, component.DefaultReconcileSchedule, s.Inputs["scheduleExpression"].StringValue())
	require.Equal(t, "rate(5 minutes)", component.DefaultReconcileSchedule)
	target := s.Inputs["target"].ObjectValue()
	require.Equal(t, reconcilerArn, target["arn"].StringValue())
	require.Equal(t, rcconfig.ReconcileInput(), target["input"].StringValue())
	require.True(t, json.Valid([]byte(target["input"].StringValue())))
	require.Equal(t, 0.0, target["retryPolicy"].ObjectValue()["maximumRetryAttempts"].NumberValue())
	require.Equal(t, rec.state(t, "aws:iam/role:Role", "-reconcile-role", "arn"), target["roleArn"].StringValue())
	require.True(t, s.dependsOn("breaker-alarm-handler-reconcile-policy"), "no run before the handler may describe its alarms")

	invoke := policy(t, rec.one(t, "aws:iam/rolePolicy:RolePolicy", "breaker-reconcile-policy").Inputs["policy"].StringValue())
	require.Len(t, invoke.Statement, 1)
	require.Equal(t, []string{"lambda:InvokeFunction"}, invoke.Statement[0].Action)
	require.Equal(t, []string{reconcilerArn}, invoke.Statement[0].Resource)
	trust := policy(t, rec.one(t, "aws:iam/role:Role", "-reconcile-role").Inputs["assumeRolePolicy"].StringValue())
	require.Equal(t, "scheduler.amazonaws.com", trust.Statement[0].Principal["Service"])

	grant := rec.one(t, "aws:iam/rolePolicy:RolePolicy", "-alarm-handler-reconcile-policy")
	require.Equal(t, rec.state(t, "aws:iam/role:Role", "-alarm-handler-role", "name"), grant.Inputs["role"].StringValue())
	p := policy(t, grant.Inputs["policy"].StringValue())
	require.Len(t, p.Statement, 3)
	require.Equal(t, []string{"cloudwatch:DescribeAlarms"}, p.Statement[0].Action)
	require.ElementsMatch(t, []string{
		rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors", "arn"),
		rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-healthcheck-errors", "arn"),
	}, p.Statement[0].Resource, "the ARNs named before the alarms exist are the alarms' own")
	require.Equal(t, []string{"sqs:ReceiveMessage", "sqs:DeleteMessage"}, p.Statement[1].Action)
	require.Equal(t, []string{rec.state(t, "aws:sqs/queue:Queue", "-alarm-handler-dlq", "arn")}, p.Statement[1].Resource)
	require.Equal(t, []string{"logs:CreateLogStream", "logs:PutLogEvents"}, p.Statement[2].Action)
	require.Equal(t, []string{rec.state(t, "aws:cloudwatch/logGroup:LogGroup", "-reconciler-logs", "arn") + ":*"}, p.Statement[2].Resource)
	require.True(t, rec.one(t, "aws:lambda/function:Function", "-reconciler").dependsOn("breaker-alarm-handler-reconcile-policy"),
		"no run before the role may write the reconciler's logs")
}

func TestReconcileScheduleIsValidated(t *testing.T) {
	_, _, err := deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.ReconcileSchedule = pulumi.StringRef("every 5 minutes")
		return a
	})
	require.Error(t, err)
	require.Contains(t, err.Error(), "reconcileSchedule")
	require.Contains(t, err.Error(), `"rate(5 minutes)"`)
}

// Issue 9 (fast-fail counts): a metric filter on the state machine's own log
// group counts the executions that failed with CircuitOpen; nothing is added
// to the fast-fail path. Probes are counted at logLevel ALL, whose
// state-entered events identify them; at OFF nothing is logged, so nothing is
// created. The event shape the patterns match ("type" the history event type,
// "details.error" of ExecutionFailed, "details.name" of a state-entered event)
// and the levels that log each: Step Functions Developer Guide, "Log levels"
// (https://docs.aws.amazon.com/step-functions/latest/dg/cloudwatch-log-level.html)
// and "Using CloudWatch Logs to log execution history"
// (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html); API
// Reference HistoryEvent / ExecutionFailedEventDetails.
func TestFastFailsAndProbesAreCountedFromTheExecutionLogs(t *testing.T) {
	for _, tc := range []struct {
		level   string
		filters []string
	}{
		{"ERROR", []string{"-fast-fails"}},
		{"FATAL", []string{"-fast-fails"}},
		{"ALL", []string{"-fast-fails", "-probes"}},
		{"OFF", nil},
	} {
		t.Run(tc.level, func(t *testing.T) {
			rec, _, err := deploy(t, func(f userFunctions) component.Args {
				a := baseArgs(f)
				a.LogLevel = pulumi.StringRef(tc.level)
				return a
			})
			require.NoError(t, err)
			filters := rec.of("aws:cloudwatch/logMetricFilter:LogMetricFilter")
			require.Len(t, filters, len(tc.filters))
			for _, suffix := range tc.filters {
				mf := rec.one(t, "aws:cloudwatch/logMetricFilter:LogMetricFilter", suffix)
				require.Equal(t, rec.state(t, "aws:cloudwatch/logGroup:LogGroup", "-state-machine-logs", "name"), mf.Inputs["logGroupName"].StringValue())
				mt := mf.Inputs["metricTransformation"].ObjectValue()
				require.Equal(t, "CircuitBreaker/payments", mt["namespace"].StringValue())
				require.Equal(t, "1", mt["value"].StringValue())
				require.Equal(t, "Count", mt["unit"].StringValue())
				want := map[string][2]string{
					"-fast-fails": {component.FastFailsMetric, `{ $.type = "ExecutionFailed" && $.details.error = "CircuitOpen" }`},
					"-probes":     {component.ProbesMetric, `{ $.type = "TaskStateEntered" && $.details.name = "InvokeProbe" }`},
				}[suffix]
				require.Equal(t, want[0], mt["name"].StringValue())
				require.Equal(t, want[1], mf.Inputs["pattern"].StringValue())
			}
		})
	}
}

// Results that met downstreamFailureWhen are counted from the executions'
// logs too (issue 17 item 2): the ExecutionFailed event when they fail the
// execution (any level that logs), else the Pass state that records them
// (level ALL only); nothing without conditions.
func TestResultFailuresAreCountedFromTheExecutionLogs(t *testing.T) {
	const entered = `{ $.type = "PassStateEntered" && ($.details.name = "DownstreamResultFailed" || $.details.name = "ProbeResultFailed") }`
	const failed = `{ $.type = "ExecutionFailed" && $.details.error = "DownstreamResultFailure" }`
	for _, tc := range []struct {
		level      string
		conditions bool
		fails      bool
		want       string
	}{
		{"ALL", true, false, entered},
		{"ERROR", true, false, ""},
		{"ERROR", true, true, failed},
		{"ALL", true, true, failed},
		{"OFF", true, true, ""},
		{"ALL", false, false, ""},
	} {
		t.Run(fmt.Sprintf("%s conditions=%v fails=%v", tc.level, tc.conditions, tc.fails), func(t *testing.T) {
			rec, _, err := deploy(t, func(f userFunctions) component.Args {
				a := baseArgs(f)
				a.LogLevel = pulumi.StringRef(tc.level)
				if tc.conditions {
					a.DownstreamFailureWhen = []component.ResultConditionArgs{goodResultCondition()}
					a.FailExecutionOnResultFailure = pulumi.BoolRef(tc.fails)
				}
				return a
			})
			require.NoError(t, err)
			var got []string
			for _, mf := range rec.of("aws:cloudwatch/logMetricFilter:LogMetricFilter") {
				if mf.Inputs["metricTransformation"].ObjectValue()["name"].StringValue() == component.ResultFailuresMetric {
					got = append(got, mf.Inputs["pattern"].StringValue())
				}
			}
			if tc.want == "" {
				require.Empty(t, got)
				return
			}
			require.Equal(t, []string{tc.want}, got)
		})
	}
}

// awsMetrics is every AWS metric the dashboard may graph, with the dimension
// sets AWS publishes it under. Sources: Lambda Developer Guide, "Types of
// metrics for Lambda functions"
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html:
// Invocations, Errors, Duration; dimensions
// FunctionName, and FunctionName + Resource for a version or alias), Step
// Functions Developer Guide, "Step Functions metrics for CloudWatch"
// (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html: execution
// metrics ExecutionsSucceeded, ExecutionsFailed, ExecutionsTimedOut,
// ExecutionsAborted, dimension StateMachineArn, published for Express
// workflows too).
var awsMetrics = map[string][]string{
	"AWS/Lambda Invocations":         {"FunctionName", "FunctionName,Resource"},
	"AWS/Lambda Errors":              {"FunctionName", "FunctionName,Resource"},
	"AWS/Lambda Duration":            {"FunctionName", "FunctionName,Resource"},
	"AWS/States ExecutionsSucceeded": {"StateMachineArn"},
	"AWS/States ExecutionsFailed":    {"StateMachineArn"},
	"AWS/States ExecutionsTimedOut":  {"StateMachineArn"},
	"AWS/States ExecutionsAborted":   {"StateMachineArn"},
}

// ours is every metric this breaker emits: the handler's EMF CircuitState and
// the metric filters' counts.
func ours(service string) map[string][]string {
	ns := component.ExecutionMetricsNamespace(service)
	return map[string][]string{
		circuit.MetricNamespace + " " + circuit.MetricName: {circuit.MetricDimension},
		ns + " " + component.FastFailsMetric:               {""},
		ns + " " + component.ProbesMetric:                  {""},
		ns + " " + component.ResultFailuresMetric:          {""},
		// Shadow mode's, published by the state machine (PutMetricData).
		circuit.MetricNamespace + " " + circuit.WouldRejectsMetric: {circuit.MetricDimension},
	}
}

type graphedMetric struct {
	key, dims string
	values    map[string]string
}

func dashboardMetrics(t *testing.T, body string) []graphedMetric {
	t.Helper()
	var d struct {
		Widgets []struct {
			Type       string `json:"type"`
			Width      int    `json:"width"`
			X          int    `json:"x"`
			Properties struct {
				Region  string  `json:"region"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	dec := json.NewDecoder(strings.NewReader(body))
	require.NoError(t, dec.Decode(&d), "the dashboard body is JSON")
	var out []graphedMetric
	for _, w := range d.Widgets {
		require.LessOrEqual(t, w.X+w.Width, 24, "a dashboard is 24 columns wide")
		if w.Type != "metric" {
			continue
		}
		require.Equal(t, "us-east-1", w.Properties.Region)
		for _, m := range w.Properties.Metrics {
			require.GreaterOrEqual(t, len(m), 2)
			g := graphedMetric{key: fmt.Sprint(m[0]) + " " + fmt.Sprint(m[1]), values: map[string]string{}}
			var names []string
			rest := m[2:]
			if len(rest)%2 == 1 {
				_, ok := rest[len(rest)-1].(map[string]any)
				require.True(t, ok, "a trailing element is the rendering options")
				rest = rest[:len(rest)-1]
			}
			for i := 0; i < len(rest); i += 2 {
				names = append(names, fmt.Sprint(rest[i]))
				g.values[fmt.Sprint(rest[i])] = fmt.Sprint(rest[i+1])
			}
			g.dims = strings.Join(names, ",")
			out = append(out, g)
		}
	}
	return out
}

// Issue 9 (dashboard): off by default (each dashboard beyond the account's
// three free ones costs USD 3 a month); when on, its body is valid JSON and
// every graphed metric is one AWS publishes, under dimensions AWS uses, or one
// this breaker emits, with the values of this breaker's resources.
func TestDashboardGraphsOnlyMetricsThatExist(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	require.Empty(t, rec.of("aws:cloudwatch/dashboard:Dashboard"), "no dashboard by default")

	for _, tc := range []struct {
		name      string
		qualifier string
		level     string
		results   bool
	}{{"unqualified, ERROR", "", "ERROR", false}, {"alias, ALL", "live", "ALL", false}, {"logs off", "", "OFF", false},
		{"result conditions, ALL", "", "ALL", true}, {"result conditions, ERROR", "", "ERROR", true}} {
		t.Run(tc.name, func(t *testing.T) {
			rec, _, err := deploy(t, func(f userFunctions) component.Args {
				a := baseArgs(f)
				a.Dashboard = pulumi.BoolRef(true)
				a.LogLevel = pulumi.StringRef(tc.level)
				if tc.results {
					a.DownstreamFailureWhen = []component.ResultConditionArgs{goodResultCondition()}
				}
				if tc.qualifier != "" {
					a.DownstreamQualifier = pulumi.StringRef(tc.qualifier)
				}
				return a
			})
			require.NoError(t, err)
			d := rec.one(t, "aws:cloudwatch/dashboard:Dashboard", "-dashboard")
			require.Equal(t, rec.state(t, "aws:sns/topic:Topic", "-alarms", "name")+"-dashboard", d.Inputs["dashboardName"].StringValue())
			alarm := rec.one(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors").Inputs["dimensions"].ObjectValue().Mappable()
			smArn := rec.state(t, "aws:sfn/stateMachine:StateMachine", "-state-machine", "arn")

			known := ours("payments")
			for k, v := range awsMetrics {
				known[k] = v
			}
			seen := map[string]bool{}
			for _, m := range dashboardMetrics(t, d.Inputs["dashboardBody"].StringValue()) {
				dims, ok := known[m.key]
				require.Truef(t, ok, "%s is neither an AWS metric nor one the breaker emits", m.key)
				require.Containsf(t, dims, m.dims, "%s is not published under dimensions %q", m.key, m.dims)
				seen[m.key] = true
				switch {
				case strings.HasPrefix(m.key, "AWS/Lambda "):
					want := map[string]string{}
					for k, v := range alarm {
						want[k] = fmt.Sprint(v)
					}
					require.Equal(t, want, m.values, "the downstream as its alarm watches it")
				case strings.HasPrefix(m.key, "AWS/States "):
					require.Equal(t, smArn, m.values["StateMachineArn"])
				case strings.HasPrefix(m.key, circuit.MetricNamespace+" "):
					require.Equal(t, "payments", m.values["ServiceName"])
				}
			}
			require.True(t, seen["CircuitBreaker CircuitState"])
			require.True(t, seen["AWS/States ExecutionsFailed"])
			require.True(t, seen["AWS/Lambda Duration"])
			require.Equal(t, tc.level != "OFF", seen["CircuitBreaker/payments FastFails"], "fast fails graphed exactly when they are counted")
			require.Equal(t, tc.level == "ALL", seen["CircuitBreaker/payments Probes"], "probes graphed exactly when they are counted")
			counted := false
			for _, mf := range rec.of("aws:cloudwatch/logMetricFilter:LogMetricFilter") {
				counted = counted || mf.Inputs["metricTransformation"].ObjectValue()["name"].StringValue() == component.ResultFailuresMetric
			}
			require.Equal(t, tc.results && tc.level == "ALL", counted)
			require.Equal(t, counted, seen["CircuitBreaker/payments ResultFailures"], "result failures graphed exactly when they are counted")
		})
	}
}

// With slowCallMonitoring the breaker has a third alarm, and reconciliation
// may describe it too (and still nothing else).
func TestReconciliationCoversTheSlowCallAlarm(t *testing.T) {
	rec, _, err := deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.SlowCallMonitoring = slow(1500)
		return a
	})
	require.NoError(t, err)
	p := policy(t, rec.one(t, "aws:iam/rolePolicy:RolePolicy", "-alarm-handler-reconcile-policy").Inputs["policy"].StringValue())
	require.ElementsMatch(t, []string{
		rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors", "arn"),
		rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-healthcheck-errors", "arn"),
		rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-slow-calls", "arn"),
	}, p.Statement[0].Resource)
}

// Issue 14, item 15: the metric filters' namespace takes no ':', '*' or '$'
// (CloudWatch Logs API Reference, MetricTransformation.metricNamespace:
// [^:*$]*, 1-255 characters; the Terraform AWS provider refuses the same), but
// a serviceName may hold ':'. Every name the component accepts gets a
// namespace CloudWatch Logs accepts, no two names share one, and a name
// without ':' keeps the namespace it always had.
func TestExecutionMetricsNamespaceTakesEveryServiceName(t *testing.T) {
	valid := regexp.MustCompile(`^[^:*$]{1,255}$`)
	longest := strings.Repeat("a:", 64)
	names := []string{"payments", "pay.v2:eu", "a:b", "a_b", "a-b", "a.b", "a::b", "a:_b", "0", longest}
	seen := map[string]string{}
	for _, n := range names {
		_, err := component.Resolve(component.Args{ServiceName: n, DownstreamFunction: nilFn(), HealthcheckFunction: nilFn()})
		require.NoError(t, err, n)
		ns := component.ExecutionMetricsNamespace(n)
		require.Regexp(t, valid, ns, n)
		if other, dup := seen[ns]; dup {
			t.Errorf("%q and %q share the namespace %q", n, other, ns)
		}
		seen[ns] = n
	}
	require.Equal(t, "CircuitBreaker/payments", component.ExecutionMetricsNamespace("payments"))
	require.Equal(t, "CircuitBreaker/pay.v2/eu", component.ExecutionMetricsNamespace("pay.v2:eu"))
}
