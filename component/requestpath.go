package component

import (
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// requestPath creates the state machine callers execute: it reads the circuit
// with Step Functions' own DynamoDB integration and invokes the downstream or
// fails fast (component/statemachine has the definition).
func (g *graph) requestPath(table circuitTable) (*sfn.StateMachine, error) {
	s := g.s
	definition := pulumi.All(table.name, g.downArn).ApplyT(func(v []any) (string, error) {
		return statemachine.Definition(StateMachineConfig(s, v[0].(string), v[1].(string)))
	}).(pulumi.StringOutput)

	logging := s.LogLevel != "OFF"
	policy := pulumi.All(table.arn, g.downArn).ApplyT(func(v []any) string {
		return StateMachinePolicy(v[0].(string), s.ServiceName, v[1].(string), logging)
	}).(pulumi.StringOutput)
	role, err := g.role("state-machine", "states.amazonaws.com", policy)
	if err != nil {
		return nil, err
	}

	var logConfig sfn.StateMachineLoggingConfigurationPtrInput
	if logging {
		// The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy from
		// growing with every state machine (AWS's advice for vended logs).
		lg, err := cloudwatch.NewLogGroup(g.ctx, g.child("state-machine-logs"), &cloudwatch.LogGroupArgs{
			NamePrefix:      pulumi.String("/aws/vendedlogs/states/" + g.name + "-"),
			RetentionInDays: pulumi.Int(s.LogRetentionDays),
			Tags:            g.tags,
		}, g.parent)
		if err != nil {
			return nil, err
		}
		logConfig = sfn.StateMachineLoggingConfigurationArgs{
			Level:                pulumi.String(s.LogLevel),
			IncludeExecutionData: pulumi.Bool(s.LogIncludeExecutionData),
			LogDestination:       pulumi.Sprintf("%s:*", lg.Arn),
		}
	}
	return sfn.NewStateMachine(g.ctx, g.child("state-machine"), &sfn.StateMachineArgs{
		Type:                 pulumi.String(s.WorkflowType),
		Definition:           definition,
		RoleArn:              role.role.Arn,
		LoggingConfiguration: logConfig,
		Tags:                 g.tags,
	}, g.parent, pulumi.DependsOn([]pulumi.Resource{role.policy}))
}

// StateMachineConfig is the definition's configuration for these settings.
func StateMachineConfig(s Settings, tableName, downstreamArn string) statemachine.Config {
	retry := s.Retry
	return statemachine.Config{
		ServiceName:              s.ServiceName,
		TableName:                tableName,
		DownstreamArn:            downstreamArn,
		DownstreamTimeoutSeconds: s.DownstreamTimeoutSeconds,
		Retry:                    &retry,
	}
}
