// TypeScript driver of the engine tests (dev/tests/engine): runs a compiled Pulumi
// TypeScript program (the example, examples/ts/bin/index.js) as an Automation
// API inline program, through the real Pulumi CLI on a local backend, and
// writes what happened as JSON for the Go test to check. The same sequence and
// report shape as examples/go/main_test.go and drivers/driver.py:
//
//   preview (fresh stack), up, preview (must change nothing), with
//   CIRCUITBREAKER_ENGINE_REFRESH=1 a refresh and a preview after it (must
//   change nothing), preview with the healthcheckSchedule config changed (must
//   touch only the schedule), export of the state, destroy.
//
// Environment: CIRCUITBREAKER_ENGINE_PROGRAM (module to run),
// CIRCUITBREAKER_ENGINE_PROJECT, CIRCUITBREAKER_ENGINE_STACK,
// CIRCUITBREAKER_ENGINE_REPORT (JSON file to write),
// CIRCUITBREAKER_ENGINE_SCHEDULE (the changed schedule),
// CIRCUITBREAKER_ENGINE_KEEP=1 to leave the stack deployed,
// CIRCUITBREAKER_ENGINE_EXPECT=error for a program with bad input (one preview,
// which must fail; the report holds what the user saw), or error-at-up (the
// preview must pass and the update fail),
// CIRCUITBREAKER_ENGINE_IMPORT=<file> to import that recorded state
// (`pulumi stack export` output) and preview once, as previewUpgrade, leaving
// the stack as it is (dev/tests/engine/upgrade_test.go),
// CIRCUITBREAKER_ENGINE_AWS_REGION (optional) the stack's aws:region,
// CIRCUITBREAKER_ENGINE_HOOK (optional) a command run before each step with the
// step's name (previewFresh, up, deployed, previewAgain, refresh,
// previewAfterRefresh, previewChanged, destroy); at "deployed" CIRCUITBREAKER_ENGINE_OUTPUTS names a JSON file of
// the stack's outputs. The Pulumi CLI, backend and plugins come from the usual
// PULUMI_* variables and PATH.
"use strict";
const fs = require("fs");
const path = require("path");
const os = require("os");
const { spawnSync } = require("child_process");
const { createRequire } = require("module");

const env = (name) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set`);
    return v;
};
const programPath = path.resolve(env("CIRCUITBREAKER_ENGINE_PROGRAM"));
// Resolve @pulumi/pulumi from the program's own node_modules: one copy of the
// runtime for the driver, the program and the circuit breaker SDK.
const programRequire = createRequire(programPath);
const auto = programRequire("@pulumi/pulumi/automation");

// Each engine run executes the program anew: drop it from the module cache so
// that its resources are declared again.
const program = async () => {
    delete programRequire.cache[programRequire.resolve(programPath)];
    return { ...programRequire(programPath) };
};

function hook(name, outputs) {
    const command = process.env.CIRCUITBREAKER_ENGINE_HOOK;
    if (!command) return;
    const env = { ...process.env };
    if (outputs !== undefined) {
        const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "engine-hook-")), "outputs.json");
        fs.writeFileSync(f, JSON.stringify(outputs));
        env.CIRCUITBREAKER_ENGINE_OUTPUTS = f;
    }
    const r = spawnSync(command, [name], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`hook ${name} failed (${r.status ?? r.error}):\n${r.stdout}${r.stderr}`);
}

function collector() {
    const steps = [];
    const diagnostics = [];
    const onEvent = (e) => {
        if (e.resourcePreEvent) {
            const m = e.resourcePreEvent.metadata;
            steps.push({ urn: m.urn, type: m.type, op: m.op, diffs: m.diffs || [] });
        }
        if (e.diagnosticEvent && e.diagnosticEvent.severity !== "debug") {
            diagnostics.push({ severity: e.diagnosticEvent.severity, message: e.diagnosticEvent.message });
        }
    };
    return { steps, diagnostics, onEvent };
}

async function main() {
    const report = { language: "typescript" };
    const stack = await auto.LocalWorkspace.createOrSelectStack(
        { stackName: env("CIRCUITBREAKER_ENGINE_STACK"), projectName: env("CIRCUITBREAKER_ENGINE_PROJECT"), program },
        { envVars: {} },
    );

    if (process.env.CIRCUITBREAKER_ENGINE_AWS_REGION) {
        await stack.setConfig("aws:region", { value: process.env.CIRCUITBREAKER_ENGINE_AWS_REGION });
    }

    const expect = process.env.CIRCUITBREAKER_ENGINE_EXPECT;
    if (expect === "error" || expect === "error-at-up") {
        // The program's input is bad: the preview (or, for input known only
        // once deployed resources resolve, the update) must fail; report what
        // the user sees (the Automation API's error carries the CLI's output).
        const c = collector();
        try {
            if (expect === "error-at-up") {
                await stack.preview();
                await stack.up({ onEvent: c.onEvent });
            } else {
                await stack.preview({ onEvent: c.onEvent });
            }
            report.failure = null;
        } catch (err) {
            report.failure = { message: String(err && err.message || err), diagnostics: c.diagnostics };
        }
        if (expect === "error-at-up") await stack.destroy();
        await stack.workspace.removeStack(stack.name);
        fs.writeFileSync(env("CIRCUITBREAKER_ENGINE_REPORT"), JSON.stringify(report, null, 2));
        return;
    }

    const preview = async (name) => {
        hook(name);
        const c = collector();
        const r = await stack.preview({ onEvent: c.onEvent });
        report[name] = { changeSummary: r.changeSummary, steps: c.steps, diagnostics: c.diagnostics };
    };

    if (process.env.CIRCUITBREAKER_ENGINE_IMPORT) {
        await stack.importStack(JSON.parse(fs.readFileSync(process.env.CIRCUITBREAKER_ENGINE_IMPORT, "utf8")));
        await preview("previewUpgrade");
        fs.writeFileSync(env("CIRCUITBREAKER_ENGINE_REPORT"), JSON.stringify(report, null, 2));
        return;
    }

    await preview("previewFresh");
    const c = collector();
    hook("up");
    const up = await stack.up({ onEvent: c.onEvent });
    const outputs = {};
    for (const [k, v] of Object.entries(up.outputs)) {
        outputs[k] = { value: v.value, type: typeof v.value, secret: v.secret };
    }
    report.up = { summary: up.summary.resourceChanges, outputs, diagnostics: c.diagnostics };
    hook("deployed", Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value])));
    await preview("previewAgain");
    if (process.env.CIRCUITBREAKER_ENGINE_REFRESH === "1") {
        // A refresh reads every resource back from the cloud; the preview
        // after it must change nothing either.
        hook("refresh");
        const rc = collector();
        const rf = await stack.refresh({ onEvent: rc.onEvent });
        report.refresh = { summary: rf.summary.resourceChanges, diagnostics: rc.diagnostics };
        await preview("previewAfterRefresh");
    }
    await stack.setConfig("healthcheckSchedule", { value: env("CIRCUITBREAKER_ENGINE_SCHEDULE") });
    await preview("previewChanged");
    await stack.removeConfig("healthcheckSchedule");
    report.deployment = (await stack.exportStack()).deployment;
    if (process.env.CIRCUITBREAKER_ENGINE_KEEP !== "1") {
        hook("destroy");
        const d = await stack.destroy();
        report.destroy = { summary: d.summary.resourceChanges };
        await stack.workspace.removeStack(stack.name);
    }
    fs.writeFileSync(env("CIRCUITBREAKER_ENGINE_REPORT"), JSON.stringify(report, null, 2));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
