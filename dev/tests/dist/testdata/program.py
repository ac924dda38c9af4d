"""The scratch stack dev/tests/dist installs the release's wheel for: what a user
writes after `pip install pulumi_circuitbreaker`, the twin of index.ts."""

import json

import pulumi
import pulumi_aws as aws
import pulumi_circuitbreaker as circuitbreaker

role = aws.iam.Role(
    "orders-fn",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    ),
)


def node_function(name: str, code: str) -> aws.lambda_.Function:
    return aws.lambda_.Function(
        name,
        runtime=aws.lambda_.Runtime.NODE_JS22D_X,
        handler="index.handler",
        role=role.arn,
        code=pulumi.AssetArchive({"index.mjs": pulumi.StringAsset(code)}),
    )


downstream = node_function("orders", "export const handler = async (e) => ({ ok: true, e });")
healthcheck = node_function("orders-health", "export const handler = async () => ({ healthy: true });")

breaker = circuitbreaker.CircuitBreaker(
    "orders",
    service_name="orders",
    downstream_function=downstream,
    healthcheck_function=healthcheck,
)

pulumi.export("stateMachineArn", breaker.state_machine_arn)
