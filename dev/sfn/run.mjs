// Executes a state machine definition locally with aws-local-stepfunctions, with
// its service integrations wired to local emulators instead of AWS:
//
//   arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem
//   arn:aws:states:::aws-sdk:dynamodb:getItem|putItem|updateItem|deleteItem|batchGetItem
//       -> the DynamoDB JSON protocol against dynalite (or any endpoint speaking it)
//   arn:aws:states:::lambda:invoke, and Lambda ARNs used directly as Resource
//       -> HTTP POST to a Lambda Runtime Interface Emulator (RIE) invoke URL,
//          through testenv's front, which adds Lambda's X-Amz-Function-Error
//
// The handlers reproduce what Step Functions gives a definition on AWS, because
// the definition's paths, Retry and Catch are written against that. Each shape
// is tied to a response recorded on AWS or to AWS's reference, not to our
// reading (LocalStack records its snapshot tests against AWS; repo
// localstack/localstack, paths below under tests/aws/services/stepfunctions/v2/):
//
//   - getItem's {Item?, SdkHttpMetadata, SdkResponseMetadata}.
//   - DynamoDB errors named DynamoDB.<Java SDK v1 exception class>: the class
//     a wire code unmarshals to, else the base class AmazonDynamoDBException
//     (table and sources: dynamodb-exception-classes.json; recorded:
//     error_handling/test_task_service_dynamodb.snapshot.json), the cause in
//     the Java SDK's words.
//   - lambda:invoke's {ExecutedVersion, Payload, SdkHttpMetadata,
//     SdkResponseMetadata, StatusCode}, with the header set AWS returns
//     (services/test_lambda_task_service.snapshot.json); ExecutedVersion is the
//     version an alias resolved to (Lambda API reference, Invoke).
//   - A function error is what Lambda flags with X-Amz-Function-Error (Lambda
//     API reference, Invoke), whatever the body: the error is its errorType and
//     the cause the error JSON as a string (error_handling/
//     test_task_service_lambda.snapshot.json; a Python error there carries
//     requestId and stackTrace). A result {"errorMessage": ...} is a result.
//   - A function, version or alias that does not exist is
//     Lambda.ResourceNotFoundException ("Function not found: <arn>:<qualifier>
//     (Service: AWSLambda; Status Code: 404; ...)", same snapshot).
//   - Payload size (Step Functions quotas: 262,144 bytes of UTF-8 for a task's
//     result, a state's input or output, an execution's input):
//     an integration's whole result over it fails the Task with
//     States.DataLimitExceeded, which the Task's Retry and Catch see, States.ALL
//     included (error_handling/test_states_errors.snapshot.json, recorded
//     2024-03: "The state/task 'lambda' returned a result with a size exceeding
//     the maximum number of bytes service limit.", caught by a States.ALL
//     catcher); a state's output over it fails the execution where it stands,
//     no Catch (test_start_large_input in the same file); a Task's input after
//     Parameters over it fails the execution too (Developer Guide, "Handling
//     errors": not recorded, taken as written). The check is on JSON.stringify.
//   - The AWS SDK integration (aws-sdk:dynamodb:*) answers with the API's own
//     output and nothing else: no SdkHttpMetadata (getItem's {"Item": ...}
//     and putItem's {} in services/test_aws_sdk_task_service.snapshot.json;
//     batchGetItem's {Responses: {<table>: [items, no order]}, UnprocessedKeys}
//     is the BatchGetItem API reference's). Its errors are DynamoDb.<Java SDK
//     v2 exception class>: both SDKs generate one class per modelled error
//     code, so the table's classByErrorCode holds, and a code without one is
//     the v2 base class DynamoDbException (recorded: error_handling/
//     test_aws_sdk.snapshot.json, a validation error as
//     DynamoDb.DynamoDbException with "(Service: DynamoDb, Status Code: 400,
//     Request ID: ...)"; the naming rule: Step Functions Developer Guide,
//     "AWS SDK service integrations": ServiceName.ErrorName, both in Pascal
//     case, with the Exception suffix).
//   - aws-sdk:cloudwatch:putMetricData (shadow mode's would-reject count) is
//     not sent anywhere: its request is checked against the PutMetricData API
//     reference (Namespace, MetricData[] of MetricName, Dimensions[] of
//     {Name, Value}, Value, Unit; at most 30 dimensions) and recorded in the
//     result's "metrics"; the answer is {}, PutMetricData having no response
//     elements, and the AWS SDK integration answering with the API's own output
//     (the rule recorded for DynamoDB above). Faults: inject.cloudwatch.
//   - $$.Execution.StartTime as AWS writes it: milliseconds, and no fraction at
//     all when they are zero ("...:06Z").
//
// Usage:
//   node run.mjs --config CONFIG.json                 serve: JSON lines on stdin/stdout
//   node run.mjs --config CONFIG.json --input IN.json one execution, one JSON result
//
// CONFIG: {
//   "definition": <object or JSON string> | "definitionFile": "path",
//   "dynamoEndpoint": "http://127.0.0.1:PORT",
//   "lambdas": {"<FunctionName or ARN>": FUNCTION},
//   "keepRetryIntervals": false
// }
// FUNCTION is "url" | ["url", ...] (the function's $LATEST; a key with a
// qualifier, "name:live", serves that qualifier only), or
//   {"urls": ["url", ...], "versions": ["1", "2"], "aliases": {"live": "2"}}
// for an unqualified key: $LATEST, those published versions and those aliases
// (an alias's version counts as published). Any other qualifier is
// Lambda.ResourceNotFoundException, as on AWS.
// Several URLs for one function are several execution environments: the RIE
// serves one invocation at a time (a concurrent one crashes it), so the runner
// queues invocations per environment, as Lambda would run them in separate ones.
//
// Request line: {"id": any, "input": <any JSON>, "startTime": "RFC 3339"?,
//   "context": {...}?, "keepRetryIntervals": bool?, "waitTimeOverrides": {...}?,
//   "inject": {"lambda": [fault...], "dynamodb": [fault...],
//              "unprocessedKeys": [["key value" | "*", ...], ...]}?}
//   where a fault is "Error.Name" or {"error": "...", "cause": "..."}; the first
//   calls of the execution fail with them instead of reaching the emulator. A
//   DynamoDB fault must be a name AWS raises (DynamoDB.<class>, or States.*).
//   unprocessedKeys make the first BatchGetItem calls partial: each leaves the
//   items with those partition key values ("*": all) in UnprocessedKeys (see
//   partialBatchGet); such a call counts as a read and as an injected fault.
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
import { randomUUID, randomBytes } from "node:crypto";

