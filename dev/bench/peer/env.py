"""One simulated Lambda execution environment running the peer's circuit breaker.

The peer is Powertools for AWS Lambda (Python)'s circuit_breaker utility, installed
from the package registry into bin/peer by `make bench` (never copied here). This
process is what one execution environment of a caller's function would be: its own
breaker instance, its own module-level failure counter and local state cache, one
request at a time. The Go side (dev/bench/peerrun_test.go) starts N of them and feeds
them the open-loop traffic; each request is one JSON line on stdin, each answer one
JSON line on stdout.

Configuration (environment): PEER_ENDPOINT (DynamoDB, the bench's dynalite),
PEER_TABLE, PEER_CIRCUIT, PEER_DOWNSTREAM (host:port of the harness's downstream),
PEER_ENV (this environment's number), PEER_FAILURE_THRESHOLD, PEER_RECOVERY_TIMEOUT,
PEER_SUCCESS_THRESHOLD. local_cache_max_age is left at the peer's default.

What this file adds around the peer, and only to observe it:
- DynamoDB calls are counted by boto3's own client events (before-call: one per API
  call, the unit DynamoDB bills), per request;
- the persistence layer is the peer's CircuitBreakerDynamoDBPersistence, subclassed
  only to remember the state the last routing decision read and whether this
  environment won a probe election (both delegate to the peer's methods);
- the on_transition hook (the peer's documented hook) records each transition.
"""

import http.client
import importlib.metadata
import json
import os
import sys
import time

import boto3
from aws_lambda_powertools.utilities.circuit_breaker import (
    CircuitBreakerConfig,
    CircuitBreakerOpenError,
    CircuitState,
    circuit_breaker,
)
from aws_lambda_powertools.utilities.circuit_breaker.persistence import (
    CircuitBreakerDynamoDBPersistence,
)


class DownstreamError(Exception):
    """The harness's downstream answered with an error."""


class ObservedPersistence(CircuitBreakerDynamoDBPersistence):
    """The peer's DynamoDB persistence, remembering what the request saw."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.last_state = None
        self.elected = False

    def get_state(self, name):
        record = super().get_state(name)
        self.last_state = record.state
        return record

    def try_acquire_half_open(self, name, owner, opened_at):
        won = super().try_acquire_half_open(name, owner, opened_at)
        if won:
            self.last_state = CircuitState.HALF_OPEN
            self.elected = True
        return won


def main():
    env = int(os.environ["PEER_ENV"])
    circuit = os.environ["PEER_CIRCUIT"]
    host, port = os.environ["PEER_DOWNSTREAM"].rsplit(":", 1)

    # Fake static credentials: nothing reads a shared AWS configuration.
    client = boto3.session.Session().client(
        "dynamodb",
        endpoint_url=os.environ["PEER_ENDPOINT"],
        region_name="us-east-1",
        aws_access_key_id="AKIDLOCAL",
        aws_secret_access_key="local",
    )
    ops = {}
    condfailed = [0]

    def count(model=None, **_):
        ops[model.name] = ops.get(model.name, 0) + 1

    def after(model=None, parsed=None, **_):
        if parsed and parsed.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            condfailed[0] += 1

    client.meta.events.register("before-call.dynamodb", count)
    client.meta.events.register("after-call.dynamodb", after)

    persistence = ObservedPersistence(table_name=os.environ["PEER_TABLE"], boto3_client=client)
    config = CircuitBreakerConfig(
        failure_threshold=int(os.environ["PEER_FAILURE_THRESHOLD"]),
        recovery_timeout=int(os.environ["PEER_RECOVERY_TIMEOUT"]),
        success_threshold=int(os.environ["PEER_SUCCESS_THRESHOLD"]),
    )
    transitions = []

    def on_transition(t):
        transitions.append({"from": str(t.from_state), "to": str(t.to_state), "at": time.time()})

    conn = [http.client.HTTPConnection(host, int(port), timeout=10)]
    current = {}

    @circuit_breaker(name=circuit, persistence_store=persistence, on_transition=on_transition, config=config)
    def call_downstream(i):
        current["probe"] = persistence.last_state != CircuitState.CLOSED
        current["called"] += 1
        t0 = time.perf_counter()
        try:
            conn[0].request("GET", f"/call?env={env}&i={i}")
            resp = conn[0].getresponse()
            resp.read()
        except Exception:
            conn[0].close()
            conn[0] = http.client.HTTPConnection(host, int(port), timeout=10)
            raise
        finally:
            current["downstream_s"] += time.perf_counter() - t0
        if resp.status != 200:
            raise DownstreamError(f"downstream answered {resp.status}")
        return resp.status

    print(json.dumps({"ready": env, "version": importlib.metadata.version("aws-lambda-powertools")}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        ops.clear()
        condfailed[0] = 0
        transitions.clear()
        persistence.last_state = None
        persistence.elected = False
        current.update(called=0, downstream_s=0.0, probe=False)
        out = {"i": req["i"], "env": env, "start": time.time()}
        t0 = time.perf_counter()
        try:
            call_downstream(req["i"])
            out["outcome"] = "ok"
        except CircuitBreakerOpenError:
            out["outcome"] = "rejected"
        except DownstreamError:
            out["outcome"] = "failed"
        except Exception as exc:  # the downstream unreachable: a failure too
            out["outcome"] = "failed"
            out["error"] = repr(exc)
        elapsed = time.perf_counter() - t0
        out.update(
            end=time.time(),
            state=str(persistence.last_state) if persistence.last_state is not None else "",
            called=current["called"],
            probe=current["called"] > 0 and current["probe"],
            elected=persistence.elected,
            transitions=list(transitions),
            ops=dict(ops),
            condFailed=condfailed[0],
            # Time in the breaker itself: the call less the downstream's round trip.
            breakerSeconds=elapsed - current["downstream_s"],
        )
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
