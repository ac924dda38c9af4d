package component_test

// Tests of what only real AWS and the real aws provider would show (issue 7,
// items 3, 7-13 and 15). Each asserts the properties the component sends, and
// each cites the behaviour it guards against.

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// grants reports whether an IAM Resource list matches arn: IAM compares ARNs
// as strings where '*' matches any run of characters and '?' any one
// (IAM User Guide, "IAM JSON policy elements: Resource", wildcards).
func grants(resources []string, arn string) bool {
	for _, r := range resources {
		var re strings.Builder
		re.WriteString("^")
		for _, c := range r {
			switch c {
			case '*':
				re.WriteString(".*")
			case '?':
				re.WriteString(".")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		if regexp.MustCompile(re.String()).MatchString(arn) {
			return true
		}
	}
	return false
}

// Item 3. A redeploy that moves downstreamQualifier from "live" to "v2" must not
// replace the grants: executions already running invoke the old ARN, and a
// replaced grant takes seconds to propagate (a denied invoke is
// Lambda.AWSLambdaException, which the request path would retry and count). The
// grants name the user's functions and every qualifier of them (Lambda
// Developer Guide, "Fine-tuning the Resources and Conditions sections of
// policies": function, version and alias ARNs are distinct resources;
// "function:NAME:*" matches a version or an alias), and nothing else.
func TestGrantsSurviveAQualifierChange(t *testing.T) {
	policies := map[string][2]string{}
	for _, q := range []string{"live", "v2"} {
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
			a.DownstreamQualifier = pulumi.StringRef(q)
			a.HealthcheckQualifier = pulumi.StringRef(q)
			a.FallbackFunction = fallback
			a.FallbackQualifier = pulumi.StringRef(q)
			_, err = component.NewCircuitBreaker(ctx, "breaker", a)
			return err
		}, pulumi.WithMocks("project", "stack", rec))
		require.NoError(t, err)

		fallbackArn := fakeaws.FunctionArn("payments-fallback-" + shortName("payments-fallback"))
		controllerArn := rec.state(t, "aws:lambda/function:Function", "-controller", "arn")
		invoke := rolePolicy(t, rec, "state-machine").Statement[1].Resource
		schedule := rolePolicy(t, rec, "schedule").Statement[0].Resource
		for _, arn := range []string{downArn + ":" + q, downArn, fallbackArn + ":" + q, controllerArn} {
			require.Truef(t, grants(invoke, arn), "state machine may not invoke %s: %v", arn, invoke)
		}
		// The schedule invokes the runner, the runner the healthcheck at the
		// qualifier it is configured with (exactly: a run between the two
		// updates of a qualifier change is refused, which is no verdict and
		// changes nothing; TestHealthcheckThatCannotBeInvokedIsNoVerdict).
		runnerArn := rec.state(t, "aws:lambda/function:Function", "-health-runner", "arn")
		require.True(t, grants(schedule, runnerArn), schedule)
		runnerInvoke := policy(t, rec.one(t, "aws:iam/rolePolicy:RolePolicy", "-health-runner-invoke-policy").Inputs["policy"].StringValue()).Statement[0].Resource
		require.Equal(t, []string{healthArn + ":" + q}, runnerInvoke)
		// Only the user's own functions and our controller.
		for _, other := range []string{
			fakeaws.FunctionArn("payments-other"),
			downArn + "-copy",
			rec.state(t, "aws:lambda/function:Function", "-alarm-handler", "arn"),
			healthArn,
		} {
			require.Falsef(t, grants(invoke, other), "state machine may invoke %s", other)
		}
		require.False(t, grants(schedule, downArn), "the scheduler may invoke only the healthcheck runner")
		require.False(t, grants(schedule, healthArn+":"+q), "the scheduler reaches the healthcheck only through the runner")
		require.False(t, grants([]string{controllerArn}, controllerArn+":1"), "matcher sanity")

		policies[q] = [2]string{
			rec.one(t, "aws:iam/rolePolicy:RolePolicy", "-state-machine-policy").Inputs["policy"].StringValue(),
			rec.one(t, "aws:iam/rolePolicy:RolePolicy", "-schedule-policy").Inputs["policy"].StringValue(),
		}
	}
	require.Equal(t, policies["live"], policies["v2"], "changing the qualifiers must not change (replace) a grant")
}

