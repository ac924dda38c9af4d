// The scratch stack dev/tests/dist installs the packed npm SDK into: what a user
// writes after `npm install @pulumi-circuitbreaker/circuitbreaker`, compiled
// with tsc against the package's own .d.ts files.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { CircuitBreaker } from "@pulumi-circuitbreaker/circuitbreaker";

const role = new aws.iam.Role("orders-fn", {
    assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
});

function nodeFunction(name: string, code: string): aws.lambda.Function {
    return new aws.lambda.Function(name, {
        runtime: aws.lambda.Runtime.NodeJS22dX,
        handler: "index.handler",
        role: role.arn,
        code: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(code) }),
    });
}

const downstream = nodeFunction("orders", "export const handler = async (e) => ({ ok: true, e });");
const healthcheck = nodeFunction("orders-health", "export const handler = async () => ({ healthy: true });");

const breaker = new CircuitBreaker("orders", {
    serviceName: "orders",
    downstreamFunction: downstream,
    healthcheckFunction: healthcheck,
});

export const stateMachineArn: pulumi.Output<string> = breaker.stateMachineArn;
