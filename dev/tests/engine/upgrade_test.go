//go:build engine

package engine

// The recorded upgrade test (issue 16, item 2), after pulumi-eks's and
// pulumi-provider-boilerplate's TestProviderUpgrade (pulumi/providertest,
// PreviewProviderUpgrade: the state of a stack deployed with the baseline
// release is recorded once, as `pulumi stack export` output under testdata,
// and every later build imports it and previews the same program with the new
// plugin). A user's next `pulumi up` after upgrading is that preview: a
// replace or a delete in it would destroy a table, a state machine or a role
// that is in use. Updates and creates are allowed (a new input's default, a
// new child) and listed in the test log.
//
// testdata/upgrade/<stack>.json holds one state per example: Go,
// TypeScript, Python (Automation API inline programs through their drivers,
// as TestXxxStackThroughEngine run them) and YAML (the CLI and the YAML
// language host, as TestYAMLProjectThroughEngine). `make record-upgrade`
// records them anew with the plugin in bin/ (-record-upgrade); do it at each
// release, from the release's commit (CONTRIBUTING.md, "Breaking changes").

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var recordUpgrade = flag.Bool("record-upgrade", false, "deploy each example with bin/'s plugin and write its state to testdata/upgrade instead of testing the upgrade (make record-upgrade)")

func upgradeRecording(name string) string {
	return path("dev", "tests", "engine", "testdata", "upgrade", name+".json")
}

func TestProviderUpgrade(t *testing.T) {
	for _, name := range []string{"go", "typescript", "python"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			upgradeInline(t, languages[name])
		})
	}
	t.Run("yaml", func(t *testing.T) {
		t.Parallel()
		upgradeYAML(t)
	})
}

// upgradeInline records or replays one example's inline program.
func upgradeInline(t *testing.T, lang language) {
	for _, n := range lang.needs {
		need(t, n[0], n[1])
	}
	e := newEngineEnv(t)
	dir, args := lang.command()
	project := projectName(t, lang.example)
	program := "CIRCUITBREAKER_ENGINE_PROGRAM=" + programFor(lang)
	file := upgradeRecording(lang.name)
	if *recordUpgrade {
		b, _, _ := e.drive(t, lang.name+" stack deployed to record its state", project, dir, args, []string{program})
		var r struct {
			Deployment json.RawMessage `json:"deployment"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		writeRecording(t, file, r.Deployment)
		return
	}
	needRecording(t, file)
	b, _, _ := e.drive(t, lang.name+" recorded state previewed with the new plugin", project, dir, args,
		[]string{program, "CIRCUITBREAKER_ENGINE_IMPORT=" + file})
	var r struct {
		PreviewUpgrade preview `json:"previewUpgrade"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	checkUpgrade(t, file, r.PreviewUpgrade, true)
}

// upgradeYAML records or replays examples/yaml through the CLI.
func upgradeYAML(t *testing.T) {
	e := newEngineEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), stackTimeout())
	defer cancel()
	c := cli{t: t, ctx: ctx, dir: yamlProject(t, e, "project"), env: yamlEnv(t, e)}
	c.run(false, "stack", "init", "engine-test")
	file := upgradeRecording("yaml")
	if *recordUpgrade {
		c.run(false, "up", "--yes", "--skip-preview")
		var exported struct {
			Deployment json.RawMessage `json:"deployment"`
		}
		if err := json.Unmarshal(c.run(false, "stack", "export"), &exported); err != nil {
			t.Fatal(err)
		}
		writeRecording(t, file, exported.Deployment)
		c.run(false, "destroy", "--yes", "--skip-preview")
		return
	}
	needRecording(t, file)
	c.run(false, "stack", "import", "--file", file)
	// The CLI's digest lists changes only, not the unchanged resources.
	checkUpgrade(t, file, cliPreview(t, c.run(false, "preview", "--json")), false)
}