// Item 7. The provider keeps logging as it was when logging_configuration
// disappears from the inputs (terraform-provider-aws
// internal/service/sfn/state_machine.go: logging_configuration is
// Optional+Computed with DiffSuppressFunc
// verify.SuppressMissingOptionalConfigurationBlock, and Update sends
// LoggingConfiguration only when the block is set), so OFF is sent explicitly.
// expandLoggingConfiguration there sends no destination for an empty
// log_destination, which is what level OFF takes.
func TestLogLevelOffIsSentAndLoggingResourcesFollow(t *testing.T) {
	rec, _, err := deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.LogLevel = pulumi.StringRef("OFF")
		return a
	})
	require.NoError(t, err)
	sm := rec.one(t, "aws:sfn/stateMachine:StateMachine", "-state-machine")
	logging, ok := sm.Inputs["loggingConfiguration"]
	require.True(t, ok && logging.IsObject(), "loggingConfiguration must be sent with level OFF, not omitted: %v", sm.Inputs)
	require.Equal(t, map[string]any{"level": "OFF", "includeExecutionData": false}, logging.Mappable())
	for _, c := range rec.children {
		require.Falsef(t, strings.HasSuffix(c.Name, "-state-machine-logs") || strings.HasSuffix(c.Name, "-state-machine-logs-policy"),
			"%s %s exists while logging is off", c.Type, c.Name)
	}
	for _, st := range rolePolicy(t, rec, "state-machine").Statement {
		for _, a := range st.Action {
			require.False(t, strings.HasPrefix(a, "logs:"), a)
		}
	}

	// With logs on, the state machine waits for its log group and for the
	// log-delivery grant, which is a policy of its own: removed from the
	// program when logs go off, both are deleted after the state machine's
	// update (dev/tests/engine checks the order through the engine).
	rec, _, err = deploy(t, baseArgs)
	require.NoError(t, err)
	sm = rec.one(t, "aws:sfn/stateMachine:StateMachine", "-state-machine")
	require.True(t, sm.dependsOn("breaker-state-machine-logs"), sm.Dependencies)
	require.True(t, sm.dependsOn("breaker-state-machine-logs-policy"), sm.Dependencies)
	require.Equal(t, []string{"*"}, rolePolicy(t, rec, "state-machine-logs").Statement[0].Resource)
}

