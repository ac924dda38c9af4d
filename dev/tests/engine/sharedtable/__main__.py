"""The Python flavour of the engine tests' shared-table case (dev/tests/engine).

One DynamoDB table, declared by the program, brought to two circuit breakers.
The same program as go/program.go and index.js.
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
# No sort key: the table's range_key output is absent.
table = aws.dynamodb.Table(
    "circuits",
    attributes=[{"name": "serviceName", "type": "S"}],
    hash_key="serviceName",
    billing_mode="PAY_PER_REQUEST",
)

for svc in ["checkout", "Refunds_EU-2026_ledger-v2_partner_X9z"]:
    cb = circuitbreaker.CircuitBreaker(
        svc,
        service_name=svc,
        downstream_function=downstream,
        healthcheck_function=healthcheck,
        table=table,
        log_level=config.get("logLevel"),
        healthcheck_schedule=config.get("healthcheckSchedule"),
    )
    pulumi.export(svc + "StateMachineArn", cb.state_machine_arn)
pulumi.export("tableName", table.name)