// aws-local-stepfunctions 3 needs Node >= 22 for this one function.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

const here = dirname(fileURLToPath(import.meta.url));
// The real Date, before withClock swaps in a fixed one for a moment.
const SystemDate = globalThis.Date;
const emulators = process.env.CB_EMULATORS_DIR || resolve(here, "..", "emulators");

// Step Functions quotas: "Maximum input or output size for a task, state, or
// execution: 262,144 bytes of data as a UTF-8 encoded string".
const MAX_PAYLOAD_BYTES = 262144;
const dynamoClasses = JSON.parse(readFileSync(resolve(here, "dynamodb-exception-classes.json"), "utf8"));

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

// An error no Retry or Catch sees (aws-local-stepfunctions honours these flags).
class TerminalError extends ServiceError {
  constructor(name, cause) {
    super(name, cause);
    this.isCatchable = false;
    this.isRetryable = false;
  }
}

function utf8Bytes(value) {
  return Buffer.byteLength(typeof value === "string" ? value : JSON.stringify(value) ?? "null", "utf8");
}

// The cause Step Functions gives States.DataLimitExceeded (recorded; see top).
function dataLimitCause(what) {
  return `The state/task '${what}' returned a result with a size exceeding the maximum number of bytes service limit.`;
}

// ---------------------------------------------------------------- DynamoDB names

// DynamoDB.<class> for a wire error code, by the table's rule.
function dynamoErrorName(code) {
  return `DynamoDB.${dynamoClasses.classByErrorCode[code] ?? dynamoClasses.baseClass}`;
}

