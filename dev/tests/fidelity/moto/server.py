"""TEST-ONLY: moto's server on 127.0.0.1 with what `make fidelity` needs and moto 5.2.5 lacks.

The real Terraform AWS provider (dev/tests/fidelity/awsbridge) deploys the breaker against this server.
moto answers the AWS APIs the breaker uses; this module adds, without changing moto's files:

- ValidateStateMachineDefinition, which the provider calls at plan time for a changed definition
  (terraform-provider-aws internal/service/sfn/state_machine.go, CustomizeDiff). It is answered by
  the static analysers that moto ships in moto.stepfunctions.parser (ported from LocalStack, whose
  Step Functions tests are recorded against AWS), EXPRESS ones for EXPRESS machines, in
  ValidateStateMachineDefinition's documented output shape (result, diagnostics, truncated).
- ListStateMachineVersions from moto's own backend (the provider reads versions after create; moto
  answers 500 and the provider retries for minutes).
- CloudWatch over the Smithy RPC v2 CBOR protocol, which aws-sdk-go-v2's cloudwatch client speaks
  (moto 5.2.5 answers only the query and JSON protocols): requests and responses are translated
  with botocore's CloudWatch service model, so timestamps and blobs keep their types.
- A call log: one JSON line per request ({"service", "action", "status"}) appended to
  $FIDELITY_CALL_LOG, so that a test can compare what `pulumi preview` calls with the IAM policy
  the README documents for a read-only preview role.

Usage: python server.py PORT   (binds 127.0.0.1 only)
"""

import base64
import datetime
import io
import json
import os
import re
import sys
import threading

import botocore.session
import cbor2
from moto.core.config import default_user_config
from moto.stepfunctions.responses import StepFunctionResponse

# Executions run moto's ASL interpreter; Lambda runs without Docker (an invocation answers with
# what the test queued, or echoes).
default_user_config["stepfunctions"] = {"execute_state_machine": True}
default_user_config["lambda"] = {"use_docker": False}

_session = botocore.session.get_session()


# --------------------------------------------------------------------------- Step Functions


def _validate_state_machine_definition(self):
    from moto.stepfunctions.parser.asl.static_analyser.express_static_analyser import ExpressStaticAnalyser
    from moto.stepfunctions.parser.asl.static_analyser.static_analyser import StaticAnalyser

    definition = self._get_param("definition")
    analyser = ExpressStaticAnalyser() if self._get_param("type") == "EXPRESS" else StaticAnalyser()
    diagnostics = []
    try:
        analyser.analyse(definition)
    except Exception as e:  # the analyser's own words, as AWS's SCHEMA_VALIDATION_FAILED message
        diagnostics.append({"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": repr(e)[:2000]})
    diagnostics += _asl_validator(definition)
    return json.dumps({"result": "FAIL" if diagnostics else "OK", "diagnostics": diagnostics, "truncated": False})


