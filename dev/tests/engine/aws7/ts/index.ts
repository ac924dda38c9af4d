// TEST-ONLY (dev/tests/engine/aws7_test.go): a stack on @pulumi/aws 7.x, as users
// install it today, passing its own function, alias and table to the breaker,
// whose children stay on aws 6.83.4 (the plugin's pulumi-aws sdk/v6). tsc
// compiles it in `make engine-aws7-ts`, so it also proves that the v7 objects
// type-check against the generated SDK.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { CircuitBreaker } from "@pulumi-circuitbreaker/circuitbreaker";

const config = new pulumi.Config();
const code = "export const handler = async (event) => ({ ok: true });";

const role = new aws.iam.Role("shop-fn", {
    assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
});
const fn = (name: string) => new aws.lambda.Function(name, {
    runtime: aws.lambda.Runtime.NodeJS22dX,
    handler: "index.handler",
    role: role.arn,
    code: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(code) }),
});
const downstream = fn("shop");
const healthcheck = fn("shop-health");
const live = new aws.lambda.Alias("shop-live", { name: "live", functionName: downstream.name, functionVersion: "$LATEST" });
// A brought table with the key the breaker reads (README: "Sharing a table").
const table = new aws.dynamodb.Table("circuits", {
    attributes: [{ name: "serviceName", type: "S" }],
    hashKey: "serviceName",
    billingMode: "PAY_PER_REQUEST",
});

const breaker = new CircuitBreaker("checkout", {
    serviceName: "checkout",
    downstreamFunction: downstream,
    downstreamAlias: live,
    healthcheckFunction: healthcheck,
    table: table,
    healthcheckSchedule: config.get("healthcheckSchedule"),
});

// The other way: a v7 resource on the breaker's own (v6) topic output.
// tsc refuses `topic: breaker.topic` here: the output is typed as the SDK's nested
// @pulumi/aws 6 Topic, which lacks v7's region, onEvent and getProvider (TS2322); its arn works.
new aws.sns.TopicSubscription("oncall", { topic: breaker.topic.arn, protocol: "email", endpoint: "oncall@example.com" });

export const tableName = breaker.tableName;
export const stateMachineArn = breaker.stateMachineArn;
