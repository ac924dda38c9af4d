//go:build engine

package engine

// Issue 17, item 1: switching `enforce` (shadow mode, docs/shadow-mode.md) is
// a preview that updates only what depends on it: the state machine (its
// definition), its role's inline policy (shadow mode's cloudwatch:PutMetricData)
// and the dashboard (the would-rejects widget). Nothing is created, deleted
// or replaced; the controller, the alarms, the handlers, the table and the
// fallback are untouched. Through the CLI and the Pulumi YAML host, on the
// stand-in aws plugin, as oddname_test.go runs its stack.

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestShadowModeSwitchUpdatesOnlyWhatDependsOnIt(t *testing.T) {
	t.Parallel()
	e := newEngineEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), stackTimeout())
	defer cancel()
	dir := filepath.Join(e.dir, "shadow")
	if err := os.CopyFS(dir, os.DirFS(path("dev", "tests", "engine", "shadow"))); err != nil {
		t.Fatal(err)
	}
	c := cli{t: t, ctx: ctx, dir: dir, env: yamlEnv(t, e)}
	start := time.Now()
	c.run(false, "stack", "init", "engine-test")
	c.run(false, "up", "--yes", "--skip-preview", "--json")

	want := map[string][]string{
		"breaker-state-machine":        {"definition"},
		"breaker-state-machine-policy": {"policy"},
		"breaker-dashboard":            {"dashboardBody"},
	}
	// switched previews the switch to enforce and checks its steps; then
	// applies it, after which a preview changes nothing.
	switched := func(enforce string) {
		t.Helper()
		c.run(false, "config", "set", "--type", "bool", "enforce", enforce)
		p := cliPreview(t, c.run(false, "preview", "--json", "--diff"))
		got := map[string][]string{}
		for _, st := range p.Steps {
			if st.Op == "same" {
				continue
			}
			name := st.URN[strings.LastIndex(st.URN, "::")+2:]
			if st.Op != "update" {
				t.Errorf("enforce %s: %s %s, want updates only", enforce, st.Op, name)
			}
			diffs := append([]string(nil), st.Diffs...)
			sort.Strings(diffs)
			got[name] = diffs
		}
		if len(got) != len(want) {
			t.Errorf("enforce %s: updates %v, want exactly %v", enforce, got, want)
		}
		for name, diffs := range want {
			if strings.Join(got[name], ",") != strings.Join(diffs, ",") {
				t.Errorf("enforce %s: %s changes %v, want %v", enforce, name, got[name], diffs)
			}
		}
		up := cliSummary(t, c.run(false, "up", "--yes", "--skip-preview", "--json"))
		if len(up) != 2 || up["update"] != len(want) {
			t.Errorf("enforce %s: up %v, want %d updates", enforce, up, len(want))
		}
		c.run(false, "preview", "--json", "--expect-no-changes")
	}
	switched("false")
	switched("true")
	c.run(false, "destroy", "--yes", "--skip-preview", "--json")
	c.run(false, "stack", "rm", "--yes")
	t.Logf("shadow mode switched on and off through the CLI in %s", time.Since(start).Round(time.Millisecond))
}
