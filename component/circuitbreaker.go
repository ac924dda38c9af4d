// Package component is the CircuitBreaker Pulumi component: its inputs (args.go,
// defaults.go, settings.go) and the builders of its children, one file per part
// of the design: the circuit-state table (table.go), the request path
// (requestpath.go), the alarm path (alarms.go, alarmhandler.go) and the
// healthcheck schedule (schedule.go). IAM documents live in policies.go.
package component

import (
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
	an.Describe(&c.ControllerArn, "ARN of the controller Lambda: the state machine calls it to trip, elect probes and reopen; operators invoke it to force the circuit open or closed and to release it.")
	an.Describe(&c.ControllerName, "Name of the controller Lambda, e.g. for `aws lambda invoke --function-name NAME --payload '{\"action\":\"forceOpen\",\"reason\":\"maintenance\"}' out.json`.")
	an.Describe(&c.ScheduleArn, "ARN of the EventBridge Scheduler schedule that runs the healthcheck.")
}

// NewCircuitBreaker validates args (before anything is registered, so bad input
// fails the preview and touches no state) and builds the breaker's children.
func NewCircuitBreaker(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*CircuitBreaker, error) {
	s, err := Resolve(args)
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
	// Go programs using this package directly need the outputs registered; the
	// provider registers them again from the struct, which is harmless.
	return cb, ctx.RegisterResourceOutputs(cb, pulumi.Map{
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
	})
}

// graph carries what every child builder needs.
type graph struct {
	ctx    *pulumi.Context
	name   string
	s      Settings
	args   Args
	parent pulumi.ResourceOption
	tags   pulumi.StringMapInput

	account   pulumi.StringOutput // the account owning the downstream, for trust conditions
	downArn   pulumi.StringOutput // qualified downstream ARN
	healthArn pulumi.StringOutput // qualified healthcheck ARN
}

func (g *graph) build(cb *CircuitBreaker) error {
	q := g.s.DownstreamQualifier
	g.downArn = g.args.DownstreamFunction.Arn.ApplyT(func(arn string) string { return Qualified(arn, q) }).(pulumi.StringOutput)
	hq := g.s.HealthcheckQualifier
	g.healthArn = g.args.HealthcheckFunction.Arn.ApplyT(func(arn string) string { return Qualified(arn, hq) }).(pulumi.StringOutput)
	g.account = g.args.DownstreamFunction.Arn.ApplyT(AccountOf).(pulumi.StringOutput)

	table, err := g.table()
	if err != nil {
		return err
	}
	alarms, err := g.alarms()
	if err != nil {
		return err
	}
	handler, dlq, err := g.alarmHandler(table, alarms)
	if err != nil {
		return err
	}
	sm, controller, err := g.requestPath(table)
	if err != nil {
		return err
	}
	schedule, err := g.schedule()
	if err != nil {
		return err
	}

	cb.StateMachineArn = sm.Arn
	cb.StateMachineName = sm.Name
	cb.TableName = table.name
	cb.TableArn = table.arn
	cb.TopicArn = alarms.topic.Arn
	cb.DownstreamAlarmName = alarms.downstream.Name
	cb.HealthcheckAlarmName = alarms.healthcheck.Name
	cb.AlarmHandlerArn = handler.Arn
	cb.AlarmHandlerName = handler.Name
	cb.AlarmDeadLetterQueueUrl = dlq.Url
	cb.ControllerArn = controller.Arn
	cb.ControllerName = controller.Name
	cb.ScheduleArn = schedule.Arn
	return nil
}

// child names every child after the component, so names are unique per stack
// and physical names (auto-named with a random suffix) never collide, even for
// two breakers on one function.
func (g *graph) child(suffix string) string { return g.name + "-" + suffix }

// role creates a role that service may assume, with one inline policy.
func (g *graph) role(suffix, service string, policy pulumi.StringOutput) (*iamRole, error) {
	return newIAMRole(g, suffix, service, policy)
}
