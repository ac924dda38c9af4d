// Type-checked, never run (TestSharingTypeChecks, issue 8): what a
// TypeScript user writes to share a table and pass an alias, against the
// generated SDK's typings. index.js runs the same through the engine.
import * as aws from "@pulumi/aws";
import { CircuitBreaker } from "@pulumi-circuitbreaker/circuitbreaker";

declare const downstream: aws.lambda.Function;
declare const healthcheck: aws.lambda.Function;

const live = new aws.lambda.Alias("shop-live", { name: "live", functionName: downstream.name, functionVersion: "$LATEST" });
const first = new CircuitBreaker("checkout", {
    serviceName: "checkout",
    downstreamFunction: downstream,
    downstreamAlias: live,
    healthcheckFunction: healthcheck,
});
const second = new CircuitBreaker("refunds", {
    serviceName: "refunds",
    downstreamFunction: downstream,
    downstreamAlias: live,
    healthcheckFunction: healthcheck,
    table: first.table,
});
// The outputs are the aws resources: users attach their own to them.
new aws.sns.TopicSubscription("oncall", { topic: first.topic, protocol: "email", endpoint: "oncall@example.com" });
export const tableArn = second.table.arn;
export const stateMachineArn = first.stateMachine.arn;
export const alarmName = first.downstreamAlarm.name;
