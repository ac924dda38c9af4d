package component_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// child is one resource the program registered, as the engine saw it.
type child struct {
	Type, Name, Parent string
	Custom             bool
	Inputs             resource.PropertyMap
	State              resource.PropertyMap
	Dependencies       []string // URNs, explicit (DependsOn) and through inputs
}

// dependsOn reports whether c waits for the resource whose logical name is name.
func (c child) dependsOn(name string) bool {
	for _, d := range c.Dependencies {
		if strings.HasSuffix(d, "::"+name) {
			return true
		}
	}
	return false
}

// recorder is the mock resource monitor: it records registrations and answers
// with fakeaws's computed outputs (a hand-written stand-in: there is no AWS here).
// callF answers invokes; by default only aws.getCallerIdentity, with the
// account fake AWS puts every resource in.
type recorder struct {
	mu       sync.Mutex
	children []child
	calls    []pulumi.MockCallArgs
	callF    func(pulumi.MockCallArgs) (resource.PropertyMap, error)
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	parent := ""
	var deps []string
	if args.RegisterRPC != nil {
		parent = args.RegisterRPC.GetParent()
		deps = args.RegisterRPC.GetDependencies()
	}
	id, state := args.Name, args.Inputs
	if args.Custom {
		id, state = fakeaws.Create(args.TypeToken, args.Name, args.Inputs)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.children = append(r.children, child{Type: args.TypeToken, Name: args.Name, Parent: parent, Custom: args.Custom, Inputs: args.Inputs, State: state, Dependencies: deps})
	return id, state, nil
}

// The token and the result shape of the pulumi-aws v6 invoke
// aws.getCallerIdentity (sdk/go/aws/getCallerIdentity.go: accountId, arn, id,
// userId).
const callerIdentity = "aws:index/getCallerIdentity:getCallerIdentity"

func callerIn(account string) func(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return callerInRegion(account, fakeaws.Region)
}

// The token and the result shape of aws.getRegion (sdk/go/aws/getRegion.go:
// description, endpoint, id, name).
const getRegion = "aws:index/getRegion:getRegion"

// callerInRegion answers aws.getCallerIdentity with account and aws.getRegion
// with region, the aws provider's own.
func callerInRegion(account, region string) func(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return func(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
		if args.Token == getRegion {
			return resource.NewPropertyMapFromMap(map[string]any{
				"description": region, "endpoint": "ec2." + region + ".amazonaws.com", "id": region, "name": region,
			}), nil
		}
		if args.Token != callerIdentity {
			return nil, fmt.Errorf("unexpected invoke %s", args.Token)
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": account,
			"arn":       "arn:aws:iam::" + account + ":user/deployer",
			"id":        account,
			"userId":    "AIDAEXAMPLE",
		}), nil
	}
}

func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	r.mu.Lock()
	r.calls = append(r.calls, args)
	call := r.callF
	r.mu.Unlock()
	if call == nil {
		call = callerIn(fakeaws.Account)
	}
	return call(args)
}

