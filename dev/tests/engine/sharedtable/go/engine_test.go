package sharedtable

// TestEngine runs program through the Pulumi engine as an Automation API
// inline program and writes a JSON report for dev/tests/engine to check: preview
// of a fresh stack, up, a preview that must change nothing, an up with
// logLevel OFF (the state machines stop logging; their log groups and
// log-delivery grants go), a preview that must again change nothing, an
// export of the state and destroy. Only dev/tests/engine runs it (it sets the
// variables below, a throwaway local backend and the stand-in aws plugin).
//
// Environment: CIRCUITBREAKER_ENGINE_PROJECT, CIRCUITBREAKER_ENGINE_STACK,
// CIRCUITBREAKER_ENGINE_REPORT.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
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
		t.Skip("deploys the shared-table stack: run through dev/tests/engine")
	}
	ctx := context.Background()
	stack, err := auto.UpsertStackInlineSource(ctx, os.Getenv("CIRCUITBREAKER_ENGINE_STACK"), os.Getenv("CIRCUITBREAKER_ENGINE_PROJECT"), program)
	if err != nil {
		t.Fatal(err)
	}
	report := map[string]any{"language": "go"}

	// CIRCUITBREAKER_ENGINE_HOOK, as in examples/go: a command run before each step with its name
	// (make fidelity marks the steps in its AWS call log with it).
	// At "deployed" CIRCUITBREAKER_ENGINE_OUTPUTS names a JSON file of the stack's outputs.
	var outputs map[string]any
	hook := func(name string) {
		h := os.Getenv("CIRCUITBREAKER_ENGINE_HOOK")
		if h == "" {
			return
		}
		cmd := exec.Command(h, name)
		cmd.Env = os.Environ()
		if name == "deployed" {
			f := filepath.Join(t.TempDir(), "outputs.json")
			b, _ := json.Marshal(outputs)
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
		hook(name)
		ch := make(chan events.EngineEvent)
		done := make(chan struct{})
		var steps []step
		var diags []diagnostic
		go collect(ch, &steps, &diags, done)
		res, err := stack.Preview(ctx, optpreview.EventStreams(ch))
		<-done
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		summary := map[string]int{}
		for op, n := range res.ChangeSummary {
			summary[string(op)] = n
		}
		report[name] = map[string]any{"changeSummary": summary, "steps": steps, "diagnostics": diags}
	}
	up := func(name string) {
		hook(name)
		ch := make(chan events.EngineEvent)
		done := make(chan struct{})
		var steps []step
		var diags []diagnostic
		go collect(ch, &steps, &diags, done)
		res, err := stack.Up(ctx, optup.EventStreams(ch))
		<-done
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		reported := map[string]any{}
		outputs = map[string]any{}
		for k, v := range res.Outputs {
			reported[k] = map[string]any{"value": v.Value, "secret": v.Secret}
			outputs[k] = v.Value
		}
		report[name] = map[string]any{"summary": res.Summary.ResourceChanges, "steps": steps, "outputs": reported, "diagnostics": diags}
	}

	preview("previewFresh")
	up("up")
	hook("deployed")
	preview("previewAgain")
	if err := stack.SetConfig(ctx, "logLevel", auto.ConfigValue{Value: "OFF"}); err != nil {
		t.Fatal(err)
	}
	up("upLogsOff")
	preview("previewAfterLogsOff")
	// A changed definition: the provider validates it at preview
	// (states:ValidateStateMachineDefinition), the call a pull-request check's
	// role must be allowed.
	if err := stack.SetConfig(ctx, "failureThreshold", auto.ConfigValue{Value: "3"}); err != nil {
		t.Fatal(err)
	}
	preview("previewDefinitionChanged")
	if err := stack.RemoveConfig(ctx, "failureThreshold"); err != nil {
		t.Fatal(err)
	}
	state, err := stack.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	report["deployment"] = state.Deployment
	hook("destroy")
	d, err := stack.Destroy(ctx)
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	report["destroy"] = map[string]any{"summary": d.Summary.ResourceChanges}
	if err := stack.Workspace().RemoveStack(ctx, stack.Name()); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reportPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
