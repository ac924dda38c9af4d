package engine

// The sharing case (issue 8): two breakers on one aliased downstream, from
// TypeScript and Python, through the real engine, the plugin and the stand-in
// aws plugin. The downstream's alias is passed as a resource (downstreamAlias)
// and the second breaker takes the first one's table through its `table`
// output (`table: first.table`). A second preview after up must change
// nothing. With bad input, the preview must fail with each problem reported
// against its property, the way the engine reports provider input failures,
// and, in Python, without a traceback.

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/internal/standinaws"
)

type sharingLang struct {
	dir  string
	args []string
	env  []string
}

func sharingProgram(t *testing.T, lang string) sharingLang {
	t.Helper()
	switch lang {
	case "typescript":
		for _, n := range languages["typescript"].needs {
			need(t, n[0], n[1])
		}
		return sharingLang{path("examples", "ts"), []string{"node", path("test", "engine", "drivers", "driver.js")}, []string{
			"CIRCUITBREAKER_ENGINE_PROGRAM=" + path("test", "engine", "sharing", "index.js"),
			"NODE_PATH=" + path("examples", "ts", "node_modules"),
		}}
	case "python":
		need(t, venvPython(), "the Python virtualenv with the SDK")
		return sharingLang{path("test", "engine", "sharing"), []string{venvPython(), path("test", "engine", "drivers", "driver.py")}, []string{
			"CIRCUITBREAKER_ENGINE_PROGRAM=" + path("test", "engine", "sharing", "__main__.py"),
		}}
	}
	t.Fatalf("no sharing program in %s", lang)
	return sharingLang{}
}

// runSharing runs the sharing program's driver and returns its report and
// the stand-in's journal.
func runSharing(t *testing.T, lang string, env ...string) ([]byte, []standinaws.JournalEntry, string) {
	t.Helper()
	prog := sharingProgram(t, lang)
	e := newEngineEnv(t)
	reportPath := filepath.Join(e.dir, "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), stackTimeout())
	defer cancel()
	cmd := e.command(ctx, prog.dir, prog.args...)
	cmd.Env = append(cmd.Env,
		"CIRCUITBREAKER_ENGINE_PROJECT=sharing",
		"CIRCUITBREAKER_ENGINE_STACK=engine-test",
		"CIRCUITBREAKER_ENGINE_REPORT="+reportPath,
		"CIRCUITBREAKER_ENGINE_SCHEDULE="+changedSchedule,
	)
	cmd.Env = append(append(cmd.Env, prog.env...), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s sharing stack: %v\n%s", lang, err, out)
	}
	t.Logf("%s sharing stack through the engine in %s", lang, time.Since(start).Round(time.Millisecond))
	b, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatalf("no report: %v\n%s", err, out)
	}
	journal, err := standinaws.ReadJournal(e.cloud)
	if err != nil {
		t.Fatal(err)
	}
	left, err := standinaws.ReadCloud(e.cloud)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d resources left in the fake cloud", len(left))
	}
	return b, journal, string(out)
}

func TestTypeScriptSharingThroughEngine(t *testing.T) { t.Parallel(); checkSharing(t, "typescript") }
func TestPythonSharingThroughEngine(t *testing.T)     { t.Parallel(); checkSharing(t, "python") }