// The AWS limits of the children's names, as the services and the provider
// state them, to check the names the component produces against (the component
// keeps its own table in names.go; this one is independent on purpose).
var awsNameLimits = map[string]struct {
	max     int
	allowed *regexp.Regexp
}{
	// Lambda CreateFunction: FunctionName 1-64 [a-zA-Z0-9-_]; pulumi-aws
	// provider/resources.go AutoName("name", 64, "-").
	"aws:lambda/function:Function": {64, regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)},
	// IAM CreateRole: RoleName 1-64 [\w+=,.@-].
	"aws:iam/role:Role": {64, regexp.MustCompile(`^[\w+=,.@-]+$`)},
	// IAM PutRolePolicy: PolicyName 1-128 [\w+=,.@-].
	"aws:iam/rolePolicy:RolePolicy": {128, regexp.MustCompile(`^[\w+=,.@-]+$`)},
	// terraform-provider-aws internal/service/sfn/state_machine.go: 1-80 [0-9A-Za-z_-].
	"aws:sfn/stateMachine:StateMachine": {80, regexp.MustCompile(`^[0-9A-Za-z_-]+$`)},
	// internal/service/sqs/queue.go: ^[0-9A-Za-z_-]{1,80}$.
	"aws:sqs/queue:Queue": {80, regexp.MustCompile(`^[0-9A-Za-z_-]+$`)},
	// internal/service/sns/topic.go: ^[0-9A-Za-z_-]{1,256}$; pulumi-aws Maxlen 80.
	"aws:sns/topic:Topic": {80, regexp.MustCompile(`^[0-9A-Za-z_-]+$`)},
	// internal/service/scheduler/schedule.go: 1-64 ^[0-9A-Za-z_.-]+$.
	"aws:scheduler/schedule:Schedule": {64, regexp.MustCompile(`^[0-9A-Za-z_.-]+$`)},
	// DynamoDB CreateTable: TableName 3-255 [a-zA-Z0-9_.-].
	"aws:dynamodb/table:Table": {255, regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,}$`)},
	// CloudWatch PutMetricAlarm: AlarmName 1-255.
	"aws:cloudwatch/metricAlarm:MetricAlarm": {255, regexp.MustCompile(`^.+$`)},
	// CloudWatch Logs CreateLogGroup: 1-512 [\.\-_/#A-Za-z0-9].
	"aws:cloudwatch/logGroup:LogGroup": {512, regexp.MustCompile(`^[.\-_/#A-Za-z0-9]+$`)},
}

// Item 8. Physical names are the component's name, the child's suffix and the
// provider's "-" + 7 random characters, so the component's name decides what
// AWS accepts. The longest and the oddest name that must work produce only
// names AWS accepts; one character more, or a '.', is refused before anything
// is registered, with the limit in the message.
func TestComponentNamesAWSAccepts(t *testing.T) {
	limit, _ := component.MaxNameLength()
	require.Equal(t, 37, limit, "the IAM role <name>-state-machine-role-xxxxxxx must fit 64 characters")

	for _, name := range []string{strings.Repeat("n", limit), "_0-Z", "a"} {
		t.Run("accepts "+name, func(t *testing.T) {
			rec := &recorder{}
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				f, err := newFunctions(ctx)
				if err != nil {
					return err
				}
				_, err = component.NewCircuitBreaker(ctx, name, baseArgs(f))
				return err
			}, pulumi.WithMocks("project", "stack", rec))
			require.NoError(t, err)
			checked := map[string]bool{}
			for _, c := range rec.children {
				if !c.Custom || !strings.HasPrefix(c.Name, name+"-") {
					continue
				}
				n, ok := c.State["name"]
				if !ok || !n.IsString() {
					continue
				}
				lim, known := awsNameLimits[c.Type]
				require.Truef(t, known, "no AWS name limit known for %s", c.Type)
				require.LessOrEqualf(t, len(n.StringValue()), lim.max, "%s %s: %q", c.Type, c.Name, n.StringValue())
				require.Regexpf(t, lim.allowed, n.StringValue(), "%s %s", c.Type, c.Name)
				checked[c.Type] = true
			}
			require.Len(t, checked, len(awsNameLimits), "every named child type was checked: %v", checked)
		})
	}

	for _, tc := range []struct{ name, want string }{
		{strings.Repeat("n", limit+1), "use at most 37"},
		{"payments.v2", `"."`},
		{"pay ments", `" "`},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			rec := &recorder{}
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				f, err := newFunctions(ctx)
				if err != nil {
					return err
				}
				_, err = component.NewCircuitBreaker(ctx, tc.name, baseArgs(f))
				return err
			}, pulumi.WithMocks("project", "stack", rec), preview)
			require.Error(t, err)
			require.Contains(t, err.Error(), "name: ")
			require.Contains(t, err.Error(), tc.want)
			for _, c := range rec.children {
				require.NotEqual(t, component.TypeToken, c.Type, "a bad name must fail before the component registers")
			}
		})
	}
}

