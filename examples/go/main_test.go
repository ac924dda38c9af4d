package main

// TestEngine runs this program through the Pulumi engine as an Automation API
// inline program: preview of a fresh stack, up, a second preview that must
// change nothing, with CIRCUITBREAKER_ENGINE_REFRESH=1 a refresh and a preview
// after it that must change nothing too, a preview with the
// healthcheckSchedule config changed, and destroy. It deploys, so it runs only when asked: `make preview` and the
// engine tests (dev/tests/engine) set the variables below and run it against a
// throwaway local backend and the repository's test-only stand-in for the aws
// plugin. With the real aws plugin and AWS credentials, the same test deploys
// to AWS and destroys again: a pull-request check for your own stack.
//
// Environment: CIRCUITBREAKER_ENGINE_PROJECT, CIRCUITBREAKER_ENGINE_STACK,
// CIRCUITBREAKER_ENGINE_REPORT (JSON file to write, the shape the other
// languages' drivers in dev/tests/engine/drivers write too),
// CIRCUITBREAKER_ENGINE_SCHEDULE (the changed schedule),
// CIRCUITBREAKER_ENGINE_KEEP=1 to leave the stack deployed,
// CIRCUITBREAKER_ENGINE_IMPORT=<file> to import that recorded state (`pulumi
// stack export` output) and preview once, as previewUpgrade, leaving the stack
// as it is (dev/tests/engine/upgrade_test.go),
// CIRCUITBREAKER_ENGINE_AWS_REGION (optional) the stack's aws:region,
// CIRCUITBREAKER_ENGINE_HOOK (optional) a command run before each step with the
// step's name as its argument (previewFresh, up, deployed, previewAgain,
// refresh, previewAfterRefresh, previewChanged, destroy); at "deployed" CIRCUITBREAKER_ENGINE_OUTPUTS names a
// JSON file of the stack's outputs, e.g. for a smoke test of the deployed
// breaker. A failing hook fails the run. The Pulumi CLI, backend and plugins
// come from the usual PULUMI_* variables and PATH.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

type step struct {
	URN   string   `json:"urn"`
	Type  string   `json:"type"`
	Op    string   `json:"op"`
	Diffs []string `json:"diffs"`
}