func checkSharing(t *testing.T, lang string) {
	if fidelity != nil {
		t.Skip("the sharing case runs against the stand-in only")
	}
	b, journal, _ := runSharing(t, lang)
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Up.Summary["create"] == 0 || len(r.Up.Summary) != 1 {
		t.Errorf("up %v, want creates only", r.Up.Summary)
	}
	if len(r.PreviewAgain.ChangeSummary) != 1 || r.PreviewAgain.ChangeSummary["same"] == 0 {
		t.Errorf("preview after up %v, want no changes", r.PreviewAgain.ChangeSummary)
	}
	for _, st := range r.PreviewAgain.Steps {
		if st.Op != "same" {
			t.Errorf("preview after up: %s %s %v", st.Op, st.URN, st.Diffs)
		}
	}
	checkScheduleOnlyChanged(t, r.PreviewChanged)
	if len(r.Destroy.Summary) != 1 || r.Destroy.Summary["delete"] != r.Up.Summary["create"] {
		t.Errorf("destroy %v, want delete of all %d", r.Destroy.Summary, r.Up.Summary["create"])
	}
	for _, j := range journal {
		if j.Op == "update" {
			t.Errorf("stand-in update of %s, want none", j.URN)
		}
	}

	byName := map[string]stateResource{}
	var tables []stateResource
	for _, res := range r.Deployment.Resources {
		byName[res.name()] = res
		if res.Type == "aws:dynamodb/table:Table" {
			tables = append(tables, res)
		}
	}
	// One table: the first breaker's own, shared by the second through the
	// first one's `table` output.
	first, second := byName["checkout"], byName["refunds"]
	if len(tables) != 1 || tables[0].name() != "checkout-table" || tables[0].Parent != first.URN {
		t.Fatalf("tables %v, want only checkout-table, a child of the first breaker", tables)
	}
	table := tables[0]
	if ref, _ := first.Outputs["table"].(string); ref != "" && ref != table.URN {
		t.Errorf("first breaker's table output %v, want a reference to %s", first.Outputs["table"], table.URN)
	}
	if got := second.out("tableName"); got == "" || got != table.out("name") {
		t.Errorf("second breaker's tableName %q, want the first's table %q", got, table.out("name"))
	}
	if def, _ := byName["refunds-state-machine"].Inputs["definition"].(string); !strings.Contains(def, `"`+table.out("name")+`"`) {
		t.Errorf("the second breaker's definition does not read the first's table %q", table.out("name"))
	}
	want := map[string]string{"firstTableName": table.out("name"), "secondTableName": table.out("name"), "topicArn": byName["checkout-alarms"].out("arn")}
	for k, v := range want {
		if got := r.Up.Outputs[k].Value; got != v || v == "" {
			t.Errorf("stack output %s = %v, want %q", k, got, v)
		}
	}

	// The alias passed as a resource is each breaker's qualifier, and the
	// breakers depend on it.
	shop, alias := byName["shop"], byName["shop-live"]
	if alias.Type != "aws:lambda/alias:Alias" || alias.out("name") != "live" {
		t.Fatalf("no alias shop-live named live in the state: %+v", alias)
	}
	for _, svc := range []string{"checkout", "refunds"} {
		def, _ := byName[svc+"-state-machine"].Inputs["definition"].(string)
		if !strings.Contains(def, shop.out("arn")+":live") {
			t.Errorf("%s's definition does not invoke %s:live", svc, shop.out("arn"))
		}
		dims, _ := byName[svc+"-downstream-errors"].Inputs["dimensions"].(map[string]any)
		if dims["Resource"] != shop.out("name")+":live" {
			t.Errorf("%s's downstream alarm dimensions %v, want Resource %s:live", svc, dims, shop.out("name"))
		}
	}
}

func TestTypeScriptBadInputByPropertyThroughEngine(t *testing.T) {
	t.Parallel()
	checkBadInput(t, "typescript")
}

func TestPythonBadInputByPropertyThroughEngine(t *testing.T) {
	t.Parallel()
	checkBadInput(t, "python")
}

// checkBadInput: the engine reports each bad input against its property
// ("property healthcheckSchedule with value ... has a problem: ...", pulumi
// pkg/resource/deploy/source_eval.go, errorToMessage) and the user sees no
// traceback.
func checkBadInput(t *testing.T, lang string) {
	if fidelity != nil {
		t.Skip("bad input is refused before any aws call")
	}
	b, journal, out := runSharing(t, lang, "CIRCUITBREAKER_ENGINE_EXPECT=error", "CIRCUITBREAKER_ENGINE_BAD_INPUT=1")
	var r struct {
		PreviewError *struct {
			Message     string       `json:"message"`
			Diagnostics []diagnostic `json:"diagnostics"`
		} `json:"previewError"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.PreviewError == nil {
		t.Fatal("the preview of bad input succeeded")
	}
	var diags []string
	for _, d := range r.PreviewError.Diagnostics {
		if d.Severity == "error" {
			diags = append(diags, d.Message)
		}
	}
	all := strings.Join(diags, "\n")
	t.Logf("%s: the user sees:\n%s\nthe Automation API's error:\n%s", lang, all, r.PreviewError.Message)
	for _, want := range []string{
		"circuitbreaker:index:CircuitBreaker resource 'checkout' has a problem: invalid CircuitBreaker inputs",
		`property healthcheckSchedule with value "rate(1 minutes)" has a problem: "rate(1 minutes)": a rate of 1 takes the singular unit; write "rate(1 minute)"`,
		"property downstreamAlias",
		"is set together with downstreamQualifier; pass one of them",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("%s: the error diagnostics do not say %q:\n%s", lang, want, all)
		}
	}
	if lang == "python" {
		for _, where := range []string{all, r.PreviewError.Message, out} {
			if strings.Contains(where, "Traceback") {
				t.Errorf("python: the user sees a traceback:\n%s", where)
			}
		}
	}
	for _, j := range journal {
		if j.Op == "create" && strings.Contains(j.URN, "CircuitBreaker") {
			t.Errorf("bad input created %s", j.URN)
		}
	}
}