// Item 9. EventBridge Scheduler invokes its target asynchronously, and Lambda
// retries a failed asynchronous invocation twice by default (Lambda Developer
// Guide, "Asynchronous invocation"; "Invoking a Lambda function on a
// schedule"). The schedule's target is the healthcheck runner, ours, whose
// asynchronous invocation has no retries and a 60 s maximum age, in place
// before the schedule exists; the runner invokes the healthcheck synchronously
// (RequestResponse: no Lambda retries), so one scheduled run is one check. The
// user's function gets no invocation configuration of ours: Lambda keeps one
// per function and qualifier, and creating one would overwrite theirs.
func TestHealthcheckIsOneCheckPerScheduledRun(t *testing.T) {
	for _, q := range []string{"", "7"} {
		rec, _, err := deploy(t, func(f userFunctions) component.Args {
			a := baseArgs(f)
			if q != "" {
				a.HealthcheckQualifier = pulumi.StringRef(q)
			}
			return a
		})
		require.NoError(t, err)
		cfg := rec.one(t, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "-health-runner-retries")
		require.Equal(t, 0.0, cfg.Inputs["maximumRetryAttempts"].NumberValue())
		require.Equal(t, 60.0, cfg.Inputs["maximumEventAgeInSeconds"].NumberValue(), "the API's minimum; a later check is stale")
		schedule := rec.one(t, "aws:scheduler/schedule:Schedule", "-healthcheck")
		require.True(t, schedule.dependsOn("breaker-health-runner-retries"), schedule.Dependencies)
		health := "payments-health-" + shortName("payments-health")
		for _, c := range rec.of("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig") {
			require.NotEqual(t, health, c.Inputs["functionName"].StringValue(), "%s configures the user's healthcheck", c.Name)
		}
	}
}

