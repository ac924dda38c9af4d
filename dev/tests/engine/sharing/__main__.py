"""The Python flavour of the engine tests' sharing case (dev/tests/engine, issue 8).

Two breakers on one aliased downstream: the alias is passed as a resource
(downstream_alias), and the second breaker shares the first one's table
through its `table` output; an on-call subscription takes the first one's
topic (the README's `topic=breaker.topic`). With CIRCUITBREAKER_ENGINE_BAD_INPUT=1 the program
passes bad input instead (an alias together with the qualifier string, a
wrong schedule), with =2 an alias of another function, which the preview must
refuse by property. The same program
as index.js.
"""

import json
import os

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

if os.environ.get("CIRCUITBREAKER_ENGINE_BAD_INPUT") == "1":
    circuitbreaker.CircuitBreaker(
        "checkout",
        service_name="checkout",
        downstream_function=downstream,
        downstream_alias=live,
        downstream_qualifier="live",
        healthcheck_function=healthcheck,
        healthcheck_schedule="rate(1 minutes)",
    )
elif os.environ.get("CIRCUITBREAKER_ENGINE_BAD_INPUT") == "2":
    # An alias of the healthcheck passed as the downstream's: refused once the
    # alias's functionName is known (here at preview).
    probe = aws.lambda_.Alias(
        "shop-health-probe", name="probe", function_name=healthcheck.name, function_version="$LATEST"
    )
    circuitbreaker.CircuitBreaker(
        "checkout",
        service_name="checkout",
        downstream_function=downstream,
        downstream_alias=probe,
        healthcheck_function=healthcheck,
    )
else:
    # A second alias named `live`, on the healthcheck: two aliases of one name
    # on two functions are two objects (the stand-in once kept one, and after a
    # refresh the other's state named the wrong function).
    health_live = aws.lambda_.Alias(
        "shop-health-live", name="live", function_name=healthcheck.name, function_version="$LATEST"
    )
    first = circuitbreaker.CircuitBreaker(
        "checkout",
        service_name="checkout",
        downstream_function=downstream,
        downstream_alias=live,
        healthcheck_function=healthcheck,
        healthcheck_schedule=config.get("healthcheckSchedule"),
    )
    second = circuitbreaker.CircuitBreaker(
        "refunds",
        service_name="refunds",
        downstream_function=downstream,
        downstream_alias=live,
        healthcheck_function=healthcheck,
        healthcheck_alias=health_live,
        table=first.table,
        healthcheck_schedule=config.get("healthcheckSchedule"),
    )
    # The README's subscription: the breaker's topic passed as the resource.
    aws.sns.TopicSubscription(
        "checkout-oncall", topic=first.topic, protocol="email", endpoint="oncall@example.com"
    )
    pulumi.export("firstTableName", first.table.name)
    pulumi.export("secondTableName", second.table_name)
    pulumi.export("topicArn", first.topic.arn)
    # make fidelity runs each breaker's closed path from these (dev/tests/fidelity/hook).
    pulumi.export("firstStateMachineArn", first.state_machine.arn)
    pulumi.export("secondStateMachineArn", second.state_machine_arn)
