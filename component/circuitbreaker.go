// Package component is the CircuitBreaker Pulumi component: its inputs (args.go,
// defaults.go, settings.go) and the builders of its children, one file per part
// of the design: the circuit-state table (table.go), the request path
// (requestpath.go), the alarm path (alarms.go, alarmhandler.go), the
// healthcheck schedule and runner (schedule.go), the transition events
// (events.go), reconciliation (reconcile.go), and metrics and the dashboard
// (observability.go). IAM documents live in policies.go; docs/architecture.md
// lists every child.
package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeToken is the component's type in the schema and in every SDK.
const TypeToken = "circuitbreaker:index:CircuitBreaker"

// CircuitBreaker is the component and its outputs.
type CircuitBreaker struct {
	pulumi.ResourceState

	StateMachineArn      pulumi.StringOutput `pulumi:"stateMachineArn"`
	StateMachineName     pulumi.StringOutput `pulumi:"stateMachineName"`
	TableName            pulumi.StringOutput `pulumi:"tableName"`
	TableArn             pulumi.StringOutput `pulumi:"tableArn"`
	TopicArn             pulumi.StringOutput `pulumi:"topicArn"`
	DownstreamAlarmName  pulumi.StringOutput `pulumi:"downstreamAlarmName"`
	HealthcheckAlarmName pulumi.StringOutput `pulumi:"healthcheckAlarmName"`
	AlarmHandlerArn      pulumi.StringOutput `pulumi:"alarmHandlerArn"`
	AlarmHandlerName     pulumi.StringOutput `pulumi:"alarmHandlerName"`
	ScheduleArn          pulumi.StringOutput `pulumi:"scheduleArn"`

	AlarmDeadLetterQueueUrl pulumi.StringOutput `pulumi:"alarmDeadLetterQueueUrl"`
	ControllerArn           pulumi.StringOutput `pulumi:"controllerArn"`
	ControllerName          pulumi.StringOutput `pulumi:"controllerName"`

	// The breaker's resources themselves, as pulumi-awsx outputs its
	// children: references to the aws types, so that users attach their own
	// policies, subscriptions and dashboards, and a second breaker takes
	// `table: first.table`. The names and ARNs above stay for existing users.
	Table            dynamodb.TableOutput    `pulumi:"table" provider:"type=aws@v6.83.4:dynamodb/table:Table"`
	StateMachine     *sfn.StateMachine       `pulumi:"stateMachine" provider:"type=aws@v6.83.4:sfn/stateMachine:StateMachine"`
	Topic            *sns.Topic              `pulumi:"topic" provider:"type=aws@v6.83.4:sns/topic:Topic"`
	DownstreamAlarm  *cloudwatch.MetricAlarm `pulumi:"downstreamAlarm" provider:"type=aws@v6.83.4:cloudwatch/metricAlarm:MetricAlarm"`
	HealthcheckAlarm *cloudwatch.MetricAlarm `pulumi:"healthcheckAlarm" provider:"type=aws@v6.83.4:cloudwatch/metricAlarm:MetricAlarm"`
}

// Annotate documents the component and its outputs.
func (c *CircuitBreaker) Annotate(an infer.Annotator) {
	an.Describe(c, "A circuit breaker around an AWS Lambda function. Callers run the state machine "+
		"(StartSyncExecution for EXPRESS, StartExecution for STANDARD) with the downstream's payload; it reads the "+
		"circuit's state from DynamoDB and either invokes the downstream, returning its result, or fails fast with "+
		"the error `CircuitOpen`. CloudWatch alarms on the downstream and on a scheduled healthcheck move the "+
		"circuit through an SNS topic and the breaker's alarm-handler Lambda.")
	an.Describe(&c.StateMachineArn, "ARN of the state machine callers execute instead of invoking the downstream directly.")
	an.Describe(&c.StateMachineName, "Name of the state machine.")
	an.Describe(&c.TableName, "Name of the circuit-state table (created or brought).")
	an.Describe(&c.TableArn, "ARN of the circuit-state table.")
	an.Describe(&c.TopicArn, "ARN of the SNS topic both alarms notify on ALARM, OK and INSUFFICIENT_DATA; subscribe your own alerting to it.")
	an.Describe(&c.DownstreamAlarmName, "Name of the CloudWatch alarm on the downstream function.")
	an.Describe(&c.HealthcheckAlarmName, "Name of the CloudWatch alarm on the healthcheck function.")
	an.Describe(&c.AlarmHandlerArn, "ARN of the Lambda that applies alarm notifications to the circuit.")
	an.Describe(&c.AlarmHandlerName, "Name of the alarm-handler Lambda (its logs record every transition).")
	an.Describe(&c.AlarmDeadLetterQueueUrl, "URL of the SQS queue that keeps alarm notifications the handler could not apply after its retries; alarm on its depth.")
	an.Describe(&c.ControllerArn, "ARN of the controller Lambda: the state machine calls it to trip, elect probes and reopen (its only caller; operators force and release the circuit with circuitctl).")
	an.Describe(&c.ControllerName, "Name of the controller Lambda (its logs record the request path's transitions). Operators force the circuit open or closed and release it with `circuitctl open|close|release` (docs/runbook.md), not through this function.")
	an.Describe(&c.ScheduleArn, "ARN of the EventBridge Scheduler schedule that runs the healthcheck.")
	an.Describe(&c.Table, "The circuit-state table: the one the breaker created, or the one brought as `table`. "+
		"Pass it as another breaker's `table` to share it.")
	an.Describe(&c.StateMachine, "The state machine callers execute.")
	an.Describe(&c.Topic, "The SNS topic both alarms notify; subscribe your own alerting to it.")
	an.Describe(&c.DownstreamAlarm, "The CloudWatch alarm on the downstream function.")
	an.Describe(&c.HealthcheckAlarm, "The CloudWatch alarm on the healthcheck function.")
}

