// Executes a state machine definition locally with aws-local-stepfunctions, with
// its service integrations wired to local emulators instead of AWS:
//
//   arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem
//       -> the DynamoDB JSON protocol against dynalite (or any endpoint speaking it)
//   arn:aws:states:::lambda:invoke, and Lambda ARNs used directly as Resource
//       -> HTTP POST to a Lambda Runtime Interface Emulator (RIE) invoke URL
//
// The handlers reproduce what Step Functions gives a definition on AWS, because
// the definition's paths, Retry and Catch are written against that: getItem's
// {Item?, SdkHttpMetadata, ...}, lambda:invoke's {Payload, StatusCode,
// ExecutedVersion, ...}, errors named DynamoDB.<ExceptionName>, function errors
// named by their errorType with the error JSON as cause.
//
// Usage:
//   node run.mjs --config CONFIG.json                 serve: JSON lines on stdin/stdout
//   node run.mjs --config CONFIG.json --input IN.json one execution, one JSON result
//
// CONFIG: {
//   "definition": <object or JSON string> | "definitionFile": "path",
//   "dynamoEndpoint": "http://127.0.0.1:PORT",
//   "lambdas": {"<FunctionName or ARN>": "url" | ["url", ...]},
//   "keepRetryIntervals": false
// }
// Several URLs for one function are several execution environments: the RIE
// serves one invocation at a time (a concurrent one crashes it), so the runner
// queues invocations per environment, as Lambda would run them in separate ones.
//
// Request line: {"id": any, "input": <any JSON>, "startTime": "RFC 3339"?,
//   "context": {...}?, "keepRetryIntervals": bool?, "waitTimeOverrides": {...}?,
//   "inject": {"lambda": [fault...], "dynamodb": [fault...]}?}
//   where a fault is "Error.Name" or {"error": "...", "cause": "..."}; the first
//   calls of the execution fail with them instead of reaching the emulator.
//   context is merged into the context object ($$); State.EnteredTime is
//   supplied per state (contextFor) unless context pins it.
// Result line: {"id", "status": SUCCEEDED|FAILED|TIMED_OUT|ABORTED, "output",
//   "error", "cause", "lambdaInvocations", "lambdaInvocationsByFunction",
//   "dynamoReads", "dynamoWrites", "injectedFaults", "states", "durationMs"}
// Counts are calls that reached an emulator; injected faults are counted apart.
// Serve mode first prints {"ready": true, "buildMs": N} (or {"ready": false, "error"}).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createInterface } from "node:readline";
import { randomUUID } from "node:crypto";

// aws-local-stepfunctions 3 needs Node >= 22 for this one function.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

const here = dirname(fileURLToPath(import.meta.url));
const emulators = process.env.CB_EMULATORS_DIR || resolve(here, "..", "emulators");

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--config" || a === "--input") args[a.slice(2)] = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.config) throw new Error("--config is required");
  return args;
}

class ServiceError extends Error {
  constructor(name, cause) {
    super(cause);
    this.name = name;
  }
}

function fault(f) {
  return typeof f === "string" ? new ServiceError(f, `injected fault ${f}`) : new ServiceError(f.error, f.cause ?? `injected fault ${f.error}`);
}

// ---------------------------------------------------------------- Lambda pool

class Environments {
  constructor(urls) {
    this.free = [...urls];
    this.waiting = [];
  }
  async with(fn) {
    const url = this.free.length > 0 ? this.free.shift() : await new Promise((r) => this.waiting.push(r));
    try {
      return await fn(url);
    } finally {
      const next = this.waiting.shift();
      if (next) next(url);
      else this.free.push(url);
    }
  }
}

function unqualified(arn) {
  // arn:partition:lambda:region:account:function:name[:qualifier]
  const parts = String(arn).split(":");
  return parts.length === 8 && parts[0] === "arn" ? parts.slice(0, 7).join(":") : arn;
}

function executedVersion(functionName) {
  const parts = String(functionName).split(":");
  const q = parts.length === 8 ? parts[7] : "";
  return /^\d+$/.test(q) ? q : "$LATEST";
}