def _asl_validator(definition):
    """moto's analysers parse but do not follow transitions (a Next to a missing state passes), which
    AWS refuses; asl-validator (the ASL JSON schema plus reference checks, $FIDELITY_ASL_VALIDATOR)
    catches those."""
    cli = os.environ.get("FIDELITY_ASL_VALIDATOR")
    if not cli:
        return []
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(definition)
    try:
        r = subprocess.run(["node", cli, "--json-path", f.name], capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(f.name)
    if r.returncode == 0:
        return []
    return [{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": (r.stdout + r.stderr).strip()[:2000]}]


def _list_state_machine_versions(self):
    sm = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
    versions = sorted(getattr(sm, "versions", {}).values(), key=lambda v: v.version, reverse=True)
    return json.dumps(
        {"stateMachineVersions": [{"stateMachineVersionArn": v.arn, "creationDate": v.create_date} for v in versions]},
        default=str,
    )


StepFunctionResponse.validate_state_machine_definition = _validate_state_machine_definition
StepFunctionResponse.list_state_machine_versions = _list_state_machine_versions


# --------------------------------------------------------------------------- Lambda LoggingConfig

# moto 5.2.5 drops a function's LoggingConfig (CreateFunction, UpdateFunctionConfiguration) and
# never returns one, so the provider would plan to set it again on every preview. Lambda returns
# what was set, and otherwise its default: Text logs to /aws/lambda/<name> (Lambda API reference,
# LoggingConfig).


def _patch_lambda_logging():
    from moto.awslambda.models import LambdaFunction

    init, get_configuration, update_configuration = (
        LambdaFunction.__init__, LambdaFunction.get_configuration, LambdaFunction.update_configuration)

    def __init__(self, account_id, spec, *args, **kwargs):
        init(self, account_id, spec, *args, **kwargs)
        self._fidelity_logging = spec.get("LoggingConfig")

    def get_config(self, *args, **kwargs):
        config = get_configuration(self, *args, **kwargs)
        logging = {"LogFormat": "Text", "LogGroup": "/aws/lambda/" + self.function_name}
        logging.update(getattr(self, "_fidelity_logging", None) or {})
        config["LoggingConfig"] = logging
        return config

    def update_config(self, config_updates):
        if "LoggingConfig" in config_updates:
            self._fidelity_logging = config_updates["LoggingConfig"]
        return update_configuration(self, config_updates)

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_config
    LambdaFunction.update_configuration = update_config


_patch_lambda_logging()


# --------------------------------------------------------------------------- inventory

def _inventory(endpoint):
    """What the account holds, by AWS's own list APIs, for the test's "nothing left after destroy"
    check. moto's /moto-api/data.json lists every instance ever created, deleted ones too."""
    import boto3

    kw = {"endpoint_url": endpoint, "region_name": os.environ.get("AWS_REGION", "us-east-1"),
          "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    c = lambda name: boto3.client(name, **kw)  # noqa: E731
    inv = {
        "lambda functions": [f["FunctionName"] for f in c("lambda").list_functions()["Functions"]],
        "dynamodb tables": c("dynamodb").list_tables()["TableNames"],
        "sns topics": [t["TopicArn"] for t in c("sns").list_topics()["Topics"]],
        "sqs queues": c("sqs").list_queues().get("QueueUrls", []),
        "state machines": [m["name"] for m in c("stepfunctions").list_state_machines()["stateMachines"]],
        "alarms": [a["AlarmName"] for a in c("cloudwatch").describe_alarms()["MetricAlarms"]],
        "log groups": [g["logGroupName"] for g in c("logs").describe_log_groups()["logGroups"]],
        "schedules": [x["Name"] for x in c("scheduler").list_schedules()["Schedules"]],
        # Roles we made; moto's own service-linked roles are not ours.
        "iam roles": [r["RoleName"] for r in c("iam").list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")],
    }
    return {k: v for k, v in inv.items() if v}


# --------------------------------------------------------------------------- CloudWatch CBOR

_CW = _session.get_service_model("cloudwatch")
_CBOR_PREFIX = "/service/GraniteServiceVersion20100801/operation/"


def _plain(v):
    """CBOR request values as the JSON moto's JSON protocol reads."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, datetime.datetime):
        return v.timestamp()
    if isinstance(v, cbor2.CBORTag) and v.tag == 1:
        return float(v.value)
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(v).decode()
    return v


def _typed(v, shape):
    """moto's JSON response values as CBOR of the types the service model declares."""
    if v is None or shape is None:
        return v
    t = shape.type_name
    if t == "structure":
        return {k: _typed(x, shape.members.get(k)) for k, x in v.items()}
    if t == "list":
        return [_typed(x, shape.member) for x in v]
    if t == "map":
        return {k: _typed(x, shape.value) for k, x in v.items()}
    if t == "timestamp":
        if isinstance(v, str):
            v = datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
        return cbor2.CBORTag(1, float(v))
    if t == "blob":
        return base64.b64decode(v) if isinstance(v, str) else v
    if t in ("double", "float"):
        return float(v)
    return v


def _cbor(app, environ, start_response, op):
    n = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(n) if n else b""
    body = json.dumps(_plain(cbor2.loads(raw) if raw else {})).encode()
    env = dict(environ)
    env.update({
        "PATH_INFO": "/",
        "CONTENT_TYPE": "application/x-amz-json-1.0",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_AMZ_TARGET": "GraniteServiceVersion20100801." + op,
        "wsgi.input": io.BytesIO(body),
    })
    env.pop("HTTP_SMITHY_PROTOCOL", None)
    got = {}

    def capture(status, headers, exc_info=None):
        got["status"], got["headers"] = status, headers

    out = b"".join(app(env, capture))
    doc = json.loads(out) if out.strip() else {}
    if int(got["status"].split()[0]) < 300:
        doc = _typed(doc, _CW.operation_model(op).output_shape)
    encoded = cbor2.dumps(doc)
    headers = [(k, v) for k, v in got["headers"] if k.lower() not in ("content-type", "content-length")]
    headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"), ("Content-Length", str(len(encoded)))]
    start_response(got["status"], headers)
    return [encoded], op


# --------------------------------------------------------------------------- the call log

# IAM's service prefix where it differs from the SigV4 signing name.
_IAM_PREFIX = {"monitoring": "cloudwatch"}
# IAM action names that differ from the API operation (Lambda's Invoke is lambda:InvokeFunction).
_IAM_ACTION = {("lambda", "Invoke"): "InvokeFunction"}

_rest_ops = {}


def _rest_operation(service, method, path):
    """The operation of a REST-protocol request (Lambda, Scheduler), from botocore's model."""
    if service not in _rest_ops:
        names = {"states": "stepfunctions", "monitoring": "cloudwatch", "scheduler": "scheduler", "lambda": "lambda"}
        try:
            model = _session.get_service_model(names.get(service, service))
        except Exception:
            _rest_ops[service] = []
            return ""
        ops = []
        for name in model.operation_names:
            http = model.operation_model(name).http
            uri = http.get("requestUri", "/").split("?")[0]
            rx = re.sub(r"\{[^}]+\+\}", ".+", uri)
            rx = re.sub(r"\{[^}]+\}", "[^/]+", rx)
            ops.append((http.get("method", "POST"), re.compile("^" + rx.rstrip("/") + "/?$"), uri.count("/"), name))
        # The most specific template first (more literal segments).
        ops.sort(key=lambda o: (-o[2], -len(o[1].pattern)))
        _rest_ops[service] = ops
    for m, rx, _, name in _rest_ops[service]:
        if m == method and rx.match(path):
            return name
    return ""


_log_lock = threading.Lock()


def _log_call(service, action, status):
    path = os.environ.get("FIDELITY_CALL_LOG")
    if not path or not service:
        return
    service = _IAM_PREFIX.get(service, service)
    line = json.dumps({"service": service, "action": _IAM_ACTION.get((service, action), action), "status": status})
    with _log_lock, open(path, "a") as f:
        f.write(line + "\n")


def _signing_service(environ):
    m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", environ.get("HTTP_AUTHORIZATION", ""))
    return m.group(1) if m else ""


class FidelityApp:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        service = _signing_service(environ)
        seen = {}

        def record(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        if path == "/fidelity/inventory":
            body = json.dumps(_inventory(f"http://127.0.0.1:{os.environ['MOTO_PORT']}")).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]

        if path.startswith(_CBOR_PREFIX):
            out, op = _cbor(self.app, environ, record, path[len(_CBOR_PREFIX):])
            _log_call(service, op, seen.get("status"))
            return out

        n = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(n) if n else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        action = ""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            action = target.rsplit(".", 1)[-1]
        elif raw.startswith(b"Action=") or b"&Action=" in raw:
            m = re.search(rb"(?:^|&)Action=([A-Za-z0-9]+)", raw)
            action = m.group(1).decode() if m else ""
        elif "Action=" in environ.get("QUERY_STRING", ""):
            m = re.search(r"(?:^|&)Action=([A-Za-z0-9]+)", environ["QUERY_STRING"])
            action = m.group(1) if m else ""
        else:
            action = _rest_operation(service, environ.get("REQUEST_METHOD", ""), path)
        out = b"".join(self.app(environ, record))
        if not path.startswith("/moto-api"):
            _log_call(service, action, seen.get("status"))
        return [out]


if __name__ == "__main__":
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    port = int(sys.argv[1])
    # moto's Step Functions integrations call Lambda and DynamoDB back on this port.
    os.environ["MOTO_PORT"] = str(port)
    server = make_server("127.0.0.1", port, FidelityApp(DomainDispatcherApplication(create_backend_app)), threaded=True)
    print(f"fidelity moto on 127.0.0.1:{port}", flush=True)
    server.serve_forever()
