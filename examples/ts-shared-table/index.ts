// Two breakers in front of one aliased function, sharing one circuit table.
//
// `npm install`, then `pulumi up` in this directory. Type-checked by make test
// (dev/tests/engine TestSnippets); the same constructs (the alias passed as a
// resource, the shared table, `topic: breaker.topic`) run through the engine
// in dev/tests/engine/sharing (TypeScript, Python) and dev/tests/engine/sharedtable (Go).
// The checkout and refunds
// flows call the same payments function through its `live` alias, each through
// its own breaker: each keeps its own circuit (its item in the table, keyed by
// serviceName), its own alarms and its own healthcheck schedule, so refunds
// failing fast never stops checkout. The second breaker takes the first one's
// table through its `table` output instead of creating another, and both read
// and write only their own item (IAM's dynamodb:LeadingKeys).
//
// The breaker's outputs are the aws resources themselves (`table`,
// `stateMachine`, `topic`, `downstreamAlarm`, `healthcheckAlarm`): attach your
// own subscriptions, policies and dashboards to them.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { CircuitBreaker } from "@pulumi-circuitbreaker/circuitbreaker";

const role = new aws.iam.Role("payments-fn", {
    assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
});
new aws.iam.RolePolicyAttachment("payments-fn-logs", {
    role: role.name,
    policyArn: aws.iam.ManagedPolicy.AWSLambdaBasicExecutionRole,
});

const fn = (name: string, code: string) => new aws.lambda.Function(name, {
    runtime: aws.lambda.Runtime.NodeJS22dX,
    handler: "index.handler",
    role: role.arn,
    publish: true,
    code: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(code) }),
});

const payments = fn("payments", `export const handler = async (event) => {
  if (event.fail) throw new Error("payment provider unavailable");
  return { status: "done", amount: event.amount };
};`);
const health = fn("payments-health", `export const handler = async () => ({ healthy: true });`);

// The alias is passed as a resource: each breaker depends on it, grants and
// alarms follow its qualifier, and an alias of another function is refused at
// preview by property.
const live = new aws.lambda.Alias("payments-live", {
    name: "live",
    functionName: payments.name,
    functionVersion: payments.version,
});

const checkout = new CircuitBreaker("checkout", {
    serviceName: "checkout",
    downstreamFunction: payments,
    downstreamAlias: live,
    healthcheckFunction: health,
    tags: { team: "payments" },
});

const refunds = new CircuitBreaker("refunds", {
    serviceName: "refunds",
    downstreamFunction: payments,
    downstreamAlias: live,
    healthcheckFunction: health,
    table: checkout.table, // the first breaker's aws.dynamodb.Table
    downstreamMonitoring: { threshold: 2 },
    tags: { team: "payments" },
});

// One on-call subscription on each breaker's alarm topic, passed as the
// resource (the aws provider receives the topic's ARN). On @pulumi/aws 7.x,
// pass `checkout.topic.arn` (the topic is typed as aws 6's, see README).
new aws.sns.TopicSubscription("checkout-oncall", { topic: checkout.topic, protocol: "email", endpoint: "oncall@example.com" });
new aws.sns.TopicSubscription("refunds-oncall", { topic: refunds.topic, protocol: "email", endpoint: "oncall@example.com" });

export const tableName = checkout.table.name;
export const checkoutStateMachineArn = checkout.stateMachine.arn;
export const refundsStateMachineArn = refunds.stateMachineArn;
export const checkoutAlarmName = checkout.downstreamAlarm.name;