function isFunctionError(body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return false;
  if (typeof body.errorType !== "string" && typeof body.errorMessage !== "string") return false;
  return Object.keys(body).every((k) => ["errorType", "errorMessage", "stackTrace", "trace", "cause"].includes(k));
}

// ---------------------------------------------------------------- the runner

class Runner {
  constructor(config) {
    this.config = config;
    this.definition = typeof config.definition === "string" ? JSON.parse(config.definition)
      : config.definition ?? JSON.parse(readFileSync(config.definitionFile, "utf8"));
    this.functions = new Map();
    for (const [name, urls] of Object.entries(config.lambdas ?? {})) {
      this.functions.set(name, new Environments(Array.isArray(urls) ? urls : [urls]));
    }
    this.tasks = [];
    collectTasks(this.definition, this.tasks);
    for (const t of this.tasks) {
      if (t.kind === "dynamodb" && !config.dynamoEndpoint) {
        // Failing here rather than per call: a definition that fails open on
        // read errors would otherwise pass its tests without reading anything.
        throw new Error(`state ${t.name} uses DynamoDB but no dynamoEndpoint is configured`);
      }
    }
  }

  async build() {
    const require = createRequire(resolve(emulators, "package.json"));
    const mod = await import(pathToFileURL(require.resolve("aws-local-stepfunctions")).href);
    const started = performance.now();
    this.machine = new mod.StateMachine(this.definition);
    this.ExecutionTimeoutError = mod.ExecutionTimeoutError;
    this.ExecutionAbortedError = mod.ExecutionAbortedError;
    return performance.now() - started;
  }

  functionFor(name) {
    return this.functions.get(name) ?? this.functions.get(unqualified(name));
  }

  async execute(req) {
    const counts = { lambdaInvocations: 0, lambdaInvocationsByFunction: {}, dynamoReads: 0, dynamoWrites: 0, injectedFaults: 0 };
    const inject = { lambda: [...(req.inject?.lambda ?? [])], dynamodb: [...(req.inject?.dynamodb ?? [])] };
    const handlers = {};
    const retryIntervalOverrides = {};
    const keepRetry = req.keepRetryIntervals ?? this.config.keepRetryIntervals ?? false;
    for (const t of this.tasks) {
      handlers[t.name] = (input) => this.call(t, input, counts, inject);
      // Retry waits are real seconds; tests want the retry, not the wait.
      if (!keepRetry && t.hasRetry) retryIntervalOverrides[t.name] = 0;
    }

    const options = {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides, waitTimeOverrides: req.waitTimeOverrides ?? {} },
      context: contextFor(req),
    };
    const started = performance.now();
    // aws-local-stepfunctions stamps $$.Execution.StartTime with `new Date()`
    // over any context given, synchronously inside run(); a fixed clock for just
    // that call makes it deterministic without touching timers or other runs.
    const execution = withClock(req.startTime, () => this.machine.run(req.input, options));
    const states = [];
    const collecting = (async () => {
      for await (const ev of execution.eventLogs) if (ev.type === "StateEntered") states.push(ev.state.name);
    })();

    const result = { id: req.id };
    try {
      result.output = await execution.result;
      result.status = "SUCCEEDED";
    } catch (err) {
      if (err instanceof this.ExecutionTimeoutError) result.status = "TIMED_OUT";
      else if (err instanceof this.ExecutionAbortedError) result.status = "ABORTED";
      else result.status = "FAILED";
      const e = err.cause instanceof Error ? err.cause : err;
      result.error = e.name;
      result.cause = e.message;
    }
    result.durationMs = performance.now() - started;
    await collecting;
    return { ...result, ...counts, states };
  }

  async call(task, input, counts, inject) {
    if (task.kind === "dynamodb") {
      if (inject.dynamodb.length > 0) { counts.injectedFaults++; throw fault(inject.dynamodb.shift()); }
      if (task.action === "getItem") counts.dynamoReads++;
      else counts.dynamoWrites++;
      return dynamo(this.config.dynamoEndpoint, task.action, input);
    }
    // lambda:invoke gets {FunctionName, Payload}; a bare Lambda ARN Resource gets the payload.
    const functionName = task.kind === "lambda:invoke" ? input?.FunctionName : task.resource;
    const payload = task.kind === "lambda:invoke" ? input?.Payload : input;
    if (inject.lambda.length > 0) { counts.injectedFaults++; throw fault(inject.lambda.shift()); }
    const env = this.functionFor(functionName);
    if (!env) {
      throw new ServiceError("Lambda.ResourceNotFoundException",
        `Function not found: ${functionName} (Service: Lambda, Status Code: 404, Request ID: ${randomUUID()})`);
    }
    counts.lambdaInvocations++;
    counts.lambdaInvocationsByFunction[functionName] = (counts.lambdaInvocationsByFunction[functionName] ?? 0) + 1;
    const res = await env.with((url) => invokeRIE(url, functionName, payload));
    return task.kind === "lambda:invoke" ? res : res.Payload;
  }
}

