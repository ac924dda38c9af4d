package provider

import (
	"fmt"
	"strings"
)

// The generated SDK packages' READMEs: what npm, PyPI and pkg.go.dev show.
// Pulumi's generators write the schema's language.nodejs.readme and
// language.python.readme (NodePackageInfo.Readme, python PackageInfo.Readme)
// as the package's README.md, and fall back to the one-line description
// without them. Go's generator writes none; language.go.readme is this
// package's own key (GoPackageInfo ignores keys it does not know), which
// dev/codegen/sdkgen writes to sdk/go/circuitbreaker/README.md. So the
// schema, generated from here, stays the one source of every SDK file, and
// `make check-sdks` keeps them in step.

// sdkReadme is the README of lang's SDK (nodejs, python or go).
func sdkReadme(lang string) string {
	l := readmeLanguages[lang]
	var b strings.Builder
	fmt.Fprintf(&b, "# Circuit Breaker for Pulumi: the %s SDK\n\n", l.title)
	b.WriteString(`A serverless circuit breaker around any AWS Lambda function, as one Pulumi component:
callers run a Step Functions state machine instead of invoking the function; it reads the
circuit's state from DynamoDB and either invokes the function or fails fast with ` + "`CircuitOpen`" + `,
and CloudWatch alarms on the function and on a scheduled healthcheck open and close the circuit.

`)
	fmt.Fprintf(&b, "This is the %s SDK of the `%s` package. The breaker itself is built by the plugin\n", l.title, Name)
	b.WriteString("`pulumi-resource-circuitbreaker`, which the Pulumi engine downloads from the package's GitHub\n" +
		"release the first time a stack uses it.\n\n")
	b.WriteString("## Install\n\n```sh\n" + l.install + "\n```\n\n")
	b.WriteString("To install the plugin ahead of time (or from a downloaded release asset, with `-f FILE`):\n\n" +
		"```sh\npulumi plugin install resource circuitbreaker vX.Y.Z --server github://api.github.com/pulumi-circuitbreaker\n```\n\n")
	b.WriteString("## Example\n\n" + l.intro + "\n\n```" + l.fence + "\n" + l.example + "```\n\n")
	b.WriteString("Callers then start executions of the state machine with the function's payload, e.g.\n" +
		"`aws stepfunctions start-sync-execution --state-machine-arn \"$ARN\" --input '{\"amount\": 42}'`.\n\n")
	b.WriteString("## Documentation\n\n")
	for _, d := range []struct{ title, path string }{
		{"README: inputs, outputs, behaviour, runbook", "README.md"},
		{"Installation and configuration", "docs/installation-configuration.md"},
		{"Using the SDKs (TypeScript, Python, Go, YAML)", "docs/sdks.md"},
		{"Per-key circuits", "docs/per-key.md"},
		{"Transition events", "docs/events.md"},
		{"Monitoring modes, the dashboard, store errors", "docs/monitoring.md"},
	} {
		fmt.Fprintf(&b, "- [%s](%s/blob/main/%s)\n", d.title, repository, d.path)
	}
	fmt.Fprintf(&b, "- [Examples](%s/tree/main/examples)\n", repository)
	return b.String()
}

type readmeLanguage struct {
	title, install, intro, fence, example string
}