// NewCircuitBreaker validates args (before anything is registered, so bad input
// fails the preview and touches no state) and builds the breaker's children.
func NewCircuitBreaker(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*CircuitBreaker, error) {
	s, err := resolve(args, nameProblems(name))
	if err != nil {
		return nil, err
	}
	cb := &CircuitBreaker{}
	if err := ctx.RegisterComponentResource(TypeToken, name, cb, opts...); err != nil {
		return nil, err
	}
	g := &graph{ctx: ctx, name: name, s: s, args: args, parent: pulumi.Parent(cb), tags: args.Tags}
	if err := g.build(cb); err != nil {
		return nil, err
	}
	outputs := pulumi.Map{
		"stateMachineArn":      cb.StateMachineArn,
		"stateMachineName":     cb.StateMachineName,
		"tableName":            cb.TableName,
		"tableArn":             cb.TableArn,
		"topicArn":             cb.TopicArn,
		"downstreamAlarmName":  cb.DownstreamAlarmName,
		"healthcheckAlarmName": cb.HealthcheckAlarmName,
		"alarmHandlerArn":      cb.AlarmHandlerArn,
		"alarmHandlerName":     cb.AlarmHandlerName,
		"scheduleArn":          cb.ScheduleArn,

		"alarmDeadLetterQueueUrl": cb.AlarmDeadLetterQueueUrl,
		"controllerArn":           cb.ControllerArn,
		"controllerName":          cb.ControllerName,

		"table":            cb.Table,
		"stateMachine":     pulumi.NewResourceOutput(cb.StateMachine),
		"topic":            pulumi.NewResourceOutput(cb.Topic),
		"downstreamAlarm":  pulumi.NewResourceOutput(cb.DownstreamAlarm),
		"healthcheckAlarm": pulumi.NewResourceOutput(cb.HealthcheckAlarm),
	}
	if g.tableCheck != nil {
		// A brought table's keys are checked here, on an output of the
		// component that nothing consumes: a wrong table fails the deployment
		// (at preview when its keys are known) and no child's input waits on
		// the table's optional outputs.
		outputs["broughtTableChecked"] = g.tableCheck
	}
	if g.eventsCheck != nil {
		// The same for a brought table's stream, when events are on (events.go).
		outputs["eventsStreamChecked"] = g.eventsCheck
	}
	if g.aliasCheck != nil {
		// The same for the aliases' functions (qualifiers.go).
		outputs["aliasesChecked"] = g.aliasCheck
	}
	if g.busCheck != nil {
		// The same for the event bus's Region (events.go).
		outputs["eventBusChecked"] = g.busCheck
	}
	if g.tagsCheck != nil {
		// The same for tags known only as outputs (tags.go).
		outputs["tagsChecked"] = g.tagsCheck
	}
	if g.streamOwnerCheck != nil {
		// The same for a stream another breaker already publishes (events.go).
		outputs["eventsPublisherChecked"] = g.streamOwnerCheck
	}
	// The same for a serviceName another breaker uses on this table (claims.go).
	outputs["serviceNameClaimed"] = g.claimCheck
	if c := g.checkSlowCallThreshold(); c != nil {
		// The same for the slow-call threshold and the function's timeout.
		outputs["slowCallThresholdChecked"] = c
	}
	// The same for the healthcheck's timeout, which the runner must outlast
	// (schedule.go).
	outputs["healthcheckTimeoutChecked"] = g.healthcheckTimeoutCheck()
	// Go programs using this package directly need the outputs registered. The
	// provider registers them again from the struct; the SDK keeps the first
	// registration, this one.
	return cb, ctx.RegisterResourceOutputs(cb, outputs)
}