function collectTasks(def, out) {
  for (const [name, s] of Object.entries(def.States ?? {})) {
    if (s.Type === "Task") {
      const r = String(s.Resource);
      let m;
      const hasRetry = Array.isArray(s.Retry) && s.Retry.length > 0;
      if ((m = /^arn:[a-z-]+:states:::dynamodb:(getItem|putItem|updateItem|deleteItem)$/.exec(r))) {
        out.push({ name, kind: "dynamodb", action: m[1], resource: r, hasRetry });
      } else if (/^arn:[a-z-]+:states:::lambda:invoke$/.test(r)) {
        out.push({ name, kind: "lambda:invoke", resource: r, hasRetry });
      } else if (/^arn:[a-z-]+:lambda:[^:]+:\d{12}:function:/.test(r)) {
        out.push({ name, kind: "lambda", resource: r, hasRetry });
      } else {
        throw new Error(`state ${name}: no local stand-in for Resource ${r}`);
      }
    }
    for (const b of s.Branches ?? []) collectTasks(b, out);
    if (s.ItemProcessor) collectTasks(s.ItemProcessor, out);
    if (s.Iterator) collectTasks(s.Iterator, out);
  }
}

// $$.State.EnteredTime, which AWS sets for every state ("State": {"EnteredTime":
// ISO 8601}, https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
// aws-local-stepfunctions 3.0.0 builds one context per execution with only
// Execution.Input and Execution.StartTime, so a definition reading the field
// would fail there with States.Runtime. It copies the context shallowly, keeping
// the State object given here, so a getter answers at the moment a state reads
// it: the execution's start (fixed by "startTime" when given) plus the real time
// elapsed since. Paths are read when a state's Parameters are evaluated, right
// after it is entered, so this is its entered time; a retry reads it again,
// later, where AWS keeps the first entry's. A request whose context pins
// State.EnteredTime keeps that value, for tests that fix the clock outright.
function contextFor(req) {
  const given = req.context ?? {};
  if (given.State?.EnteredTime !== undefined) return given;
  const start = req.startTime ? Date.parse(req.startTime) : Date.now();
  const since = performance.now();
  const state = { ...given.State };
  Object.defineProperty(state, "EnteredTime", {
    enumerable: true,
    get: () => new Date(start + (performance.now() - since)).toISOString(),
  });
  return { ...given, State: state };
}

function withClock(iso, fn) {
  if (!iso) return fn();
  const fixed = Date.parse(iso);
  if (Number.isNaN(fixed)) throw new Error(`startTime ${iso} is not a timestamp`);
  const RealDate = globalThis.Date;
  class FixedDate extends RealDate {
    constructor(...args) { if (args.length === 0) super(fixed); else super(...args); }
    static now() { return fixed; }
  }
  globalThis.Date = FixedDate;
  try { return fn(); } finally { globalThis.Date = RealDate; }
}

// ---------------------------------------------------------------- DynamoDB

function sdkHttpMetadata(status, headers) {
  const all = {}, single = {};
  for (const [k, v] of headers) { all[k] = [v]; single[k] = v; }
  return { AllHttpHeaders: all, HttpHeaders: single, HttpStatusCode: status };
}

