// The TypeScript flavour of the engine tests' shared-table case (dev/tests/engine),
// as the JavaScript a TypeScript stack compiles to: one DynamoDB table,
// declared by the program, brought to two circuit breakers. The same program as
// go/program.go and __main__.py. Its packages come from examples/ts (the test
// sets NODE_PATH), so it runs on the same built SDK as the example.
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
// No sort key: the table's rangeKey output is absent.
const table = new aws.dynamodb.Table("circuits", {
    attributes: [{ name: "serviceName", type: "S" }],
    hashKey: "serviceName",
    billingMode: "PAY_PER_REQUEST",
});

for (const svc of ["checkout", "Refunds_EU-2026_ledger-v2_partner_X9z"]) {
    const cb = new CircuitBreaker(svc, {
        serviceName: svc,
        downstreamFunction: downstream,
        healthcheckFunction: healthcheck,
        table,
        logLevel: config.get("logLevel"),
        healthcheckSchedule: config.get("healthcheckSchedule"),
    });
    exports[svc + "StateMachineArn"] = cb.stateMachineArn;
}
exports.tableName = table.name;