// Item 10. Trust conditions and the topic policy name the deploying account
// (aws.getCallerIdentity), not the account in the downstream's ARN; a
// downstream or healthcheck in another account is refused, naming the input,
// because CloudWatch alarms in the deploying account cannot see its metrics.
func TestAccountIsTheDeployingOne(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	var asked bool
	for _, c := range rec.calls {
		asked = asked || c.Token == callerIdentity
	}
	require.True(t, asked, "the deploying account comes from aws.getCallerIdentity")
	for _, role := range []string{"-state-machine-role", "-controller-role", "-alarm-handler-role", "-schedule-role"} {
		trust := policy(t, rec.one(t, "aws:iam/role:Role", role).Inputs["assumeRolePolicy"].StringValue())
		require.Equal(t, fakeaws.Account, trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"], role)
	}

	other := &recorder{callF: callerIn("210987654321")}
	_, _, err = deployOn(t, other, baseArgs, preview)
	require.Error(t, err)
	for _, want := range []string{"downstreamFunction: ", "healthcheckFunction: ", "is in account 123456789012", "deployed into account 210987654321", "`providers`"} {
		require.Contains(t, err.Error(), want)
	}
}

// Item 11. A brought table may be encrypted with a customer managed key: the
// caller's identity must then allow what DynamoDB does with the key on its
// behalf (AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS":
// DynamoDB decrypts the table key on the caller's behalf, on first access and
// after five minutes idle; the encryption context is aws:dynamodb:tableName
// and aws:dynamodb:subscriberId). The grant names no key (the key's ARN is an
// optional output: see item 15) and holds only through DynamoDB, for this
// table.
func TestBroughtTableKeyIsUsableThroughDynamoDBOnly(t *testing.T) {
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		tbl, err := dynamodb.NewTable(ctx, "mine", &dynamodb.TableArgs{HashKey: pulumi.String("serviceName")})
		if err != nil {
			return err
		}
		a := baseArgs(f)
		a.Table = tbl.ToTableOutput()
		_, err = component.NewCircuitBreaker(ctx, "breaker", a)
		return err
	}, pulumi.WithMocks("project", "stack", rec))
	require.NoError(t, err)
	tableName := rec.state(t, "aws:dynamodb/table:Table", "mine", "name")
	for _, role := range []string{"state-machine", "controller", "alarm-handler"} {
		st := rolePolicy(t, rec, role).Statement
		var crypto, describe *component.Statement
		for i := range st {
			switch st[i].Sid {
			case "UseTableKeyThroughDynamoDB":
				crypto = &st[i]
			case "DescribeTableKeyThroughDynamoDB":
				describe = &st[i]
			}
		}
		require.NotNil(t, crypto, role)
		require.NotNil(t, describe, role)
		require.Contains(t, crypto.Action, "kms:Decrypt", role)
		require.NotContains(t, crypto.Action, "kms:CreateGrant", "only the table's creator needs grants")
		require.Equal(t, []string{"arn:aws:kms:us-east-1:*:key/*"}, crypto.Resource)
		require.Equal(t, map[string]any{
			"kms:ViaService": "dynamodb.us-east-1.amazonaws.com",
			"kms:EncryptionContext:aws:dynamodb:tableName":    tableName,
			"kms:EncryptionContext:aws:dynamodb:subscriberId": fakeaws.Account,
		}, crypto.Condition["StringEquals"], role)
		require.Equal(t, []string{"kms:DescribeKey"}, describe.Action)
		require.Equal(t, map[string]any{"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}, describe.Condition["StringEquals"])
	}

	// The breaker's own table (AWS managed key) gets no KMS grant.
	rec, _, err = deploy(t, baseArgs)
	require.NoError(t, err)
	for _, st := range rolePolicy(t, rec, "controller").Statement {
		for _, a := range st.Action {
			require.False(t, strings.HasPrefix(a, "kms:"), a)
		}
	}
}

// Item 12. An alarm notifies on its first evaluation, so the handler must be
// subscribed, with the alarms' names in its environment, and the topic policy
// must let the alarms publish, before either alarm exists. The names are fixed
// before the alarms are created (after the topic's unique name); the handler's
// logic is unchanged (it still tells the sources apart by alarm name).
func TestAlarmsAreCreatedAfterTheHandlerListens(t *testing.T) {
	rec, out, err := deploy(t, baseArgs)
	require.NoError(t, err)
	topic := rec.one(t, "aws:sns/topic:Topic", "-alarms")
	env := rec.one(t, "aws:lambda/function:Function", "-alarm-handler").Inputs["environment"].ObjectValue()["variables"].ObjectValue()
	for suffix, envVar := range map[string]string{"-downstream-errors": "DOWNSTREAM_ALARM_NAME", "-healthcheck-errors": "HEALTHCHECK_ALARM_NAME"} {
		alarm := rec.one(t, "aws:cloudwatch/metricAlarm:MetricAlarm", suffix)
		require.Equal(t, topic.State["name"].StringValue()+suffix, alarm.Inputs["name"].StringValue(), "named before it exists")
		require.Equal(t, alarm.State["name"].StringValue(), env[resource.PropertyKey(envVar)].StringValue())
		for _, before := range []string{"breaker-alarm-handler-subscription", "breaker-alarms-policy", "breaker-alarm-handler-retries"} {
			require.Truef(t, alarm.dependsOn(before), "%s must wait for %s: %v", alarm.Name, before, alarm.Dependencies)
		}
	}
	require.Equal(t, out["downstreamAlarmName"], rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors", "name"))

	tp := rec.one(t, "aws:sns/topicPolicy:TopicPolicy", "-alarms-policy")
	require.False(t, tp.dependsOn("breaker-downstream-errors") || tp.dependsOn("breaker-healthcheck-errors"), "the policy must not wait for the alarms")
	require.ElementsMatch(t, []any{
		rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors", "arn"),
		rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-healthcheck-errors", "arn"),
	}, policy(t, tp.Inputs["policy"].StringValue()).Statement[0].Condition["ArnLike"]["aws:SourceArn"])
}

// Item 13. A downstream outage can use up the account's concurrency; the
// controller (trips, probe elections) and the alarm handler keep executions of
// their own.
func TestBreakerLambdasHaveReservedConcurrency(t *testing.T) {
	reserved := func(c child) any { return c.Inputs["reservedConcurrentExecutions"].Mappable() }
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	require.Equal(t, 10.0, reserved(rec.one(t, "aws:lambda/function:Function", "-controller")))
	require.Equal(t, 2.0, reserved(rec.one(t, "aws:lambda/function:Function", "-alarm-handler")))

	rec, _, err = deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.ControllerReservedConcurrency = pulumi.IntRef(25)
		a.AlarmHandlerReservedConcurrency = pulumi.IntRef(0)
		return a
	})
	require.NoError(t, err)
	require.Equal(t, 25.0, reserved(rec.one(t, "aws:lambda/function:Function", "-controller")))
	// Lambda takes 0 as "throttle everything": 0 here sends nothing (the
	// provider's default, -1, unreserved).
	require.NotContains(t, rec.one(t, "aws:lambda/function:Function", "-alarm-handler").Inputs, resource.PropertyKey("reservedConcurrentExecutions"))
}

