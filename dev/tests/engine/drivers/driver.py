"""Python driver of the engine tests (dev/tests/engine).

Runs a Pulumi Python program (the example, examples/python/__main__.py) as an
Automation API inline program, through the real Pulumi CLI on a local backend,
and writes what happened as JSON for the Go test to check. The same sequence
and report shape as examples/go/main_test.go and drivers/driver.js:

  preview (fresh stack), up, preview (must change nothing), with
  CIRCUITBREAKER_ENGINE_REFRESH=1 a refresh and a preview after it (must change
  nothing), preview with the healthcheckSchedule config changed (must touch
  only the schedule), export of the state, destroy.

Environment: CIRCUITBREAKER_ENGINE_PROGRAM (file to run),
CIRCUITBREAKER_ENGINE_PROJECT, CIRCUITBREAKER_ENGINE_STACK,
CIRCUITBREAKER_ENGINE_REPORT (JSON file to write),
CIRCUITBREAKER_ENGINE_SCHEDULE (the changed schedule),
CIRCUITBREAKER_ENGINE_KEEP=1 to leave the stack deployed,
CIRCUITBREAKER_ENGINE_EXPECT=error for a program with bad input (one preview,
which must fail; the report holds what the user saw), or error-at-up (the
preview must pass and the update fail),
CIRCUITBREAKER_ENGINE_IMPORT=<file> to import that recorded state (`pulumi
stack export` output) and preview once, as previewUpgrade, leaving the stack
as it is (dev/tests/engine/upgrade_test.go),
CIRCUITBREAKER_ENGINE_AWS_REGION (optional) the stack's aws:region,
CIRCUITBREAKER_ENGINE_HOOK (optional) a command run before each step with the
step's name (previewFresh, up, deployed, previewAgain, refresh,
previewAfterRefresh, previewChanged, destroy); at "deployed" CIRCUITBREAKER_ENGINE_OUTPUTS names a JSON file of the
stack's outputs. The Pulumi CLI, backend and plugins come from the usual
PULUMI_* variables and PATH.
"""

import json
import os
import runpy
import subprocess
import sys
import tempfile

from pulumi import automation as auto


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"{name} is not set")
    return value


PROGRAM = os.path.abspath(env("CIRCUITBREAKER_ENGINE_PROGRAM"))


def program() -> None:
    # Each engine run executes the program's file anew, as `pulumi up` would;
    # its directory is importable, as for a project.
    sys.path.insert(0, os.path.dirname(PROGRAM))
    try:
        runpy.run_path(PROGRAM, run_name="__main__")
    finally:
        sys.path.remove(os.path.dirname(PROGRAM))


def hook(name: str, outputs=None) -> None:
    command = os.environ.get("CIRCUITBREAKER_ENGINE_HOOK")
    if not command:
        return
    environ = dict(os.environ)
    if outputs is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(outputs, f)
        environ["CIRCUITBREAKER_ENGINE_OUTPUTS"] = f.name
    r = subprocess.run([command, name], env=environ, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"hook {name} failed ({r.returncode}):\n{r.stdout}{r.stderr}")


class Collector:
    def __init__(self) -> None:
        self.steps = []
        self.diagnostics = []

    def __call__(self, event: auto.EngineEvent) -> None:
        if event.resource_pre_event:
            m = event.resource_pre_event.metadata
            self.steps.append(
                {"urn": m.urn, "type": m.type, "op": getattr(m.op, "value", m.op), "diffs": m.diffs or []}
            )
        if event.diagnostic_event and event.diagnostic_event.severity != "debug":
            d = event.diagnostic_event
            self.diagnostics.append({"severity": d.severity, "message": d.message})


def bad_input(stack) -> None:
    """CIRCUITBREAKER_ENGINE_EXPECT=error: the program's input is bad, so the
    preview must fail; report what the user sees (the error the Automation API
    raises, which carries the CLI's output, and the engine's diagnostics)."""
    c = Collector()
    report = {"language": "python"}
    at_up = os.environ.get("CIRCUITBREAKER_ENGINE_EXPECT") == "error-at-up"
    try:
        if at_up:
            # The bad input is known only once deployed resources resolve:
            # the preview must pass and the update fail.
            stack.preview()
            stack.up(on_event=c)
        else:
            stack.preview(on_event=c)
        report["failure"] = None
    except Exception as exn:  # noqa: BLE001 the error is the result
        report["failure"] = {"message": str(exn), "diagnostics": c.diagnostics}
    if at_up:
        stack.destroy()
    stack.workspace.remove_stack(stack.name)
    with open(env("CIRCUITBREAKER_ENGINE_REPORT"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)


def main() -> None:
    report = {"language": "python"}
    stack = auto.create_or_select_stack(
        stack_name=env("CIRCUITBREAKER_ENGINE_STACK"),
        project_name=env("CIRCUITBREAKER_ENGINE_PROJECT"),
        program=program,
    )
    if os.environ.get("CIRCUITBREAKER_ENGINE_AWS_REGION"):
        stack.set_config("aws:region", auto.ConfigValue(value=os.environ["CIRCUITBREAKER_ENGINE_AWS_REGION"]))
    if os.environ.get("CIRCUITBREAKER_ENGINE_EXPECT") in ("error", "error-at-up"):
        bad_input(stack)
        return

    def preview(name: str) -> None:
        hook(name)
        c = Collector()
        r = stack.preview(on_event=c)
        report[name] = {
            "changeSummary": {getattr(k, "value", k): v for k, v in r.change_summary.items()},
            "steps": c.steps,
            "diagnostics": c.diagnostics,
        }

    if os.environ.get("CIRCUITBREAKER_ENGINE_IMPORT"):
        with open(os.environ["CIRCUITBREAKER_ENGINE_IMPORT"], encoding="utf-8") as f:
            recorded = json.load(f)
        stack.import_stack(auto.Deployment(version=recorded["version"], deployment=recorded["deployment"]))
        preview("previewUpgrade")
        with open(env("CIRCUITBREAKER_ENGINE_REPORT"), "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
        return

    preview("previewFresh")
    c = Collector()
    hook("up")
    up = stack.up(on_event=c)
    report["up"] = {
        "summary": up.summary.resource_changes,
        "outputs": {
            k: {"value": v.value, "type": type(v.value).__name__, "secret": v.secret}
            for k, v in up.outputs.items()
        },
        "diagnostics": c.diagnostics,
    }
    hook("deployed", {k: v.value for k, v in up.outputs.items()})
    preview("previewAgain")
    if os.environ.get("CIRCUITBREAKER_ENGINE_REFRESH") == "1":
        # A refresh reads every resource back from the cloud; the preview
        # after it must change nothing either.
        hook("refresh")
        rc = Collector()
        rf = stack.refresh(on_event=rc)
        report["refresh"] = {"summary": rf.summary.resource_changes, "diagnostics": rc.diagnostics}
        preview("previewAfterRefresh")
    stack.set_config(
        "healthcheckSchedule", auto.ConfigValue(value=env("CIRCUITBREAKER_ENGINE_SCHEDULE"))
    )
    preview("previewChanged")
    stack.remove_config("healthcheckSchedule")
    report["deployment"] = stack.export_stack().deployment
    if os.environ.get("CIRCUITBREAKER_ENGINE_KEEP") != "1":
        hook("destroy")
        d = stack.destroy()
        report["destroy"] = {"summary": d.summary.resource_changes}
        stack.workspace.remove_stack(stack.name)
    with open(env("CIRCUITBREAKER_ENGINE_REPORT"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