// graph carries what every child builder needs.
type graph struct {
	ctx    *pulumi.Context
	name   string
	s      Settings
	args   Args
	parent pulumi.ResourceOption
	tags   pulumi.StringMapInput

	account     pulumi.StringOutput // the deploying account, for trust conditions and the topic policy
	downArn     pulumi.StringOutput // qualified downstream ARN
	healthArn   pulumi.StringOutput // qualified healthcheck ARN
	tableCheck  pulumi.Input        // a brought table's key check, or nil
	aliasCheck  pulumi.Input        // the aliases' functions check, or nil
	eventsCheck pulumi.Input        // a brought table's stream check (events.go), or nil
	busCheck    pulumi.Input        // events.busName's Region (events.go), or nil
	tagsCheck   pulumi.Input        // tags that are outputs (tags.go), or nil
	claimCheck  pulumi.Input        // this breaker alone uses serviceName on its table (claims.go)
	// streamOwnerCheck: events on a table another breaker created (events.go), or nil.
	streamOwnerCheck pulumi.Input

	downQ, healthQ, fallbackQ qualifier // each function's alias or version

	executionLogGroup *cloudwatch.LogGroup // the state machine's, nil when logLevel is OFF
}

func (g *graph) build(cb *CircuitBreaker) error {
	g.downQ = qualifierOf(g.s.DownstreamQualifier, g.args.DownstreamAlias)
	g.healthQ = qualifierOf(g.s.HealthcheckQualifier, g.args.HealthcheckAlias)
	g.fallbackQ = qualifierOf(g.s.FallbackQualifier, g.args.FallbackAlias)
	g.downArn = g.downQ.qualify(g.args.DownstreamFunction.Arn)
	g.healthArn = g.healthQ.qualify(g.args.HealthcheckFunction.Arn)
	g.aliasCheck = checkAliases([]aliasOf{
		{"downstreamAlias", "downstreamFunction", g.args.DownstreamAlias, g.args.DownstreamFunction},
		{"healthcheckAlias", "healthcheckFunction", g.args.HealthcheckAlias, g.args.HealthcheckFunction},
		{"fallbackAlias", "fallbackFunction", g.args.FallbackAlias, g.args.FallbackFunction},
	})
	g.busCheck = g.eventBusRegionCheck(cb)
	g.tagsCheck = tagsCheck(g.args.Tags)
	early := []pulumi.Input{g.aliasCheck, g.busCheck, g.tagsCheck}
	if t := g.args.Table; t.OutputState != nil {
		// A brought table is known before any child exists: its checks gate
		// them too.
		urn := t.ApplyT(func(t *dynamodb.Table) pulumi.URNOutput { return t.URN() }).(pulumi.URNOutput)
		g.claimCheck = g.claimItem(urn, t.Name())
		g.streamOwnerCheck = g.sharedStreamCheck(urn)
		early = append(early, g.claimCheck, g.streamOwnerCheck)
	}
	g.gate(early...)
	g.account = g.deployingAccount(cb)

	table, err := g.table()
	if err != nil {
		return err
	}
	g.tableCheck = table.check
	if g.claimCheck == nil {
		g.claimCheck = g.claimItem(table.urn, table.name)
	}
	topic, err := g.topic()
	if err != nil {
		return err
	}
	handler, err := g.alarmHandler(table, topic)
	if err != nil {
		return err
	}
	alarms, err := g.alarms(topic, handler)
	if err != nil {
		return err
	}
	sm, controller, err := g.requestPath(table)
	if err != nil {
		return err
	}
	schedule, err := g.schedule(table)
	if err != nil {
		return err
	}
	if err := g.events(table); err != nil {
		return err
	}
	if _, err := g.reconcileSchedule(table, topic, handler); err != nil {
		return err
	}
	if _, err := g.executionMetrics(g.executionLogGroup); err != nil {
		return err
	}
	if _, err := g.dashboard(topic, sm); err != nil {
		return err
	}

	cb.StateMachineArn = sm.Arn
	cb.StateMachineName = sm.Name
	cb.TableName = table.name
	cb.TableArn = table.arn
	cb.TopicArn = topic.topic.Arn
	cb.DownstreamAlarmName = alarms.downstream.Name
	cb.HealthcheckAlarmName = alarms.healthcheck.Name
	cb.AlarmHandlerArn = handler.fn.Arn
	cb.AlarmHandlerName = handler.fn.Name
	cb.AlarmDeadLetterQueueUrl = handler.dlq.Url
	cb.ControllerArn = controller.Arn
	cb.ControllerName = controller.Name
	cb.ScheduleArn = schedule.Arn
	cb.Table = table.resource
	cb.StateMachine = sm
	cb.Topic = topic.topic
	cb.DownstreamAlarm = alarms.downstream
	cb.HealthcheckAlarm = alarms.healthcheck
	return nil
}

