// The TypeScript flavour of the engine tests' sharing case (dev/tests/engine,
// issue 8), as the JavaScript a TypeScript stack compiles to: two breakers on
// one aliased downstream, the alias passed as a resource (downstreamAlias),
// the second breaker sharing the first one's table through its `table`
// output, an on-call subscription to the first one's topic (the README's
// `topic: breaker.topic`). With CIRCUITBREAKER_ENGINE_BAD_INPUT=1 it passes bad input instead,
// with =2 an alias of another function, which the preview must refuse by
// property. The same program as __main__.py;
// its packages come from examples/ts (the test sets NODE_PATH).
"use strict";
const pulumi = require("@pulumi/pulumi");
const aws = require("@pulumi/aws");
const { CircuitBreaker } = require("@pulumi-circuitbreaker/circuitbreaker");

const config = new pulumi.Config();
const code = "export const handler = async (event) => ({ ok: true });";

const role = new aws.iam.Role("shop-fn", {
    assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
});
const fn = (name) => new aws.lambda.Function(name, {
    runtime: aws.lambda.Runtime.NodeJS22dX,
    handler: "index.handler",
    role: role.arn,
    code: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(code) }),
});
const downstream = fn("shop");
const healthcheck = fn("shop-health");
const live = new aws.lambda.Alias("shop-live", { name: "live", functionName: downstream.name, functionVersion: "$LATEST" });

if (process.env.CIRCUITBREAKER_ENGINE_BAD_INPUT === "1") {
    new CircuitBreaker("checkout", {
        serviceName: "checkout",
        downstreamFunction: downstream,
        downstreamAlias: live,
        downstreamQualifier: "live",
        healthcheckFunction: healthcheck,
        healthcheckSchedule: "rate(1 minutes)",
    });
} else if (process.env.CIRCUITBREAKER_ENGINE_BAD_INPUT === "2") {
    // An alias of the healthcheck passed as the downstream's: refused once the
    // alias's functionName is known (here at preview).
    const probe = new aws.lambda.Alias("shop-health-probe", { name: "probe", functionName: healthcheck.name, functionVersion: "$LATEST" });
    new CircuitBreaker("checkout", {
        serviceName: "checkout",
        downstreamFunction: downstream,
        downstreamAlias: probe,
        healthcheckFunction: healthcheck,
    });
} else {
    // A second alias named `live`, on the healthcheck: two aliases of one
    // name on two functions are two objects (the stand-in once kept one, and
    // after a refresh the other's state named the wrong function).
    const healthLive = new aws.lambda.Alias("shop-health-live", { name: "live", functionName: healthcheck.name, functionVersion: "$LATEST" });
    const first = new CircuitBreaker("checkout", {
        serviceName: "checkout",
        downstreamFunction: downstream,
        downstreamAlias: live,
        healthcheckFunction: healthcheck,
        healthcheckSchedule: config.get("healthcheckSchedule"),
    });
    const second = new CircuitBreaker("refunds", {
        serviceName: "refunds",
        downstreamFunction: downstream,
        downstreamAlias: live,
        healthcheckFunction: healthcheck,
        healthcheckAlias: healthLive,
        table: first.table,
        healthcheckSchedule: config.get("healthcheckSchedule"),
    });
    // The README's subscription: the breaker's topic passed as the resource.
    new aws.sns.TopicSubscription("checkout-oncall", { topic: first.topic, protocol: "email", endpoint: "oncall@example.com" });
    exports.firstTableName = first.table.name;
    exports.secondTableName = second.tableName;
    exports.topicArn = first.topic.arn;
    // make fidelity runs each breaker's closed path from these (dev/tests/fidelity/hook).
    exports.firstStateMachineArn = first.stateMachine.arn;
    exports.secondStateMachineArn = second.stateMachineArn;
}