// of returns the children of one type; one returns the single child of a type
// whose logical name ends with suffix.
func (r *recorder) of(typ string) []child {
	var out []child
	for _, c := range r.children {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}

func (r *recorder) one(t *testing.T, typ, suffix string) child {
	t.Helper()
	var found []child
	for _, c := range r.of(typ) {
		if strings.HasSuffix(c.Name, suffix) {
			found = append(found, c)
		}
	}
	require.Lenf(t, found, 1, "want exactly one %s named *%s", typ, suffix)
	return found[0]
}

func (r *recorder) state(t *testing.T, typ, suffix, key string) string {
	t.Helper()
	return r.one(t, typ, suffix).State[resource.PropertyKey(key)].StringValue()
}

// program declares the user's two functions and whatever the test adds.
type userFunctions struct{ downstream, healthcheck *lambda.Function }

func newFunctions(ctx *pulumi.Context) (userFunctions, error) {
	role := pulumi.String("arn:aws:iam::123456789012:role/app")
	down, err := lambda.NewFunction(ctx, "payments", &lambda.FunctionArgs{Role: role})
	if err != nil {
		return userFunctions{}, err
	}
	health, err := lambda.NewFunction(ctx, "payments-health", &lambda.FunctionArgs{Role: role})
	if err != nil {
		return userFunctions{}, err
	}
	return userFunctions{down, health}, nil
}

func baseArgs(f userFunctions) component.Args {
	return component.Args{
		ServiceName:         "payments",
		DownstreamFunction:  f.downstream,
		HealthcheckFunction: f.healthcheck,
		Tags:                pulumi.StringMap{"team": pulumi.String("checkout"), "env": pulumi.String("test")},
	}
}

// deploy runs a program with one breaker built from args and returns what was
// registered and the component's outputs.
func deploy(t *testing.T, args func(userFunctions) component.Args) (*recorder, map[string]string, error) {
	t.Helper()
	return deployOn(t, &recorder{}, args)
}

// preview runs the program as `pulumi preview` would: outputs the provider
// does not return are unknown.
func preview(info *pulumi.RunInfo) { info.DryRun = true }

func deployOn(t *testing.T, rec *recorder, args func(userFunctions) component.Args, opts ...pulumi.RunOption) (*recorder, map[string]string, error) {
	t.Helper()
	outputs := map[string]string{}
	var mu sync.Mutex
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		cb, err := component.NewCircuitBreaker(ctx, "breaker", args(f))
		if err != nil {
			return err
		}
		capture := func(k string, o pulumi.StringOutput) {
			o.ApplyT(func(v string) string { mu.Lock(); outputs[k] = v; mu.Unlock(); return v })
		}
		capture("stateMachineArn", cb.StateMachineArn)
		capture("stateMachineName", cb.StateMachineName)
		capture("tableName", cb.TableName)
		capture("tableArn", cb.TableArn)
		capture("topicArn", cb.TopicArn)
		capture("downstreamAlarmName", cb.DownstreamAlarmName)
		capture("healthcheckAlarmName", cb.HealthcheckAlarmName)
		capture("alarmHandlerArn", cb.AlarmHandlerArn)
		capture("alarmHandlerName", cb.AlarmHandlerName)
		capture("scheduleArn", cb.ScheduleArn)
		capture("controllerArn", cb.ControllerArn)
		capture("controllerName", cb.ControllerName)
		capture("alarmDeadLetterQueueUrl", cb.AlarmDeadLetterQueueUrl)
		return nil
	}, append([]pulumi.RunOption{pulumi.WithMocks("project", "stack", rec)}, opts...)...)
	return rec, outputs, err
}

func policy(t *testing.T, doc string) component.PolicyDocument {
	t.Helper()
	var d component.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(doc), &d), doc)
	return d
}

func rolePolicy(t *testing.T, rec *recorder, role string) component.PolicyDocument {
	t.Helper()
	return policy(t, rec.one(t, "aws:iam/rolePolicy:RolePolicy", role+"-policy").Inputs["policy"].StringValue())
}

// The ARNs fake AWS gives the user's two functions.
var (
	downArn   = fakeaws.FunctionArn("payments-" + shortName("payments"))
	healthArn = fakeaws.FunctionArn("payments-health-" + shortName("payments-health"))
)

