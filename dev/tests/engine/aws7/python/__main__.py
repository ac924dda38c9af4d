"""TEST-ONLY (dev/tests/engine/aws7_test.go): a stack on pulumi-aws 7.x.

The stack's own function, alias and table are pulumi-aws 7 resources (the
default aws 7 provider); the breaker takes them, while its children stay on
aws 6.83.4 (the plugin's pulumi-aws sdk/v6). The same program as ../ts/index.ts.
"""

import json

import pulumi
import pulumi_aws as aws
import pulumi_circuitbreaker as circuitbreaker

config = pulumi.Config()
CODE = "export const handler = async (event) => ({ ok: true });"

role = aws.iam.Role(
    "shop-fn",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    ),
)


def function(name: str) -> aws.lambda_.Function:
    return aws.lambda_.Function(
        name,
        runtime=aws.lambda_.Runtime.NODE_JS22D_X,
        handler="index.handler",
        role=role.arn,
        code=pulumi.AssetArchive({"index.mjs": pulumi.StringAsset(CODE)}),
    )


downstream = function("shop")
healthcheck = function("shop-health")
live = aws.lambda_.Alias(
    "shop-live", name="live", function_name=downstream.name, function_version="$LATEST"
)
# A brought table with the key the breaker reads (README: "Sharing a table").
table = aws.dynamodb.Table(
    "circuits",
    attributes=[{"name": "serviceName", "type": "S"}],
    hash_key="serviceName",
    billing_mode="PAY_PER_REQUEST",
)

breaker = circuitbreaker.CircuitBreaker(
    "checkout",
    service_name="checkout",
    downstream_function=downstream,
    downstream_alias=live,
    healthcheck_function=healthcheck,
    table=table,
    healthcheck_schedule=config.get("healthcheckSchedule"),
)

# The other way: a v7 resource on the breaker's own (v6) topic output, which the
# SDK rehydrates with only pulumi-aws 7 installed.
aws.sns.TopicSubscription(
    "oncall", topic=breaker.topic.arn, protocol="email", endpoint="oncall@example.com"
)

pulumi.export("tableName", breaker.table_name)
pulumi.export("stateMachineArn", breaker.state_machine_arn)