var readmeLanguages = map[string]readmeLanguage{
	"nodejs": {
		title:   "TypeScript",
		install: "npm install @pulumi-circuitbreaker/circuitbreaker @pulumi/aws @pulumi/pulumi",
		intro:   "A stack with the function to protect and its healthcheck (`index.ts`; Node 22 or later):",
		fence:   "ts",
		example: `import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { CircuitBreaker } from "@pulumi-circuitbreaker/circuitbreaker";

const role = new aws.iam.Role("fn", {
    assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
});
new aws.iam.RolePolicyAttachment("fn-logs", { role: role.name, policyArn: aws.iam.ManagedPolicy.AWSLambdaBasicExecutionRole });
const nodeFunction = (name: string, code: string) => new aws.lambda.Function(name, {
    runtime: aws.lambda.Runtime.NodeJS22dX,
    handler: "index.handler",
    role: role.arn,
    code: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(code) }),
});

// The function to protect, and a healthcheck that throws while it is unhealthy.
const payments = nodeFunction("payments", "export const handler = async (e) => ({ charged: e.amount });");
const health = nodeFunction("payments-health", "export const handler = async () => ({ healthy: true });");

const breaker = new CircuitBreaker("payments", {
    serviceName: "payments",
    downstreamFunction: payments,
    healthcheckFunction: health,
    downstreamMonitoring: { threshold: 5 },
});

export const stateMachineArn = breaker.stateMachineArn;
`,
	},
	"python": {
		title:   "Python",
		install: "pip install pulumi_circuitbreaker pulumi-aws pulumi",
		intro:   "A stack with the function to protect and its healthcheck (`__main__.py`):",
		fence:   "python",
		example: `import json

import pulumi
import pulumi_aws as aws
import pulumi_circuitbreaker as circuitbreaker

role = aws.iam.Role("fn", assume_role_policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}))
aws.iam.RolePolicyAttachment("fn-logs", role=role.name, policy_arn=aws.iam.ManagedPolicy.AWS_LAMBDA_BASIC_EXECUTION_ROLE)


def node_function(name: str, code: str) -> aws.lambda_.Function:
    return aws.lambda_.Function(
        name,
        runtime=aws.lambda_.Runtime.NODE_JS22D_X,
        handler="index.handler",
        role=role.arn,
        code=pulumi.AssetArchive({"index.mjs": pulumi.StringAsset(code)}),
    )


# The function to protect, and a healthcheck that raises while it is unhealthy.
payments = node_function("payments", "export const handler = async (e) => ({ charged: e.amount });")
health = node_function("payments-health", "export const handler = async () => ({ healthy: true });")

breaker = circuitbreaker.CircuitBreaker(
    "payments",
    service_name="payments",
    downstream_function=payments,
    healthcheck_function=health,
    downstream_monitoring=circuitbreaker.MonitoringArgs(threshold=5),
)

pulumi.export("stateMachineArn", breaker.state_machine_arn)
`,
	},
	"go": {
		title:   "Go",
		install: "go get github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/sdk@vX.Y.Z",
		intro:   "A stack with the function to protect and its healthcheck (`main.go`; the SDK module is `.../sdk`, tagged `sdk/vX.Y.Z`):",
		fence:   "go",
		example: `package main

import (
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/sdk/go/circuitbreaker"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const trust = ` + "`" + `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}` + "`" + `

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		role, err := iam.NewRole(ctx, "fn", &iam.RoleArgs{AssumeRolePolicy: pulumi.String(trust)})
		if err != nil {
			return err
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, "fn-logs", &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: iam.ManagedPolicyAWSLambdaBasicExecutionRole,
		}); err != nil {
			return err
		}
		nodeFunction := func(name, code string) (*lambda.Function, error) {
			return lambda.NewFunction(ctx, name, &lambda.FunctionArgs{
				Runtime: lambda.RuntimeNodeJS22dX,
				Handler: pulumi.String("index.handler"),
				Role:    role.Arn,
				Code: pulumi.NewAssetArchive(map[string]any{
					"index.mjs": pulumi.NewStringAsset(code),
				}),
			})
		}
		// The function to protect, and a healthcheck that throws while it is unhealthy.
		payments, err := nodeFunction("payments", "export const handler = async (e) => ({ charged: e.amount });")
		if err != nil {
			return err
		}
		health, err := nodeFunction("payments-health", "export const handler = async () => ({ healthy: true });")
		if err != nil {
			return err
		}
		breaker, err := circuitbreaker.NewCircuitBreaker(ctx, "payments", &circuitbreaker.CircuitBreakerArgs{
			ServiceName:          "payments",
			DownstreamFunction:   payments,
			HealthcheckFunction:  health,
			DownstreamMonitoring: circuitbreaker.MonitoringArgs{Threshold: pulumi.Float64(5)},
		})
		if err != nil {
			return err
		}
		ctx.Export("stateMachineArn", breaker.StateMachineArn)
		return nil
	})
}
`,
	},
}