func needRecording(t *testing.T, file string) {
	t.Helper()
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("no recorded state %s: run `make record-upgrade` with the last release's plugin and commit it", file)
	}
}

// writeRecording writes a deployment as `pulumi stack import` takes it,
// without what names this machine's files and no preview compares: the
// manifest's plugin paths and each resource's source position and stack trace
// (the program's and the language runtime's files).
func writeRecording(t *testing.T, file string, deployment json.RawMessage) {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(deployment, &d); err != nil {
		t.Fatal(err)
	}
	if m, ok := d["manifest"].(map[string]any); ok {
		delete(m, "plugins")
	}
	resources, _ := d["resources"].([]any)
	for _, r := range resources {
		if r, ok := r.(map[string]any); ok {
			delete(r, "sourcePosition")
			delete(r, "stackTrace")
		}
	}
	b, err := json.MarshalIndent(map[string]any{"version": 3, "deployment": d}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s (%d bytes)", file, len(b))
}

// checkUpgrade fails on any step of the upgrade preview that replaces or
// deletes a recorded resource, lists the updates and creates, and checks
// that the preview started from the recorded state (an import that failed
// quietly would preview a fresh stack: all creates, no deletes). A child
// renamed with an alias to its old name is the same resource to the engine:
// no step replaces or deletes it, so the test passes. listsSame:
// the preview's steps include the unchanged resources (the drivers' events
// do, the CLI's --json digest does not).
func checkUpgrade(t *testing.T, file string, p preview, listsSame bool) {
	t.Helper()
	var recorded struct {
		Deployment struct {
			Resources []stateResource `json:"resources"`
		} `json:"deployment"`
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &recorded); err != nil {
		t.Fatal(err)
	}
	was := map[string]bool{}
	for _, r := range recorded.Deployment.Resources {
		was[r.URN] = true
	}
	var breaking, allowed []string
	for _, s := range p.Steps {
		line := fmt.Sprintf("%s %s", s.Op, s.URN)
		if len(s.Diffs) > 0 {
			line += " (" + strings.Join(s.Diffs, ", ") + ")"
		}
		switch {
		case s.Op == "delete" && strings.Contains(s.URN, "::pulumi:providers:"):
			// A new release's default provider (default_X_Y_Z) takes over
			// from the old one, whose record alone is deleted; a provider
			// whose change replaces resources shows as their replace steps.
			allowed = append(allowed, line)
		case strings.Contains(s.Op, "replace") || strings.Contains(s.Op, "delete") || s.Op == "discard":
			breaking = append(breaking, line)
		case s.Op == "same" || s.Op == "read" || s.Op == "refresh":
		default:
			allowed = append(allowed, line)
		}
	}
	sort.Strings(allowed)
	for _, l := range allowed {
		t.Logf("allowed: %s", l)
	}
	// An aliased child keeps its resource under its new URN: the old one is
	// then no step at all, which is why absence is not checked.
	var created []string
	kept := p.ChangeSummary["same"] + p.ChangeSummary["update"]
	for _, s := range p.Steps {
		if s.Op == "create" && was[s.URN] {
			created = append(created, s.URN)
		}
		if listsSame && (s.Op == "same" || s.Op == "update") && was[s.URN] {
			kept++
		}
	}
	if len(created) > 0 || kept == 0 {
		t.Fatalf("the upgrade preview did not start from the recorded state (%d recorded resources created, summary %v): was %s imported?", len(created), p.ChangeSummary, file)
	}
	if len(breaking) > 0 {
		sort.Strings(breaking)
		t.Errorf("upgrading a stack recorded in %s would replace or delete what it deployed: a child's name, type or parent changed "+
			"without a Pulumi alias (CONTRIBUTING.md, \"Breaking changes\").\n%s", file, strings.Join(breaking, "\n"))
		return
	}
	t.Logf("%d steps (summary %v), %d updates or creates, no replace and no delete", len(p.Steps), p.ChangeSummary, len(allowed))
}
