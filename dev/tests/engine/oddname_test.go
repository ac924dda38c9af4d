//go:build engine

package engine

// Issue 14, item 15: a serviceName may hold '.', '_', ':' and '-' (1-128
// characters, args.go), and it reaches AWS fields that refuse some of them: a
// metric filter's namespace takes no ':' (CloudWatch Logs
// MetricTransformation.metricNamespace, [^:*$]*), so a breaker named
// `pay.v2:eu` failed at the default log level. The stack in oddname/ (Pulumi
// YAML, run by the CLI and the yaml language host as yaml_test.go runs
// examples/yaml) gives such a breaker every child that carries the name: both
// metric filters (logLevel ALL), the dashboard, the slow-call alarm and the
// events of its own table. It must preview, deploy, preview again with no
// changes (--expect-no-changes) and destroy, through the stand-in here and
// through the real Terraform AWS provider and moto in `make fidelity` (the
// test's name ends in ThroughEngine, which `make fidelity` runs).

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
)

// oddServiceName is the stack's serviceName (dev/tests/engine/oddname/Pulumi.yaml).
const oddServiceName = "pay.v2:eu"

func TestOddServiceNameThroughEngine(t *testing.T) {
	t.Parallel()
	e := newEngineEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), stackTimeout())
	defer cancel()
	dir := filepath.Join(e.dir, "oddname")
	if err := os.CopyFS(dir, os.DirFS(path("dev", "tests", "engine", "oddname"))); err != nil {
		t.Fatal(err)
	}
	c := cli{t: t, ctx: ctx, dir: dir, env: yamlEnv(t, e)}
	var m *moto
	if fidelity != nil {
		m = startMoto(t, e.dir)
		c.env = append(c.env, m.environ(e.dir)...)
	}
	start := time.Now()

	c.run(false, "stack", "init", "engine-test")
	c.hook("previewFresh", nil)
	fresh := cliPreview(t, c.run(false, "preview", "--json"))
	c.hook("up", nil)
	up := cliSummary(t, c.run(false, "up", "--yes", "--skip-preview", "--json"))
	outputs := map[string]any{}
	if err := json.Unmarshal(c.run(false, "stack", "output", "--json"), &outputs); err != nil {
		t.Fatal(err)
	}
	c.hook("deployed", outputs)
	var exported struct {
		Deployment struct {
			Resources []stateResource `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(c.run(false, "stack", "export"), &exported); err != nil {
		t.Fatal(err)
	}
	// The engine itself refuses (exit 1) a preview with any change.
	c.hook("previewAgain", nil)
	again := cliPreview(t, c.run(false, "preview", "--json", "--expect-no-changes"))
	c.hook("destroy", nil)
	destroyed := cliSummary(t, c.run(false, "destroy", "--yes", "--skip-preview", "--json"))
	c.run(false, "stack", "rm", "--yes")
	t.Logf("odd serviceName: stack init, preview, up, preview, destroy through the CLI in %s", time.Since(start).Round(time.Millisecond))

	if fresh.ChangeSummary["create"] == 0 {
		t.Errorf("fresh preview %v, want creates", fresh.ChangeSummary)
	}
	if len(up) != 1 || up["create"] == 0 {
		t.Errorf("up %v, want creates only", up)
	}
	for _, st := range again.Steps {
		if st.Op != "same" {
			t.Errorf("preview after up: %s %s %v", st.Op, st.URN, st.Diffs)
		}
	}
	if len(destroyed) != 1 || destroyed["delete"] != up["create"] {
		t.Errorf("destroy %v, want delete of all %d created", destroyed, up["create"])
	}

	s := index(t, exported.Deployment.Resources)
	// The circuit is the serviceName's: the Lambdas' item key and the
	// definition's.
	for _, fn := range s.childrenOf("aws:lambda/function:Function") {
		env, _ := fn.Inputs["environment"].(map[string]any)
		vars, _ := env["variables"].(map[string]any)
		if got, _ := vars["SERVICE_NAME"].(string); got != oddServiceName {
			t.Errorf("%s: SERVICE_NAME %q, want %q", fn.name(), got, oddServiceName)
		}
	}
	for _, sm := range s.childrenOf("aws:sfn/stateMachine:StateMachine") {
		if def, _ := sm.Inputs["definition"].(string); !strings.Contains(def, `"`+oddServiceName+`"`) {
			t.Errorf("%s: the definition does not key the circuit by %q", sm.name(), oddServiceName)
		}
	}
	filters := s.childrenOf("aws:cloudwatch/logMetricFilter:LogMetricFilter")
	if len(filters) != 2 {
		t.Fatalf("%d metric filters, want fast fails and probes (logLevel ALL)", len(filters))
	}
	want := component.ExecutionMetricsNamespace(oddServiceName)
	for _, f := range filters {
		tr, _ := f.Inputs["metricTransformation"].(map[string]any)
		if ns, _ := tr["namespace"].(string); ns != want || strings.ContainsAny(ns, ":*$") {
			t.Errorf("%s: namespace %q, want %q (no ':', '*' or '$')", f.name(), ns, want)
		}
	}
	dashboards := s.childrenOf("aws:cloudwatch/dashboard:Dashboard")
	if len(dashboards) != 1 {
		t.Fatalf("%d dashboards, want 1", len(dashboards))
	}
	if body, _ := dashboards[0].Inputs["dashboardBody"].(string); !strings.Contains(body, `"`+want+`"`) || !strings.Contains(body, `"`+oddServiceName+`"`) {
		t.Errorf("the dashboard graphs neither the metric filters' namespace %q nor the CircuitState of %q:\n%s", want, oddServiceName, body)
	}
	if m != nil {
		checkFidelity(t, m, 1)
		return
	}
	left, err := standinaws.ReadCloud(e.cloud)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d resources left in the fake cloud after destroy", len(left))
	}
}
