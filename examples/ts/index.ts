// A TypeScript stack that protects a payments function with a circuit breaker.
//
// `npm install`, then `pulumi up` in this directory. Callers execute the
// breaker's state machine instead of invoking the payments function directly.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { CircuitBreaker } from "@pulumi-circuitbreaker/circuitbreaker";

const config = new pulumi.Config();

// The downstream calls a payment provider; here it fails when asked to, so the
// breaker can be watched opening.
const downstreamCode = `export const handler = async (event) => {
  if (event.fail) throw new Error("payment provider unavailable");
  return { status: "charged", amount: event.amount };
};`;

// The healthcheck must throw when the downstream is unhealthy.
const healthcheckCode = `export const handler = async () => {
  const res = await fetch(process.env.PROVIDER_STATUS_URL);
  if (!res.ok) throw new Error("payment provider status " + res.status);
  return { healthy: true };
};`;

const role = new aws.iam.Role("payments-fn", {
    assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
});
const logs = new aws.iam.RolePolicyAttachment("payments-fn-logs", {
    role: role.name,
    policyArn: aws.iam.ManagedPolicy.AWSLambdaBasicExecutionRole,
});

function nodeFunction(name: string, code: string, env?: Record<string, string>): aws.lambda.Function {
    return new aws.lambda.Function(name, {
        runtime: aws.lambda.Runtime.NodeJS22dX,
        handler: "index.handler",
        role: role.arn,
        code: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(code) }),
        environment: env ? { variables: env } : undefined,
    }, { dependsOn: [logs] });
}

const downstream = nodeFunction("payments", downstreamCode);
const healthcheck = nodeFunction("payments-health", healthcheckCode, {
    PROVIDER_STATUS_URL: "https://status.example.com/payments",
});

const breaker = new CircuitBreaker("payments", {
    serviceName: "payments",
    downstreamFunction: downstream,
    healthcheckFunction: healthcheck,
    healthcheckSchedule: config.get("healthcheckSchedule"),
    downstreamMonitoring: { threshold: 5 },
    tags: { team: "checkout" },
});

export const stateMachineArn = breaker.stateMachineArn;
export const stateMachineName = breaker.stateMachineName;
export const alarmTopicArn = breaker.topicArn;
export const tableName = breaker.tableName;
