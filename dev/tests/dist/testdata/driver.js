// dev/tests/dist's driver: `pulumi preview` of the compiled scratch stack (bin/index.js)
// as an Automation API inline program (no Node language host can be had here),
// through the CLI on PATH with the PULUMI_* settings the Go test sets. Writes the
// preview's steps and diagnostics as JSON to the file named by argv[2].
"use strict";
const fs = require("fs");
const path = require("path");
const auto = require("@pulumi/pulumi/automation");

async function main() {
    const programPath = path.resolve(__dirname, "bin", "index.js");
    const program = async () => ({ ...require(programPath) });
    const stack = await auto.LocalWorkspace.createOrSelectStack(
        { stackName: "dist-test", projectName: "circuitbreaker-dist-test", program },
        { envVars: {} },
    );
    const steps = [];
    const diagnostics = [];
    const r = await stack.preview({
        onEvent: (e) => {
            if (e.resourcePreEvent) {
                const m = e.resourcePreEvent.metadata;
                steps.push({ urn: m.urn, type: m.type, op: m.op });
            }
            if (e.diagnosticEvent && e.diagnosticEvent.severity !== "debug") {
                diagnostics.push({ severity: e.diagnosticEvent.severity, message: e.diagnosticEvent.message });
            }
        },
    });
    fs.writeFileSync(process.argv[2], JSON.stringify({ changeSummary: r.changeSummary, steps, diagnostics }, null, 2));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
