package component

import (
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// goLambda deploys one of our Go Lambdas, the role handler (its Handler
// setting) of the zip functions/<artifact>, with its own log
// group and a role that may update only this circuit's item and write only to
// that log group. Every Lambda of ours is a writer of the circuit, nothing more.
// reserved > 0 reserves that many concurrent executions for it: a downstream
// outage that uses up the account's concurrency must not throttle the breaker's
// own functions, or the circuit could not open.
func (g *graph) goLambda(suffix, artifact, handler, purpose string, timeoutSeconds int, table circuitTable, env pulumi.StringMapInput, reserved int) (*ourLambda, error) {
	return g.goLambdaWith(suffix, artifact, handler, purpose, pulumi.Int(timeoutSeconds), table, env, reserved, g.circuitWriterPolicy(table))
}

// circuitWriterPolicy is the role policy of a Lambda of ours that writes the
// circuit: this breaker's item (its keys' too where the table's grant says
// so) and its own log group, as a function of the log group's ARN.
func (g *graph) circuitWriterPolicy(table circuitTable) func(logGroupArn pulumi.StringOutput) pulumi.StringOutput {
	svc := g.s.ServiceName
	return func(logs pulumi.StringOutput) pulumi.StringOutput {
		return pulumi.All(table.name, table.arn, logs).ApplyT(func(v []any) string {
			return CircuitWriterPolicy(table.grant(v[0].(string), v[1].(string)), svc, v[2].(string))
		}).(pulumi.StringOutput)
	}
}

// goLambdaWith is goLambda with the timeout as an input (the healthcheck
// runner's follows the healthcheck's, known only once deployed) and the
// role's policy given as a function of the log group's ARN (the event
// publisher is no writer of the circuit: it reads the table's stream only).
func (g *graph) goLambdaWith(suffix, artifact, handler, purpose string, timeout pulumi.IntInput, table circuitTable, env pulumi.StringMapInput, reserved int, rolePolicy func(logGroupArn pulumi.StringOutput) pulumi.StringOutput) (*ourLambda, error) {
	logs, err := g.lambdaLogGroup(suffix)
	if err != nil {
		return nil, err
	}
	role, err := g.role(suffix, "lambda.amazonaws.com", rolePolicy(logs.Arn))
	if err != nil {
		return nil, err
	}
	fn, err := g.lambdaFunction(suffix, artifact, handler, purpose, timeout, env, reserved, role, logs, []pulumi.Resource{role.policy})
	if err != nil {
		return nil, err
	}
	return &ourLambda{fn: fn, role: role}, nil
}

// lambdaLogGroup is the log group of our Lambda <name>-suffix.
func (g *graph) lambdaLogGroup(suffix string) (*cloudwatch.LogGroup, error) {
	return cloudwatch.NewLogGroup(g.ctx, g.child(suffix+"-logs"), &cloudwatch.LogGroupArgs{
		NamePrefix:      pulumi.String("/aws/lambda/circuitbreaker/" + g.name + "-" + suffix + "-"),
		RetentionInDays: pulumi.Int(g.s.LogRetentionDays),
		Tags:            g.tags,
	}, g.parent)
}

// lambdaFunction is our Lambda <name>-suffix: the role handler of the zip
// functions/<artifact>, run by role, logging to logs, created after deps (the
// role's grants).
func (g *graph) lambdaFunction(suffix, artifact, handler, purpose string, timeout pulumi.IntInput, env pulumi.StringMapInput, reserved int,
	role *iamRole, logs *cloudwatch.LogGroup, deps []pulumi.Resource) (*lambda.Function, error) {
	code, err := LambdaArchive(artifact)
	if err != nil {
		return nil, err
	}
	// Unset is the provider's default, -1: no reservation. Lambda takes 0 as
	// "throttle every invocation", so 0 never reaches it.
	var concurrency pulumi.IntPtrInput
	if reserved > 0 {
		concurrency = pulumi.IntPtr(reserved)
	}
	return lambda.NewFunction(g.ctx, g.child(suffix), &lambda.FunctionArgs{
		Description:   pulumi.Sprintf("Circuit breaker %s: %s", g.s.ServiceName, purpose),
		Runtime:       pulumi.String("provided.al2023"),
		Architectures: pulumi.StringArray{pulumi.String("arm64")},
		// The role the zip's one bootstrap runs (functions/*/main.go reads
		// it as _HANDLER): a zip serves two roles, each its own function.
		// An in-place update; the provider updates the configuration before
		// the code (terraform-provider-aws internal/service/lambda/function.go,
		// resourceFunctionUpdate), so on an upgrade the old code, which
		// ignores _HANDLER, serves until the new code lands.
		Handler:     pulumi.String(handler),
		Code:        code,
		MemorySize:  pulumi.Int(128),
		Timeout:     timeout,
		Role:        role.role.Arn,
		Environment: lambda.FunctionEnvironmentArgs{Variables: env},

		ReservedConcurrentExecutions: concurrency,
		// JSON logs with levels: the transition lines our Lambdas write are
		// queryable in Logs Insights, and debug noise never reaches the bill.
		LoggingConfig: lambda.FunctionLoggingConfigArgs{
			LogFormat:           pulumi.String("JSON"),
			LogGroup:            logs.Name,
			ApplicationLogLevel: pulumi.String("INFO"),
			SystemLogLevel:      pulumi.String("WARN"),
		},
		Tags: g.tags,
	}, g.parent, pulumi.DependsOn(deps))
}

// ourLambda is a deployed Go Lambda of ours and its role.
type ourLambda struct {
	fn   *lambda.Function
	role *iamRole
}

// openPolicy is how long a circuit opened by one of our Lambdas stays open.
func (g *graph) openPolicy() circuit.Policy {
	return circuit.Policy{
		OpenDuration:      seconds(g.s.OpenDurationSeconds),
		MaxOpenDuration:   seconds(g.s.MaxOpenDurationSeconds),
		BackoffMultiplier: g.s.OpenBackoffMultiplier,
	}
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// renderEnv is a Lambda's environment once its deploy-time values (names and
// ARNs of other children) are known: render puts them into the function's
// Config and returns its Env (functions/*/config), so every variable's name is
// written once, in the function's contract, never here.
func renderEnv(render func(v []string) map[string]string, inputs ...any) pulumi.StringMapOutput {
	return pulumi.All(inputs...).ApplyT(func(in []any) map[string]string {
		v := make([]string, len(in))
		for i := range in {
			v[i], _ = in[i].(string)
		}
		return render(v)
	}).(pulumi.StringMapOutput)
}