// deployingAccount is the account the stack deploys into (the aws provider's
// credentials, as the component's parent chain selects it), for every trust
// condition and the topic policy. The user's downstream and healthcheck must
// live there too: see SameAccount.
func (g *graph) deployingAccount(cb *CircuitBreaker) pulumi.StringOutput {
	caller := aws.GetCallerIdentityOutput(g.ctx, aws.GetCallerIdentityOutputArgs{}, pulumi.Parent(cb))
	return pulumi.All(caller.AccountId(), g.args.DownstreamFunction.Arn, g.args.HealthcheckFunction.Arn).ApplyT(func(v []any) (string, error) {
		account := v[0].(string)
		return account, SameAccount(account, []FunctionInAccount{
			{Field: "downstreamFunction", Arn: v[1].(string)},
			{Field: "healthcheckFunction", Arn: v[2].(string)},
		})
	}).(pulumi.StringOutput)
}

// FunctionInAccount is one of the user's functions, by the input that names it.
type FunctionInAccount struct{ Field, Arn string }

// SameAccount refuses a downstream or healthcheck in another account than the
// deploying one. The breaker watches both with CloudWatch metric alarms, which
// evaluate the metrics of their own account (another account's Lambda metrics
// reach them only through CloudWatch cross-account observability, which the
// breaker does not set up), and its healthcheck runner invokes the healthcheck
// with a grant in the deploying account. A breaker in the wrong account
// would never see its downstream fail; deploying it into the function's
// account is the fix.
func SameAccount(deploying string, functions []FunctionInAccount) error {
	var p problems
	if deploying == "" {
		p.add("aws provider", "aws.getCallerIdentity returned no account ID; check the aws provider's credentials")
		return p.err()
	}
	for _, f := range functions {
		account, err := AccountOf(f.Arn)
		if err != nil {
			p.add(f.Field, "%v", err)
			continue
		}
		if account != deploying {
			p.add(f.Field, "%s is in account %s, but the breaker is being deployed into account %s (the aws provider's credentials); "+
				"its CloudWatch alarms would not see that function's metrics. Deploy the breaker into account %s: give the component "+
				"an aws provider for that account (the `providers` resource option)", f.Arn, account, deploying, account)
		}
	}
	return p.err()
}

// gate makes every child wait for checks (nil ones are skipped): what a check
// refuses then creates nothing, at up as at preview. A check known at preview
// fails the preview through the component's outputs (NewCircuitBreaker); one
// that is unknown until up (an alias of a function created in the same
// update) used to fail only after every child had been created, since nothing
// waited for it. Through DependsOnInputs each child's registration awaits the
// checks' output: an error fails the registration, and an unknown (preview)
// adds no dependency and holds nothing back. The output resolves to no
// resources, so the children gain no dependency beyond those of the checks'
// own inputs (the user's aliases and functions, which the breaker depends on
// anyway).
func (g *graph) gate(checks ...pulumi.Input) {
	var all []any
	for _, c := range checks {
		if c != nil {
			all = append(all, c)
		}
	}
	if len(all) == 0 {
		return
	}
	passed := pulumi.All(all...).ApplyT(func([]any) []pulumi.Resource { return nil }).(pulumi.ResourceArrayOutput)
	g.parent = pulumi.Composite(g.parent, pulumi.DependsOnInputs(passed))
}

// child names every child after the component, so names are unique per stack
// and physical names (auto-named with a random suffix) never collide, even for
// two breakers on one function.
func (g *graph) child(suffix string) string { return g.name + "-" + suffix }

// role creates a role that service may assume, with one inline policy.
func (g *graph) role(suffix, service string, policy pulumi.StringOutput) (*iamRole, error) {
	return newIAMRole(g, suffix, service, policy)
}
