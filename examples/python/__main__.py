"""A Python stack that protects a payments function with a circuit breaker.

Install the requirements (see requirements.txt for the SDK), then `pulumi up`
in this directory. Callers execute the breaker's state machine instead of
invoking the payments function directly.
"""

import json
from typing import Optional

import pulumi
import pulumi_aws as aws
import pulumi_circuitbreaker as circuitbreaker

config = pulumi.Config()

# The downstream calls a payment provider; here it fails when asked to, so the
# breaker can be watched opening.
DOWNSTREAM_CODE = """export const handler = async (event) => {
  if (event.fail) throw new Error("payment provider unavailable");
  return { status: "charged", amount: event.amount };
};"""

# The healthcheck must throw when the downstream is unhealthy.
HEALTHCHECK_CODE = """export const handler = async () => {
  const res = await fetch(process.env.PROVIDER_STATUS_URL);
  if (!res.ok) throw new Error("payment provider status " + res.status);
  return { healthy: true };
};"""

role = aws.iam.Role(
    "payments-fn",
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
logs = aws.iam.RolePolicyAttachment(
    "payments-fn-logs",
    role=role.name,
    policy_arn=aws.iam.ManagedPolicy.AWS_LAMBDA_BASIC_EXECUTION_ROLE,
)


def node_function(
    name: str, code: str, env: Optional[dict] = None
) -> aws.lambda_.Function:
    return aws.lambda_.Function(
        name,
        runtime=aws.lambda_.Runtime.NODE_JS22D_X,
        handler="index.handler",
        role=role.arn,
        code=pulumi.AssetArchive({"index.mjs": pulumi.StringAsset(code)}),
        environment=(
            aws.lambda_.FunctionEnvironmentArgs(variables=env) if env else None
        ),
        opts=pulumi.ResourceOptions(depends_on=[logs]),
    )


downstream = node_function("payments", DOWNSTREAM_CODE)
healthcheck = node_function(
    "payments-health",
    HEALTHCHECK_CODE,
    {"PROVIDER_STATUS_URL": "https://status.example.com/payments"},
)

breaker = circuitbreaker.CircuitBreaker(
    "payments",
    service_name="payments",
    downstream_function=downstream,
    healthcheck_function=healthcheck,
    healthcheck_schedule=config.get("healthcheckSchedule"),
    downstream_monitoring=circuitbreaker.MonitoringArgs(threshold=5),
    tags={"team": "checkout"},
)

pulumi.export("stateMachineArn", breaker.state_machine_arn)
pulumi.export("stateMachineName", breaker.state_machine_name)
pulumi.export("alarmTopicArn", breaker.topic_arn)
pulumi.export("tableName", breaker.table_name)