// Item 15. Two breakers share a brought table declared without a sort key. At
// preview the SDK resolves an output the provider did not return as unknown
// (sdk/go/pulumi/context.go, resourceState.resolve: missing or null is unknown
// when DryRun), so nothing a child takes may wait on the table's optional
// rangeKey: the definitions and the Lambdas' TABLE_NAME must be known.
func TestSharedBroughtTableLeavesNoUnknownsAtPreview(t *testing.T) {
	rec := &recorder{}
	require.NoError(t, sharedTableBreakers(rec, preview))
	name := rec.state(t, "aws:dynamodb/table:Table", "shared-circuits", "name")
	for _, n := range []string{"checkout", "refunds"} {
		def := rec.one(t, "aws:sfn/stateMachine:StateMachine", n+"-state-machine").Inputs["definition"]
		// An unknown input reaches the mock monitor as computed or not at all.
		require.Truef(t, def.IsString() && !def.ContainsUnknowns(), "%s: definition unknown at preview: %v", n, def)
		require.Contains(t, def.StringValue(), name)
		for _, fn := range []string{n + "-controller", n + "-alarm-handler"} {
			env := rec.one(t, "aws:lambda/function:Function", fn).Inputs["environment"]
			require.Truef(t, env.IsObject() && !env.ContainsUnknowns(), "%s: environment unknown at preview: %v", fn, env)
			require.Equal(t, name, env.ObjectValue()["variables"].ObjectValue()["TABLE_NAME"].StringValue())
		}
		for _, p := range []string{n + "-state-machine-policy", n + "-controller-policy", n + "-alarm-handler-policy"} {
			pol := rec.one(t, "aws:iam/rolePolicy:RolePolicy", p).Inputs["policy"]
			require.Truef(t, pol.IsString() && !pol.ContainsUnknowns(), "%s unknown at preview: %v", p, pol)
		}
	}
}

func TestSameAccountNamesEachFunction(t *testing.T) {
	err := component.SameAccount("111111111111", []component.FunctionInAccount{
		{Field: "downstreamFunction", Arn: "arn:aws:lambda:us-east-1:111111111111:function:a"},
		{Field: "healthcheckFunction", Arn: "arn:aws:lambda:us-east-1:222222222222:function:b"},
	})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "downstreamFunction:")
	require.Contains(t, err.Error(), fmt.Sprintf("healthcheckFunction: %s is in account 222222222222", "arn:aws:lambda:us-east-1:222222222222:function:b"))
	require.NoError(t, component.SameAccount("111111111111", []component.FunctionInAccount{{Field: "downstreamFunction", Arn: "arn:aws:lambda:us-east-1:111111111111:function:a"}}))
}