func TestDefaultGraph(t *testing.T) {
	rec, out, err := deploy(t, baseArgs)
	require.NoError(t, err)

	// Every child is parented to the component: users' transforms, providers
	// and protect options reach them through it.
	var customs int
	for _, c := range rec.children {
		if c.Type == component.TypeToken || c.Name == "payments" || c.Name == "payments-health" {
			continue
		}
		customs++
		require.Truef(t, strings.HasSuffix(c.Parent, "circuitbreaker:index:CircuitBreaker::breaker"), "%s %s has parent %q", c.Type, c.Name, c.Parent)
		require.Truef(t, strings.HasPrefix(c.Name, "breaker-"), "%s is not named after its component", c.Name)
	}
	// 26 (the request path, table, alarms, topic, alarm handler and the
	// healthcheck's schedule), the transition events' six (events.go: queue,
	// log group, role, policy, publisher, mapping), reconciliation's four (its
	// schedule, role, role policy and grant), the reconciler's two (function
	// and log group: it runs under the alarm handler's role) with the
	// fast-fail metric filter, and the healthcheck runner's six (function, logs, role, two policies,
	// retries). The user's healthcheck gets no invocation configuration of
	// ours: the runner invokes it synchronously.
	require.Equal(t, 45, customs, "children of a default breaker")

	table := rec.one(t, "aws:dynamodb/table:Table", "-table")
	require.Equal(t, "serviceName", table.Inputs["hashKey"].StringValue())
	require.Equal(t, "PAY_PER_REQUEST", table.Inputs["billingMode"].StringValue())
	require.True(t, table.Inputs["pointInTimeRecovery"].ObjectValue()["enabled"].BoolValue())
	require.True(t, table.Inputs["serverSideEncryption"].ObjectValue()["enabled"].BoolValue())
	tableArn := table.State["arn"].StringValue()

	require.Equal(t, table.State["name"].StringValue(), out["tableName"])
	require.Equal(t, tableArn, out["tableArn"])
	require.Equal(t, rec.state(t, "aws:sfn/stateMachine:StateMachine", "-state-machine", "arn"), out["stateMachineArn"])
	require.Equal(t, rec.state(t, "aws:sns/topic:Topic", "-alarms", "arn"), out["topicArn"])
	require.Equal(t, rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors", "name"), out["downstreamAlarmName"])
	require.Equal(t, rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-healthcheck-errors", "name"), out["healthcheckAlarmName"])
	require.Equal(t, rec.state(t, "aws:lambda/function:Function", "-alarm-handler", "arn"), out["alarmHandlerArn"])
	require.Equal(t, rec.state(t, "aws:scheduler/schedule:Schedule", "-healthcheck", "arn"), out["scheduleArn"])
	require.Equal(t, rec.state(t, "aws:lambda/function:Function", "-controller", "arn"), out["controllerArn"])
	require.Equal(t, rec.state(t, "aws:sqs/queue:Queue", "-alarm-handler-dlq", "url"), out["alarmDeadLetterQueueUrl"])
	for k, v := range out {
		require.NotEmptyf(t, v, "output %s", k)
	}
}

func TestTagsOnEveryTaggableChild(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	// The AWS resource types among our children that take no tags at all.
	untaggable := map[string]bool{
		"aws:iam/rolePolicy:RolePolicy":                                  true,
		"aws:sns/topicPolicy:TopicPolicy":                                true,
		"aws:sns/topicSubscription:TopicSubscription":                    true,
		"aws:lambda/permission:Permission":                               true,
		"aws:scheduler/schedule:Schedule":                                true,
		"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": true,
		// Neither takes tags (aws_cloudwatch_log_metric_filter and
		// aws_cloudwatch_dashboard have no tags attribute).
		"aws:cloudwatch/logMetricFilter:LogMetricFilter": true,
		"aws:cloudwatch/dashboard:Dashboard":             true,
	}
	seen := map[string]bool{}
	for _, c := range rec.children {
		if !c.Custom || c.Name == "payments" || c.Name == "payments-health" || untaggable[c.Type] {
			continue
		}
		seen[c.Type] = true
		tags := c.Inputs["tags"]
		require.Truef(t, tags.IsObject(), "%s %s has no tags", c.Type, c.Name)
		require.Equal(t, "checkout", tags.ObjectValue()["team"].StringValue(), c.Name)
		require.Equal(t, "test", tags.ObjectValue()["env"].StringValue(), c.Name)
	}
	for _, typ := range []string{
		"aws:dynamodb/table:Table", "aws:sfn/stateMachine:StateMachine", "aws:sns/topic:Topic",
		"aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/logGroup:LogGroup",
		"aws:lambda/function:Function", "aws:iam/role:Role", "aws:sqs/queue:Queue",
	} {
		require.Truef(t, seen[typ], "no tagged %s", typ)
	}
}

func TestStateMachinePolicyIsLeastPrivilege(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	tableArn := rec.state(t, "aws:dynamodb/table:Table", "-table", "arn")

	p := rolePolicy(t, rec, "state-machine")
	require.Len(t, p.Statement, 2, "a table the breaker created needs no KMS grant (AWS managed key)")
	read := p.Statement[0]
	require.Equal(t, []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, read.Action)
	require.Equal(t, []string{tableArn}, read.Resource)
	require.Equal(t, []any{"payments"}, read.Condition["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"])
	invoke := p.Statement[1]
	require.Equal(t, []string{"lambda:InvokeFunction"}, invoke.Action)
	require.Equal(t, []string{downArn, downArn + ":*", rec.state(t, "aws:lambda/function:Function", "-controller", "arn")}, invoke.Resource)
	logs := rolePolicy(t, rec, "state-machine-logs").Statement
	require.Len(t, logs, 1)
	require.Equal(t, []string{"*"}, logs[0].Resource, "log delivery actions take no resource ARNs")
	for _, a := range logs[0].Action {
		require.True(t, strings.HasPrefix(a, "logs:"), a)
	}
	require.Equal(t, rec.state(t, "aws:iam/role:Role", "-state-machine-role", "name"),
		rec.one(t, "aws:iam/rolePolicy:RolePolicy", "-state-machine-logs-policy").Inputs["role"].StringValue())

	trust := policy(t, rec.one(t, "aws:iam/role:Role", "-state-machine-role").Inputs["assumeRolePolicy"].StringValue())
	require.Equal(t, "states.amazonaws.com", trust.Statement[0].Principal["Service"])
	require.Equal(t, fakeaws.Account, trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"])
}

func TestAlarmHandlerAndSchedulerPolicies(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	tableArn := rec.state(t, "aws:dynamodb/table:Table", "-table", "arn")
	logGroup := rec.one(t, "aws:cloudwatch/logGroup:LogGroup", "-alarm-handler-logs")

	p := rolePolicy(t, rec, "alarm-handler")
	require.Len(t, p.Statement, 2)
	require.Equal(t, []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, p.Statement[0].Action)
	require.Equal(t, []string{tableArn}, p.Statement[0].Resource)
	require.Equal(t, []any{"payments"}, p.Statement[0].Condition["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"])
	require.Equal(t, []string{"logs:CreateLogStream", "logs:PutLogEvents"}, p.Statement[1].Action)
	require.Equal(t, []string{logGroup.State["arn"].StringValue() + ":*"}, p.Statement[1].Resource)

	// The schedule may invoke the healthcheck runner only; the runner alone
	// may invoke the healthcheck (TestHealthcheckRunner).
	runnerArn := rec.state(t, "aws:lambda/function:Function", "-health-runner", "arn")
	s := rolePolicy(t, rec, "schedule")
	require.Len(t, s.Statement, 1)
	require.Equal(t, []string{"lambda:InvokeFunction"}, s.Statement[0].Action)
	require.Equal(t, []string{runnerArn, runnerArn + ":*"}, s.Statement[0].Resource)
	trust := policy(t, rec.one(t, "aws:iam/role:Role", "-schedule-role").Inputs["assumeRolePolicy"].StringValue())
	require.Equal(t, "scheduler.amazonaws.com", trust.Statement[0].Principal["Service"])

	// Only our two alarms may publish to the topic.
	topic := rec.one(t, "aws:sns/topicPolicy:TopicPolicy", "-alarms-policy")
	tp := policy(t, topic.Inputs["policy"].StringValue())
	require.Equal(t, "cloudwatch.amazonaws.com", tp.Statement[0].Principal["Service"])
	require.Equal(t, []string{"sns:Publish"}, tp.Statement[0].Action)
	require.ElementsMatch(t, []any{
		rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors", "arn"),
		rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-healthcheck-errors", "arn"),
	}, tp.Statement[0].Condition["ArnLike"]["aws:SourceArn"])

	// SNS may invoke the handler, and only from our topic.
	perm := rec.one(t, "aws:lambda/permission:Permission", "-alarm-handler-invoke")
	require.Equal(t, "sns.amazonaws.com", perm.Inputs["principal"].StringValue())
	require.Equal(t, rec.state(t, "aws:sns/topic:Topic", "-alarms", "arn"), perm.Inputs["sourceArn"].StringValue())
	sub := rec.one(t, "aws:sns/topicSubscription:TopicSubscription", "-alarm-handler-subscription")
	require.Equal(t, "lambda", sub.Inputs["protocol"].StringValue())
	require.Equal(t, rec.state(t, "aws:lambda/function:Function", "-alarm-handler", "arn"), sub.Inputs["endpoint"].StringValue())
}

func TestAlarmsNotifyOnEveryStateAndWatchTheRightFunction(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	topicArn := rec.state(t, "aws:sns/topic:Topic", "-alarms", "arn")

	down := rec.one(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors").Inputs
	require.Equal(t, "AWS/Lambda", down["namespace"].StringValue())
	require.Equal(t, "Errors", down["metricName"].StringValue())
	require.Equal(t, map[string]any{"FunctionName": "payments-" + shortName("payments")}, down["dimensions"].Mappable())
	require.Equal(t, "GreaterThanThreshold", down["comparisonOperator"].StringValue())
	require.Equal(t, 3.0, down["evaluationPeriods"].NumberValue())
	require.Equal(t, 3.0, down["datapointsToAlarm"].NumberValue())
	require.Equal(t, 1.0, down["threshold"].NumberValue())
	require.Equal(t, "notBreaching", down["treatMissingData"].StringValue())
	for _, k := range []string{"alarmActions", "okActions", "insufficientDataActions"} {
		require.Equal(t, []any{topicArn}, down[resource.PropertyKey(k)].Mappable(), k)
	}

	health := rec.one(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-healthcheck-errors").Inputs
	require.Equal(t, map[string]any{"FunctionName": "payments-health-" + shortName("payments-health")}, health["dimensions"].Mappable())
	require.Equal(t, "GreaterThanOrEqualToThreshold", health["comparisonOperator"].StringValue())
	require.Equal(t, 1.0, health["evaluationPeriods"].NumberValue())
	require.Equal(t, []any{topicArn}, health["okActions"].Mappable())
}

// shortName is the fake AWS auto-naming suffix of a logical name.
func shortName(logical string) string {
	_, st := fakeaws.Create("aws:lambda/function:Function", logical, resource.PropertyMap{})
	return strings.TrimPrefix(st["name"].StringValue(), logical+"-")
}

func TestQualifiersReachInvokeGrantsAlarmsAndSchedule(t *testing.T) {
	rec, _, err := deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.DownstreamQualifier = pulumi.StringRef("live")
		a.HealthcheckQualifier = pulumi.StringRef("7")
		return a
	})
	require.NoError(t, err)

	// The grants name the function at every qualifier, not just "live": see
	// TestGrantsSurviveAQualifierChange.
	p := rolePolicy(t, rec, "state-machine")
	require.True(t, grants(p.Statement[1].Resource, downArn+":live"))
	dims := rec.one(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors").Inputs["dimensions"].Mappable()
	fn := "payments-" + shortName("payments")
	require.Equal(t, map[string]any{"FunctionName": fn, "Resource": fn + ":live"}, dims)
	hdims := rec.one(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-healthcheck-errors").Inputs["dimensions"].Mappable().(map[string]any)
	require.Equal(t, "payments-health-"+shortName("payments-health")+":7", hdims["Resource"])

	// The runner invokes the healthcheck at its qualifier, and may invoke
	// nothing else.
	invoke := policy(t, rec.one(t, "aws:iam/rolePolicy:RolePolicy", "-health-runner-invoke-policy").Inputs["policy"].StringValue())
	require.Equal(t, []string{healthArn + ":7"}, invoke.Statement[0].Resource)
	runner := rec.one(t, "aws:lambda/function:Function", "-health-runner").Inputs
	require.Equal(t, healthArn+":7", runner["environment"].ObjectValue()["variables"].ObjectValue()["HEALTHCHECK_FUNCTION_ARN"].StringValue())

	def := definition(t, rec)
	require.Contains(t, def, downArn+":live")
}

func definition(t *testing.T, rec *recorder) string {
	t.Helper()
	return rec.one(t, "aws:sfn/stateMachine:StateMachine", "-state-machine").Inputs["definition"].StringValue()
}

func TestStateMachine(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	sm := rec.one(t, "aws:sfn/stateMachine:StateMachine", "-state-machine").Inputs
	require.Equal(t, "EXPRESS", sm["type"].StringValue())
	require.Equal(t, rec.state(t, "aws:iam/role:Role", "-state-machine-role", "arn"), sm["roleArn"].StringValue())
	logs := sm["loggingConfiguration"].ObjectValue()
	require.Equal(t, "ERROR", logs["level"].StringValue())
	require.False(t, logs["includeExecutionData"].BoolValue(), "payloads stay out of logs by default")
	lg := rec.one(t, "aws:cloudwatch/logGroup:LogGroup", "-state-machine-logs")
	require.Equal(t, lg.State["arn"].StringValue()+":*", logs["logDestination"].StringValue())
	require.True(t, strings.HasPrefix(lg.State["name"].StringValue(), "/aws/vendedlogs/states/"))
	require.Equal(t, 14.0, lg.Inputs["retentionInDays"].NumberValue())

	var asl struct {
		StartAt string
		States  map[string]map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(definition(t, rec)), &asl))
	read := asl.States[asl.StartAt]
	require.Equal(t, "arn:aws:states:::dynamodb:getItem", read["Resource"], "the circuit is read with Step Functions' own DynamoDB integration")
	params := read["Parameters"].(map[string]any)
	require.Equal(t, rec.state(t, "aws:dynamodb/table:Table", "-table", "name"), params["TableName"])
	require.Equal(t, map[string]any{"serviceName": map[string]any{"S": "payments"}}, params["Key"])

	// Lambdas the definition may invoke: the downstream, and our controller for
	// the rare transitions. The downstream Task carries the timeout.
	controllerArn := rec.state(t, "aws:lambda/function:Function", "-controller", "arn")
	invoked := map[string]bool{}
	for name, st := range asl.States {
		switch st["Resource"] {
		case "arn:aws:states:::lambda:invoke":
			fn := st["Parameters"].(map[string]any)["FunctionName"].(string)
			invoked[fn] = true
			if fn == downArn {
				require.Equal(t, 30.0, st["TimeoutSeconds"], name)
			}
		case "arn:aws:states:::dynamodb:getItem", "arn:aws:states:::dynamodb:updateItem":
			require.Equal(t, map[string]any{"serviceName": map[string]any{"S": "payments"}}, st["Parameters"].(map[string]any)["Key"], name)
		case nil:
		default:
			t.Fatalf("state %s uses %v", name, st["Resource"])
		}
	}
	require.Equal(t, map[string]bool{downArn: true, controllerArn: true}, invoked)

}

func TestAlarmHandlerFunction(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	fn := rec.one(t, "aws:lambda/function:Function", "-alarm-handler").Inputs
	require.Equal(t, "provided.al2023", fn["runtime"].StringValue())
	require.Equal(t, []any{"arm64"}, fn["architectures"].Mappable())
	require.Equal(t, "alarmhandler", fn["handler"].StringValue(), "the role the zip's bootstrap runs")
	require.True(t, fn["code"].IsArchive())
	require.Equal(t, rec.state(t, "aws:iam/role:Role", "-alarm-handler-role", "arn"), fn["role"].StringValue())
	env := fn["environment"].ObjectValue()["variables"].Mappable()
	require.Equal(t, map[string]any{
		"TABLE_NAME":                rec.state(t, "aws:dynamodb/table:Table", "-table", "name"),
		"SERVICE_NAME":              "payments",
		"DOWNSTREAM_ALARM_NAME":     rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors", "name"),
		"HEALTHCHECK_ALARM_NAME":    rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-healthcheck-errors", "name"),
		"OPEN_DURATION_SECONDS":     "60",
		"MAX_OPEN_DURATION_SECONDS": "600",
		"OPEN_BACKOFF_MULTIPLIER":   "2",
		// 1 period of 60 s and 180 s of CloudWatch delay.
		"HEALTHCHECK_ALARM_WINDOW_SECONDS": "240",
		// Issue 14: the topic whose notifications alone it applies, and the
		// controller's half-open period (the runner's and the controller's
		// PROBE_TIMEOUT_SECONDS), which bounds a stored half-open deadline.
		"ALARM_TOPIC_ARN":       rec.state(t, "aws:sns/topic:Topic", "-alarms", "arn"),
		"PROBE_TIMEOUT_SECONDS": rec.one(t, "aws:lambda/function:Function", "-controller").Inputs["environment"].ObjectValue()["variables"].ObjectValue()["PROBE_TIMEOUT_SECONDS"].StringValue(),
		// The dead-letter queue and the item's owner are the reconciler's
		// (observability_test.go, claims_test.go).
	}, env)
	logging := fn["loggingConfig"].ObjectValue()
	require.Equal(t, rec.state(t, "aws:cloudwatch/logGroup:LogGroup", "-alarm-handler-logs", "name"), logging["logGroup"].StringValue())
	require.Equal(t, "JSON", logging["logFormat"].StringValue())
}

func TestSchedule(t *testing.T) {
	rec, _, err := deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.HealthcheckSchedule = pulumi.StringRef("rate(5 minutes)")
		a.HealthcheckInput = pulumi.StringRef(`{"probe":"deep"}`)
		return a
	})
	require.NoError(t, err)
	s := rec.one(t, "aws:scheduler/schedule:Schedule", "-healthcheck").Inputs
	require.Equal(t, "rate(5 minutes)", s["scheduleExpression"].StringValue())
	require.Equal(t, "OFF", s["flexibleTimeWindow"].ObjectValue()["mode"].StringValue())
	target := s["target"].ObjectValue()
	require.Equal(t, rec.state(t, "aws:lambda/function:Function", "-health-runner", "arn"), target["arn"].StringValue(), "the runner, which invokes the healthcheck")
	require.Equal(t, rec.state(t, "aws:iam/role:Role", "-schedule-role", "arn"), target["roleArn"].StringValue())
	require.JSONEq(t, `{"scheduledTime":"<aws.scheduler.scheduled-time>","input":{"probe":"deep"}}`, target["input"].StringValue())
	require.Equal(t, 0.0, target["retryPolicy"].ObjectValue()["maximumRetryAttempts"].NumberValue())
}

// sharedTableBreakers deploys two breakers, checkout and refunds, on one
// function and one brought table ("shared-circuits", no sort key).
func sharedTableBreakers(rec *recorder, opts ...pulumi.RunOption) error {
	return pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		shared, err := dynamodb.NewTable(ctx, "shared-circuits", &dynamodb.TableArgs{HashKey: pulumi.String("serviceName")})
		if err != nil {
			return err
		}
		for _, n := range []string{"checkout", "refunds"} {
			a := baseArgs(f)
			a.ServiceName = n
			a.Table = shared.ToTableOutput()
			if _, err := component.NewCircuitBreaker(ctx, n, a); err != nil {
				return err
			}
		}
		return nil
	}, append([]pulumi.RunOption{pulumi.WithMocks("project", "stack", rec)}, opts...)...)
}