// The same error under the AWS SDK integration: DynamoDb.<SDK v2 class> (see
// top). The SDK v2 also has classes for the codes modelled after the SDK v1
// stopped taking model updates (ThrottlingException: the table's
// sdkV2OnlyClassByErrorCode and its evidence), which the optimized
// integration names by the v1 base class.
const SDK_BASE_CLASS = "DynamoDbException";
const sdkClassByErrorCode = { ...dynamoClasses.classByErrorCode, ...dynamoClasses.sdkV2OnlyClassByErrorCode };
function dynamoSdkErrorName(code) {
  return `DynamoDb.${sdkClassByErrorCode[code] ?? SDK_BASE_CLASS}`;
}

const dynamoNamesAWSRaises = new Set([
  ...[...Object.values(dynamoClasses.classByErrorCode), dynamoClasses.baseClass, dynamoClasses.clientClass].map((c) => `DynamoDB.${c}`),
  ...[...Object.values(sdkClassByErrorCode), SDK_BASE_CLASS, dynamoClasses.clientClass].map((c) => `DynamoDb.${c}`),
]);

// An injected DynamoDB fault must be an error AWS can raise, or a test of a
// Retry or Catch on a name AWS never uses would pass here and never fire there.
function checkDynamoFault(f) {
  const name = typeof f === "string" ? f : f?.error;
  if (typeof name !== "string" || name.startsWith("States.") || dynamoNamesAWSRaises.has(name)) return;
  const code = name.replace(/^DynamoD[Bb]\./, "");
  const hint = name.startsWith("DynamoDB.") ? `; did you mean ${dynamoErrorName(code)}?`
    : name.startsWith("DynamoDb.") ? `; did you mean ${dynamoSdkErrorName(code)}?` : "";
  throw new Error(`inject.dynamodb: ${name} is not an error Step Functions raises for DynamoDB: it names them DynamoDB.<Java SDK exception class>, or DynamoDb.<SDK v2 class> for aws-sdk:dynamodb (see dev/sfn/dynamodb-exception-classes.json)${hint}`);
}

function fault(f) {
  return typeof f === "string" ? new ServiceError(f, `injected fault ${f}`) : new ServiceError(f.error, f.cause ?? `injected fault ${f.error}`);
}

// ---------------------------------------------------------------- Lambda functions

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

// splitQualifier: "arn:p:lambda:r:a:function:name[:q]", "a:function:name[:q]"
// or "name[:q]" -> [unqualified, qualifier or ""].
function splitQualifier(functionName) {
  const s = String(functionName);
  const parts = s.split(":");
  const named = parts[0] === "arn" ? 7 : parts[1] === "function" ? 3 : 1;
  if (parts.length === named + 1) return [parts.slice(0, named).join(":"), parts[named]];
  return [s, ""];
}

const isVersion = (q) => /^\d+$/.test(q);

// One configured function: its environments and the qualifiers it answers
// to, each with the version it executes.
class LambdaFunction {
  constructor(key, spec) {
    const [base, qualifier] = splitQualifier(key);
    this.base = base;
    this.qualifiers = new Map(); // qualifier ("$LATEST" for an unqualified call) -> ExecutedVersion
    let urls;
    if (typeof spec === "string" || Array.isArray(spec)) {
      urls = Array.isArray(spec) ? spec : [spec];
      if (qualifier === "") this.qualifiers.set("$LATEST", "$LATEST");
      // A version number executes itself. An alias's version is not known in
      // this form; Lambda always reports a number for an alias, so this does
      // too. Give {urls, aliases} to choose it.
      else this.qualifiers.set(qualifier, isVersion(qualifier) || qualifier === "$LATEST" ? qualifier : "1");
    } else if (spec && typeof spec === "object") {
      if (qualifier !== "") throw new Error(`lambdas["${key}"]: a function with versions or aliases is keyed by its unqualified name or ARN`);
      urls = spec.urls;
      this.qualifiers.set("$LATEST", "$LATEST");
      for (const v of spec.versions ?? []) {
        if (!isVersion(String(v))) throw new Error(`lambdas["${key}"].versions: ${JSON.stringify(v)} is not a version number`);
        this.qualifiers.set(String(v), String(v));
      }
      for (const [alias, v] of Object.entries(spec.aliases ?? {})) {
        if (isVersion(alias) || alias === "$LATEST") throw new Error(`lambdas["${key}"].aliases: ${alias} is not an alias name`);
        if (!isVersion(String(v)) && v !== "$LATEST") throw new Error(`lambdas["${key}"].aliases.${alias}: ${JSON.stringify(v)} is not a version number or $LATEST`);
        this.qualifiers.set(alias, String(v));
        if (isVersion(String(v))) this.qualifiers.set(String(v), String(v));
      }
    }
    if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === "string")) {
      throw new Error(`lambdas["${key}"]: give an invoke URL, a list of them, or {"urls": [...], "versions": [...], "aliases": {...}}`);
    }
    this.envs = new Environments(urls);
  }
}