async function dynamo(endpoint, action, params) {
  const op = action[0].toUpperCase() + action.slice(1);
  let res, text;
  try {
    res = await fetch(endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": `DynamoDB_20120810.${op}`,
        // dynalite checks that a signature is present, not that it is valid.
        Authorization: "AWS4-HMAC-SHA256 Credential=AKIDSFNLOCAL/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
        "X-Amz-Date": "20260101T000000Z",
      },
      body: JSON.stringify(params),
    });
    text = await res.text();
  } catch (err) {
    throw new ServiceError("DynamoDB.SdkClientException", `Unable to execute HTTP request: ${err.cause?.message ?? err.message}`);
  }
  const requestId = res.headers.get("x-amzn-requestid") ?? randomUUID();
  const body = text ? JSON.parse(text) : {};
  if (res.status !== 200) {
    const code = String(body.__type ?? "AmazonDynamoDBException").split("#").pop();
    const msg = body.message ?? body.Message ?? "";
    // The cause in the Java SDK's words, which is what Step Functions shows.
    throw new ServiceError(`DynamoDB.${code}`,
      `${msg} (Service: AmazonDynamoDBv2; Status Code: ${res.status}; Error Code: ${code}; Request ID: ${requestId}; Proxy: null)`);
  }
  return { ...body, SdkHttpMetadata: sdkHttpMetadata(res.status, res.headers), SdkResponseMetadata: { RequestId: requestId } };
}

// ---------------------------------------------------------------- Lambda

async function invokeRIE(url, functionName, payload) {
  let res, text;
  try {
    res = await fetch(url, { method: "POST", body: JSON.stringify(payload ?? null) });
    text = await res.text();
  } catch (err) {
    throw new ServiceError("Lambda.SdkClientException", `Unable to execute HTTP request: ${err.cause?.message ?? err.message}`);
  }
  const requestId = randomUUID();
  if (res.status !== 200) {
    throw new ServiceError("Lambda.ServiceException", `Lambda RIE answered HTTP ${res.status}: ${text} (Service: Lambda, Status Code: ${res.status}, Request ID: ${requestId})`);
  }
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  if (isFunctionError(body)) {
    // As on AWS: the error is the function's errorType, the cause its error JSON.
    throw new ServiceError(typeof body.errorType === "string" && body.errorType ? body.errorType : "Lambda.Unknown", text);
  }
  const version = executedVersion(functionName);
  const headers = new Map([
    ["Content-Type", "application/json"],
    ["X-Amz-Executed-Version", version],
    ["x-amzn-RequestId", requestId],
    ["Content-Length", String(Buffer.byteLength(text))],
  ]);
  return {
    ExecutedVersion: version,
    Payload: body,
    SdkHttpMetadata: sdkHttpMetadata(200, headers),
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const config = JSON.parse(readFileSync(args.config, "utf8"));
  let runner, buildMs;
  try {
    runner = new Runner(config);
    buildMs = await runner.build();
  } catch (err) {
    process.stdout.write(JSON.stringify({ ready: false, error: String(err?.message ?? err) }) + "\n");
    process.exit(2);
  }

  if (args.input) {
    const input = JSON.parse(readFileSync(args.input, "utf8"));
    const result = await runner.execute({ id: 1, input });
    process.stdout.write(JSON.stringify({ ...result, buildMs }) + "\n");
    process.exit(0);
  }

  process.stdout.write(JSON.stringify({ ready: true, buildMs }) + "\n");
  const inflight = new Set();
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let req;
    try { req = JSON.parse(line); } catch (err) {
      process.stdout.write(JSON.stringify({ id: null, status: "RUNNER_ERROR", error: "BadRequest", cause: String(err.message) }) + "\n");
      continue;
    }
    // Executions run concurrently, like real ones: results may come back out of order.
    const p = runner.execute(req)
      .catch((err) => ({ id: req.id, status: "RUNNER_ERROR", error: err?.name ?? "Error", cause: String(err?.stack ?? err) }))
      .then((r) => { process.stdout.write(JSON.stringify(r) + "\n"); inflight.delete(p); });
    inflight.add(p);
  }
  await Promise.all(inflight);
  // Exit at once: a timed-out Task may still have its HTTP call to the RIE open.
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + "\n");
  process.exit(1);
});