func TestTwoBreakersOnOneFunctionNeverCollide(t *testing.T) {
	rec := &recorder{}
	require.NoError(t, sharedTableBreakers(rec))

	names := map[string]string{}
	for _, c := range rec.children {
		key := c.Type + " " + c.Name
		require.NotContains(t, names, key, "logical names collide")
		names[key] = c.Name
		if n, ok := c.State["name"]; ok && c.Custom {
			phys := c.Type + " physical " + n.StringValue()
			require.NotContainsf(t, names, phys, "physical names collide: %s", phys)
			names[phys] = c.Name
		}
	}
	require.Len(t, rec.of("aws:dynamodb/table:Table"), 1, "a brought table is used, not created")
	require.Len(t, rec.of("aws:cloudwatch/metricAlarm:MetricAlarm"), 4)

	// Each breaker may only touch its own item of the shared table.
	sharedArn := rec.state(t, "aws:dynamodb/table:Table", "shared-circuits", "arn")
	for _, n := range []string{"checkout", "refunds"} {
		p := rolePolicy(t, rec, n+"-state-machine")
		require.Equal(t, []string{sharedArn}, p.Statement[0].Resource)
		require.Equal(t, []any{n}, p.Statement[0].Condition["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"])
		def := rec.one(t, "aws:sfn/stateMachine:StateMachine", n+"-state-machine").Inputs["definition"].StringValue()
		require.Contains(t, def, `"S": "`+n+`"`)
	}
}