class Functions {
  constructor(config) {
    this.byBase = new Map();
    for (const [key, spec] of Object.entries(config ?? {})) {
      const fn = new LambdaFunction(key, spec);
      if (!this.byBase.has(fn.base)) this.byBase.set(fn.base, []);
      this.byBase.get(fn.base).push(fn);
    }
  }
  // resolve -> {fn, executedVersion}, or throws Lambda.ResourceNotFoundException.
  resolve(functionName) {
    const [base, q] = splitQualifier(functionName);
    const qualifier = q === "" ? "$LATEST" : q;
    for (const fn of this.byBase.get(base) ?? []) {
      if (fn.qualifiers.has(qualifier)) return { fn, executedVersion: fn.qualifiers.get(qualifier) };
    }
    throw new ServiceError("Lambda.ResourceNotFoundException",
      `Function not found: ${base}:${qualifier} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ${randomUUID()}; Proxy: null)`);
  }
}

// ---------------------------------------------------------------- the runner

class Runner {
  constructor(config) {
    this.config = config;
    this.definition = typeof config.definition === "string" ? JSON.parse(config.definition)
      : config.definition ?? JSON.parse(readFileSync(config.definitionFile, "utf8"));
    failPathIntrinsics(this.definition);
    this.functions = new Functions(config.lambdas);
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

  async execute(req) {
    // StartExecution refuses an input over the quota: there is no execution.
    const inputBytes = utf8Bytes(req.input ?? null);
    if (inputBytes > MAX_PAYLOAD_BYTES) {
      throw new Error(`the execution input is ${inputBytes} bytes, over Step Functions' ${MAX_PAYLOAD_BYTES}: StartExecution would refuse it`);
    }
    for (const f of req.inject?.dynamodb ?? []) checkDynamoFault(f);
    const counts = { lambdaInvocations: 0, lambdaInvocationsByFunction: {}, dynamoReads: 0, dynamoWrites: 0, injectedFaults: 0, metrics: [] };
    const inject = { lambda: [...(req.inject?.lambda ?? [])], dynamodb: [...(req.inject?.dynamodb ?? [])], unprocessedKeys: [...(req.inject?.unprocessedKeys ?? [])],
      cloudwatch: [...(req.inject?.cloudwatch ?? [])] };
    for (const u of inject.unprocessedKeys) {
      if (!Array.isArray(u) || !u.every((k) => typeof k === "string")) throw new Error(`inject.unprocessedKeys: ${JSON.stringify(u)} is not a list of key values (or "*")`);
    }
    // A state whose output is over the quota ends the execution there; the
    // library goes on, so every call after it refuses to run and the result
    // is rewritten (see overLimit below).
    const run = { overLimit: null };
    const handlers = {};
    const retryIntervalOverrides = {};
    const keepRetry = req.keepRetryIntervals ?? this.config.keepRetryIntervals ?? false;
    for (const t of this.tasks) {
      handlers[t.name] = (input) => this.call(t, input, counts, inject, run);
      // Retry waits are real seconds; tests want the retry, not the wait.
      if (!keepRetry && t.hasRetry) retryIntervalOverrides[t.name] = 0;
    }

    const options = {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides, waitTimeOverrides: req.waitTimeOverrides ?? {} },
      context: contextFor(req),
    };
    const started = performance.now();
    // aws-local-stepfunctions stamps $$.Execution.StartTime with
    // `new Date().toISOString()` over any context given, synchronously inside
    // run(); a clock of our own for just that call makes it deterministic and
    // renders it like AWS, without touching timers or other runs.
    const execution = withClock(req.startTime, () => this.machine.run(req.input, options));
    const states = [];
    const collecting = (async () => {
      for await (const ev of execution.eventLogs) {
        if (ev.type === "StateEntered" && !ev.state.name.endsWith(INTRINSIC_FAIL_SUFFIX)) states.push(ev.state.name);
        else if (ev.type === "StateExited" && !run.overLimit && utf8Bytes(ev.state.output ?? null) > MAX_PAYLOAD_BYTES) {
          run.overLimit = { state: ev.state.name, statesEntered: states.length };
        }
      }
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
    if (run.overLimit) {
      // What AWS reports: the execution failed at that state, nothing after it ran.
      delete result.output;
      result.status = "FAILED";
      result.error = "States.DataLimitExceeded";
      result.cause = dataLimitCause(run.overLimit.state);
      states.length = run.overLimit.statesEntered;
    }
    return { ...result, ...counts, states };
  }

  async call(task, input, counts, inject, run) {
    // Let the event log catch up: the state before this one may have exited
    // over the quota, and then this call never happens on AWS.
    await new Promise((r) => setImmediate(r));
    if (run.overLimit) throw new TerminalError("States.DataLimitExceeded", dataLimitCause(run.overLimit.state));
    if (utf8Bytes(input ?? null) > MAX_PAYLOAD_BYTES) {
      throw new TerminalError("States.DataLimitExceeded", `The state/task '${task.name}' has an input, after Parameters, with a size exceeding the maximum number of bytes service limit.`);
    }
    const result = await this.callService(task, input, counts, inject);
    // The integration's whole result counts, before ResultSelector: for
    // lambda:invoke the envelope too.
    if (utf8Bytes(result ?? null) > MAX_PAYLOAD_BYTES) {
      throw new ServiceError("States.DataLimitExceeded", dataLimitCause(task.kind === "lambda" ? task.resource : task.kind === "dynamodb" ? "dynamodb" : "lambda"));
    }
    return result;
  }

  async callService(task, input, counts, inject) {
    if (task.kind === "cloudwatch") {
      if (inject.cloudwatch.length > 0) { counts.injectedFaults++; throw fault(inject.cloudwatch.shift()); }
      counts.metrics.push(...putMetricData(task.name, input));
      return {};
    }
    if (task.kind === "dynamodb") {
      if (inject.dynamodb.length > 0) {
        const f = inject.dynamodb.shift();
        const name = typeof f === "string" ? f : f?.error;
        // Each integration raises its own names: a v1 name injected into an
        // aws-sdk Task (or the reverse) would test a Retry that never fires on AWS.
        const wrong = task.sdk ? /^DynamoDB\./ : /^DynamoDb\./;
        if (typeof name === "string" && wrong.test(name)) {
          throw new TerminalError("States.Runtime", `inject.dynamodb: ${name} is not an error of ${task.resource}: it raises ${task.sdk ? "DynamoDb.<SDK v2 class>" : "DynamoDB.<SDK v1 class>"}`);
        }
        counts.injectedFaults++;
        throw fault(f);
      }
      if (task.action === "getItem" || task.action === "batchGetItem") counts.dynamoReads++;
      else counts.dynamoWrites++;
      if (task.action === "batchGetItem" && inject.unprocessedKeys.length > 0) {
        counts.injectedFaults++;
        return partialBatchGet(this.config.dynamoEndpoint, input, inject.unprocessedKeys.shift(), task.sdk);
      }
      return dynamo(this.config.dynamoEndpoint, task.action, input, task.sdk);
    }
    // lambda:invoke gets {FunctionName, Payload}; a bare Lambda ARN Resource gets the payload.
    const functionName = task.kind === "lambda:invoke" ? input?.FunctionName : task.resource;
    const payload = task.kind === "lambda:invoke" ? input?.Payload : input;
    if (inject.lambda.length > 0) { counts.injectedFaults++; throw fault(inject.lambda.shift()); }
    const { fn, executedVersion } = this.functions.resolve(functionName);
    counts.lambdaInvocations++;
    counts.lambdaInvocationsByFunction[functionName] = (counts.lambdaInvocationsByFunction[functionName] ?? 0) + 1;
    const res = await fn.envs.with((url) => invokeLambda(url, executedVersion, payload));
    return task.kind === "lambda:invoke" ? res : res.Payload;
  }
}

// putMetricData checks a PutMetricData request as the API reference
// describes it and returns its data, one {namespace, name, dimensions, value,
// unit} per datum. A request CloudWatch would refuse fails the execution
// (States.Runtime): it is a bug of the definition, not a fault to catch.
function putMetricData(state, input) {
  const bad = (why) => { throw new TerminalError("States.Runtime", `state ${state}: PutMetricData ${why}`); };
  if (typeof input?.Namespace !== "string" || input.Namespace === "" || input.Namespace.startsWith("AWS/")) bad(`Namespace ${JSON.stringify(input?.Namespace)}`);
  if (!Array.isArray(input.MetricData) || input.MetricData.length === 0 || input.MetricData.length > 1000) bad("MetricData must be 1 to 1000 data");
  return input.MetricData.map((d) => {
    if (typeof d?.MetricName !== "string" || d.MetricName === "") bad("a datum without MetricName");
    const dims = d.Dimensions ?? [];
    if (!Array.isArray(dims) || dims.length > 30) bad("Dimensions must be a list of at most 30");
    const dimensions = {};
    for (const x of dims) {
      if (typeof x?.Name !== "string" || typeof x?.Value !== "string" || x.Name === "" || x.Value === "") bad(`dimension ${JSON.stringify(x)}`);
      dimensions[x.Name] = x.Value;
    }
    if (typeof d.Value !== "number") bad(`Value ${JSON.stringify(d.Value)}`);
    return { namespace: input.Namespace, name: d.MetricName, dimensions, value: d.Value, unit: d.Unit ?? "None" };
  });
}

// A Fail state's CausePath and ErrorPath may be an intrinsic function that
// returns a string on AWS (Developer Guide, Fail state: "You can also specify
// CausePath using an intrinsic function that returns a string. These
// intrinsics are: States.Format, States.JsonToString, ...",
// https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html);
// aws-local-stepfunctions 3.0.0 reads them as reference paths only
// (FailStateAction: jsonPathQuery). failPathIntrinsics rewrites such a Fail
// state X into a Pass X that evaluates the intrinsics with the library's own
// intrinsic functions, followed by a Fail that reads what the Pass built. The
// Fail's name ends in INTRINSIC_FAIL_SUFFIX and is left out of the states
// reported, so that an execution enters the states it enters on AWS.
const INTRINSIC_FAIL_SUFFIX = " (intrinsic Fail)";

function failPathIntrinsics(def) {
  const intrinsic = (p) => typeof p === "string" && p.startsWith("States.");
  for (const [name, s] of Object.entries({ ...(def.States ?? {}) })) {
    for (const b of s.Branches ?? []) failPathIntrinsics(b);
    if (s.ItemProcessor) failPathIntrinsics(s.ItemProcessor);
    if (s.Iterator) failPathIntrinsics(s.Iterator);
    if (s.Type !== "Fail" || !(intrinsic(s.CausePath) || intrinsic(s.ErrorPath))) continue;
    const params = {};
    const fail = { Type: "Fail" };
    for (const field of ["Cause", "Error"]) {
      if (s[field] !== undefined) fail[field] = s[field];
      if (s[field + "Path"] !== undefined) {
        params[field + ".$"] = s[field + "Path"];
        fail[field + "Path"] = "$." + field;
      }
    }
    const failName = name + INTRINSIC_FAIL_SUFFIX;
    def.States[name] = { Type: "Pass", Parameters: params, Next: failName };
    def.States[failName] = fail;
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
      } else if ((m = /^arn:[a-z-]+:states:::aws-sdk:dynamodb:(getItem|putItem|updateItem|deleteItem|batchGetItem)$/.exec(r))) {
        out.push({ name, kind: "dynamodb", sdk: true, action: m[1], resource: r, hasRetry });
      } else if (/^arn:[a-z-]+:states:::aws-sdk:cloudwatch:putMetricData$/.test(r)) {
        out.push({ name, kind: "cloudwatch", action: "putMetricData", resource: r, hasRetry });
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

// awsInstant renders a time as the context object's times are on AWS
// ($$.Execution.StartTime, $$.State.EnteredTime):
// milliseconds, and none at all when they are zero ("2026-03-04T05:06:07Z";
// AWS Support, quoted in aws-facts.md). That is Java's Instant.toString().
function awsInstant(ms) {
  const s = new SystemDate(ms).toISOString();
  return s.endsWith(".000Z") ? s.slice(0, -5) + "Z" : s;
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
  const start = req.startTime ? SystemDate.parse(req.startTime) : SystemDate.now();
  const since = performance.now();
  const state = { ...given.State };
  Object.defineProperty(state, "EnteredTime", {
    enumerable: true,
    get: () => awsInstant(start + (performance.now() - since)),
  });
  return { ...given, State: state };
}

function withClock(iso, fn) {
  const RealDate = SystemDate;
  const fixed = iso ? RealDate.parse(iso) : RealDate.now();
  if (Number.isNaN(fixed)) throw new Error(`startTime ${iso} is not a timestamp`);
  class StepFunctionsDate extends RealDate {
    constructor(...args) { if (args.length === 0) super(fixed); else super(...args); }
    static now() { return fixed; }
    toISOString() { return awsInstant(this.getTime()); }
  }
  globalThis.Date = StepFunctionsDate;
  try { return fn(); } finally { globalThis.Date = RealDate; }
}

// ---------------------------------------------------------------- DynamoDB

function sdkHttpMetadata(status, headers) {
  const all = {}, single = {};
  for (const [k, v] of headers) { all[k] = [v]; single[k] = v; }
  return { AllHttpHeaders: all, HttpHeaders: single, HttpStatusCode: status };
}

async function dynamo(endpoint, action, params, sdk = false) {
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
    // The Java SDK's client-side class; see clientClassEvidence in the table.
    throw new ServiceError(`${sdk ? "DynamoDb" : "DynamoDB"}.${dynamoClasses.clientClass}`, `Unable to execute HTTP request: ${err.cause?.message ?? err.message}`);
  }
  const requestId = res.headers.get("x-amzn-requestid") ?? randomUUID();
  const body = text ? JSON.parse(text) : {};
  if (res.status !== 200) {
    const code = String(body.__type ?? "").split("#").pop() || "UnknownError";
    const msg = body.message ?? body.Message ?? "";
    if (sdk) {
      // The SDK v2's words (recorded; see top).
      throw new ServiceError(dynamoSdkErrorName(code), `${msg} (Service: DynamoDb, Status Code: ${res.status}, Request ID: ${requestId})`);
    }
    // The cause in the Java SDK's words, which is what Step Functions shows.
    throw new ServiceError(dynamoErrorName(code),
      `${msg} (Service: AmazonDynamoDBv2; Status Code: ${res.status}; Error Code: ${code}; Request ID: ${requestId}; Proxy: null)`);
  }
  if (action === "batchGetItem") {
    // "DynamoDB does not return items in any particular order" (BatchGetItem
    // API reference): shuffled, so that no definition can pass here by
    // relying on the order of its keys.
    for (const items of Object.values(body.Responses ?? {})) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [items[i], items[j]] = [items[j], items[i]];
      }
    }
  }
  if (sdk) return body;
  return { ...body, SdkHttpMetadata: sdkHttpMetadata(res.status, res.headers), SdkResponseMetadata: { RequestId: requestId } };
}

// A partial BatchGetItem: it succeeds with some keys left unread in
// UnprocessedKeys, which DynamoDB does when the request "exceeds the
// provisioned throughput" or on "an internal processing failure" (BatchGetItem
// API reference). UnprocessedKeys has the request's own form, table by table
// (Keys, and ConsistentRead, ProjectionExpression, ... as requested), and
// names only tables with keys left; the keys read are in Responses as usual.
// unprocessed lists the partition key values (S) to leave unread, "*" for all.
async function partialBatchGet(endpoint, params, unprocessed, sdk) {
  const leave = (key) => unprocessed.includes("*") || Object.values(key ?? {}).some((v) => unprocessed.includes(v?.S));
  const read = {}, left = {};
  for (const [table, req] of Object.entries(params?.RequestItems ?? {})) {
    const keys = req.Keys ?? [];
    const kept = keys.filter((k) => !leave(k)), unread = keys.filter(leave);
    if (kept.length > 0) read[table] = { ...req, Keys: kept };
    if (unread.length > 0) left[table] = { ...req, Keys: unread };
  }
  const body = Object.keys(read).length > 0
    ? await dynamo(endpoint, "batchGetItem", { ...params, RequestItems: read }, sdk)
    : { Responses: {}, UnprocessedKeys: {} };
  for (const table of Object.keys(params?.RequestItems ?? {})) body.Responses[table] ??= [];
  body.UnprocessedKeys = { ...body.UnprocessedKeys, ...left };
  return body;
}

// ---------------------------------------------------------------- Lambda

const hex = (n) => randomBytes(Math.ceil(n / 2)).toString("hex").slice(0, n);

// The headers of Lambda's Invoke response as Step Functions passes them on
// (names and order from services/test_lambda_task_service.snapshot.json,
// which masks the values: these have realistic lengths, as the envelope's
// size counts towards the quota).
function invokeHeaders(requestId, version, contentLength) {
  const date = new Date().toUTCString();
  const trace = `Root=1-${hex(8)}-${hex(24)};Parent=${hex(16)};Sampled=0;Lineage=1:${hex(8)}:0`;
  const all = {
    "X-Amz-Executed-Version": [version],
    "x-amzn-Remapped-Content-Length": ["0"],
    Connection: ["keep-alive"],
    "x-amzn-RequestId": [requestId],
    "Content-Length": [String(contentLength)],
    Date: [date],
    "X-Amzn-Trace-Id": [trace],
    "Content-Type": ["application/json"],
  };
  const single = {};
  for (const k of Object.keys(all).sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))) single[k] = all[k][0];
  return { AllHttpHeaders: all, HttpHeaders: single, HttpStatusCode: 200 };
}

async function invokeLambda(url, version, payload) {
  const requestId = randomUUID();
  let res, text;
  try {
    res = await fetch(url, { method: "POST", headers: { "X-Amzn-RequestId": requestId }, body: JSON.stringify(payload ?? null) });
    text = await res.text();
  } catch (err) {
    throw new ServiceError("Lambda.SdkClientException", `Unable to execute HTTP request: ${err.cause?.message ?? err.message}`);
  }
  if (res.status !== 200) {
    throw new ServiceError("Lambda.ServiceException", `Lambda RIE answered HTTP ${res.status}: ${text} (Service: AWSLambda; Status Code: ${res.status}; Error Code: ServiceException; Request ID: ${requestId}; Proxy: null)`);
  }
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  if (res.headers.get("x-amz-function-error")) {
    // As on AWS: the error is the function's errorType, the cause its error JSON.
    const type = body !== null && typeof body === "object" && typeof body.errorType === "string" && body.errorType ? body.errorType : "Lambda.Unknown";
    throw new ServiceError(type, text);
  }
  return {
    ExecutedVersion: version,
    Payload: body,
    SdkHttpMetadata: invokeHeaders(requestId, version, Buffer.byteLength(text)),
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
