"""dev/tests/dist's Python driver: `pulumi preview` of program.py as an Automation
API inline program, through the CLI on PATH with the PULUMI_* settings the Go
test sets, from the scratch virtualenv the release's wheel was installed into.
Writes the preview's steps and diagnostics as JSON to the file named by argv[1],
in the shape driver.js writes."""

import json
import os
import runpy
import sys

from pulumi import automation as auto

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "program.py")


def program() -> None:
    runpy.run_path(PROGRAM, run_name="__main__")


def main() -> None:
    stack = auto.create_or_select_stack(
        stack_name="dist-test", project_name="circuitbreaker-dist-test-py", program=program
    )
    steps, diagnostics = [], []

    def on_event(e: auto.EngineEvent) -> None:
        if e.resource_pre_event:
            m = e.resource_pre_event.metadata
            steps.append({"urn": m.urn, "type": m.type, "op": getattr(m.op, "value", m.op)})
        if e.diagnostic_event and e.diagnostic_event.severity != "debug":
            diagnostics.append({"severity": e.diagnostic_event.severity, "message": e.diagnostic_event.message})

    r = stack.preview(on_event=on_event)
    with open(sys.argv[1], "w") as f:
        json.dump({"changeSummary": r.change_summary, "steps": steps, "diagnostics": diagnostics}, f, indent=2)


if __name__ == "__main__":
    main()