func TestAlarmHandlerFailuresAreKept(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	queue := rec.one(t, "aws:sqs/queue:Queue", "-alarm-handler-dlq")
	require.True(t, queue.Inputs["sqsManagedSseEnabled"].BoolValue())
	cfg := rec.one(t, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "-alarm-handler-retries").Inputs
	require.Equal(t, rec.state(t, "aws:lambda/function:Function", "-alarm-handler", "name"), cfg["functionName"].StringValue())
	require.Equal(t, queue.State["arn"].StringValue(), cfg["destinationConfig"].ObjectValue()["onFailure"].ObjectValue()["destination"].StringValue())
	send := policy(t, rec.one(t, "aws:iam/rolePolicy:RolePolicy", "-alarm-handler-dlq-policy").Inputs["policy"].StringValue())
	require.Equal(t, []string{"sqs:SendMessage"}, send.Statement[0].Action)
	require.Equal(t, []string{queue.State["arn"].StringValue()}, send.Statement[0].Resource)
	require.Equal(t, rec.state(t, "aws:iam/role:Role", "-alarm-handler-role", "name"),
		rec.one(t, "aws:iam/rolePolicy:RolePolicy", "-alarm-handler-dlq-policy").Inputs["role"].StringValue())
}

func TestController(t *testing.T) {
	rec, _, err := deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.HalfOpenMaxCalls = pulumi.IntRef(3)
		a.SuccessThreshold = pulumi.IntRef(2)
		a.DownstreamTimeoutSeconds = pulumi.IntRef(10)
		return a
	})
	require.NoError(t, err)
	fn := rec.one(t, "aws:lambda/function:Function", "-controller").Inputs
	require.Equal(t, "provided.al2023", fn["runtime"].StringValue())
	env := fn["environment"].ObjectValue()["variables"].Mappable()
	require.Equal(t, map[string]any{
		"TABLE_NAME":                rec.state(t, "aws:dynamodb/table:Table", "-table", "name"),
		"SERVICE_NAME":              "payments",
		"OPEN_DURATION_SECONDS":     "60",
		"MAX_OPEN_DURATION_SECONDS": "600",
		"OPEN_BACKOFF_MULTIPLIER":   "2",
		"HALF_OPEN_MAX_CALLS":       "3",
		// The elected probe's whole execution, as the definition bounds it: the
		// read (3 attempts of 5 s, waits 1+2 s) 18 s, the election's claim (1
		// of 5 s) 5 s, the election (2 of 10 s, 1 s) 21 s, the probe (4 of
		// 10 s, 1+2+4 s) 47 s, counting its success and closing 18 s each.
		"PROBE_TIMEOUT_SECONDS": "127",
	}, env)
	// The controller stops before its Task (10 s) gives up on it.
	require.Equal(t, 8.0, fn["timeout"].NumberValue())
	p := rolePolicy(t, rec, "controller")
	require.Equal(t, []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, p.Statement[0].Action)
	require.Equal(t, []any{"payments"}, p.Statement[0].Condition["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"])

	def := definition(t, rec)
	require.Contains(t, def, rec.state(t, "aws:lambda/function:Function", "-controller", "arn"))
}

func TestFallbackIsInvokedAndGranted(t *testing.T) {
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		fallback, err := lambda.NewFunction(ctx, "payments-fallback", &lambda.FunctionArgs{Role: pulumi.String("arn:aws:iam::123456789012:role/app")})
		if err != nil {
			return err
		}
		a := baseArgs(f)
		a.FallbackFunction = fallback
		a.FallbackQualifier = pulumi.StringRef("live")
		_, err = component.NewCircuitBreaker(ctx, "breaker", a)
		return err
	}, pulumi.WithMocks("project", "stack", rec))
	require.NoError(t, err)
	fallbackArn := fakeaws.FunctionArn("payments-fallback-"+shortName("payments-fallback")) + ":live"
	invoke := rolePolicy(t, rec, "state-machine").Statement[1]
	require.True(t, grants(invoke.Resource, fallbackArn))
	require.Equal(t, []string{downArn, downArn + ":*", strings.TrimSuffix(fallbackArn, ":live"), strings.TrimSuffix(fallbackArn, ":live") + ":*",
		rec.state(t, "aws:lambda/function:Function", "-controller", "arn")}, invoke.Resource)
	require.Contains(t, definition(t, rec), fallbackArn)
}
