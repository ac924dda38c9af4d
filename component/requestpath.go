package component

import (
	"fmt"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
	ctlconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// requestPath creates the state machine callers execute (component/statemachine
// has the definition) and the controller Lambda it calls for the rare
// transitions that need time arithmetic: trip, probe election, reopen.
func (g *graph) requestPath(table circuitTable) (*sfn.StateMachine, *lambda.Function, error) {
	s := g.s
	table.perKey = s.CircuitKey != ""
	g.warnShadowFallback()
	controller, err := g.controller(table)
	if err != nil {
		return nil, nil, err
	}
	fallback := pulumi.String("").ToStringOutput()
	if f := g.args.FallbackFunction; f != nil {
		fallback = g.fallbackQ.qualify(f.Arn)
	}

	definition := pulumi.All(table.name, g.downArn, controller.Arn, fallback).ApplyT(func(v []any) (string, error) {
		return statemachine.Definition(StateMachineConfig(s, v[0].(string), v[1].(string), v[2].(string), v[3].(string)))
	}).(pulumi.StringOutput)

	// The user's functions are granted unqualified, with every qualifier
	// (FunctionAndVersions), so that a qualifier change never leaves a running
	// execution without its grant.
	userFunctions := []pulumi.StringInput{g.args.DownstreamFunction.Arn}
	if f := g.args.FallbackFunction; f != nil {
		userFunctions = append(userFunctions, f.Arn)
	}
	policy := pulumi.All(table.name, table.arn, controller.Arn, pulumi.StringArray(userFunctions)).ApplyT(func(v []any) string {
		return StateMachinePolicy(table.grant(v[0].(string), v[1].(string)), s.ServiceName, v[2].(string), v[3].([]string), shadowStatements(s)...)
	}).(pulumi.StringOutput)
	role, err := g.role("state-machine", "states.amazonaws.com", policy)
	if err != nil {
		return nil, nil, err
	}
	logConfig, ready, err := g.executionLogs(role)
	if err != nil {
		return nil, nil, err
	}
	sm, err := sfn.NewStateMachine(g.ctx, g.child("state-machine"), &sfn.StateMachineArgs{
		Type:                 pulumi.String(s.WorkflowType),
		Definition:           definition,
		RoleArn:              role.role.Arn,
		LoggingConfiguration: logConfig,
		Tags:                 g.tags,
	}, g.parent, pulumi.DependsOn(append([]pulumi.Resource{role.policy}, ready...)))
	return sm, controller, err
}

// executionLogs is the state machine's logging configuration, and the log group
// and log-delivery grant it needs while it logs (ready).
//
// The configuration is always sent, OFF included: the provider treats a
// logging_configuration block that disappears from the inputs as no change
// (Optional+Computed with verify.SuppressMissingOptionalConfigurationBlock,
// terraform-provider-aws internal/service/sfn/state_machine.go), so omitting
// it would leave an existing state machine logging to a log group the update
// then deletes. Turning logs off thus updates the state machine to level OFF
// and drops the log group and the grant from the program: the engine deletes
// removed resources after the updates, so they go only once the state machine
// no longer uses them; turning logs on creates them before the update (the
// state machine depends on them).
func (g *graph) executionLogs(role *iamRole) (sfn.StateMachineLoggingConfigurationPtrInput, []pulumi.Resource, error) {
	s := g.s
	if s.LogLevel == "OFF" {
		return sfn.StateMachineLoggingConfigurationArgs{
			Level:                pulumi.String("OFF"),
			IncludeExecutionData: pulumi.Bool(false),
		}, nil, nil
	}
	// The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy from
	// growing with every state machine (AWS's advice for vended logs).
	lg, err := cloudwatch.NewLogGroup(g.ctx, g.child("state-machine-logs"), &cloudwatch.LogGroupArgs{
		NamePrefix:      pulumi.String("/aws/vendedlogs/states/" + g.name + "-"),
		RetentionInDays: pulumi.Int(s.LogRetentionDays),
		Tags:            g.tags,
	}, g.parent)
	if err != nil {
		return nil, nil, err
	}
	g.executionLogGroup = lg
	grant, err := iam.NewRolePolicy(g.ctx, g.child("state-machine-logs-policy"), &iam.RolePolicyArgs{
		Role:   role.role.Name,
		Policy: pulumi.String(LogDeliveryPolicy()),
	}, g.parent)
	if err != nil {
		return nil, nil, err
	}
	return sfn.StateMachineLoggingConfigurationArgs{
		Level:                pulumi.String(s.LogLevel),
		IncludeExecutionData: pulumi.Bool(s.LogIncludeExecutionData),
		LogDestination:       pulumi.Sprintf("%s:*", lg.Arn),
	}, []pulumi.Resource{lg, grant}, nil
}

// controller is our Go Lambda for the request path's rare transitions, and the
// (functions/controller).
func (g *graph) controller(table circuitTable) (*lambda.Function, error) {
	table.perKey = g.s.CircuitKey != ""
	budget, err := probeBudget(g.s)
	if err != nil {
		return nil, err
	}
	cfg := ctlconfig.Config{
		ServiceName: g.s.ServiceName,
		Policy:      g.openPolicy(),
		Probes:      circuit.ProbePolicy{MaxCalls: g.s.HalfOpenMaxCalls, Timeout: seconds(budget)},
	}
	env := renderEnv(func(v []string) map[string]string {
		cfg.TableName = v[0]
		return cfg.Env()
	}, table.name)
	c, err := g.goLambda("controller", "controller", ctlconfig.Handler, "trips, elects probes, reopens",
		statemachine.ControllerFunctionTimeoutSeconds, table, env, g.s.ControllerReservedConcurrency)
	if err != nil {
		return nil, err
	}
	return c.fn, nil
}

// ProbeBudgetSeconds is how long a half-open period waits for its probes: the
// longest an elected probe's execution can take, from its start (the period's)
// to its verdict, measured on the definition (statemachine.WorstCaseOf: the
// read, the election, the probe and the bookkeeping, every attempt timing out
// and every retry waited). A probe silent for longer is presumed lost, and the
// next caller is elected in its place. An EXPRESS execution is stopped at
// 300 s, so no probe of one can report later than that. s must come from
// Resolve, which refuses settings the definition cannot be built from.
func ProbeBudgetSeconds(s Settings) int {
	budget, err := probeBudget(s)
	if err != nil {
		panic(fmt.Sprintf("component: ProbeBudgetSeconds of settings Resolve refuses: %v", err))
	}
	return budget
}

func probeBudget(s Settings) (int, error) {
	worst, err := statemachine.WorstCaseOf(previewConfig(s))
	if err != nil {
		return 0, err
	}
	budget, _ := worst.Through(statemachine.StateElectProbe)
	if s.WorkflowType == "EXPRESS" {
		budget = min(budget, expressMaxSeconds)
	}
	return budget, nil
}

// previewConfig is the definition's configuration with stand-in names, for
// what can be known before the table and the functions exist: durations
// depend on the settings only, never on names.
func previewConfig(s Settings) statemachine.Config {
	const function = "arn:aws:lambda:us-east-1:000000000000:function:"
	fallback := ""
	if s.HasFallback {
		fallback = function + "fallback"
	}
	return StateMachineConfig(s, "circuits", function+"downstream", function+"controller", fallback)
}

// StateMachineConfig is the definition's configuration for these settings.
func StateMachineConfig(s Settings, tableName, downstreamArn, controllerArn, fallbackArn string) statemachine.Config {
	retry := s.Retry
	return statemachine.Config{
		ServiceName:              s.ServiceName,
		TableName:                tableName,
		DownstreamArn:            downstreamArn,
		DownstreamTimeoutSeconds: s.DownstreamTimeoutSeconds,
		Retry:                    &retry,
		FailureThreshold:         s.FailureThreshold,
		HalfOpenMaxCalls:         s.HalfOpenMaxCalls,
		SuccessThreshold:         s.SuccessThreshold,
		IgnoreErrors:             s.IgnoreErrors,
		FallbackArn:              fallbackArn,
		FallbackTimeoutSeconds:   s.FallbackTimeoutSeconds,
		ControllerArn:            controllerArn,
		FailClosed:               s.OnStoreError == StoreErrorFailClosed,
		Shadow:                   circuit.ModeOf(s.Enforce) == circuit.ModeShadow,
		CircuitKey:               s.CircuitKey,
		ResultFailureWhen:        s.ResultFailureWhen,
		FailOnResultFailure:      s.FailOnResultFailure,
	}
}