type diagnostic struct {
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

type previewReport struct {
	ChangeSummary map[string]int `json:"changeSummary"`
	Steps         []step         `json:"steps"`
	Diagnostics   []diagnostic   `json:"diagnostics"`
}

// collect drains engine events into steps and non-debug diagnostics.
func collect(ch <-chan events.EngineEvent, steps *[]step, diags *[]diagnostic, done chan<- struct{}) {
	for e := range ch {
		if e.ResourcePreEvent != nil {
			m := e.ResourcePreEvent.Metadata
			*steps = append(*steps, step{URN: m.URN, Type: m.Type, Op: string(m.Op), Diffs: m.Diffs})
		}
		if d := e.DiagnosticEvent; d != nil && d.Severity != "debug" {
			*diags = append(*diags, diagnostic{Severity: d.Severity, Message: d.Message})
		}
	}
	close(done)
}

func TestEngine(t *testing.T) {
	reportPath := os.Getenv("CIRCUITBREAKER_ENGINE_REPORT")
	if reportPath == "" {
		t.Skip("deploys the example: set the CIRCUITBREAKER_ENGINE_* variables (make preview does, against a local backend)")
	}
	env := func(name string) string {
		v := os.Getenv(name)
		if v == "" {
			t.Fatalf("%s is not set", name)
		}
		return v
	}
	ctx := context.Background()
	stack, err := auto.UpsertStackInlineSource(ctx, env("CIRCUITBREAKER_ENGINE_STACK"), env("CIRCUITBREAKER_ENGINE_PROJECT"), program)
	if err != nil {
		t.Fatal(err)
	}
	report := map[string]any{"language": "go"}
	if region := os.Getenv("CIRCUITBREAKER_ENGINE_AWS_REGION"); region != "" {
		if err := stack.SetConfig(ctx, "aws:region", auto.ConfigValue{Value: region}); err != nil {
			t.Fatal(err)
		}
	}

	hook := func(name string, outputs map[string]any) {
		h := os.Getenv("CIRCUITBREAKER_ENGINE_HOOK")
		if h == "" {
			return
		}
		cmd := exec.Command(h, name)
		cmd.Env = os.Environ()
		if outputs != nil {
			f := filepath.Join(t.TempDir(), "outputs.json")
			b, err := json.Marshal(outputs)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, b, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd.Env = append(cmd.Env, "CIRCUITBREAKER_ENGINE_OUTPUTS="+f)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("hook %s: %v\n%s", name, err, out)
		}
	}

	preview := func(name string) {
		hook(name, nil)
		ch := make(chan events.EngineEvent)
		done := make(chan struct{})
		var r previewReport
		go collect(ch, &r.Steps, &r.Diagnostics, done)
		res, err := stack.Preview(ctx, optpreview.EventStreams(ch))
		<-done
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r.ChangeSummary = map[string]int{}
		for op, n := range res.ChangeSummary {
			r.ChangeSummary[string(op)] = n
		}
		report[name] = r
	}

	write := func() {
		b, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(reportPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if recorded := os.Getenv("CIRCUITBREAKER_ENGINE_IMPORT"); recorded != "" {
		b, err := os.ReadFile(recorded)
		if err != nil {
			t.Fatal(err)
		}
		var state apitype.UntypedDeployment
		if err := json.Unmarshal(b, &state); err != nil {
			t.Fatal(err)
		}
		if err := stack.Import(ctx, state); err != nil {
			t.Fatalf("import %s: %v", recorded, err)
		}
		preview("previewUpgrade")
		write()
		return
	}

	preview("previewFresh")

	ch := make(chan events.EngineEvent)
	done := make(chan struct{})
	var steps []step
	var diags []diagnostic
	go collect(ch, &steps, &diags, done)
	hook("up", nil)
	up, err := stack.Up(ctx, optup.EventStreams(ch))
	<-done
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	outputs := map[string]any{}
	for k, v := range up.Outputs {
		outputs[k] = map[string]any{"value": v.Value, "type": fmt.Sprintf("%T", v.Value), "secret": v.Secret}
	}
	report["up"] = map[string]any{"summary": up.Summary.ResourceChanges, "outputs": outputs, "diagnostics": diags}
	plain := map[string]any{}
	for k, v := range up.Outputs {
		plain[k] = v.Value
	}
	hook("deployed", plain)

	preview("previewAgain")
	if os.Getenv("CIRCUITBREAKER_ENGINE_REFRESH") == "1" {
		// A refresh reads every resource back from the cloud; the preview
		// after it must change nothing either.
		hook("refresh", nil)
		ch := make(chan events.EngineEvent)
		done := make(chan struct{})
		var steps []step
		var diags []diagnostic
		go collect(ch, &steps, &diags, done)
		rf, err := stack.Refresh(ctx, optrefresh.EventStreams(ch))
		<-done
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		report["refresh"] = map[string]any{"summary": rf.Summary.ResourceChanges, "diagnostics": diags}
		preview("previewAfterRefresh")
	}
	if err := stack.SetConfig(ctx, "healthcheckSchedule", auto.ConfigValue{Value: env("CIRCUITBREAKER_ENGINE_SCHEDULE")}); err != nil {
		t.Fatal(err)
	}
	preview("previewChanged")
	if err := stack.RemoveConfig(ctx, "healthcheckSchedule"); err != nil {
		t.Fatal(err)
	}
	state, err := stack.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	report["deployment"] = state.Deployment

	if os.Getenv("CIRCUITBREAKER_ENGINE_KEEP") != "1" {
		hook("destroy", nil)
		d, err := stack.Destroy(ctx)
		if err != nil {
			t.Fatalf("destroy: %v", err)
		}
		report["destroy"] = map[string]any{"summary": d.Summary.ResourceChanges}
		if err := stack.Workspace().RemoveStack(ctx, stack.Name()); err != nil {
			t.Fatal(err)
		}
	}
	write()
}
